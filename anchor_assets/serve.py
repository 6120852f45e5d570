"""Runs the Dagster UI for this project: one gRPC code server, the webserver and the daemon.

This is Dagster's own layout for a deployment that stays up (a workspace naming a running code
server), started and stopped as one. ``dagster dev`` runs the same three behind a process of its
own and a code-server proxy that reloads edited code; together those two hold 0.18 GiB that a
warehouse left running all day has no use for. Code changes take a restart. The daemon is
Dagster's, with backfills taken up as soon as they are launched (``anchor_assets.daemon``).

    python -m anchor_assets.serve --host 127.0.0.1 --port 3000

Stops on Ctrl-C or SIGTERM, stopping the three; if one of them ends by itself, the others are
stopped and the exit status is 1. Were this process killed outright, the kernel kills the three
as well (Linux), so that none is left serving, nor a second daemon left over the same runs.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from anchor_assets.run_processes import run_processes, stop_processes

LOCATION = "anchor_assets"
MODULE = "anchor_assets.definitions"
PROJECT = Path(__file__).resolve().parents[1]
# The code server listens within seconds; it loads the project when first asked (lazily).
CODE_SERVER_READY_SECONDS = 120
# The webserver and the daemon finish what they are doing (a daemon tick, a request) first.
STOP_SECONDS = 30
POLL_SECONDS = 0.5


class Stop(Exception):
    """Ctrl-C or SIGTERM reached this process."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_stop)
    started: dict[str, subprocess.Popen] = {}
    with tempfile.TemporaryDirectory(prefix="anchor-assets-ui-") as folder:
        code_socket = str(Path(folder) / "code-server.sock")
        workspace = Path(folder) / "workspace.yaml"
        try:
            started["code server"] = _start(_code_server_command(code_socket, args.log_level))
            _wait_for_code_server(code_socket, started["code server"])
            # JSON is YAML too; this process stays small by importing neither yaml nor dagster.
            workspace.write_text(json.dumps(_workspace(code_socket)))
            started["webserver"] = _start(
                [sys.executable, "-m", "dagster_webserver", "--host", args.host,
                 "--port", str(args.port), "--workspace", str(workspace),
                 "--dagster-log-level", args.log_level]  # fmt: skip
            )
            started["daemon"] = _start(
                [sys.executable, "-m", "anchor_assets.daemon", "--workspace", str(workspace),
                 "--log-level", args.log_level]  # fmt: skip
            )
            ended = _wait_for_an_end(started)
            print(f"the {ended} stopped by itself: stopping the others", file=sys.stderr)
            return 1
        except Stop:
            return 0
        finally:
            # Ctrl-C again while stopping would leave processes behind: it is ignored meanwhile.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _stop_all(started)


def _code_server_command(code_socket: str, log_level: str) -> list[str]:
    # --lazy-load-user-code: a location that fails to load is shown in the UI with its error,
    # as under dagster dev, instead of the server refusing to start.
    return [sys.executable, "-m", "dagster", "api", "grpc", "--module-name", MODULE,
            "--working-directory", str(PROJECT), "--location-name", LOCATION,
            "--socket", code_socket, "--lazy-load-user-code", "--log-level", log_level]  # fmt: skip


def _workspace(code_socket: str) -> dict:
    return {"load_from": [{"grpc_server": {"socket": code_socket, "location_name": LOCATION}}]}


def _start(command: list[str]) -> subprocess.Popen:
    # A session of its own, so that Ctrl-C in the terminal reaches this process alone, which
    # stops the three in order. Killed by the kernel if this process dies first: SIGKILL, not
    # SIGTERM, which the webserver and the daemon lose while they start; this process dies
    # before stopping them only when killed outright, and then so are they.
    return subprocess.Popen(
        [sys.executable, "-m", "anchor_assets.child_process",
         "--stop-with-parent", str(os.getpid()), "--signal", "KILL", *command],
        start_new_session=True,
    )  # fmt: skip


def _wait_for_code_server(code_socket: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + CODE_SERVER_READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the code server ended while starting (status {process.returncode})")
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(code_socket)
                return
            except OSError:  # not listening yet
                pass
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"the code server did not listen within {CODE_SERVER_READY_SECONDS} s")


def _wait_for_an_end(started: dict[str, subprocess.Popen]) -> str:
    """Waits until one of the processes ends; its name."""
    while True:
        for name, process in started.items():
            if process.poll() is not None:
                return name
        time.sleep(POLL_SECONDS)


def _stop_all(started: dict[str, subprocess.Popen]) -> None:
    """The webserver and the daemon first, on an interrupt as from Ctrl-C, so that no run is
    launched meanwhile; then the runs in progress, which the code server launched but which
    would outlive it (they fail, and run retries start them again when the UI is back); then
    the code server. Whatever does not stop in time is killed."""
    _stop([started[name] for name in ("webserver", "daemon") if name in started], signal.SIGINT)
    if "code server" in started:
        runs = run_processes(parent=started["code server"].pid)
        if runs:
            print(f"stopping {len(runs)} runs in progress", file=sys.stderr)
        stop_processes(runs, STOP_SECONDS)
        _stop([started["code server"]], signal.SIGTERM)


def _stop(processes: list[subprocess.Popen], stop_signal: int) -> None:
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(stop_signal)
    deadline = time.monotonic() + STOP_SECONDS
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _raise_stop(signum, _frame) -> None:
    raise Stop(signal.Signals(signum).name)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number: set DAGSTER_PORT to a whole number from 1 to 65535"
        )
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m anchor_assets.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address the UI listens on")
    parser.add_argument("--port", type=_port, default=3000, help="port of the UI (3000)")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
