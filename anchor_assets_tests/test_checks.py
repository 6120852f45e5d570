"""The asset checks: all of them pass on the sandbox show, and each fails on a crafted bad
partition (stored into a temporary DuckDB file through the real IO manager) while a good partition
of the same table still passes."""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    materialize,
)

from anchor_assets.analytics import analytics_assets
from anchor_assets.assets import all_assets
from anchor_assets.checks import anchor_checks
from anchor_assets.checks.freshness import freshness
from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.partitions import daily_partitions, episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.sandbox import FictionalShow, SandboxServer
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager
from anchor_assets.transforms import plays_by_geo_city_table, plays_by_geo_table
from anchor_assets.warehouse import Warehouse
from anchor_assets_tests.checks_support import stand_in

FIXTURES = Path(__file__).parent / "fixtures" / "anchor"
COOKIE = "checks-cookie-1e9a"
CHECKS = {
    checks_def.node_def.name.removesuffix("_checks"): checks_def for checks_def in anchor_checks
}
DAY_1, DAY_2 = "2024-03-01", "2024-03-02"
TODAY = date(2024, 3, 20)


def resources(warehouse: Path, sandbox: SandboxServer | None = None) -> dict:
    # Without a sandbox no asset asks the API (stand-ins store crafted rows): a closed port.
    base_url = sandbox.base_url if sandbox else "http://127.0.0.1:9/pod/api/proxy/v3"
    return {
        "anchor_api": AnchorApi(base_url=base_url, webstation_id="5a1d0c4f", anchorpw_s=COOKIE),
        "io_manager": AnchorDuckDBIOManager(database=str(warehouse), schema="anchor"),
        "warehouse": Warehouse(database=str(warehouse), schema="anchor"),
    }


# The sandbox show, all of it, with every check


@pytest.fixture(scope="module")
def sandbox_run(tmp_path_factory):
    """Every asset and every check on a small sandbox show: episodes, all episode partitions, a
    week of days to yesterday, the current values, then the analytics."""
    show = FictionalShow(episode_count=4, history_days=100)
    warehouse = tmp_path_factory.mktemp("sandbox") / "warehouse.duckdb"
    week = daily_partitions.get_partition_keys()[-7:]
    evaluations = []
    with (
        SandboxServer(show, cookie=COOKIE, port=0) as sandbox,
        DagsterInstance.ephemeral() as instance,
    ):

        def run(names, **tags):
            result = materialize(
                [*all_assets, *analytics_assets, *anchor_checks],
                selection=[AssetKey(["anchor", name]) for name in names],
                instance=instance,
                resources=resources(warehouse, sandbox),
                tags=tags or None,
            )
            evaluations.extend(result.get_asset_check_evaluations())

        run(["episodes"])
        episode_keys = instance.get_dynamic_partitions(episode_partitions.name)
        run(["episode_plays", "episode_performance", "episode_aggregated_performance",
             "episode_metadata"], **partition_range(episode_keys[0], episode_keys[-1]))  # fmt: skip
        run(["plays", "plays_by_episode", "plays_by_age_range", "plays_by_app", "plays_by_device",
             "plays_by_gender"], **partition_range(week[0], week[-1]))  # fmt: skip
        run(["total_plays", "total_plays_by_episode", "unique_listeners", "audience_size",
             "plays_by_geo", "plays_by_geo_city", "impressions", "daily_impressions",
             "impressions_by_source", "impressions_funnel"])  # fmt: skip
        run([assets_def.key.path[-1] for assets_def in analytics_assets])
    return evaluations, warehouse


def partition_range(first: str, last: str) -> dict:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def test_every_check_runs_and_passes_on_the_sandbox_show(sandbox_run):
    evaluations, _ = sandbox_run
    failed = [
        (e.asset_key.to_user_string(), e.check_name, e.description)
        for e in evaluations
        if not e.passed
    ]
    declared = {spec.key for checks_def in anchor_checks for spec in checks_def.check_specs}

    assert failed == []
    assert {(e.asset_key, e.check_name) for e in evaluations} == {
        (key.asset_key, key.name) for key in declared
    }


def test_the_station_plays_check_compared_every_day_of_the_week(sandbox_run):
    evaluations, _ = sandbox_run
    (compared,) = [e for e in evaluations if e.check_name == "plays_match_episode_plays"]

    # The week ends on the last complete day, the newest daily partition: 7 days to compare.
    assert compared.metadata["days_compared"].value == 7
    assert compared.metadata["total_gap"].value == 0


# Crafted partitions, stored through the real IO manager by stand-in assets


