"""Faults of the API, made by the sandbox, through the real pipeline into a real DuckDB file.

Each fault hits a run in the middle: a daily run over three days whose third per-day request goes
wrong, or a per-episode run over three episodes whose second request does (a step may ask for
several at once, so the tests do not rely on the order of the calls). A passing fault (429,
5xx, one timeout, one dropped connection, JSON cut short once) is retried and the run stores what
the sandbox served. A lasting one fails the step with the message from errors.py and writes
nothing: the rows stored before carry figures the sandbox never serves, so a rewrite of any of
them, even of the same partitions, would show.
"""

import shutil
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, asset, instance_for_test, materialize

from anchor_assets.assets import all_assets
from anchor_assets.partitions import daily_partitions, episode_partitions
from anchor_assets.resources import (
    AnchorApiError,
    CookieRefusedError,
    NotJsonError,
    RequestRejectedError,
    RetriesExhaustedError,
    RetryAfterTooLongError,
)
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.sandbox import FictionalShow, RecordedRequest, SandboxServer
from anchor_assets.sandbox.server import API_PREFIX
from anchor_assets.sandbox.utc import day_of
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager

COOKIE = "faults-cookie-93b1e2"

# Short enough for the whole file to run in seconds; the resource's defaults are 30 s, 6, 30 s.
TIMEOUT_SECONDS = 0.5
MAX_ATTEMPTS = 3
MAX_BACKOFF_SECONDS = 0.05
RETRY_AFTER_CEILING = 120.0  # the resource's default
SLOWER_THAN_TIMEOUT = 1.0
# A lasting fault answers every matching request for the rest of the run.
FOR_THE_REST_OF_THE_RUN = 100

# Added to every stored figure before each test: the sandbox never serves such plays or shares.
MARKS = {
    "episodes": "total_plays = total_plays + 1000000",
    "episode_performance": "listeners = listeners + 1000000",
    "plays": "plays = plays + 1000000",
    "plays_by_app": "share = share + 1",
    "total_plays": "plays = plays + 1000000",
}

LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Spotify for Creators</title></head>"
    '<body><form action="/login">Log in to continue</form></body></html>'
)
NOT_JSON = "upstream connect error or disconnect/reset before headers"
RETRY_ON_STEP_FAILURE = "dagster/retry_on_asset_or_op_failure"
CUT_SHORT_JSON = '{"stationId": 4242424, "kind": "playsByApp", "data": {"rows": [["Spot'


@dataclass(frozen=True)
class Run:
    """A run of one asset over three partitions that calls one endpoint once per partition."""

    asset: str
    endpoint: str  # a fragment of the path of the calls it makes, one per partition
    keys: list[str]  # its partitions
    stored_before: list[str]  # the partitions in the warehouse before: one before keys, two of keys
    served: Callable[[str], list[tuple]]  # the rows the sandbox serves for one partition
    key_of: Callable[[RecordedRequest], str]  # the partition a recorded call asked for
    calls_before_fault: int  # requests to the endpoint answered before the faults start
    requests_before_fault: int  # all requests of the run before then


def daily_run(show: FictionalShow) -> Run:
    """plays_by_app over three complete days: one call a day; the third to come goes wrong."""
    days = daily_partitions.get_partition_keys()[-12:-8]
    return Run(
        asset="plays_by_app",
        endpoint="/playsByApp",
        keys=days[1:],
        stored_before=days[:3],
        served=lambda key: shares_of_apps(show, date.fromisoformat(key)),
        key_of=lambda request: str(day_of(int(request.query["timeRangeStart"]))),
        calls_before_fault=2,
        requests_before_fault=3,  # the stationId from the episode list, then two days
    )


def shares_of_apps(show: FictionalShow, day: date) -> list[tuple]:
    return [(day, app, share) for app, share in show.shares("app", day, day).items()]


def episode_run(show: FictionalShow, instance: DagsterInstance) -> Run:
    """episode_performance of three published episodes: one call each; the second goes wrong."""
    keys = instance.get_dynamic_partitions(episode_partitions.name)
    published = [key for key in keys if show.episode(int(key)).is_published]
    return Run(
        asset="episode_performance",
        endpoint="/performance",
        keys=published[1:4],
        stored_before=published[:3],
        served=lambda key: performance_of(show, int(key)),
        key_of=lambda request: request.path.split("/")[-2],
        calls_before_fault=1,
        requests_before_fault=1,  # the episode list comes from the warehouse
    )


