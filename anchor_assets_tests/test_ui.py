"""The code location as the UI sees it: the UI that ``scripts/ui`` starts (``anchor_assets.serve``)
as a real process on a free loopback port, with its own DAGSTER_HOME, pointed at a sandbox show;
everything goes through the GraphQL API the UI itself uses. Also how the UI's processes stop."""

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.storage.tags import BACKFILL_ID_TAG

from anchor_assets.daemon import ACTIVE as ACTIVE_BACKFILL
from anchor_assets.run_processes import children, run_processes, running
from anchor_assets.sandbox import FictionalShow, SandboxServer
from anchor_assets.ui_start import write_settings

REPO = Path(__file__).resolve().parents[1]
COOKIE = "ui-cookie-7c21d4"
LOCATION = "anchor_assets"
STARTUP_SECONDS = 180
RUN_SECONDS = 180
STOP_SECONDS = 30
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

ASSET_NODES = """
{ assetNodes { assetKey { path } groupName dependencyKeys { path } jobNames } }
"""
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN_STATUS = """
query Status($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }
"""
LOCATION_STATUS = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


@dataclass
class RunningUi:
    url: str
    show: FictionalShow
    warehouse: Path
    log: Path

    def query(self, text: str, **variables) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": text, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def running_ui(tmp_path_factory):
    show = FictionalShow(episode_count=4, history_days=60)
    home = tmp_path_factory.mktemp("dagster_home")
    with SandboxServer(show, cookie=COOKIE, port=0) as sandbox:
        process, server = _start_ui(home, sandbox)
        try:
            _wait_until_loaded(server, process)
            yield server
        finally:
            _stop(process)


def _start_ui(home: Path, sandbox: SandboxServer) -> tuple[subprocess.Popen, "RunningUi"]:
    """``python -m anchor_assets.serve`` as scripts/ui starts it, in a process group of its own."""
    write_settings(home)  # as the scripts do before they start the UI
    warehouse, log, port = home / "warehouse.duckdb", home / "ui.log", free_port()
    environ = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ANCHOR_BASE_URL": sandbox.base_url,
        "ANCHOR_WEBSTATION_ID": sandbox.show.webstation_id,
        "ANCHOR_PW_S": COOKIE,
        "ANCHOR_DUCKDB_PATH": str(warehouse),
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "anchor_assets.serve", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=REPO, env=environ, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    return process, RunningUi(f"http://127.0.0.1:{port}", sandbox.show, warehouse, log)


