"""The product as a user runs it: the UI of `scripts/ui` (`anchor_assets.serve`: webserver,
daemon, code server) on a fresh
DAGSTER_HOME with the project's deploy/dagster.yaml, driven through the same GraphQL mutations
the UI sends when you click Materialize or launch a backfill."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPOSITORY_NAME = "__repository__"
ASSET_JOB = "__ASSET_JOB"
READY_TIMEOUT_SECONDS = 300
POLL_SECONDS = 0.5
TERMINAL_RUN_STATUSES = {"SUCCESS", "FAILURE", "CANCELED"}

LAUNCH_RUN = """
mutation LaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

LAUNCH_BACKFILL = """
mutation LaunchBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionSetNotFoundError { message }
  }
}"""

WORKSPACE = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }"""

DAEMONS = """
{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"""

ASSET_NODES = """
{ assetNodes { assetKey { path } groupName partitionDefinition { type } pools } }"""

POOL_LIMIT = """
query Pool($pool: String!) {
  instance { concurrencyLimit(concurrencyKey: $pool) { slotCount limit usingDefaultLimit } }
}"""

AUTOMATION = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name scheduleState { id status } }
    sensors { name minIntervalSeconds sensorState { id status } }
} } } }"""

STOP_SCHEDULE = """
mutation Stop($id: String!) { stopRunningSchedule(id: $id) { __typename } }"""

STOP_SENSOR = """
mutation Stop($id: String!) { stopSensor(id: $id) { __typename } }"""

SCHEDULE_DRY_RUN = """
mutation DryRun($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick { evaluationResult {
        skipReason error { message }
        runRequests { runKey tags { key value } assetSelection { path } }
    } }
    ... on PythonError { message }
  }
}"""

SENSOR_DRY_RUN = """
mutation DryRun($selector: SensorSelector!, $cursor: String) {
  sensorDryRun(selectorData: $selector, cursor: $cursor) {
    __typename
    ... on DryRunInstigationTick { evaluationResult {
        skipReason error { message }
        runRequests { runKey }
    } }
    ... on PythonError { message }
  }
}"""


class DagsterUi:
    """The UI (`python -m anchor_assets.serve`) in its own process group, on a free port; a
    context manager."""

    def __init__(
        self, project_dir: Path, dagster_home: Path, env: dict[str, str], log_path: Path
    ) -> None:
        self.project_dir = project_dir
        self.dagster_home = dagster_home
        self.env = {**env, "DAGSTER_HOME": str(dagster_home)}
        self.log_path = log_path
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.location_name: str | None = None
        self.startup_seconds: float | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> "DagsterUi":
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        instance_yaml = self.project_dir / "deploy" / "dagster.yaml"
        shutil.copy(instance_yaml, self.dagster_home / "dagster.yaml")
        self._log = open(self.log_path, "w")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "anchor_assets.serve", "--host", "127.0.0.1",
             "--port", str(self.port)],  # fmt: skip
            cwd=self.project_dir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, ended as a whole on exit
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is None:
            return
        # The group id is the leader's pid (start_new_session): this ends exactly what it started.
        group = self.process.pid
        for sig, grace_seconds in ((signal.SIGINT, 30), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if not _group_alive(group):
                break
            os.killpg(group, sig)
            deadline = time.monotonic() + grace_seconds
            while _group_alive(group) and time.monotonic() < deadline:
                self.process.poll()  # reaps the leader once it exits
                time.sleep(0.2)
        self.process.wait(timeout=10)
        self.process = None
        self._log.close()

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = requests.post(
            self.url, json={"query": query, "variables": variables or {}}, timeout=120
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def asset_keys(self) -> dict[str, str | None]:
        """Every asset, 'anchor/plays' style, with its partitioning (None: unpartitioned)."""
        nodes = self.graphql(ASSET_NODES)["assetNodes"]
        return {
            "/".join(node["assetKey"]["path"]): (node["partitionDefinition"] or {}).get("type")
            for node in nodes
        }

    def asset_groups(self) -> dict[str, str]:
        """Every asset, 'anchor/plays' style, with its group."""
        nodes = self.graphql(ASSET_NODES)["assetNodes"]
        return {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}

    def pool_limits(self) -> dict[str, int | None]:
        """The concurrency pools the assets are in, with the limit the instance applies."""
        pools = {pool for node in self.graphql(ASSET_NODES)["assetNodes"] for pool in node["pools"]}
        limits = {}
        for pool in sorted(pools):
            info = self.graphql(POOL_LIMIT, {"pool": pool})["instance"]["concurrencyLimit"]
            limits[pool] = info["limit"] if info["limit"] is not None else info["slotCount"]
        return limits

    def automation(self) -> dict:
        """The schedules and sensors of the code location, with their state."""
        nodes = self.graphql(AUTOMATION)["repositoriesOrError"]["nodes"]
        return {
            "schedules": [schedule for node in nodes for schedule in node["schedules"]],
            "sensors": [sensor for node in nodes for sensor in node["sensors"]],
        }

    def stop_automation(self) -> list[str]:
        """Turns every running schedule and sensor off, as the UI's toggles do; their names."""
        stopped = []
        found = self.automation()
        for schedule in found["schedules"]:
            if schedule["scheduleState"]["status"] == "RUNNING":
                self.graphql(STOP_SCHEDULE, {"id": schedule["scheduleState"]["id"]})
                stopped.append(schedule["name"])
        for sensor in found["sensors"]:
            if sensor["sensorState"]["status"] == "RUNNING":
                self.graphql(STOP_SENSOR, {"id": sensor["sensorState"]["id"]})
                stopped.append(sensor["name"])
        return stopped

    def schedule_dry_run(self, name: str, timestamp: float) -> list[dict]:
        """The run requests a schedule's tick at ``timestamp`` makes, evaluated by the code
        server as the daemon would (the UI's Test Schedule)."""
        selector = {**self._repository(), "scheduleName": name}
        result = self.graphql(SCHEDULE_DRY_RUN, {"selector": selector, "timestamp": timestamp})
        return _run_requests(result["scheduleDryRun"], name)

    def sensor_dry_run(self, name: str) -> list[dict]:
        selector = {**self._repository(), "sensorName": name}
        result = self.graphql(SENSOR_DRY_RUN, {"selector": selector, "cursor": None})
        return _run_requests(result["sensorDryRun"], name)

    def _repository(self) -> dict:
        return {"repositoryName": REPOSITORY_NAME, "repositoryLocationName": self.location_name}

    def launch_run(self, asset_keys: list[str], tags: dict[str, str] | None = None) -> str:
        """What Materialize does in the UI for a selection that makes one run."""
        params = {
            "selector": {
                "repositoryLocationName": self.location_name,
                "repositoryName": REPOSITORY_NAME,
                "pipelineName": ASSET_JOB,
                "assetSelection": [{"path": key.split("/")} for key in asset_keys],
            },
            "mode": "default",
            "executionMetadata": {
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
            },
        }
        result = self.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launchRun failed: {result}")
        return result["run"]["runId"]

    def launch_backfill(
        self, asset_keys: list[str], partition_names: list[str] | None = None
    ) -> str:
        """What the UI's backfill dialog sends: all partitions, or the ones named."""
        params: dict = {"assetSelection": [{"path": key.split("/")} for key in asset_keys]}
        if partition_names is None:
            params["allPartitions"] = True
        else:
            params["partitionNames"] = partition_names
        result = self.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise RuntimeError(f"launchPartitionBackfill failed: {result}")
        return result["backfillId"]

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the UI exited early; see {self.log_path}")
            try:
                if self._location_loaded() and self._daemons_healthy():
                    return
            except (requests.RequestException, RuntimeError, KeyError, TypeError):
                pass
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"the UI was not ready within {READY_TIMEOUT_SECONDS} s")

    def _location_loaded(self) -> bool:
        workspace = self.graphql(WORKSPACE)["workspaceOrError"]
        for entry in workspace["locationEntries"]:
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                raise SystemExit(f"the code location failed to load: {loaded['message']}")
            if entry["loadStatus"] == "LOADED" and loaded.get("__typename") == "RepositoryLocation":
                self.location_name = entry["name"]
                return True
        return False

    def _daemons_healthy(self) -> bool:
        statuses = self.graphql(DAEMONS)["instance"]["daemonHealth"]["allDaemonStatuses"]
        wanted = {"BACKFILL", "QUEUED_RUN_COORDINATOR"}
        healthy = {s["daemonType"] for s in statuses if s["healthy"]}
        return wanted <= healthy


def _run_requests(result: dict, name: str) -> list[dict]:
    evaluation = result.get("evaluationResult")
    if evaluation is None or (evaluation.get("error") or {}).get("message"):
        problem = (evaluation or {}).get("error") or result
        raise RuntimeError(f"evaluating {name} failed: {problem}")
    return evaluation["runRequests"] or []


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