def performance_of(show: FictionalShow, episode_id: int) -> list[tuple]:
    curve = show.performance(episode_id)
    assert len(curve) > 600, "a published episode should have a long listener curve"
    return [(episode_id, second, listeners) for second, listeners in enumerate(curve)]


@dataclass
class Pipeline:
    show: FictionalShow
    sandbox: SandboxServer
    instance: DagsterInstance
    warehouse: Path

    def materialize(self, asset: str, keys: list[str] | None = None, raise_on_error=True):
        """Materialize one asset, over the span of partitions from keys[0] to keys[-1]."""
        return materialize(
            all_assets,
            selection=[AssetKey(["anchor", asset])],
            instance=self.instance,
            resources=self.resources(),
            tags=partition_range(keys[0], keys[-1]) if keys else None,
            raise_on_error=raise_on_error,
        )

    def resources(self) -> dict:
        return {
            "anchor_api": AnchorApi(
                base_url=self.sandbox.base_url,
                webstation_id=self.show.webstation_id,
                anchorpw_s=COOKIE,
                timeout_seconds=TIMEOUT_SECONDS,
                max_attempts=MAX_ATTEMPTS,
                max_backoff_seconds=MAX_BACKOFF_SECONDS,
            ),
            "io_manager": AnchorDuckDBIOManager(database=str(self.warehouse), schema="anchor"),
        }

    def stored(self) -> dict[str, list[tuple]]:
        """Every row of every table in the warehouse, sorted."""
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            tables = connection.execute(
                "select table_name from information_schema.tables where table_schema = 'anchor'"
            ).fetchall()
            return {
                table: connection.execute(f"select * from anchor.{table} order by all").fetchall()
                for (table,) in tables
            }

    def calls(self, run: Run) -> list[RecordedRequest]:
        """The requests the sandbox got to the run's endpoint, in order."""
        return [request for request in self.sandbox.requests if run.endpoint in request.path]

    def log(self, run_id: str) -> str:
        return "\n".join(str(entry) for entry in self.instance.all_logs(run_id))


def partition_range(first: str, last: str) -> dict:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


@dataclass
class Baseline:
    show: FictionalShow
    instance: DagsterInstance
    warehouse: Path
    runs: dict[str, Run]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A marked warehouse with the episodes, each run's stored partitions, a few days of plays
    and today's total plays; the Dagster instance that knows the episode partitions."""
    show = FictionalShow(episode_count=6, history_days=120)
    warehouse = tmp_path_factory.mktemp("baseline") / "warehouse.duckdb"
    with SandboxServer(show, cookie=COOKIE) as sandbox, DagsterInstance.ephemeral() as instance:
        pipeline = Pipeline(show, sandbox, instance, warehouse)
        pipeline.materialize("episodes")
        runs = {"daily": daily_run(show), "per-episode": episode_run(show, instance)}
        for run in runs.values():
            pipeline.materialize(run.asset, run.stored_before)
        pipeline.materialize("plays", runs["daily"].stored_before)
        pipeline.materialize("total_plays")
        with duckdb.connect(str(warehouse)) as connection:
            for table, mark in MARKS.items():
                connection.execute(f"update anchor.{table} set {mark}")
        yield Baseline(show, instance, warehouse, runs)


