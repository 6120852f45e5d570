"""Getting an instance folder ready before the UI starts (anchor_assets/ui_start.py), on real
instances: the settings name the history's folder, and runs a stopped UI left in progress are
ended with their pool slot given back, so that the next run does not wait for it."""

import logging
import multiprocessing
import signal
import subprocess
import sys
import time

import pytest
from dagster import DagsterEvent, DagsterEventType, DagsterInstance, DagsterRunStatus, EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun

from anchor_assets.run_history import BatchedSqliteEventLogStorage
from anchor_assets.ui_start import ENDED_BY_STOP, end_runs_left_in_progress, write_settings


def test_the_instance_finds_its_history_in_its_own_folder_whatever_dagster_home_says(
    tmp_path, monkeypatch
):
    folder, elsewhere = tmp_path / "instance", tmp_path / "elsewhere"
    folder.mkdir()
    write_settings(folder)
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))

    with DagsterInstance.from_config(str(folder)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, BatchedSqliteEventLogStorage)
        assert storage._base_dir == str(folder / "history" / "runs")
    assert not elsewhere.exists()

    monkeypatch.delenv("DAGSTER_HOME")
    with DagsterInstance.from_config(str(folder)) as instance:
        assert instance.event_log_storage._base_dir == str(folder / "history" / "runs")


def add_run(instance: DagsterInstance, status: DagsterRunStatus) -> str:
    run = DagsterRun(job_name="__ASSET_JOB", status=status)
    instance.add_run(run)
    return run.run_id


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    write_settings(tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        instance.event_log_storage.set_concurrency_slots("anchor_api", 1)
        yield instance


def test_a_run_left_in_progress_is_failed_and_gives_its_pool_slot_back(instance):
    left = add_run(instance, DagsterRunStatus.STARTED)
    queued = add_run(instance, DagsterRunStatus.NOT_STARTED)  # another run, after the slot
    done = add_run(instance, DagsterRunStatus.SUCCESS)
    claim = instance.event_log_storage.claim_concurrency_slot("anchor_api", left, "plays", 0)
    assert claim.is_claimed
    waiting = instance.event_log_storage.claim_concurrency_slot("anchor_api", queued, "plays", 0)
    assert not waiting.is_claimed

    assert end_runs_left_in_progress(instance) == [left]

    assert instance.get_run_by_id(left).status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(queued).status == DagsterRunStatus.NOT_STARTED
    assert instance.get_run_by_id(done).status == DagsterRunStatus.SUCCESS
    messages = [record.message for record in instance.all_logs(left)]
    assert ENDED_BY_STOP in messages
    assert instance.event_log_storage.get_concurrency_info("anchor_api").active_slot_count == 0
    later = instance.event_log_storage.claim_concurrency_slot("anchor_api", queued, "plays", 0)
    assert later.is_claimed


def test_a_run_that_was_canceling_ends_canceled(instance):
    canceling = add_run(instance, DagsterRunStatus.CANCELING)

    assert end_runs_left_in_progress(instance) == [canceling]
    assert instance.get_run_by_id(canceling).status == DagsterRunStatus.CANCELED


def test_the_command_keeps_a_users_own_settings_when_asked(tmp_path):
    own = "telemetry:\n  enabled: false\n"
    (tmp_path / "dagster.yaml").write_text(own)
    environ = {"DAGSTER_HOME": str(tmp_path), "PATH": ""}

    for options, expected in ((["--keep-settings"], own), ([], None)):
        subprocess.run(
            [sys.executable, "-m", "anchor_assets.ui_start", str(tmp_path), *options],
            env=environ, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        written = (tmp_path / "dagster.yaml").read_text()
        if expected is not None:
            assert written == expected
        else:
            assert f"base_dir: '{tmp_path / 'history' / 'runs'}'" in written


def test_a_run_whose_process_outlived_a_killed_ui_is_stopped_before_it_is_failed(instance):
    """The code server starts a run as a spawned process, which a UI killed outright leaves
    running; its events name it."""
    still_running = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(600,))
    still_running.start()
    try:
        left = add_run(instance, DagsterRunStatus.STARTED)
        start = DagsterEvent(
            DagsterEventType.RUN_START.value, job_name="__ASSET_JOB", pid=still_running.pid
        )
        instance.store_event(
            EventLogEntry(
                error_info=None, level=logging.DEBUG, user_message="", run_id=left,
                timestamp=time.time(), dagster_event=start,
            )
        )  # fmt: skip

        assert end_runs_left_in_progress(instance) == [left]

        still_running.join(timeout=5)
        assert still_running.exitcode == -signal.SIGTERM
        assert instance.get_run_by_id(left).status == DagsterRunStatus.FAILURE
    finally:
        still_running.kill()
