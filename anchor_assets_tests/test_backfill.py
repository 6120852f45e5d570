"""A backfill of 90 days of every daily asset and of every episode of a 62-episode show, split
into runs as the UI's backfill splits a network's catalogue (the daily assets in one run, the
episodes in runs of at most EPISODES_PER_RUN, here made 40 so that they take two), all three runs
started at once, each in its own process with the code location's in-process executor, against
one Dagster instance made from deploy/dagster.yaml and one DuckDB file.

It checks that every run succeeds with no lock error, that the three runs fetched at the same
time and yet never had more requests in flight together than the budget they share
(ANCHOR_PARALLEL_REQUESTS), that every row the sandbox served is stored exactly once, and that
the sandbox got exactly the requests the data needs, no more.
"""

import multiprocessing
import shutil
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    MetadataValue,
    execute_job,
    materialize,
    reconstructable,
)

from anchor_assets.assets import all_assets
from anchor_assets.automation.requests import RANGE_END_TAG, RANGE_START_TAG, spans
from anchor_assets.days import each_day, last_complete_day, utc_today
from anchor_assets.partitions import episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.sandbox import FictionalShow, RecordedRequest, SandboxServer
from anchor_assets.sandbox.server import API_PREFIX
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager
from anchor_assets_tests.sandbox_job import per_episode_job, station_daily_job
from anchor_assets_tests.scratch import scratch_folder

COOKIE = "backfill-cookie-0b7d4e"
INSTANCE_SETTINGS = Path(__file__).parents[1] / "deploy" / "dagster.yaml"
DAYS = 90
# More than EPISODES_PER_RUN episodes (with a draft and a scheduled one), so they take two runs.
PUBLISHED_EPISODES = 60
EPISODES_PER_RUN = 40
DAILY = ["plays", "plays_by_episode", "plays_by_age_range", "plays_by_app", "plays_by_device",
         "plays_by_gender"]  # fmt: skip
PER_EPISODE = ["episode_plays", "episode_performance", "episode_aggregated_performance",
               "episode_metadata"]  # fmt: skip
SHARE_ENDPOINTS = {"playsByAgeRange": "age_range", "playsByApp": "app", "playsByDevice": "device",
                   "playsByGender": "gender"}  # fmt: skip
# Long enough for a slow machine; the whole backfill takes well under a minute here.
RUN_TIMEOUT_SECONDS = 300
# Enough for the runs' requests to overlap, as the real API's would: at 8 in flight, 2 s in all.
LATENCY_SECONDS = 0.02


@dataclass(frozen=True)
class Run:
    assets: list[str]
    first: str
    last: str


@dataclass
class Backfill:
    show: FictionalShow
    instance: DagsterInstance
    warehouse: Path
    days: list[date]
    runs: list[Run]
    results: list[tuple[str, bool]]  # run id, success
    requests: list[RecordedRequest]
    most_in_flight: int
    pool_limit: int

    def rows(self, query: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(query).fetchall()


def run_span(run: Run) -> tuple[str, bool]:
    """One run of the backfill, in a process of its own, on the instance in DAGSTER_HOME."""
    job = station_daily_job if run.assets == DAILY else per_episode_job
    with DagsterInstance.get() as instance:
        result = execute_job(
            reconstructable(job),
            instance=instance,
            tags={RANGE_START_TAG: run.first, RANGE_END_TAG: run.last},
        )
        return result.run_id, result.success


@pytest.fixture(scope="module")
def backfill():
    show = FictionalShow(episode_count=PUBLISHED_EPISODES, history_days=400)
    with (
        scratch_folder("backfill") as folder,
        SandboxServer(show, cookie=COOKIE, latency_seconds=LATENCY_SECONDS) as sandbox,
        pytest.MonkeyPatch.context() as environment,
    ):
        home, warehouse = folder / "dagster_home", folder / "warehouse.duckdb"
        home.mkdir()
        shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
        for name, value in {
            "DAGSTER_HOME": str(home),
            "ANCHOR_BASE_URL": sandbox.base_url,
            "ANCHOR_WEBSTATION_ID": show.webstation_id,
            "ANCHOR_PW_S": COOKIE,
            "ANCHOR_DUCKDB_PATH": str(warehouse),
        }.items():
            environment.setenv(name, value)

        with DagsterInstance.get() as instance:
            register_episodes(instance, sandbox, warehouse)
            sandbox.clear_requests()
            runs = backfill_runs(instance)
            # Each run gets its own process, as the default run launcher gives it.
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=len(runs), mp_context=spawn) as pool:
                futures = [pool.submit(run_span, run) for run in runs]
                results = [future.result(timeout=RUN_TIMEOUT_SECONDS) for future in futures]
            yield Backfill(
                show, instance, warehouse, days_of(runs[0]), runs, results, sandbox.requests,
                sandbox.max_in_flight, pool_limit(home),
            )  # fmt: skip