@pytest.fixture
def pipeline(baseline, tmp_path):
    """A copy of the marked warehouse, and a sandbox of its own, for one test."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(baseline.warehouse, warehouse)
    with SandboxServer(baseline.show, cookie=COOKIE) as sandbox:
        yield Pipeline(baseline.show, sandbox, baseline.instance, warehouse)


@pytest.fixture(params=["daily", "per-episode"])
def run(request, baseline) -> Run:
    return baseline.runs[request.param]


def test_the_stored_rows_are_marked_and_cover_what_each_run_expects(pipeline, run):
    stored = pipeline.stored()[run.asset]

    assert {str(row[0]) for row in stored} == set(run.stored_before)
    assert not set(stored) & set(run.served(run.keys[0])), "stored rows must differ from served"
    assert set(MARKS) <= set(pipeline.stored())


# Passing faults: retried, and the run stores what was served

TRANSIENT = {
    "429 with Retry-After 0.1 s": ({"status": 429, "headers": {"Retry-After": "0.1"}},
                                   "status 429 (attempt 1 of 3); retrying in 0.10 s"),
    "429 without Retry-After": ({"status": 429}, "status 429 (attempt 1 of 3)"),
    "500": ({"status": 500}, "status 500 (attempt 1 of 3)"),
    "502": ({"status": 502}, "status 502 (attempt 1 of 3)"),
    "503": ({"status": 503}, "status 503 (attempt 1 of 3)"),
    "one answer slower than the timeout": ({"delay_seconds": SLOWER_THAN_TIMEOUT},
                                           "no answer within 0.5 s (attempt 1 of 3)"),
    "one connection dropped mid-body": ({"cut_after_bytes": 20},
                                        "a connection dropped in the middle of the answer"),
    "one JSON answer cut short": ({"status": 200, "body": CUT_SHORT_JSON},
                                  "a JSON answer that was cut short or garbled"),
}  # fmt: skip


@pytest.mark.parametrize("fault, logged", TRANSIENT.values(), ids=TRANSIENT)
def test_a_passing_fault_is_retried_and_the_run_stores_what_was_served(
    pipeline, run, fault, logged
):
    before = pipeline.stored()
    pipeline.sandbox.fail_next(run.endpoint, after=run.calls_before_fault, **fault)

    result = pipeline.materialize(run.asset, run.keys)

    assert result.success
    asked = Counter(run.key_of(request) for request in pipeline.calls(run))
    assert sorted(asked) == sorted(run.keys), "every partition is asked for"
    assert sorted(asked.values()) == [1] * (len(run.keys) - 1) + [2], "and one of them again"
    after = pipeline.stored()
    kept = [row for row in before[run.asset] if str(row[0]) not in run.keys]
    assert after[run.asset] == sorted(kept + [row for key in run.keys for row in run.served(key)])
    assert kept and len(after[run.asset]) > len(before[run.asset])
    assert {table: rows for table, rows in after.items() if table != run.asset} == {
        table: rows for table, rows in before.items() if table != run.asset
    }
    log = pipeline.log(result.run_id)
    assert logged in log and "retrying in" in log
    assert COOKIE not in log


# Lasting faults: the step fails with its message, and nothing is written


@dataclass(frozen=True)
class Lasting:
    inject: Callable[[SandboxServer, Run], None]
    error: Callable[[str], AnchorApiError]  # the error expected, given the failing endpoint
    attempts: int  # how often the client asks for the call that fails
    # Whether the instance's run retries may run it again: not when only the user can mend it.
    run_retried: bool = True


def fail_calls(**fault) -> Callable[[SandboxServer, Run], None]:
    """The fault on every call of the run after those answered first."""
    return lambda sandbox, run: sandbox.fail_next(
        run.endpoint, after=run.calls_before_fault, times=FOR_THE_REST_OF_THE_RUN, **fault
    )


def expire_the_cookie(sandbox: SandboxServer, run: Run) -> None:
    sandbox.expire_cookie_after(run.requests_before_fault)


def given_up(last_failure: str) -> Callable[[str], AnchorApiError]:
    return lambda endpoint: RetriesExhaustedError(endpoint, last_failure, MAX_ATTEMPTS)


LASTING = {
    "401 once the cookie expires mid-run": Lasting(
        expire_the_cookie, lambda endpoint: CookieRefusedError(endpoint, 401), 1,
        run_retried=False,
    ),
    "400 for a request the API rejects": Lasting(
        fail_calls(status=400, body='{"error": "bad timeRangeStart"}'),
        lambda endpoint: RequestRejectedError(endpoint, 400, "bad timeRangeStart"), 1,
        run_retried=False,
    ),
    "an HTML login page with status 200": Lasting(
        fail_calls(status=200, body=LOGIN_PAGE),
        lambda endpoint: NotJsonError(endpoint, 200, "text/html"), 1,
    ),
    "a body that is not JSON": Lasting(
        fail_calls(status=200, headers={"Content-Type": "text/plain"}, body=NOT_JSON),
        lambda endpoint: NotJsonError(endpoint, 200, "text/plain"), 1,
    ),
    "JSON cut short on every try": Lasting(
        fail_calls(status=200, body=CUT_SHORT_JSON),
        given_up("a JSON answer that was cut short or garbled"), MAX_ATTEMPTS,
    ),
    "429 with Retry-After beyond the ceiling": Lasting(
        fail_calls(status=429, headers={"Retry-After": "3600"}),
        lambda endpoint: RetryAfterTooLongError(endpoint, 429, 3600.0, RETRY_AFTER_CEILING), 1,
    ),
    "503 on every try": Lasting(fail_calls(status=503), given_up("status 503"), MAX_ATTEMPTS),
    "no answer in time on every try": Lasting(
        fail_calls(delay_seconds=SLOWER_THAN_TIMEOUT),
        given_up("no answer within 0.5 s"), MAX_ATTEMPTS,
    ),
    "a connection dropped on every try": Lasting(
        fail_calls(cut_after_bytes=20),
        given_up("a connection dropped in the middle of the answer"), MAX_ATTEMPTS,
    ),
}  # fmt: skip


@pytest.mark.parametrize("fault", LASTING.values(), ids=LASTING)
def test_a_lasting_fault_fails_the_step_clearly_and_writes_nothing(pipeline, run, fault):
    before = pipeline.stored()
    fault.inject(pipeline.sandbox, run)

    result = pipeline.materialize(run.asset, run.keys, raise_on_error=False)

    assert not result.success
    assert result.get_asset_materialization_events() == []
    calls, failure = pipeline.calls(run), step_failure(result)
    failed = [call for call in calls if described(fault.error(endpoint_of(call))) == failure]
    assert failed, f"{failure} is not what any call of the run should fail with"
    asked = Counter(run.key_of(call) for call in calls)
    assert asked[run.key_of(failed[0])] == fault.attempts
    assert set(asked) <= set(run.keys)
    assert pipeline.stored() == before
    tags = pipeline.instance.get_run_by_id(result.run_id).tags
    assert (tags.get(RETRY_ON_STEP_FAILURE) != "false") == fault.run_retried


def described(error: AnchorApiError) -> tuple[str, str]:
    return type(error).__name__, str(error)


def endpoint_of(request: RecordedRequest) -> str:
    """How the client's messages name a recorded request: its path below the base URL, with the
    query the client chose (isMumsCompatible is added to every request)."""
    path = request.path.removeprefix(API_PREFIX + "/")
    query = {name: value for name, value in request.query.items() if name != "isMumsCompatible"}
    return f"{path}?{urlencode(query)}" if query else path


def step_failure(result) -> tuple[str, str]:
    """The class and message of the error that failed the run's one failed step."""
    (failure,) = result.get_step_failure_events()
    error = failure.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    assert COOKIE not in error.to_string()
    name, _, message = error.message.partition(": ")
    return name.rsplit(".", 1)[-1], message.rstrip("\n")


