"""Becomes a command (by exec) with what a process started in the background should have.

    python -m anchor_assets.child_process [--stop-with-parent PID [--signal NAME]] COMMAND...

- Ctrl-C (SIGINT) at its default: a process started in the background of a non-interactive
  shell inherits SIGINT ignored, which bash cannot undo, and would never hear the interrupt
  Dagster stops cleanly on (nor, then, SIGTERM).
- With --stop-with-parent PID (the caller's own process id): the kernel sends the command NAME
  (TERM unless given) when that parent dies, even by kill -9 (PR_SET_PDEATHSIG, Linux; elsewhere
  the command outlives it). A parent already gone by the time this is arranged has left the
  process to another parent: the command then does not start.

Done by exec from a process of its own rather than in a preexec_fn, which is unsafe with threads.
Imports nothing of the project or of Dagster, to start fast and small.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(args: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if args[:1] == ["--stop-with-parent"]:
        parent, args = int(args[1]), args[2:]
        stop_signal = signal.SIGTERM
        if args[:1] == ["--signal"]:
            stop_signal, args = signal.Signals[f"SIG{args[1]}"], args[2:]
        try:
            ctypes.CDLL("libc.so.6").prctl(PR_SET_PDEATHSIG, stop_signal)
        except OSError:
            pass
        if os.getppid() != parent:
            sys.exit(f"process {parent}, which started {args[0]}, has ended: not starting it")
    os.execvp(args[0], args)


if __name__ == "__main__":
    main(sys.argv[1:])
