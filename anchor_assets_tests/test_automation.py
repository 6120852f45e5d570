"""The schedules and the episode discovery sensor, evaluated at fixed instants against a real
temporary Dagster instance: the exact runs and partitions each tick asks for. The discovery
story then carries out what the sensor asked for, against the sandbox, over four looks at a
list that gains an episode, loses another, stays the same, and gets the lost one back."""

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    MetadataValue,
    PartitionKeyRange,
    build_schedule_context,
    build_sensor_context,
    materialize,
)

from anchor_assets.assets import all_assets
from anchor_assets.assets.episodes import EPISODES_PER_RUN, PUBLISH_DAYS, EmptyEpisodeListError
from anchor_assets.automation import automation_defs
from anchor_assets.automation.requests import spans
from anchor_assets.automation.schedules import station_daily_window
from anchor_assets.days import utc_today
from anchor_assets.partitions import daily_partitions, episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.sandbox import FictionalShow, SandboxServer
from anchor_assets.settings import SettingError
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager
from anchor_assets_tests.scratch import scratch_folder

COOKIE = "automation-cookie-5e0c2a"
DAILY = ["plays", "plays_by_episode", "plays_by_age_range", "plays_by_app", "plays_by_device",
         "plays_by_gender"]  # fmt: skip
CURRENT = ["total_plays", "total_plays_by_episode", "unique_listeners", "audience_size",
           "plays_by_geo", "plays_by_geo_city", "impressions", "daily_impressions",
           "impressions_by_source", "impressions_funnel"]  # fmt: skip
PER_EPISODE = ["episode_plays", "episode_performance", "episode_aggregated_performance",
               "episode_metadata"]  # fmt: skip
FROM_FAILURE = {"dagster/retry_strategy": "FROM_FAILURE"}

WEDNESDAY = date(2025, 3, 5)
MONDAY = date(2025, 3, 3)


def keys(*names: str) -> set[AssetKey]:
    return {AssetKey(["anchor", name]) for name in names}


def at_three(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=timezone.utc)


def span_tags(first: str, last: str) -> dict:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
        **FROM_FAILURE,
    }


@pytest.fixture(scope="module")
def module_instance():
    with scratch_folder("schedules") as folder, DagsterInstance.local_temp(str(folder)) as instance:
        yield instance


@pytest.fixture
def instance(module_instance):
    """The module's instance (a real one on disk, slow to make) with no episode partition."""
    for key in module_instance.get_dynamic_partitions(episode_partitions.name):
        module_instance.delete_dynamic_partition(episode_partitions.name, key)
    return module_instance


def tick(name: str, instance: DagsterInstance, day: date, environ: dict | None = None) -> list:
    """The requests of one tick of a schedule at 03:00 UTC on ``day``, as (run key, assets,
    tags) with the schedule's own name tag left out."""
    schedule = automation_defs(environ or {}).get_schedule_def(name)
    context = build_schedule_context(instance=instance, scheduled_execution_time=at_three(day))
    return [
        (request.run_key, set(request.asset_selection), without(request.tags, "schedule_name"))
        for request in schedule.evaluate_tick(context).run_requests or []
    ]


def without(tags: dict, instigator: str) -> dict:
    """The tags but for the name of the schedule or sensor that asked for the run."""
    return {key: value for key, value in tags.items() if key != f"dagster/{instigator}"}


# Everything on from the start


def test_every_schedule_and_the_sensor_are_on_when_the_code_location_loads():
    defs = automation_defs({})

    schedules = {schedule.name: schedule for schedule in defs.schedules}
    assert set(schedules) == {
        "anchor_station_daily_refresh", "anchor_current_values_refresh", "anchor_episode_refresh"
    }  # fmt: skip
    for schedule in schedules.values():
        assert schedule.default_status == DefaultScheduleStatus.RUNNING
        assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 3 * * *", "UTC")
    (sensor,) = defs.sensors
    assert sensor.name == "anchor_episode_discovery"
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 3600
    resources = sandbox_resources(
        "http://127.0.0.1:9/pod/api/proxy/v3", "5a1d0c4f", Path("w.duckdb")
    )
    Definitions.validate_loadable(
        Definitions.merge(Definitions(assets=all_assets, resources=resources), defs)
    )


# Station figures: one ranged run a night