# Run retries: an instance that runs failed runs again leaves alone those only the user can mend


@pytest.mark.parametrize(
    "fault, will_retry",
    [
        (lambda sandbox: sandbox.expire_cookie_after(0), "false"),
        (lambda sandbox: sandbox.fail_next("/episodePage", status=503, times=100), "true"),
    ],
    ids=["a refused cookie", "a server error on every try"],
)
def test_run_retries_skip_a_run_that_only_the_user_can_mend(baseline, tmp_path, fault, will_retry):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(baseline.warehouse, warehouse)
    settings = {"run_retries": {"enabled": True, "max_retries": 3}}
    with (
        SandboxServer(baseline.show, cookie=COOKIE) as sandbox,
        instance_for_test(overrides=settings) as instance,
    ):
        pipeline = Pipeline(baseline.show, sandbox, instance, warehouse)
        fault(sandbox)

        result = pipeline.materialize("episodes", raise_on_error=False)

        assert not result.success
        assert instance.get_run_by_id(result.run_id).tags["dagster/will_retry"] == will_retry


def test_threads_that_meet_a_refused_cookie_together_each_see_it(pipeline):
    """The per-episode step fetches from several threads; when the cookie is refused, all of them
    fail at about the same moment, and the run is marked once without hiding the API's error."""
    threads = 16
    pipeline.sandbox.expire_cookie_after(0)
    start_together = threading.Barrier(threads)

    @asset
    def many_at_once(anchor_api: AnchorApi) -> list[str]:
        def fetch(episode_id: int) -> str:
            start_together.wait()
            try:
                anchor_api.episode_overview(episode_id)
            except Exception as error:
                return type(error).__name__
            return "answered"

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(fetch, range(1, threads + 1)))

    result = materialize(
        [many_at_once],
        instance=pipeline.instance,
        resources={"anchor_api": pipeline.resources()["anchor_api"]},
    )

    assert result.output_for_node("many_at_once") == ["CookieRefusedError"] * threads
    tags = pipeline.instance.get_run_by_id(result.run_id).tags
    assert tags[RETRY_ON_STEP_FAILURE] == "false"
