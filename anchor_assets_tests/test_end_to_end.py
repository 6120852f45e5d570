"""The whole pipeline against the sandbox over HTTP, into a real DuckDB file and Dagster instance:
episodes, every episode partition, a week of every daily asset, every current value; the stored
tables are compared with the figures the sandbox served."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from anchor_assets.assets import all_assets
from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.partitions import daily_partitions, episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.sandbox import FictionalShow, SandboxServer
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager

COOKIE = "e2e-cookie-6fd1c0"
EPISODE_ASSETS = ["episode_plays", "episode_performance", "episode_aggregated_performance",
                  "episode_metadata"]  # fmt: skip
DAILY_ASSETS = ["plays", "plays_by_age_range", "plays_by_app", "plays_by_device",
                "plays_by_gender", "plays_by_episode"]  # fmt: skip
CURRENT_ASSETS = ["total_plays", "total_plays_by_episode", "unique_listeners", "audience_size",
                  "plays_by_geo", "plays_by_geo_city", "impressions", "daily_impressions",
                  "impressions_by_source", "impressions_funnel"]  # fmt: skip


@dataclass
class Pipeline:
    show: FictionalShow
    sandbox: SandboxServer
    instance: DagsterInstance
    warehouse: Path
    week: list[str]

    def materialize(self, names, *, partition_key=None, tags=None, raise_on_error=True):
        return materialize(
            all_assets,
            selection=[AssetKey(["anchor", name]) for name in names],
            instance=self.instance,
            resources=resources(self.sandbox, self.warehouse),
            partition_key=partition_key,
            tags=tags,
            raise_on_error=raise_on_error,
        )

    def rows(self, query: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(query).fetchall()


def resources(sandbox: SandboxServer, warehouse: Path) -> dict:
    return {
        "anchor_api": AnchorApi(
            base_url=sandbox.base_url, webstation_id=sandbox.show.webstation_id, anchorpw_s=COOKIE
        ),
        "io_manager": AnchorDuckDBIOManager(database=str(warehouse), schema="anchor"),
    }


def partition_range(first: str, last: str) -> dict:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    show = FictionalShow(episode_count=8, history_days=120)
    warehouse = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    week = daily_partitions.get_partition_keys()[-7:]
    with SandboxServer(show, cookie=COOKIE, port=0) as sandbox, DagsterInstance.ephemeral() as instance:
        pipeline = Pipeline(show, sandbox, instance, warehouse, week)
        pipeline.materialize(["episodes"])
        episode_keys = instance.get_dynamic_partitions(episode_partitions.name)
        pipeline.materialize(EPISODE_ASSETS, tags=partition_range(episode_keys[0], episode_keys[-1]))
        pipeline.materialize(DAILY_ASSETS, tags=partition_range(week[0], week[-1]))
        pipeline.materialize(CURRENT_ASSETS)
        yield pipeline


def days(keys: list[str]) -> list[date]:
    return [date.fromisoformat(key) for key in keys]


def test_every_episode_is_stored_and_has_a_partition(pipeline):
    show = pipeline.show
    stored = pipeline.rows("select episode_id, title, published_at from anchor.episodes")

    assert sorted(stored) == sorted(
        (episode.episode_id, episode.title, _utc(episode.publish_at)) for episode in show.episodes
    )
    assert sorted(pipeline.instance.get_dynamic_partitions(episode_partitions.name)) == sorted(
        str(episode.episode_id) for episode in show.episodes
    )


def _utc(seconds):
    from datetime import datetime, timezone

    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def test_episode_plays_cover_each_episodes_life_to_the_last_complete_day(pipeline):
    show = pipeline.show
    last = last_complete_day(utc_today())
    expected = sorted(
        (episode.episode_id, day, show.episode_plays(episode.episode_id, day))
        for episode in show.published_episodes
        for day in _days_between(episode.publish_day, last)
    )
    assert len(expected) > 100, "the show should have months of episode plays"

    assert pipeline.rows("select episode_id, date, plays from anchor.episode_plays order by all") == expected


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_performance_curves_and_aggregates_match_what_was_served(pipeline):
    show = pipeline.show
    for episode in show.episodes:
        curve = pipeline.rows(
            "select listeners from anchor.episode_performance"
            f" where episode_id = {episode.episode_id} order by second"
        )
        assert [listeners for (listeners,) in curve] == show.performance(episode.episode_id)
        assert len(curve) > 600 or not episode.is_published

    stored = pipeline.rows(
        "select episode_id, percentile_25, percentile_50, percentile_75, percentile_100,"
        " average_listen_seconds from anchor.episode_aggregated_performance order by episode_id"
    )
    expected = []
    for episode in sorted(show.published_episodes, key=lambda e: e.episode_id):
        figures = show.aggregated_performance(episode.episode_id)
        expected.append((episode.episode_id, *map(float, (
            figures["percentile25"], figures["percentile50"], figures["percentile75"],
            figures["percentile100"], figures["averageListenSeconds"],
        ))))  # fmt: skip
    assert stored == expected


def test_episode_metadata_has_every_episode(pipeline):
    stored = pipeline.rows("select episode_id, web_episode_id, title from anchor.episode_metadata")

    assert sorted(stored) == sorted(
        (e.episode_id, e.web_episode_id, e.title) for e in pipeline.show.episodes
    )


def test_a_week_of_station_plays(pipeline):
    week = days(pipeline.week)
    expected = [(day, pipeline.show.station_plays(day)) for day in week]

    assert pipeline.rows("select date, plays from anchor.plays order by date") == expected


@pytest.mark.parametrize(
    "table, label, kind",
    [
        ("plays_by_age_range", "age_range", "age_range"),
        ("plays_by_app", "app", "app"),
        ("plays_by_device", "device", "device"),
        ("plays_by_gender", "gender", "gender"),
    ],
)
def test_a_week_of_daily_shares(pipeline, table, label, kind):
    expected = sorted(
        (day, name, pytest.approx(share, abs=1e-12))
        for day in days(pipeline.week)
        for name, share in pipeline.show.shares(kind, day, day).items()
    )
    stored = pipeline.rows(f"select date, {label}, share from anchor.{table} order by date, {label}")
    assert len({day for day, _, _ in expected}) == 7

    assert stored == expected


def test_a_week_of_plays_by_episode(pipeline):
    show = pipeline.show
    expected = sorted(
        (day, show.episode(episode_id).title, plays)
        for day in days(pipeline.week)
        for episode_id, plays in show.plays_by_episode(day)
    )
    assert len(expected) >= 7

    assert pipeline.rows("select date, episode_title, plays from anchor.plays_by_episode order by all") == expected


def test_current_values_are_todays_snapshot(pipeline):
    show, today = pipeline.show, utc_today()

    assert pipeline.rows("select * from anchor.total_plays") == [(today, show.total_plays())]
    assert pipeline.rows("select * from anchor.unique_listeners") == [(today, show.unique_listeners())]
    assert pipeline.rows("select * from anchor.audience_size") == [(today, show.audience_size())]
    assert pipeline.rows(
        "select episode_id, plays, rank from anchor.total_plays_by_episode order by rank"
    ) == [(episode_id, plays, rank) for rank, (episode_id, plays) in
          enumerate(show.total_plays_by_episode(), start=1)]  # fmt: skip


def test_every_countrys_regions_are_stored(pipeline):
    show, today = pipeline.show, utc_today()

    assert sorted(pipeline.rows("select snapshot_date, country, share from anchor.plays_by_geo")) == sorted(
        (today, country, share) for country, share in show.countries().items()
    )
    expected_regions = sorted(
        (country, region, share)
        for country in show.countries()
        for region, share in show.regions(country).items()
    )
    assert sorted(pipeline.rows("select country, region, share from anchor.plays_by_geo_city")) == expected_regions
    assert len({country for country, _, _ in expected_regions}) > 1


def test_impressions_over_the_29_days_to_the_last_complete_day(pipeline):
    show = pipeline.show
    last = last_complete_day(utc_today())
    first = last - timedelta(days=28)

    assert pipeline.rows("select window_start, window_end, impressions from anchor.impressions") == [
        (first, last, show.impressions(first, last))
    ]
    daily = pipeline.rows("select date, impressions from anchor.daily_impressions order by date")
    assert daily == [
        (day, show.daily_impressions(day))
        for day in _days_between(first, last)
        if show.daily_impressions(day) is not None
    ]
    sources = dict(pipeline.rows("select source_id, impressions from anchor.impressions_by_source"))
    assert sources == show.impressions_by_source(first, last)


def test_rematerializing_leaves_the_same_rows(pipeline):
    before = pipeline.rows("select * from anchor.plays_by_app order by all")
    episode_id = str(pipeline.show.published_episodes[0].episode_id)
    curve_before = pipeline.rows("select * from anchor.episode_performance order by all")

    pipeline.materialize(["plays_by_app"], partition_key=pipeline.week[3])
    pipeline.materialize(["episode_performance"], partition_key=episode_id)
    pipeline.materialize(["total_plays"])

    assert pipeline.rows("select * from anchor.plays_by_app order by all") == before
    assert pipeline.rows("select * from anchor.episode_performance order by all") == curve_before
    assert len(pipeline.rows("select * from anchor.total_plays")) == 1


def test_an_api_error_fails_the_step_clearly_and_keeps_the_stored_rows(pipeline):
    before = pipeline.rows("select * from anchor.plays order by all")
    pipeline.sandbox.fail_next("/plays", 401, times=5)

    result = pipeline.materialize(["plays"], partition_key=pipeline.week[2], raise_on_error=False)

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "copy a fresh one from the browser into ANCHOR_PW_S" in error
    assert COOKIE not in error
    assert pipeline.rows("select * from anchor.plays order by all") == before