def _wait_until_loaded(server: RunningUi, process: subprocess.Popen) -> None:
    """Until the webserver answers and the code location has loaded, within STARTUP_SECONDS."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the UI exited early:\n{server.log_tail()}"
        try:
            entries = server.query(LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            entries = []
        loaded = [entry["locationOrLoadError"] for entry in entries if entry["name"] == LOCATION]
        if loaded and loaded[0] and loaded[0]["__typename"] == "RepositoryLocation":
            return
        assert not loaded or not loaded[0] or loaded[0]["__typename"] != "PythonError", loaded
        time.sleep(1)
    pytest.fail(f"the UI did not load {LOCATION} in {STARTUP_SECONDS} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """Stops the UI as Ctrl-C does, and kills it if it has not stopped in time (the kernel then
    stops the processes it started)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def expected_asset_graph(environ: dict) -> dict:
    """Each asset of the code location (loaded here, as the UI's code server loads it) with its
    group and upstream assets."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        definitions = importlib.import_module("anchor_assets.definitions")
    graph = definitions.defs.resolve_asset_graph()
    nodes = [graph.get(key) for key in graph.materializable_asset_keys]
    return {
        node.key.to_user_string(): (
            node.group_name,
            {key.to_user_string() for key in node.parent_keys},
        )
        for node in nodes
    }


def test_the_ui_lists_every_asset_with_its_group_and_lineage(running_ui):
    nodes = running_ui.query(ASSET_NODES)["assetNodes"]
    listed = {
        "/".join(node["assetKey"]["path"]): (
            node["groupName"],
            {"/".join(dep["path"]) for dep in node["dependencyKeys"]},
        )
        for node in nodes
    }

    expected = expected_asset_graph({
        "ANCHOR_WEBSTATION_ID": running_ui.show.webstation_id,
        "ANCHOR_PW_S": COOKIE,
        "ANCHOR_DUCKDB_PATH": str(running_ui.warehouse),
    })  # fmt: skip
    assert listed == expected
    assert listed["anchor/episode_plays"] == ("episodes", {"anchor/episodes"})
    assert listed["anchor/plays"][0] == "station_daily"


def test_a_materialization_launched_through_the_ui_succeeds(running_ui):
    status = _wait_for_run(running_ui, _launch_episodes_run(running_ui))

    assert status == "SUCCESS", running_ui.log_tail()
    assert _stored_episodes(running_ui.warehouse) == len(running_ui.show.episodes)


def _launch_episodes_run(server: "RunningUi") -> str:
    """Materialize anchor/episodes, as the UI's button does; the run's id."""
    nodes = server.query(ASSET_NODES)["assetNodes"]
    (episodes,) = [node for node in nodes if node["assetKey"]["path"] == ["anchor", "episodes"]]
    job = next(name for name in episodes["jobNames"] if name.startswith("__ASSET_JOB"))
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "jobName": job,
            "assetSelection": [{"path": ["anchor", "episodes"]}],
        },
        "runConfigData": {},
    }
    launched = server.query(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _stored_episodes(warehouse) -> int:
    """Counts the stored episodes, waiting while a run the sensor started holds the file."""
    deadline = time.monotonic() + RUN_SECONDS
    while True:
        try:
            with duckdb.connect(str(warehouse), read_only=True) as connection:
                return connection.execute("select count(*) from anchor.episodes").fetchone()[0]
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _wait_for_run(server: RunningUi, run_id: str) -> str:
    deadline = time.monotonic() + RUN_SECONDS
    status = None
    while time.monotonic() < deadline:
        status = server.query(RUN_STATUS, runId=run_id)["runOrError"]["status"]
        if status in FINISHED:
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} still {status} after {RUN_SECONDS} s:\n{server.log_tail()}")


LAUNCH_BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
# Dagster's own backfill daemon looks every 30 s; the project's looks within a second of a
# launch or of a run's end, then takes a few seconds to plan and submit the next run.
PROMPT_SECONDS = 10


def test_a_backfill_moves_on_as_soon_as_each_stage_ends(running_ui):
    """Two days' plays and plays by app, then the analytics table built from them: a backfill
    in two stages, as the UI's Materialize of those three launches it. Each stage follows the
    end of the one before within seconds, and the backfill is marked done as soon as its last
    run ends, instead of at the backfill daemon's next 30 s look."""
    days = [str(running_ui.show.today - timedelta(days=n)) for n in (3, 2)]
    selection = [["anchor", "plays"], ["anchor", "plays_by_app"], ["anchor", "daily_plays_by_app"]]
    params = {"assetSelection": [{"path": key} for key in selection], "partitionNames": days}
    launched = running_ui.query(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    backfill, runs = _finished_backfill(running_ui, launched["backfillId"])

    assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS, running_ui.log_tail()
    tables, analytics = sorted(runs, key=lambda run: run.create_timestamp)
    assert tables.dagster_run.asset_selection == {AssetKey(selection[0]), AssetKey(selection[1])}
    assert analytics.dagster_run.asset_selection == {AssetKey(selection[2])}
    next_stage = analytics.create_timestamp.timestamp() - tables.end_time
    marked_done = backfill.backfill_end_timestamp - analytics.end_time
    assert 0 < next_stage < PROMPT_SECONDS, f"the analytics run came {next_stage:.1f} s later"
    assert 0 < marked_done < PROMPT_SECONDS, f"marked done {marked_done:.1f} s after its end"


def _finished_backfill(server: RunningUi, backfill_id: str):
    """The backfill once it has ended, and its runs."""
    deadline = time.monotonic() + 2 * RUN_SECONDS
    with DagsterInstance.from_config(str(server.warehouse.parent)) as instance:
        while (backfill := instance.get_backfill(backfill_id)).status in ACTIVE_BACKFILL:
            assert time.monotonic() < deadline, f"backfill {backfill.status}:\n{server.log_tail()}"
            time.sleep(0.5)
        runs = instance.get_run_records(RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
    return backfill, runs


# How the UI's processes stop

UI_PROCESSES = {
    "api grpc": "code server", "dagster_webserver": "webserver", "anchor_assets.daemon": "daemon"
}


@pytest.fixture
def ui(tmp_path):
    """A UI started afresh, once its code server, webserver and daemon all run: the UI's process
    and theirs, by role."""
    show = FictionalShow(episode_count=2, history_days=20)
    with SandboxServer(show, cookie=COOKIE, port=0) as sandbox:
        process, server = _start_ui(tmp_path, sandbox)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while len(started := _roles(children(process.pid))) < len(UI_PROCESSES):
                assert process.poll() is None, server.log_tail()
                assert time.monotonic() < deadline, f"started only {started}:\n{server.log_tail()}"
                time.sleep(0.2)
            yield process, started
        finally:
            _stop(process)


def test_stopping_the_ui_stops_its_three_processes(ui):
    process, started = ui

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=2 * STOP_SECONDS + 10) == 0
    assert set(started) == set(UI_PROCESSES.values())
    assert _alive(started.values()) == set()  # stopped and waited for, not left behind


def test_a_killed_ui_leaves_none_of_its_processes_running(ui):
    process, started = ui

    process.kill()  # kill -9: it cannot stop anything itself

    process.wait(timeout=5)
    # The kernel kills them, even while they are still starting, as here.
    left = _eventually_none_alive(started.values(), seconds=10)
    assert not left, {role: pid for role, pid in started.items() if pid in left}


def test_the_ui_stops_when_one_of_its_processes_ends(ui):
    process, started = ui

    os.kill(started["webserver"], signal.SIGKILL)

    assert process.wait(timeout=2 * STOP_SECONDS + 10) == 1
    assert _alive(started.values()) == set()


def _roles(pids: list[int]) -> dict[str, int]:
    roles = {}
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        roles.update({role: pid for fragment, role in UI_PROCESSES.items() if fragment in command})
    return roles


def _alive(pids) -> set[int]:
    return {pid for pid in pids if running(pid)}


def _eventually_none_alive(pids, seconds: float) -> set[int]:
    """Waits up to ``seconds`` for the processes to end; those still running then."""
    deadline = time.monotonic() + seconds
    while (alive := _alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def test_stopping_the_ui_stops_its_runs_in_progress(tmp_path):
    """A run's process outlives the code server that started it: the UI stops it first, and
    the run ends failed (run retries start it again) instead of writing on unseen."""
    show = FictionalShow(episode_count=2, history_days=20)
    with SandboxServer(show, cookie=COOKIE, port=0, latency_seconds=4) as sandbox:
        process, server = _start_ui(tmp_path, sandbox)
        try:
            _wait_until_loaded(server, process)
            run_id = _launch_episodes_run(server)
            code_server = _roles(children(process.pid))["code server"]
            deadline = time.monotonic() + RUN_SECONDS
            while _run_status(tmp_path, run_id) != DagsterRunStatus.STARTED:
                assert time.monotonic() < deadline, server.log_tail()
                time.sleep(0.2)
            run_pids = run_processes(parent=code_server)
            assert run_pids, "no run process under the code server"

            process.send_signal(signal.SIGTERM)

            assert process.wait(timeout=4 * STOP_SECONDS) == 0
        finally:
            _stop(process)
    assert _eventually_none_alive(run_pids, seconds=5) == set()
    assert _run_status(tmp_path, run_id) == DagsterRunStatus.FAILURE


def _run_status(home: Path, run_id: str) -> DagsterRunStatus:
    with DagsterInstance.from_config(str(home)) as instance:
        return instance.get_run_by_id(run_id).status


@pytest.mark.parametrize("port", ["99999", "0", "abc"])
def test_a_port_that_is_no_port_is_refused_before_anything_starts(port):
    refused = subprocess.run(
        [sys.executable, "-m", "anchor_assets.serve", "--port", port],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert refused.returncode == 2
    assert f"'{port}' is not a port number: set DAGSTER_PORT" in refused.stderr
