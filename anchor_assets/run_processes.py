"""The processes of Dagster runs on this machine, and stopping them.

The code server starts each run in a process of its own (Python multiprocessing's spawn), which
lives on without it: stopping the UI, or starting it again after it was killed outright, has to
stop the runs left going, or they would write on while run retries start them anew. Reads /proc
(Linux); elsewhere it finds nothing.
"""

import os
import signal
import time
from pathlib import Path

# How the command line of a process started by multiprocessing's spawn begins: a run's, when
# the code server started it.
SPAWNED = b"multiprocessing.spawn import spawn_main"


def run_processes(parent: int) -> list[int]:
    """The run processes that ``parent`` (a code server) started and that still run."""
    return [pid for pid in children(parent) if is_run_process(pid)]


def children(parent: int) -> list[int]:
    """The processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
    return found


def is_run_process(pid: int) -> bool:
    """Whether ``pid`` runs and was started as a run is: a process id seen in a run's events may
    since have gone to another process."""
    try:
        return SPAWNED in Path(f"/proc/{pid}/cmdline").read_bytes() and running(pid)
    except OSError:
        return False


def stop_processes(pids: list[int], seconds: float) -> None:
    """SIGTERM, which a run takes as an interruption (it fails, and run retries start it again);
    SIGKILL for what still runs after ``seconds``."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in pids if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def running(pid: int) -> bool:
    """Still running: a zombie has ended; it waits only for its parent to read its status."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