@dataclass
class Checked:
    success: bool
    evaluations: dict

    def passed(self, check: str) -> bool:
        return self.evaluations[check].passed


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def store_and_check(warehouse, instance, table, rows, partition=None, more=()) -> Checked:
    """Stores ``rows`` as the partition of ``table`` and runs the table's checks on it."""
    result = materialize(
        [stand_in(table, {partition: rows}), CHECKS[table], *more],
        instance=instance,
        resources=resources(warehouse),
        partition_key=partition,
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return Checked(result.success, evaluations)


def store_rows(warehouse, instance, table, rows, partition=None) -> None:
    assert materialize(
        [stand_in(table, {partition: rows})],
        instance=instance,
        resources=resources(warehouse),
        partition_key=partition,
    ).success


def test_negative_plays_fail_their_partition_and_stop_the_run(warehouse, instance):
    bad = store_and_check(warehouse, instance, "plays", [{"date": DAY_2, "plays": -3}], DAY_2)
    good = store_and_check(warehouse, instance, "plays", [{"date": DAY_1, "plays": 5}], DAY_1)

    assert not bad.passed("no_negative_counts")
    assert bad.evaluations["no_negative_counts"].metadata["failing_rows"].value == 1
    assert not bad.success, "a blocking check that fails stops the run"
    assert good.passed("no_negative_counts") and good.success


def test_negative_listeners_fail_an_episode_partition(warehouse, instance):
    instance.add_dynamic_partitions(episode_partitions.name, ["101"])
    store_rows(warehouse, instance, "episodes", [{"episode_id": 101, "title": "One"}])
    curve = [{"episode_id": 101, "second": s, "listeners": n} for s, n in enumerate([9, 4, -1])]

    checked = store_and_check(warehouse, instance, "episode_performance", curve, "101")

    assert not checked.passed("no_negative_counts")
    assert checked.passed("no_duplicate_keys") and checked.passed("episodes_known")


def shares(day: str, label: str, values: dict[str, float]) -> list[dict]:
    return [{"date": day, label: name, "share": share} for name, share in values.items()]


@pytest.mark.parametrize(
    "table, label, good, bad, failing",
    [
        # The whole distribution: the shares add up to 1.
        ("plays_by_age_range", "age_range", {"18-22": 0.25, "23-27": 0.75},
         {"18-22": 0.25, "23-27": 0.65}, ["shares_add_up"]),
        ("plays_by_gender", "gender", {"Female": 0.4, "Male": 0.6},
         {"Female": -0.4, "Male": 1.4}, ["shares_between_0_and_1", "no_negative_counts"]),
        # Entries under 2% left out: at most 1.
        ("plays_by_app", "app", {"Spotify": 0.7, "Web Browser": 0.25},
         {"Spotify": 0.8, "Web Browser": 0.25}, ["shares_add_up"]),
        ("plays_by_device", "device", {"iPhone": 0.5, "Android": 0.48},
         {"iPhone": 1.2}, ["shares_between_0_and_1", "shares_add_up"]),
    ],
)  # fmt: skip
def test_daily_shares_fail_on_a_bad_day(warehouse, instance, table, label, good, bad, failing):
    bad_day = store_and_check(warehouse, instance, table, shares(DAY_2, label, bad), DAY_2)
    good_day = store_and_check(warehouse, instance, table, shares(DAY_1, label, good), DAY_1)

    share_checks = {"shares_between_0_and_1", "shares_add_up"}
    assert {name for name in share_checks if not bad_day.passed(name)} == set(
        failing
    ) & share_checks
    assert all(good_day.passed(name) for name in share_checks)


def recorded(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text())["data"]


def test_the_real_country_shares_pass_despite_their_rounding(warehouse, instance):
    countries = plays_by_geo_table(recorded("anchorPlaysByGeo"), TODAY)
    assert countries["share"].sum() == pytest.approx(1.0157, abs=1e-4)

    checked = store_and_check(warehouse, instance, "plays_by_geo", countries.to_dict("records"))

    assert checked.passed("shares_add_up") and checked.passed("shares_between_0_and_1")


def test_a_lost_country_fails_the_country_shares(warehouse, instance):
    countries = plays_by_geo_table(recorded("anchorPlaysByGeo"), TODAY)
    without_germany = countries[countries["country"] != "Germany"]

    checked = store_and_check(
        warehouse, instance, "plays_by_geo", without_germany.to_dict("records")
    )

    assert not checked.passed("shares_add_up")
    assert checked.success, "nothing is built on plays_by_geo: its checks do not block"


def test_the_regions_of_each_country_add_up(warehouse, instance):
    regions = plays_by_geo_city_table(recorded("anchorPlaysByGeoCity"), "Germany", TODAY)
    doubled = regions.assign(share=regions["share"].where(regions.index != 0, 0.76))

    good = store_and_check(warehouse, instance, "plays_by_geo_city", regions.to_dict("records"))
    bad = store_and_check(warehouse, instance, "plays_by_geo_city", doubled.to_dict("records"))

    assert good.passed("shares_add_up")
    assert not bad.passed("shares_add_up")
    assert "Germany" in bad.evaluations["shares_add_up"].metadata["examples"].value


def test_a_key_stored_twice_fails_only_its_partition(warehouse, instance):
    twice = shares(DAY_2, "gender", {"Female": 0.5}) * 2
    once = shares(DAY_1, "gender", {"Female": 1.0})
    bad = store_and_check(warehouse, instance, "plays_by_gender", twice, DAY_2)
    good = store_and_check(warehouse, instance, "plays_by_gender", once, DAY_1)

    assert not bad.passed("no_duplicate_keys")
    assert good.passed("no_duplicate_keys")


def test_a_snapshot_with_an_episode_twice_fails(warehouse, instance):
    row = {"snapshot_date": TODAY, "episode_id": 7, "episode_title": "Seven", "plays": 3}

    checked = store_and_check(warehouse, instance, "total_plays_by_episode", [row, row])

    assert not checked.passed("no_duplicate_keys")


def test_an_episode_missing_from_the_list_fails_its_partition(warehouse, instance):
    instance.add_dynamic_partitions(episode_partitions.name, ["101", "103"])
    store_rows(warehouse, instance, "episodes", [{"episode_id": 101, "title": "One"}])

    def plays_of(episode_id):
        return [{"episode_id": episode_id, "date": DAY_1, "plays": 4}]

    unknown = store_and_check(warehouse, instance, "episode_plays", plays_of(103), "103")
    known = store_and_check(warehouse, instance, "episode_plays", plays_of(101), "101")

    assert not unknown.passed("episodes_known")
    assert "103" in unknown.evaluations["episodes_known"].metadata["examples"].value
    assert known.passed("episodes_known")


def test_a_new_episode_in_the_totals_only_warns(warehouse, instance):
    store_rows(warehouse, instance, "episodes", [{"episode_id": 101, "title": "One"}])
    row = {"snapshot_date": TODAY, "episode_id": 102, "episode_title": "Two", "plays": 3}

    checked = store_and_check(warehouse, instance, "total_plays_by_episode", [row])

    assert not checked.passed("episodes_known")
    assert checked.evaluations["episodes_known"].severity == AssetCheckSeverity.WARN


def test_the_daily_tables_are_fresh_once_the_last_complete_day_is_stored(warehouse, instance):
    last = last_complete_day(utc_today()).isoformat()
    day_before = (last_complete_day(utc_today()) - timedelta(days=1)).isoformat()

    stale = store_and_check(
        warehouse, instance, "plays", [{"date": day_before, "plays": 2}], day_before
    )
    fresh = store_and_check(warehouse, instance, "plays", [{"date": last, "plays": 2}], last)

    assert not stale.passed("last_complete_day_stored")
    assert stale.evaluations["last_complete_day_stored"].severity == AssetCheckSeverity.WARN
    assert fresh.passed("last_complete_day_stored")


def test_a_day_fetched_before_it_was_complete_is_stale():
    day = date(2026, 3, 10)
    complete = datetime(2026, 3, 12, tzinfo=timezone.utc)

    assert not freshness(day, complete - timedelta(minutes=1), day).passed
    assert freshness(day, complete, day).passed
    assert not freshness(day, None, None).passed


def test_station_plays_that_the_episodes_do_not_add_up_to_warn_with_the_gap(warehouse, instance):
    instance.add_dynamic_partitions(episode_partitions.name, ["101", "102"])
    for episode_id, plays in ((101, 4), (102, 6)):
        rows = [{"episode_id": episode_id, "date": DAY_1, "plays": plays}]
        store_rows(warehouse, instance, "episode_plays", rows, str(episode_id))

    equal = store_and_check(warehouse, instance, "plays", [{"date": DAY_1, "plays": 10}], DAY_1)
    more = store_and_check(warehouse, instance, "plays", [{"date": DAY_1, "plays": 12}], DAY_1)

    assert equal.passed("plays_match_episode_plays")
    gap = more.evaluations["plays_match_episode_plays"]
    assert not gap.passed and gap.severity == AssetCheckSeverity.WARN
    assert gap.metadata["total_gap"].value == 2
    assert more.success, "a warning does not stop the run"


def test_a_failed_blocking_check_keeps_the_analytics_from_building_on_bad_rows(warehouse, instance):
    for table, column in (("unique_listeners", "listeners"), ("audience_size", "audience_size")):
        store_rows(warehouse, instance, table, [{"snapshot_date": TODAY, column: 10}])
    bad_totals = stand_in("total_plays", {None: [{"snapshot_date": TODAY, "plays": -1}]})
    audience_trend = next(a for a in analytics_assets if a.key.path[-1] == "audience_trend")

    result = materialize(
        [bad_totals, CHECKS["total_plays"], audience_trend],
        instance=instance,
        resources=resources(warehouse),
        raise_on_error=False,
    )

    assert not result.success
    assert AssetKey(["anchor", "audience_trend"]) not in {
        event.asset_key for event in result.get_asset_materialization_events()
    }
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = {
            name
            for (name,) in connection.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert "audience_trend" not in tables


def test_checks_run_on_their_own_look_at_the_whole_table(warehouse, instance):
    store_rows(warehouse, instance, "plays", [{"date": DAY_2, "plays": -3}], DAY_2)
    store_rows(warehouse, instance, "plays", [{"date": DAY_1, "plays": 5}], DAY_1)

    result = materialize(
        [stand_in("plays", {}), CHECKS["plays"]],
        selection=AssetSelection.checks_for_assets(AssetKey(["anchor", "plays"])),
        instance=instance,
        resources=resources(warehouse),
        raise_on_error=False,
    )

    (negative,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "no_negative_counts"
    ]
    assert not negative.passed
    assert negative.metadata["checked"].value == "the whole table"
