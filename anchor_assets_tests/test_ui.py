"""The code location as the UI sees it: ``dagster dev`` as a real process on a free loopback port,
with its own DAGSTER_HOME, pointed at a sandbox show; everything goes through the GraphQL API the
UI itself uses."""

import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from anchor_assets.sandbox import FictionalShow, SandboxServer

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
class DagsterDev:
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
def dagster_dev(tmp_path_factory):
    show = FictionalShow(episode_count=4, history_days=60)
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    warehouse = home / "warehouse.duckdb"
    log = home / "dagster_dev.log"
    port = free_port()
    with SandboxServer(show, cookie=COOKIE, port=0) as sandbox, log.open("w") as output:
        environ = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "ANCHOR_BASE_URL": sandbox.base_url,
            "ANCHOR_WEBSTATION_ID": show.webstation_id,
            "ANCHOR_PW_S": COOKIE,
            "ANCHOR_DUCKDB_PATH": str(warehouse),
        }
        dagster = Path(sys.executable).with_name("dagster")
        process = subprocess.Popen(
            [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=environ, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        server = DagsterDev(f"http://127.0.0.1:{port}", show, warehouse, log)
        try:
            _wait_until_loaded(server, process)
            yield server
        finally:
            _stop(process)


def _wait_until_loaded(server: DagsterDev, process: subprocess.Popen) -> None:
    """Until the webserver answers and the code location has loaded, within STARTUP_SECONDS."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dagster dev exited early:\n{server.log_tail()}"
        try:
            entries = server.query(LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            entries = []
        loaded = [entry["locationOrLoadError"] for entry in entries if entry["name"] == LOCATION]
        if loaded and loaded[0] and loaded[0]["__typename"] == "RepositoryLocation":
            return
        assert not loaded or not loaded[0] or loaded[0]["__typename"] != "PythonError", loaded
        time.sleep(1)
    pytest.fail(f"dagster dev did not load {LOCATION} in {STARTUP_SECONDS} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """Stops dagster dev and the processes it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in its terminal
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)
    try:  # children that outlived their parent's shutdown
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def expected_asset_graph(environ: dict) -> dict:
    """Each asset of the code location (loaded here, as dagster dev loads it) with its group
    and upstream assets."""
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


def test_the_ui_lists_every_asset_with_its_group_and_lineage(dagster_dev):
    nodes = dagster_dev.query(ASSET_NODES)["assetNodes"]
    listed = {
        "/".join(node["assetKey"]["path"]): (
            node["groupName"],
            {"/".join(dep["path"]) for dep in node["dependencyKeys"]},
        )
        for node in nodes
    }

    expected = expected_asset_graph({
        "ANCHOR_WEBSTATION_ID": dagster_dev.show.webstation_id,
        "ANCHOR_PW_S": COOKIE,
        "ANCHOR_DUCKDB_PATH": str(dagster_dev.warehouse),
    })  # fmt: skip
    assert listed == expected
    assert listed["anchor/episode_plays"] == ("episodes", {"anchor/episodes"})
    assert listed["anchor/plays"][0] == "station_daily"


def test_a_materialization_launched_through_the_ui_succeeds(dagster_dev):
    nodes = dagster_dev.query(ASSET_NODES)["assetNodes"]
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

    launched = dagster_dev.query(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    status = _wait_for_run(dagster_dev, launched["run"]["runId"])

    assert status == "SUCCESS", dagster_dev.log_tail()
    assert _stored_episodes(dagster_dev.warehouse) == len(dagster_dev.show.episodes)


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


def _wait_for_run(server: DagsterDev, run_id: str) -> str:
    deadline = time.monotonic() + RUN_SECONDS
    status = None
    while time.monotonic() < deadline:
        status = server.query(RUN_STATUS, runId=run_id)["runOrError"]["status"]
        if status in FINISHED:
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} still {status} after {RUN_SECONDS} s:\n{server.log_tail()}")