def register_episodes(instance: DagsterInstance, sandbox: SandboxServer, warehouse: Path):
    """anchor/episodes, which stores the list and gives each episode its partition."""
    materialize(
        all_assets,
        selection=[AssetKey(["anchor", "episodes"])],
        instance=instance,
        resources={
            "anchor_api": AnchorApi(
                base_url=sandbox.base_url,
                webstation_id=sandbox.show.webstation_id,
                anchorpw_s=COOKIE,
            ),
            "io_manager": AnchorDuckDBIOManager(database=str(warehouse), schema="anchor"),
        },
    )


def backfill_runs(instance: DagsterInstance) -> list[Run]:
    """The runs Dagster's asset backfill makes of this selection, following each asset's
    backfill policy: one run for the daily assets' whole span (single run), and runs of at
    most EPISODES_PER_RUN consecutive partitions for the per-episode assets (multi run)."""
    last = last_complete_day(utc_today())
    daily = Run(DAILY, str(last - timedelta(days=DAYS - 1)), str(last))
    keys = instance.get_dynamic_partitions(episode_partitions.name)
    return [daily] + [Run(PER_EPISODE, *span) for span in spans(keys, keys, EPISODES_PER_RUN)]


def days_of(run: Run) -> list[date]:
    return each_day(date.fromisoformat(run.first), date.fromisoformat(run.last))


def pool_limit(home: Path) -> int:
    settings = yaml.safe_load((home / "dagster.yaml").read_text())
    return settings["concurrency"]["pools"]["default_limit"]


# The runs


def test_the_backfill_takes_three_runs_that_all_succeed(backfill):
    keys = backfill.instance.get_dynamic_partitions(episode_partitions.name)

    assert [(run.assets, run.first, run.last) for run in backfill.runs] == [
        (DAILY, str(backfill.days[0]), str(backfill.days[-1])),
        (PER_EPISODE, keys[0], keys[EPISODES_PER_RUN - 1]),
        (PER_EPISODE, keys[EPISODES_PER_RUN], keys[-1]),
    ]
    assert len(backfill.days) == DAYS and len(keys) == PUBLISHED_EPISODES + 2
    assert [success for _, success in backfill.results] == [True] * 3
    statuses = {backfill.instance.get_run_by_id(run_id).status for run_id, _ in backfill.results}
    assert statuses == {DagsterRunStatus.SUCCESS}


def test_no_write_waited_out_the_duckdb_lock(backfill):
    for run_id, _ in backfill.results:
        log = "\n".join(str(entry.user_message) for entry in backfill.instance.all_logs(run_id))
        assert "is locked by another process" not in log  # WarehouseLockedError's message
        assert "Could not set lock" not in log  # DuckDB's own


def test_the_runs_fetched_together_within_one_request_budget(backfill):
    run_records = [backfill.instance.get_run_record_by_id(run_id) for run_id, _ in backfill.results]
    assert most_at_once([(r.start_time, r.end_time) for r in run_records]) == 3

    steps = step_spans(backfill.instance, [run_id for run_id, _ in backfill.results])
    # The daily tables are one step, and so are the per-episode tables of each run.
    assert len(steps) == len(backfill.runs) == 3
    assert most_at_once(steps) == 3 <= backfill.pool_limit
    # Each step alone sends 8 at once; the three together stay within the same 8.
    assert backfill.most_in_flight == 8


def test_the_shipped_settings_retry_failed_runs_and_free_slots_that_runs_left_behind(backfill):
    instance = backfill.instance
    queue = instance.get_concurrency_config().run_queue_config

    assert instance.global_op_concurrency_default_limit == backfill.pool_limit == 4
    assert (queue.max_concurrent_runs, queue.tag_concurrency_limits) == (
        4,
        [{"key": "dagster/backfill", "limit": 2}],
    )
    assert (instance.run_retries_enabled, instance.run_retries_max_retries) == (True, 3)
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60
    assert instance.run_monitoring_poll_interval_seconds == 20
    assert instance.run_monitoring_max_runtime_seconds == 3 * 60 * 60


def step_spans(instance: DagsterInstance, run_ids: list[str]) -> list[tuple[float, float]]:
    """When each step of the runs started and ended (it holds its pool slot over that span)."""
    started, ended = {}, {}
    for run_id in run_ids:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started[(run_id, event.step_key)] = entry.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                ended[(run_id, event.step_key)] = entry.timestamp
    return [(started[step], ended[step]) for step in started]


def most_at_once(spans_: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans_] + [(end, -1) for _, end in spans_])
    running = most = 0
    for _, change in edges:
        running += change
        most = max(most, running)
    return most


# The rows: every one served, each stored once


