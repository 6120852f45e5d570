"""Serve the sandbox API until Ctrl-C: python -m anchor_assets.sandbox --port 8765"""

import argparse
import signal
import sys
import time
from datetime import date

from anchor_assets.sandbox.server import SANDBOX_COOKIE, SandboxServer
from anchor_assets.sandbox.show import FictionalShow

# How long a SIGTERM can wait for the main thread to wake and act on it.
SIGNAL_CHECK_SECONDS = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        show = FictionalShow(
            today=args.today,
            episode_count=args.episodes,
            history_days=args.history_days,
            seed=args.seed,
        )
    except ValueError as error:
        parser.error(str(error))
    server = SandboxServer(
        show,
        cookie=args.cookie,
        host=args.host,
        port=args.port,
        latency_seconds=args.latency_ms / 1000,
    )
    try:
        server.start()
    except OSError as error:
        print(
            f"the sandbox cannot listen on {args.host}:{args.port} ({error.strerror});"
            " pick another port with --port",
            file=sys.stderr,
        )
        return 1
    # The default cookie is the sandbox's own and no secret; one given with --cookie might be.
    cookie = f"anchorpw_s={SANDBOX_COOKIE}" if args.cookie == SANDBOX_COOKIE else "as given"
    print(
        f"Sandbox API at {server.base_url} for webstation id {show.webstation_id}"
        f" (cookie {cookie}); Ctrl-C stops it",
        flush=True,
    )
    # A plain kill (SIGTERM, as scripts/demo sends on exit) stops it as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # Python runs a signal's handler in the main thread once it wakes, and the kernel may hand
    # the signal to a thread answering a request: a wait without end would never wake for it.
    try:
        while True:
            time.sleep(SIGNAL_CHECK_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m anchor_assets.sandbox",
        description="Serve a fictional show on the Spotify for Creators API's paths.",
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--cookie", default=SANDBOX_COOKIE, help="anchorpw_s value to expect")
    parser.add_argument("--episodes", type=int, default=36, help="published episodes")
    parser.add_argument("--history-days", type=int, default=730, help="days of history")
    parser.add_argument("--latency-ms", type=_not_negative, default=0, help="delay per answer")
    parser.add_argument("--today", type=_day, help="YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--seed", type=_not_negative, default=7, help="another seed, another show")
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write the day as YYYY-MM-DD, not {text!r}") from None


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