@pytest.mark.parametrize(
    "day, lookback, first, last",
    [
        (MONDAY, None, "2025-02-26", "2025-03-01"),  # the default 3 days, across February's end
        (date(2025, 1, 2), "3", "2024-12-28", "2024-12-31"),  # across the year's end
        (MONDAY, "0", "2025-03-01", "2025-03-01"),
        (MONDAY, "10", "2025-02-19", "2025-03-01"),
    ],
)
def test_station_daily_refresh_is_one_run_over_the_lookback_window(
    instance, day, lookback, first, last
):
    environ = {} if lookback is None else {"ANCHOR_LOOKBACK_DAYS": lookback}

    requests = tick("anchor_station_daily_refresh", instance, day, environ)

    assert requests == [(f"{first}...{last}", keys(*DAILY), span_tags(first, last))]
    window = daily_partitions.get_partition_keys_in_range(PartitionKeyRange(first, last))
    assert len(window) == int(lookback or 3) + 1


def test_the_window_starts_no_earlier_than_the_first_daily_partition():
    start = date(2024, 1, 1)

    assert station_daily_window(date(2024, 1, 2), 3, start) is None  # last complete: 2023-12-31
    assert station_daily_window(date(2024, 1, 4), 3, start) == (start, date(2024, 1, 2))
    assert station_daily_window(date(2024, 1, 10), 3, start) == (date(2024, 1, 5), date(2024, 1, 8))


@pytest.mark.parametrize(
    "variable, value",
    [
        ("ANCHOR_LOOKBACK_DAYS", "three"),
        ("ANCHOR_LOOKBACK_DAYS", "-1"),
        ("ANCHOR_LOOKBACK_DAYS", "61"),
        ("ANCHOR_LOOKBACK_DAYS", "2.5"),
        ("ANCHOR_YOUNG_EPISODE_DAYS", "0"),
        ("ANCHOR_YOUNG_EPISODE_DAYS", "a month"),
    ],
)
def test_a_malformed_setting_fails_the_load_naming_the_variable(variable, value):
    with pytest.raises(SettingError, match=f"^{variable}='{value}' is not a whole number from"):
        automation_defs({variable: value})


def test_current_values_are_one_run_a_night(instance):
    requests = tick("anchor_current_values_refresh", instance, WEDNESDAY)

    assert requests == [("2025-03-05", keys(*CURRENT), FROM_FAILURE)]


# Episodes: young ones every night, all of them on Mondays, up to 500 a run


def record_episode_list(instance: DagsterInstance, publish_days: dict[str, str | None]) -> None:
    """The partitions and the publish days as a materialization of anchor/episodes leaves them."""
    instance.add_dynamic_partitions(episode_partitions.name, list(publish_days))
    instance.report_runless_asset_event(
        AssetMaterialization(
            asset_key=AssetKey(["anchor", "episodes"]),
            metadata={PUBLISH_DAYS: MetadataValue.json(publish_days)},
        )
    )


def test_young_episodes_are_refreshed_every_night_in_spans_of_partitions(instance):
    # On Wednesday 2025-03-05 the last complete day is 03-03: with 30 days, an episode out on
    # 2025-02-02 has its 30th complete day and is refreshed; one out on 02-01 waits for Monday.
    record_episode_list(instance, {
        "101": "2024-11-20", "102": "2025-02-01", "103": "2025-02-02", "104": "2025-03-04",
        "105": "2025-01-10", "106": None, "107": "2024-12-01", "108": "2025-02-20",
    })  # fmt: skip

    requests = tick("anchor_episode_refresh", instance, WEDNESDAY)

    every = keys("episodes", *PER_EPISODE)
    assert requests == [
        ("2025-03-05 103...104", every, span_tags("103", "104")),
        ("2025-03-05 106...106", every, span_tags("106", "106")),
        ("2025-03-05 108...108", every, span_tags("108", "108")),
    ]


def test_a_shorter_youth_leaves_fewer_episodes_for_every_night(instance):
    record_episode_list(instance, {"101": "2025-02-02", "102": "2025-02-20", "103": "2025-03-04"})

    requests = tick(
        "anchor_episode_refresh", instance, WEDNESDAY, {"ANCHOR_YOUNG_EPISODE_DAYS": "7"}
    )

    assert [run_key for run_key, _, _ in requests] == ["2025-03-05 103...103"]


def test_on_mondays_every_episode_is_refreshed_in_runs_of_at_most_500(instance):
    record_episode_list(instance, {str(1000 + n): "2023-06-01" for n in range(510)})

    requests = tick("anchor_episode_refresh", instance, MONDAY)

    assert EPISODES_PER_RUN == 500
    assert [tags for _, _, tags in requests] == [
        span_tags("1000", "1499"),
        span_tags("1500", "1509"),
    ]


