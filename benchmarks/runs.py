"""Waiting for the runs and backfills that the UI carries out, read from its instance."""

import time
from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.execution.backfill import BulkActionStatus

POLL_SECONDS = 0.5
BACKFILL_DONE = {
    BulkActionStatus.COMPLETED,
    BulkActionStatus.COMPLETED_SUCCESS,
    BulkActionStatus.COMPLETED_FAILED,
    BulkActionStatus.FAILED,
    BulkActionStatus.CANCELED,
}
RUN_DONE = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass
class RunTimes:
    """When a set of runs started and ended (Unix seconds), and how they went."""

    run_count: int
    first_start: float
    last_end: float
    failed: list[str]  # run ids
    longest_run_seconds: float
    summed_run_seconds: float


def wait_for_runs(instance: DagsterInstance, run_ids: list[str], timeout: float) -> RunTimes:
    deadline = time.monotonic() + timeout
    while True:
        records = instance.get_run_records(RunsFilter(run_ids=run_ids))
        if len(records) == len(run_ids) and all(r.dagster_run.status in RUN_DONE for r in records):
            return _times(records)
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs {run_ids} did not finish within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def wait_until_idle(instance: DagsterInstance, quiet_seconds: float, timeout: float) -> None:
    """Until no run has been queued or in progress for ``quiet_seconds``: a sensor tick that was
    under way when the sensor was turned off may still add runs after its first ones."""
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds:
        busy = [r for r in instance.get_run_records() if r.dagster_run.status not in RUN_DONE]
        if busy:
            quiet_since = time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(busy)} runs still going after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def wait_for_backfill(
    instance: DagsterInstance, backfill_id: str, timeout: float
) -> tuple[RunTimes, float, str]:
    """The backfill's runs once it is done, the Unix time it was seen done, and its status."""
    deadline = time.monotonic() + timeout
    while True:
        backfill = instance.get_backfill(backfill_id)
        if backfill is not None and backfill.status in BACKFILL_DONE:
            seen_done = time.time()
            records = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
            return _times(records), seen_done, backfill.status.value
        if time.monotonic() > deadline:
            raise TimeoutError(f"backfill {backfill_id} did not finish within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def failure_messages(instance: DagsterInstance, run_id: str, limit: int = 3) -> list[str]:
    """The first step failures of a run, for the report."""
    messages = []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is not None and event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            messages.append(f"{event.step_key}: {error.message.strip() if error else '?'}")
        if len(messages) >= limit:
            break
    return messages


def _times(records) -> RunTimes:
    if not records:
        return RunTimes(0, float("nan"), float("nan"), [], 0.0, 0.0)
    durations = [(r.end_time or 0) - (r.start_time or 0) for r in records]
    return RunTimes(
        run_count=len(records),
        first_start=min(r.start_time or float("inf") for r in records),
        last_end=max(r.end_time or 0 for r in records),
        failed=[
            r.dagster_run.run_id
            for r in records
            if r.dagster_run.status != DagsterRunStatus.SUCCESS
        ],
        longest_run_seconds=max(durations),
        summed_run_seconds=sum(durations),
    )
