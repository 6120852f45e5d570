"""Dagster's daemon for this project's UI, with backfills taken up when they are launched.

Dagster's backfill daemon looks at backfills every 30 s, a fixed interval (not a setting): a
backfill launched in the UI sits "Requested" for up to half a minute before its first run, and
each later stage of an asset backfill (the analytics tables after the tables they read) waits
for the next look again. This is Dagster's own daemon process, every daemon the instance needs,
with one change to the backfill daemon's loop: besides every 30 s, it also looks within a second
of a backfill being launched or cancelled, or of one of a backfill's runs ending. The looks
themselves are Dagster's (``execute_backfill_iteration``); in between, one small query a second.

    python -m anchor_assets.daemon --workspace workspace.yaml --log-level info
"""

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from threading import Event

from dagster import DagsterInstance, RunsFilter
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus
from dagster._core.storage.dagster_run import FINISHED_STATUSES
from dagster._core.storage.tags import BACKFILL_ID_TAG
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._daemon.controller import (
    DEFAULT_DAEMON_INTERVAL_SECONDS,
    create_daemon_of_type,
    daemon_controller_from_instance,
)
from dagster._daemon.daemon import BackfillDaemon, DagsterDaemon, SpanMarker
from dagster._daemon.utils import DaemonErrorCapture
from dagster._utils.interrupts import capture_interrupts

# The backfill statuses Dagster's daemon acts on: running, being cancelled, failing.
ACTIVE = [BulkActionStatus.REQUESTED, BulkActionStatus.CANCELING, BulkActionStatus.FAILING]
# How often the loop checks whether a look is due: the longest a launched backfill waits.
CHECK_SECONDS = 1.0


@dataclass
class LastLook:
    """What the backfill daemon saw when it last looked."""

    at: float = float("-inf")  # time.time() when it began
    backfills: frozenset[str] = field(default_factory=frozenset)  # the active ones then


def look_is_due(last: LastLook, active: frozenset[str], runs_ended: bool) -> bool:
    """Whether the backfill daemon has something new to look at before its 30 s are up: a
    backfill became active (launched, or asked to cancel) since the last look, or a run of an
    active backfill ended since (its next stage may start, or the backfill is done)."""
    return bool(active - last.backfills) or runs_ended


class PromptBackfillDaemon(BackfillDaemon):
    """Dagster's backfill daemon, looking as soon as there is something to look at."""

    def core_loop(self, workspace_process_context, shutdown_event: Event) -> Iterator:
        instance = workspace_process_context.instance
        # Dagster's own record of the backfills its threads are evaluating. A look skips a
        # backfill still being evaluated, so an early look waits until none is; Dagster's 30 s
        # look does not wait, as in Dagster.
        in_flight: dict[str, Future] = {}
        last = LastLook()
        while True:
            now = time.time()
            try:
                active = _active_backfills(instance)
                busy = any(not future.done() for future in in_flight.values())
                early = not busy and look_is_due(
                    last, active, _runs_ended(instance, active, since=last.at)
                )
            except Exception:  # the run history unreadable for a moment: Dagster's 30 s remain
                yield DaemonErrorCapture.process_exception(
                    exc_info=sys.exc_info(),
                    logger=self._logger,
                    log_message="BackfillDaemon could not check for new backfills",
                )
                active, early = last.backfills, False
            if early or now - last.at >= DEFAULT_DAEMON_INTERVAL_SECONDS:
                yield SpanMarker.START_SPAN
                try:
                    yield from execute_backfill_iteration(
                        workspace_process_context,
                        self._logger,
                        threadpool_executor=self._threadpool_executor,
                        submit_threadpool_executor=self._submit_threadpool_executor,
                        backfill_futures=in_flight,
                    )
                except Exception:
                    yield DaemonErrorCapture.process_exception(
                        exc_info=sys.exc_info(),
                        logger=self._logger,
                        log_message="BackfillDaemon caught an error",
                    )
                yield SpanMarker.END_SPAN
                last = LastLook(at=now, backfills=active)
            shutdown_event.wait(CHECK_SECONDS)
            yield None


def _active_backfills(instance: DagsterInstance) -> frozenset[str]:
    return frozenset(
        backfill.backfill_id
        for backfill in instance.get_backfills(filters=BulkActionsFilter(statuses=ACTIVE))
    )


def _runs_ended(instance: DagsterInstance, backfills: frozenset[str], since: float) -> bool:
    if not backfills or since == float("-inf"):
        return False
    ended = RunsFilter(
        tags={BACKFILL_ID_TAG: sorted(backfills)},
        statuses=FINISHED_STATUSES,
        updated_after=datetime.fromtimestamp(since, timezone.utc),
    )
    return instance.get_runs_count(ended) > 0


def daemons(instance: DagsterInstance) -> Sequence[DagsterDaemon]:
    """The daemons the instance needs, as Dagster makes them, the backfill daemon prompt."""
    return [
        PromptBackfillDaemon(instance.get_backfill_settings())
        if daemon_type == BackfillDaemon.daemon_type()
        else create_daemon_of_type(daemon_type, instance)
        for daemon_type in instance.get_required_daemon_types()
    ]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        # As `dagster-daemon run` does: an interrupt (Ctrl-C, or the UI's launcher stopping it)
        # is raised where the controller checks for it, between its checks of the daemons.
        with ExitStack() as stack:
            stack.enter_context(capture_interrupts())
            instance = stack.enter_context(DagsterInstance.get())
            controller = stack.enter_context(
                daemon_controller_from_instance(
                    instance,
                    workspace_load_target=WorkspaceFileTarget(paths=[args.workspace]),
                    gen_daemons=daemons,
                    log_level=args.log_level,
                )
            )
            controller.check_daemon_loop()
    except KeyboardInterrupt:
        pass
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m anchor_assets.daemon",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--workspace", required=True, help="the workspace file of the UI")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