def test_with_no_young_episode_the_night_refreshes_the_list_alone(instance):
    record_episode_list(instance, {"101": "2024-11-20"})

    requests = tick("anchor_episode_refresh", instance, WEDNESDAY)

    assert requests == [("2025-03-05 episode list", keys("episodes"), FROM_FAILURE)]


def test_spans_cover_exactly_the_wanted_partitions():
    order = ["a", "b", "c", "d", "e", "f", "g"]

    assert spans(["b", "c", "e", "g", "f"], order, 50) == [("b", "c"), ("e", "g")]
    assert spans(order, order, 3) == [("a", "c"), ("d", "f"), ("g", "g")]
    assert spans([], order, 3) == []
    assert spans(["z"], order, 3) == []


# Discovery: an episode comes, another goes, and comes back


def sandbox_resources(base_url: str, webstation_id: str, warehouse: Path) -> dict:
    return {
        "anchor_api": AnchorApi(base_url=base_url, webstation_id=webstation_id, anchorpw_s=COOKIE),
        "io_manager": AnchorDuckDBIOManager(database=str(warehouse), schema="anchor"),
    }


@dataclass
class Pipeline:
    """The sandbox's show, and the Dagster side that the discovery sensor feeds."""

    show: FictionalShow  # the whole show; the sandbox lists only some of its episodes
    sandbox: SandboxServer
    instance: DagsterInstance
    warehouse: Path
    defs: Definitions

    @classmethod
    def over(cls, show, sandbox, instance, warehouse: Path) -> "Pipeline":
        """The project's assets and automation, reading the sandbox and storing in warehouse."""
        resources = sandbox_resources(sandbox.base_url, show.webstation_id, warehouse)
        defs = Definitions.merge(
            Definitions(assets=all_assets, resources=resources), automation_defs({})
        )
        return cls(show, sandbox, instance, warehouse, defs)

    def list_only(self, episodes: list) -> None:
        """From now on the episode list holds these episodes only, in the show's order."""
        self.sandbox.show.episodes = [e for e in self.show.episodes if e in episodes]

    def look(self, cursor: str | None):
        """One tick of the discovery sensor, evaluated as the daemon evaluates it."""
        sensor = self.defs.get_sensor_def("anchor_episode_discovery")
        with build_sensor_context(
            instance=self.instance, cursor=cursor, resources=self.resources(), definitions=self.defs
        ) as context:
            return sensor.evaluate_tick(context)

    def carry_out(self, look) -> None:
        """What the daemon does with a tick: the partition changes first, then each run."""
        for request in look.dynamic_partitions_requests:
            if isinstance(request, AddDynamicPartitionsRequest):  # the daemon skips known keys
                new = [key for key in request.partition_keys if key not in self.partitions()]
                self.instance.add_dynamic_partitions(request.partitions_def_name, new)
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        for request in look.run_requests:
            self.materialize(request.asset_selection, tags=request.tags)

    def materialize(self, selection, **kwargs):
        return materialize(
            all_assets, selection=selection, instance=self.instance, resources=self.resources(),
            **kwargs,
        )  # fmt: skip

    def resources(self) -> dict:
        return sandbox_resources(self.sandbox.base_url, self.show.webstation_id, self.warehouse)

    def partitions(self) -> list[str]:
        return self.instance.get_dynamic_partitions(episode_partitions.name)

    def rows(self, query: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(query).fetchall()


def ids(episodes) -> list[str]:
    return [str(episode.episode_id) for episode in episodes]


def runs(look) -> list[tuple[set[AssetKey], dict]]:
    """The runs a sensor tick asks for: their assets and tags, but for the sensor's name tag."""
    return [
        (set(request.asset_selection), without(request.tags, "sensor_name"))
        for request in look.run_requests
    ]


def performance_of(pipeline: Pipeline, episode) -> list[tuple]:
    return pipeline.rows(
        "select * from anchor.episode_performance"
        f" where episode_id = {episode.episode_id} order by all"
    )


@dataclass
class Story:
    """What was asked for and stored at each look at the list, in order."""

    pipeline: Pipeline
    newest: object  # published last; missing from the first list
    oldest: object  # published first; leaves the list before the second look
    looks: list = field(default_factory=list)
    requests_per_look: list[int] = field(default_factory=list)
    partitions_after: list[list[str]] = field(default_factory=list)
    performance_of_oldest: list[list[tuple]] = field(default_factory=list)
    gone_after: list[list[tuple]] = field(default_factory=list)
    nightly: dict = field(default_factory=dict)  # episode refresh requests after look 2, by day
    refused: object = None  # a run asked for the gone episode's partition anyway
    stored_when_refused: tuple[list, list] = ([], [])
    emptied: tuple = ()  # the sensor's error and the list's run when the list came back empty


@pytest.fixture(scope="module")
def story():
    show = FictionalShow(episode_count=4, history_days=60, today=WEDNESDAY)
    newest, oldest = show.published_episodes[0], show.published_episodes[-1]
    everyone = list(show.episodes)
    lists = [
        [e for e in everyone if e is not newest],
        [e for e in everyone if e is not oldest],
        [e for e in everyone if e is not oldest],
        everyone,
    ]
    served = FictionalShow(episode_count=4, history_days=60, today=WEDNESDAY)
    with (
        scratch_folder("discovery") as folder,
        SandboxServer(served, cookie=COOKIE) as sandbox,
        DagsterInstance.local_temp(str(folder)) as instance,
    ):
        pipeline = Pipeline.over(show, sandbox, instance, folder / "w.duckdb")
        story = Story(pipeline, newest, oldest)
        cursor = None
        for number, listed in enumerate(lists):
            pipeline.list_only(listed)
            sandbox.clear_requests()
            look = pipeline.look(cursor)
            story.requests_per_look.append(sandbox.request_count())
            pipeline.carry_out(look)
            story.looks.append(look)
            story.partitions_after.append(pipeline.partitions())
            story.performance_of_oldest.append(performance_of(pipeline, oldest))
            story.gone_after.append(
                pipeline.rows("select episode_id, gone_since from anchor.episodes where is_gone")
            )
            cursor = look.cursor
            if number == 1:
                story.nightly = {
                    day: tick_requests(instance, pipeline.defs, day) for day in (WEDNESDAY, MONDAY)
                }
                story.refused, story.stored_when_refused = ask_for_gone(pipeline, oldest)
        story.emptied = look_at_an_empty_list(pipeline, cursor)
        yield story


def look_at_an_empty_list(pipeline: Pipeline, cursor: str):
    """The sensor's error and a run of anchor/episodes when the list comes back empty."""
    pipeline.list_only([])
    with pytest.raises(EmptyEpisodeListError) as sensor_error:
        pipeline.look(cursor)
    run = pipeline.materialize([AssetKey(["anchor", "episodes"])], raise_on_error=False)
    return sensor_error.value, run


def tick_requests(instance, defs, day: date) -> list:
    schedule = defs.get_schedule_def("anchor_episode_refresh")
    context = build_schedule_context(instance=instance, scheduled_execution_time=at_three(day))
    return schedule.evaluate_tick(context).run_requests


def covered(requests, order: list[str]) -> list[str]:
    """The partitions the runs cover, each span taken from the partitions' order."""
    keys = []
    for request in requests:
        first = order.index(request.tags["dagster/asset_partition_range_start"])
        last = order.index(request.tags["dagster/asset_partition_range_end"])
        keys += order[first : last + 1]
    return keys


def ask_for_gone(pipeline: Pipeline, episode):
    """A run over the gone episode's partition, as one asked for before it left would be (its
    partition is put back by hand, then removed again)."""
    key = str(episode.episode_id)
    before = pipeline.rows("select * from anchor.episode_performance order by all")
    pipeline.instance.add_dynamic_partitions(episode_partitions.name, [key])
    result = pipeline.materialize(
        [AssetKey(["anchor", "episode_performance"])], partition_key=key, raise_on_error=False
    )
    pipeline.instance.delete_dynamic_partition(episode_partitions.name, key)
    after = pipeline.rows("select * from anchor.episode_performance order by all")
    return result, (before, after)


EVERY_EPISODE_ASSET = keys("episodes", *PER_EPISODE)


def test_the_first_look_fetches_every_listed_episode_in_one_run(story):
    first_list = [e for e in story.pipeline.show.episodes if e is not story.newest]
    (add,) = story.looks[0].dynamic_partitions_requests

    assert add.partition_keys == ids(first_list)
    assert runs(story.looks[0]) == [
        (EVERY_EPISODE_ASSET, span_tags(ids(first_list)[0], ids(first_list)[-1]))
    ]
    assert story.requests_per_look[0] == 1  # one page of the list
    assert story.partitions_after[0] == ids(first_list)
    assert len(story.performance_of_oldest[0]) > 600
    assert story.gone_after[0] == []


def test_a_new_episode_gets_its_partition_and_a_run_of_its_own(story):
    second = story.looks[1]
    newest = str(story.newest.episode_id)

    assert [(type(r).__name__, r.partition_keys) for r in second.dynamic_partitions_requests] == [
        ("AddDynamicPartitionsRequest", [newest]),
        ("DeleteDynamicPartitionsRequest", [str(story.oldest.episode_id)]),
    ]
    assert runs(second) == [(EVERY_EPISODE_ASSET, span_tags(newest, newest))]
    assert story.requests_per_look[1] == 1
    assert story.partitions_after[1][-1] == newest
    assert story.pipeline.rows(
        f"select count(*) from anchor.episode_metadata where episode_id = {newest}"
    ) == [(1,)]


def test_a_gone_episode_loses_its_partition_and_keeps_its_rows_marked_gone(story):
    oldest = story.oldest.episode_id

    assert str(oldest) not in story.partitions_after[1]
    assert story.gone_after[1] == [(oldest, utc_today())]
    assert story.performance_of_oldest[1] == story.performance_of_oldest[0]


def test_a_look_at_an_unchanged_list_asks_for_nothing_more(story):
    third = story.looks[2]

    assert (third.run_requests, third.dynamic_partitions_requests) == ([], [])
    assert third.skip_message == "no episode came or went among 5"
    assert story.requests_per_look[2] == 1
    assert story.gone_after[2] == story.gone_after[1]


def test_the_nightly_refresh_covers_young_episodes_and_on_mondays_all_but_gone_ones(story):
    listed = {str(e.episode_id) for e in story.pipeline.show.episodes if e is not story.oldest}
    # Young on Wednesday (last complete day 2025-03-03): not out yet, or out since 2025-02-02.
    young = {
        str(e.episode_id) for e in story.pipeline.show.episodes
        if e.publish_day is None or e.publish_day >= date(2025, 2, 2)
    }  # fmt: skip
    order = story.partitions_after[1]

    assert young < listed
    assert sorted(covered(story.nightly[WEDNESDAY], order)) == sorted(young)
    assert sorted(covered(story.nightly[MONDAY], order)) == sorted(listed)
    for request in story.nightly[WEDNESDAY] + story.nightly[MONDAY]:
        assert set(request.asset_selection) == EVERY_EPISODE_ASSET


def test_a_run_asked_for_a_gone_episode_stops_before_fetching_and_keeps_its_rows(story):
    (failure,) = story.refused.get_step_failure_events()

    assert "have left the show's episode list" in failure.event_specific_data.error.to_string()
    before, after = story.stored_when_refused
    assert after == before


def test_an_episode_that_comes_back_is_fetched_again_and_no_longer_gone(story):
    fourth = story.looks[3]
    oldest = str(story.oldest.episode_id)

    assert [r.partition_keys for r in fourth.dynamic_partitions_requests] == [[oldest]]
    assert runs(fourth) == [(EVERY_EPISODE_ASSET, span_tags(oldest, oldest))]
    assert story.partitions_after[3][-1] == oldest
    assert story.gone_after[3] == []
    assert story.performance_of_oldest[3] == story.performance_of_oldest[0]


def test_an_empty_list_is_taken_for_a_fault_and_changes_nothing(story):
    sensor_error, run = story.emptied
    message = "the episode list came back empty although 6 episodes have a partition"

    assert message in str(sensor_error)
    assert not run.success
    assert message in run.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert story.pipeline.partitions() == story.partitions_after[3]
    assert story.pipeline.rows("select count(*) from anchor.episodes where is_gone") == [(0,)]


def test_a_first_look_fetches_the_episodes_whose_partitions_came_without_their_figures(tmp_path):
    """The sensor's looks failed (a refused cookie); once it was fixed, anchor/episodes was
    materialized by hand, which added the partitions: the first look that succeeds still asks
    for every episode's figures, and the next look for nothing more."""
    show = FictionalShow(episode_count=3, history_days=30, today=WEDNESDAY)
    with (
        SandboxServer(show, cookie=COOKIE) as sandbox,
        DagsterInstance.local_temp(str(tmp_path)) as instance,
    ):
        pipeline = Pipeline.over(show, sandbox, instance, tmp_path / "w.duckdb")
        assert pipeline.materialize([AssetKey(["anchor", "episodes"])]).success
        listed = ids(show.episodes)
        assert pipeline.partitions() == listed

        first = pipeline.look(cursor=None)
        pipeline.carry_out(first)
        second = pipeline.look(cursor=first.cursor)

    assert runs(first) == [(EVERY_EPISODE_ASSET, span_tags(listed[0], listed[-1]))]
    assert first.dynamic_partitions_requests == []
    assert pipeline.rows("select count(distinct episode_id) from anchor.episode_metadata") == [
        (len(listed),)
    ]
    assert runs(second) == [] and second.skip_message
