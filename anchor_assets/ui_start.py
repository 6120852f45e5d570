"""Getting an instance folder ready before scripts/demo or scripts/ui starts Dagster on it.

`python -m anchor_assets.ui_start FOLDER [--keep-settings]`:

- writes the project's instance settings (deploy/dagster.yaml) into the folder, with the run
  history's folder spelt out, so that the instance finds its history wherever it is opened
  from, with DAGSTER_HOME set to another folder or not at all;
- ends the runs that a stopped UI left in progress. Their run process went with the UI (or is
  stopped now, if the UI was killed outright and it still runs), but Dagster still counts them
  as going: each keeps its anchor_api pool slot and its place among
  the runs in progress, and once they fill those every later run would wait for run
  monitoring's 3-hour limit. They are marked failed, which
  also lets run retries start them again from their failed steps, and their slots are freed.

The scripts call it only once they hold the folder's lock, when no Dagster of theirs runs on it.
"""

import argparse
import sys
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from anchor_assets.run_processes import is_run_process, stop_processes

SETTINGS = Path(__file__).resolve().parent.parent / "deploy" / "dagster.yaml"
HISTORY_STORAGE_LINE = "  class: BatchedSqliteEventLogStorage\n"
LEFT_IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
# A run's process stops within seconds of SIGTERM; one that does not is killed.
STOP_SECONDS = 30
ENDED_BY_STOP = (
    "The UI was stopped while this run was in progress, and its process with it; marked failed"
    " when the UI started again. Run retries start it again from its failed steps."
)


def write_settings(folder: Path, settings: Path = SETTINGS) -> None:
    """The project's instance settings, with the run history's folder inside ``folder``."""
    text = settings.read_text()
    if HISTORY_STORAGE_LINE not in text:
        raise ValueError(f"{settings} no longer selects the run history storage where expected")
    history = (folder / "history" / "runs").resolve()
    text = text.replace(
        HISTORY_STORAGE_LINE,
        f"{HISTORY_STORAGE_LINE}  config:\n    base_dir: {str(history)!r}\n",
    )
    (folder / "dagster.yaml").write_text(text)


def end_runs_left_in_progress(instance: DagsterInstance) -> list[str]:
    """Marks the runs a stopped UI left in progress failed and frees their pool slots, once any
    of their processes that still run (the UI was killed outright) are stopped."""
    ended = []
    records = instance.get_run_records(RunsFilter(statuses=LEFT_IN_PROGRESS))
    stop_processes(_still_running(instance, records), STOP_SECONDS)
    for record in records:
        run = record.dagster_run
        if run.status == DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, "The UI was stopped while this run was canceling.")
        else:
            instance.report_run_failed(run, ENDED_BY_STOP)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        ended.append(run.run_id)
    return ended


def _still_running(instance: DagsterInstance, records) -> list[int]:
    """The processes of these runs that still run: each run's events name its process."""
    pids = set()
    for record in records:
        starts = instance.all_logs(record.dagster_run.run_id, of_type=DagsterEventType.RUN_START)
        pids |= {
            entry.dagster_event.pid
            for entry in starts
            if entry.dagster_event.pid and is_run_process(entry.dagster_event.pid)
        }
    return sorted(pids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the instance folder (DAGSTER_HOME)")
    parser.add_argument(
        "--keep-settings", action="store_true", help="leave an existing dagster.yaml as it is"
    )
    args = parser.parse_args(argv)
    folder = args.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if not (args.keep_settings and (folder / "dagster.yaml").exists()):
        write_settings(folder)
    with DagsterInstance.from_config(str(folder)) as instance:
        ended = end_runs_left_in_progress(instance)
    for run_id in ended:
        print(f"run {run_id} was left in progress by a stopped UI: marked failed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