def test_each_runs_preview_and_chart_are_kept_once_on_its_last_partition(backfill):
    """Dagster copies an output's metadata onto every partition's event; the preview and the
    chart describe the whole write, so only the run's last event of a table, the one the UI
    shows as the latest, keeps them, while every event keeps the table's size and columns."""
    charted = {"plays", "episode_plays", "episode_performance"}
    for run_id, _ in backfill.results:
        events = backfill.instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        by_table: dict[str, list] = {}
        for event in events:
            materialization = event.dagster_event.event_specific_data.materialization
            by_table.setdefault(materialization.asset_key.path[-1], []).append(materialization)
        assert set(by_table) in ({*DAILY}, {*PER_EPISODE})
        for table, materializations in by_table.items():
            *earlier, last = materializations
            assert len(earlier) >= PUBLISHED_EPISODES + 2 - EPISODES_PER_RUN - 1
            assert ("plot" in last.metadata) == (table in charted)
            assert {"preview", "rows_written", "rows_replaced"} <= set(last.metadata)
            assert "data:image/svg+xml;base64," in last.metadata.get("plot", MetadataValue.md(
                "data:image/svg+xml;base64,")).value  # fmt: skip
            for materialization in earlier:
                assert not {"plot", "preview", "rows_written"} & set(materialization.metadata)
            for materialization in materializations:
                assert {"dagster/column_schema", "dagster/row_count"} <= set(
                    materialization.metadata
                )


def test_every_day_of_station_plays_is_stored_once(backfill):
    show = backfill.show

    assert backfill.rows("select date, plays from anchor.plays order by date") == [
        (day, show.station_plays(day)) for day in backfill.days
    ]


@pytest.mark.parametrize(
    "table, label", [(f"plays_by_{kind}", kind) for kind in SHARE_ENDPOINTS.values()]
)
def test_every_days_shares_are_stored_once(backfill, table, label):
    expected = sorted(
        (day, name, pytest.approx(share, abs=1e-12))
        for day in backfill.days
        for name, share in backfill.show.shares(label, day, day).items()
    )

    stored = backfill.rows(
        f"select date, {label}, share from anchor.{table} order by date, {label}"
    )

    assert stored == expected
    assert {day for day, _, _ in stored} == set(backfill.days)


def test_every_days_plays_by_episode_are_stored_once(backfill):
    show = backfill.show
    expected = sorted(
        (day, show.episode(episode_id).title, plays)
        for day in backfill.days
        for episode_id, plays in show.plays_by_episode(day)
    )

    assert (
        backfill.rows("select date, episode_title, plays from anchor.plays_by_episode order by all")
        == expected
    )


def test_every_episodes_plays_are_stored_once(backfill):
    show, last = backfill.show, last_complete_day(utc_today())
    expected = sorted(
        (episode.episode_id, day, show.episode_plays(episode.episode_id, day))
        for episode in show.published_episodes
        for day in each_day(episode.publish_day, last)
    )

    assert (
        backfill.rows("select episode_id, date, plays from anchor.episode_plays order by all")
        == expected
    )


def test_every_episodes_listener_curve_is_stored_once(backfill):
    expected = sorted(
        (episode.episode_id, second, listeners)
        for episode in backfill.show.episodes
        for second, listeners in enumerate(backfill.show.performance(episode.episode_id))
    )

    assert (
        backfill.rows(
            "select episode_id, second, listeners from anchor.episode_performance order by all"
        )
        == expected
    )


def test_every_episode_has_one_row_of_metadata_and_each_published_one_of_aggregates(backfill):
    show = backfill.show

    assert backfill.rows("select episode_id from anchor.episode_metadata order by 1") == sorted(
        (episode.episode_id,) for episode in show.episodes
    )
    assert backfill.rows(
        "select episode_id from anchor.episode_aggregated_performance order by 1"
    ) == sorted((episode.episode_id,) for episode in show.published_episodes)


# The requests: what the data needs, no more


def endpoint(request: RecordedRequest) -> str:
    """`station plays`, `episode performance`, `overview`, `episodePage`..."""
    parts = request.path.removeprefix(API_PREFIX + "/").split("/")
    if parts[0] == "analytics":
        return f"{parts[1]} {parts[3]}"
    return parts[-1]


def test_the_sandbox_got_exactly_the_requests_the_data_needs(backfill):
    episodes, published = len(backfill.show.episodes), len(backfill.show.published_episodes)
    required = {
        # The daily run learns the station id once; its steps share the run's process.
        "episodePage": 1,
        "station plays": 1,  # the whole span in one call
        "station playsByEpisode": 1,
        # The API gives shares over the window asked for: one call per day.
        **{f"station {figure}": DAYS for figure in SHARE_ENDPOINTS},
        # Drafts and scheduled episodes have no plays to ask for.
        "episode plays": published,
        "episode performance": episodes,
        "episode aggregatedPerformance": episodes,
        "overview": episodes,
    }

    assert (episodes, published) == (PUBLISHED_EPISODES + 2, PUBLISHED_EPISODES)
    assert Counter(endpoint(request) for request in backfill.requests) == required
    assert sum(required.values()) == 609
    assert {request.status for request in backfill.requests} == {200}
