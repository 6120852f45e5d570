"""The transforms against the recorded API answers, and against crafted answers for each quirk."""

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from anchor_assets.transforms import (
    TABLE_SCHEMAS,
    AnswerShapeError,
    audience_size_table,
    empty_frame,
    episode_aggregated_performance_table,
    episode_list_table,
    episode_metadata_table,
    episode_performance_table,
    episode_plays_table,
    impressions_tables,
    plays_by_episode_table,
    plays_by_geo_city_table,
    plays_by_geo_table,
    plays_table,
    share_table,
    share_tables,
    total_plays_by_episode_table,
    total_plays_table,
    unique_listeners_table,
)
from anchor_assets.transforms.schemas import PANDAS_DTYPES

FIXTURES = Path(__file__).parent / "fixtures" / "anchor"
SNAPSHOT = date(2023, 5, 5)
DAY = date(2023, 5, 4)
EPISODE_ID = 67347588
# The days the recorded impressions rows cover (its recorder's `range` says 2023: anonymised).
WINDOW_START, WINDOW_END = date(2024, 11, 22), date(2024, 12, 21)


def recorded(name: str) -> Any:
    """The API's own body of a recorded answer."""
    return json.loads((FIXTURES / f"{name}.json").read_text())["data"]


def answer(headers: list, rows: list, **data: Any) -> dict:
    """A crafted table-shaped answer; a header is a (name, type) pair or a whole header object."""
    column_headers = [
        header if isinstance(header, dict) else {"name": header[0], "type": header[1]}
        for header in headers
    ]
    return {"kind": "crafted", "data": {"rows": rows, "columnHeaders": column_headers, **data}}


def empty_rows() -> dict:
    return {"kind": "crafted", "data": {"rows": [], "columnHeaders": []}}


def impressions_answer(total: Any, daily: Any, sources: Any, funnel: Any = None) -> dict:
    def part(value: Any) -> dict:
        return {"data": {"value": value, "isDistributedToSpotify": True}, "error": None}

    body = {"impressions": part(total), "dailyImpressions": part(daily)}
    body["impressionsBySource"] = part(sources)
    if funnel is not None:
        body["impressionsFunnel"] = part(funnel)
    return body


def impressions_table(table: str) -> Callable[[Any], pd.DataFrame]:
    return lambda body: impressions_tables(body, SNAPSHOT, WINDOW_START, WINDOW_END)[table]


@dataclass(frozen=True)
class Case:
    """How one table is made from its recorded answer, and what an empty answer looks like."""

    table: str
    fixture: str
    build: Callable[[Any], pd.DataFrame]
    empty: Any

    def from_fixture(self) -> pd.DataFrame:
        body = recorded(self.fixture)
        if "podcastEpisodes" in body:  # the older answer wraps the episode in a list
            body = body["podcastEpisodes"][0]
        return self.build(body)


EMPTY_IMPRESSIONS = impressions_answer(None, [], [], {})

CASES = [
    Case("episodes", "anchorEpisodesPage", episode_list_table, []),
    Case(
        "episode_plays",
        "anchorEpisodePlays",
        lambda body: episode_plays_table(body, EPISODE_ID),
        empty_rows(),
    ),
    Case(
        "episode_performance",
        "anchorEpisodePerformance",
        lambda body: episode_performance_table(body, EPISODE_ID),
        empty_rows(),
    ),
    Case(
        "episode_aggregated_performance",
        "anchorEpisodeAggregatedPerformance",
        lambda body: episode_aggregated_performance_table(body, EPISODE_ID),
        empty_rows(),
    ),
    Case(
        "episode_metadata",
        "anchorPodcastEpisode",
        lambda overview: episode_metadata_table(overview, EPISODE_ID),
        {},
    ),
    Case("plays", "anchorPlays", plays_table, empty_rows()),
    Case(
        "plays_by_age_range",
        "anchorPlaysByAgeRange",
        lambda body: share_table(body, DAY, "age_range"),
        empty_rows(),
    ),
    Case("plays_by_app", "anchorPlaysByApp", lambda b: share_table(b, DAY, "app"), empty_rows()),
    Case(
        "plays_by_device",
        "anchorPlaysByDevice",
        lambda body: share_table(body, DAY, "device"),
        empty_rows(),
    ),
    Case(
        "plays_by_gender",
        "anchorPlaysByGender",
        lambda body: share_table(body, DAY, "gender"),
        empty_rows(),
    ),
    Case("plays_by_episode", "anchorPlaysByEpisode", plays_by_episode_table, empty_rows()),
    Case(
        "total_plays",
        "anchorTotalPlays",
        lambda body: total_plays_table(body, SNAPSHOT),
        empty_rows(),
    ),
    Case(
        "total_plays_by_episode",
        "anchorTotalPlaysByEpisode",
        lambda body: total_plays_by_episode_table(body, SNAPSHOT),
        empty_rows(),
    ),
    Case(
        "unique_listeners",
        "anchorUniqueListeners",
        lambda body: unique_listeners_table(body, SNAPSHOT),
        empty_rows(),
    ),
    Case(
        "audience_size",
        "anchorAudienceSize",
        lambda body: audience_size_table(body, SNAPSHOT),
        empty_rows(),
    ),
    Case(
        "plays_by_geo",
        "anchorPlaysByGeo",
        lambda body: plays_by_geo_table(body, SNAPSHOT),
        empty_rows(),
    ),
    Case(
        "plays_by_geo_city",
        "anchorPlaysByGeoCity",
        lambda body: plays_by_geo_city_table(body, "Germany", SNAPSHOT),
        empty_rows(),
    ),
    *[
        Case(table, "anchorImpressions", impressions_table(table), EMPTY_IMPRESSIONS)
        for table in ("impressions", "daily_impressions", "impressions_by_source")
    ],
    Case(
        "impressions_funnel",
        "anchorImpressions",
        impressions_table("impressions_funnel"),
        impressions_answer(None, [], []),
    ),
]
CASE_IDS = [case.table for case in CASES]


def assert_declared_types(frame: pd.DataFrame, table: str) -> None:
    """The frame starts with the table's declared columns, in order, with the declared dtypes."""
    declared = TABLE_SCHEMAS[table].columns
    assert list(frame.columns[: len(declared)]) == [column.name for column in declared]
    for column in declared:
        assert frame[column.name].dtype == PANDAS_DTYPES[column.type], column.name
        if column.type == "DATE":
            stamps = frame[column.name].dropna()
            assert (stamps == stamps.dt.normalize()).all(), f"{column.name} is not at midnight"


def python_rows(frame: pd.DataFrame, table: str) -> list[tuple]:
    """The frame's rows as the Python values DuckDB gives back for the declared types."""
    types = [column.type for column in TABLE_SCHEMAS[table].columns]

    def value(cell: Any, duckdb_type: str) -> Any:
        if pd.isna(cell):
            return None
        if duckdb_type == "DATE":
            return cell.date()
        if duckdb_type == "TIMESTAMP":
            return cell.to_pydatetime()
        return cell.item() if hasattr(cell, "item") else cell

    return [tuple(map(value, row, types)) for row in frame.itertuples(index=False)]


def duckdb_round_trip(frame: pd.DataFrame, table: str) -> list[tuple]:
    columns = ", ".join(f'"{c.name}" {c.type}' for c in TABLE_SCHEMAS[table].columns)
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE t ({columns})")
    connection.register("frame", frame)
    connection.execute("INSERT INTO t BY NAME SELECT * FROM frame")
    return connection.execute("SELECT * FROM t").fetchall()


# Every table, from its recorded answer and from an empty one


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_recorded_answer_gives_declared_columns_and_types(case):
    frame = case.from_fixture()

    assert len(frame) > 0
    assert list(frame.columns) == [column.name for column in TABLE_SCHEMAS[case.table].columns]
    assert_declared_types(frame, case.table)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_empty_answer_gives_empty_typed_frame(case):
    frame = case.build(copy.deepcopy(case.empty))

    assert frame.empty
    assert_declared_types(frame, case.table)
    pd.testing.assert_frame_equal(frame, empty_frame(case.table))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_frames_write_to_duckdb_with_declared_types(case):
    frame = case.from_fixture()

    assert duckdb_round_trip(frame, case.table) == python_rows(frame, case.table)
    assert duckdb_round_trip(case.build(copy.deepcopy(case.empty)), case.table) == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_transforms_leave_the_answer_untouched(case):
    body = recorded(case.fixture)
    if "podcastEpisodes" in body:
        body = body["podcastEpisodes"][0]
    before = copy.deepcopy(body)

    case.build(body)

    assert body == before


def test_every_declared_table_is_covered():
    assert sorted(TABLE_SCHEMAS) == sorted(CASE_IDS)


def test_every_column_has_a_duckdb_type_and_a_description():
    for schema in TABLE_SCHEMAS.values():
        for column in schema.columns:
            assert column.type in PANDAS_DTYPES
            assert column.description


# Values of the recorded answers


def rows_of(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return list(frame[list(columns)].itertuples(index=False, name=None))


def test_station_plays_per_day():
    frame = plays_table(recorded("anchorPlays"))

    assert rows_of(frame, "date", "plays") == [
        (pd.Timestamp("2023-05-01"), 9),
        (pd.Timestamp("2023-05-02"), 10),
        (pd.Timestamp("2023-05-03"), 13),
        (pd.Timestamp("2023-05-04"), 11),
    ]


def test_episode_plays_per_day():
    frame = episode_plays_table(recorded("anchorEpisodePlays"), EPISODE_ID)

    assert len(frame) == 14
    assert (frame["episode_id"] == EPISODE_ID).all()
    assert rows_of(frame.head(2), "date", "plays") == [
        (pd.Timestamp("2023-04-21"), 43),
        (pd.Timestamp("2023-04-22"), 8),
    ]
    assert frame["plays"].sum() == 112


def test_episode_performance_listeners_as_integers():
    frame = episode_performance_table(recorded("anchorEpisodePerformance"), EPISODE_ID)

    assert len(frame) == 2539
    assert rows_of(frame.head(1), "second", "listeners") == [(0, 13)]
    assert rows_of(frame.tail(1), "second", "listeners") == [(2538, 3)]
    assert frame["listeners"].dtype == "Int64"


def test_episode_aggregated_performance_is_one_wide_row():
    frame = episode_aggregated_performance_table(
        recorded("anchorEpisodeAggregatedPerformance"), EPISODE_ID
    )

    assert frame.to_dict("records") == [
        {
            "episode_id": EPISODE_ID,
            "percentile_25": 57.0,
            "percentile_50": 50.0,
            "percentile_75": 36.0,
            "percentile_100": 21.0,
            "average_listen_seconds": 1254.0,
        }
    ]


@pytest.mark.parametrize(
    ("fixture", "label_column", "first", "count"),
    [
        ("anchorPlaysByAgeRange", "age_range", ("0-17", 0.0), 7),
        ("anchorPlaysByApp", "app", ("Spotify", 0.6511627906976745), 5),
        ("anchorPlaysByDevice", "device", ("iPhone", 0.4186046511627907), 5),
        ("anchorPlaysByGender", "gender", ("Male", 0.6296296296296297), 4),
    ],
)
def test_shares_of_one_day(fixture, label_column, first, count):
    frame = share_table(recorded(fixture), DAY, label_column)

    assert len(frame) == count
    assert (frame["date"] == pd.Timestamp(DAY)).all()
    assert rows_of(frame.head(1), label_column, "share") == [first]
    assert frame["share"].dtype == "float64"


def test_many_days_of_shares_are_the_days_one_by_one_in_one_frame():
    # A backfill types all its days at once; the frame must be what the days give one by one,
    # an empty day and a day with a column the project does not know included.
    app = recorded("anchorPlaysByApp")
    with_extra = copy.deepcopy(app)
    with_extra["data"]["columnHeaders"].append({"name": "Streams Share", "type": "number"})
    for row in with_extra["data"]["rows"]:
        row.append(0.5)
    days = [date(2023, 5, 1), date(2023, 5, 2), date(2023, 5, 3)]
    bodies = [app, empty_rows(), with_extra]

    together = share_tables(zip(days, bodies), "app")
    one_by_one = pd.concat(
        [share_table(body, day, "app") for day, body in zip(days, bodies)], ignore_index=True
    )

    assert list(together["date"].dt.date) == [days[0]] * 5 + [days[2]] * 5
    assert together["streams_share"].isna().tolist() == [True] * 5 + [False] * 5
    assert together["streams_share"].dtype == "float64"
    pd.testing.assert_frame_equal(
        together[["date", "app", "share"]], one_by_one[["date", "app", "share"]]
    )
    no_day = share_tables([], "app")
    assert no_day.empty and list(no_day) == list(share_table(empty_rows(), DAY, "app"))


def test_age_range_shares_keep_zeros_as_floats():
    frame = share_table(recorded("anchorPlaysByAgeRange"), DAY, "age_range")
    shares = dict(rows_of(frame, "age_range", "share"))

    assert shares["23-27"] == pytest.approx(0.185185185)
    assert shares["0-17"] == 0.0 and isinstance(shares["0-17"], float)
    assert sum(shares.values()) == pytest.approx(1.0)


def test_plays_by_episode_resolves_titles_from_labels():
    frame = plays_by_episode_table(recorded("anchorPlaysByEpisode"))

    assert len(frame) == 12
    assert rows_of(frame.head(4), "date", "episode_title", "plays") == [
        (pd.Timestamp("2023-05-01"), "Title 0", 1),
        (pd.Timestamp("2023-05-01"), "Title 1", 1),
        (pd.Timestamp("2023-05-01"), "Title 2", 1),
        (pd.Timestamp("2023-05-02"), "Title 3", 3),
    ]
    assert rows_of(frame.tail(1), "date", "episode_title", "plays") == [
        (pd.Timestamp("2023-05-04"), "Title 7", 2)
    ]


@pytest.mark.parametrize(
    ("build", "fixture", "column", "value"),
    [
        (total_plays_table, "anchorTotalPlays", "plays", 1234),
        (unique_listeners_table, "anchorUniqueListeners", "listeners", 65),
        (audience_size_table, "anchorAudienceSize", "audience_size", 123),
    ],
)
def test_single_value_snapshots(build, fixture, column, value):
    frame = build(recorded(fixture), SNAPSHOT)

    assert rows_of(frame, "snapshot_date", column) == [(pd.Timestamp(SNAPSHOT), value)]


def test_total_plays_by_episode_reads_streams_and_downloads_as_plays():
    frame = total_plays_by_episode_table(recorded("anchorTotalPlaysByEpisode"), SNAPSHOT)

    assert frame.drop(columns="snapshot_date").to_dict("records") == [
        {
            "episode_id": 12345678,
            "episode_title": "Some title",
            "plays": 111,
            "published_at": pd.Timestamp("2022-06-03 06:30:52"),
            "rank": 1,
            "episode_uri": "spotify:episode:1cPUh123example",
        },
        {
            "episode_id": 98765432,
            "episode_title": "Some other title",
            "plays": 222,
            "published_at": pd.Timestamp("2022-02-25 09:00:00"),
            "rank": 2,
            "episode_uri": "spotify:episode:2dQVi456example",
        },
    ]


def test_plays_by_country():
    frame = plays_by_geo_table(recorded("anchorPlaysByGeo"), SNAPSHOT)

    assert len(frame) == 73
    assert rows_of(frame.head(2), "country", "share") == [
        ("Germany", 0.33),
        ("United States", 0.16),
    ]
    assert frame["country"].is_unique


def test_plays_by_region_of_one_country():
    frame = plays_by_geo_city_table(recorded("anchorPlaysByGeoCity"), "Germany", SNAPSHOT)

    assert len(frame) == 19
    assert (frame["country"] == "Germany").all()
    assert rows_of(frame.head(1), "region", "share") == [("Land Berlin", 0.38)]
    assert "Baden-Württemberg" in set(frame["region"])


def test_impressions_tables():
    tables = impressions_tables(recorded("anchorImpressions"), SNAPSHOT, WINDOW_START, WINDOW_END)

    assert tables["impressions"].to_dict("records") == [
        {
            "snapshot_date": pd.Timestamp(SNAPSHOT),
            "window_start": pd.Timestamp(WINDOW_START),
            "window_end": pd.Timestamp(WINDOW_END),
            "impressions": 30868,
        }
    ]
    daily = tables["daily_impressions"]
    assert len(daily) == 30
    assert rows_of(daily.head(2), "date", "impressions") == [
        (pd.Timestamp("2024-11-22"), 1145),
        (pd.Timestamp("2024-11-23"), 860),
    ]
    assert rows_of(daily.tail(1), "date", "impressions") == [(pd.Timestamp("2024-12-21"), 890)]
    assert daily["impressions"].sum() == 30868
    assert rows_of(tables["impressions_by_source"], "source_id", "source", "impressions") == [
        ("home", "Spotify Home", 9082),
        ("search", "Spotify Search", 20849),
        ("library", "Spotify Library", 936),
        ("other", "Other Spotify features", 1),
    ]


def test_impressions_funnel_has_no_conversion_for_its_first_stage():
    funnel = impressions_tables(recorded("anchorImpressions"), SNAPSHOT, WINDOW_START, WINDOW_END)[
        "impressions_funnel"
    ]

    assert rows_of(funnel, "stage", "count") == [
        ("impressions", 4571),
        ("considerations", 731),
        ("streams", 381),
    ]
    assert pd.isna(funnel["conversion_share"].iloc[0])
    assert list(funnel["conversion_share"].iloc[1:]) == [0.15992, 0.5212]


def test_episode_list_keeps_null_title_and_gives_seconds():
    frame = episode_list_table(recorded("anchorEpisodesPage"))

    assert list(frame["episode_id"]) == [68984665, 67347583]
    assert frame.loc[0, "title"] == "A nice long title for this episode"
    assert frame.loc[1, "title"] is None
    assert list(frame["duration_seconds"]) == [2539.933, 3211.018]
    assert frame.loc[0, "published_at"] == pd.Timestamp("2023-04-21 04:30:48")
    assert frame.loc[0, "created_at"] == pd.Timestamp("2023-04-20 15:10:12")
    assert list(frame["is_video_episode"]) == [True, True]
    assert frame["wordpress_post_metadata_id"].isna().all()
    # Items recorded before Spotify URIs were added to the list have none.
    assert frame["spotify_episode_uri"].isna().all()


def test_older_episode_shape_gives_publish_time_from_milliseconds():
    episode = recorded("anchorPodcastEpisode")["podcastEpisodes"][0]

    row = episode_metadata_table(episode, EPISODE_ID).iloc[0]

    assert row["published_at"] == pd.Timestamp("2023-04-21 04:30:48")
    assert row["created_at"] == pd.Timestamp("2023-04-20 15:10:12")
    assert row["web_episode_id"] == "e215pm4"
    assert row["audio_url"].endswith("6f1f1cdebd586.mp3")
    assert row["total_duration"] == 2539885
    assert row["hour_offset"] == -2
    assert row["is_published"] and not row["is_deleted"]
    assert row["web_station_id"] is None


# Crafted answers, one per quirk


def test_overview_shape_reads_first_audio_and_web_ids():
    overview = {
        "title": "Episode 12",
        "description": "<p>Notes</p>",
        "created": "2023-04-20T15:10:12.000Z",
        "createdUnixTimestamp": 1682003412,
        "publishOn": None,
        "publishOnUnixTimestamp": None,
        "totalDuration": 2539885,
        "hourOffset": 0,
        "isDeleted": False,
        "isPublished": False,
        "webEpisodeId": "e215pm4",
        "webStationId": "fb37d7a4",
        "episodeAudios": [{"url": "https://example.com/first.m4a"}, {"url": "second.m4a"}],
        "spotifyUrl": "https://open.spotify.com/episode/abc",
        "episodeImage": None,
        "shareLinkPath": "/show/episodes/e215pm4",
        "shareLinkEmbedPath": "/show/embed/episodes/e215pm4",
    }

    row = episode_metadata_table(overview, EPISODE_ID).iloc[0]

    assert row["audio_url"] == "https://example.com/first.m4a"
    assert row["web_station_id"] == "fb37d7a4"
    assert row["spotify_url"] == "https://open.spotify.com/episode/abc"
    assert pd.isna(row["published_at"])  # scheduled: null stays null, no fallback
    assert row["created_at"] == pd.Timestamp("2023-04-20 15:10:12")


def test_overview_reads_iso_times_when_unix_times_are_absent():
    overview = {"title": "Old", "created": "2023-04-20T17:10:12+02:00", "episodeAudios": []}

    row = episode_metadata_table(overview, EPISODE_ID).iloc[0]

    assert row["created_at"] == pd.Timestamp("2023-04-20 15:10:12")
    assert row["audio_url"] is None


def test_scheduled_episode_has_no_publish_time_or_download():
    item = {"episodeId": "7", "title": "Soon", "publishOnUnixTimestamp": None, "downloadUrl": None}

    frame = episode_list_table([item])

    assert frame.loc[0, "episode_id"] == 7
    assert pd.isna(frame.loc[0, "published_at"])
    assert frame.loc[0, "download_url"] is None
    assert pd.isna(frame.loc[0, "duration_seconds"])
    assert pd.isna(frame.loc[0, "is_trailer"])


def test_older_total_plays_by_episode_without_episode_uri():
    body = answer(
        [
            ("Episode Title", "string"),
            ("Episode ID", "integer"),
            ("Plays", "integer"),
            {"name": "Publish Time (UTC)", "type": "integer", "isDateTime": True},
            ("Rank", "integer"),
        ],
        [["Some title", 12345678, 111, 1654237852, 1]],
    )

    frame = total_plays_by_episode_table(body, SNAPSHOT)

    assert_declared_types(frame, "total_plays_by_episode")
    assert rows_of(frame, "episode_id", "plays", "rank") == [(12345678, 111, 1)]
    assert frame.loc[0, "episode_uri"] is None


def test_reordered_columns_are_read_by_header_name():
    recorded_body = recorded("anchorTotalPlaysByEpisode")
    headers = recorded_body["data"]["columnHeaders"]
    order = [5, 2, 0, 4, 3, 1]
    body = answer(
        [headers[i] for i in order],
        [[row[i] for i in order] for row in recorded_body["data"]["rows"]],
    )

    pd.testing.assert_frame_equal(
        total_plays_by_episode_table(body, SNAPSHOT),
        total_plays_by_episode_table(recorded_body, SNAPSHOT),
    )


def test_unknown_columns_are_kept_after_the_declared_ones_and_typed_by_header():
    body = answer(
        [
            ("Listeners (Spotify)", "integer"),
            ("Time (UTC)", "integer"),
            ("Plays", "integer"),
            ("Completion Rate", "number"),
            ("Note", "string"),
            {"name": "Last Update", "type": "integer", "isDateTime": True},
            ("Broken Count", "integer"),
        ],
        [[4, 1682899200, 9, "0.5", None, 1683158400, "n/a"], [5, 1682985600, 10, 1, "x", None, 3]],
    )

    frame = plays_table(body)

    assert list(frame.columns) == [
        "date",
        "plays",
        "listeners_spotify",
        "completion_rate",
        "note",
        "last_update",
        "broken_count",
    ]
    assert_declared_types(frame, "plays")
    assert list(frame["listeners_spotify"]) == [4, 5]
    assert frame["listeners_spotify"].dtype == "Int64"
    assert list(frame["completion_rate"]) == [0.5, 1.0]
    assert list(frame["note"]) == [None, "x"]
    assert frame.loc[0, "last_update"] == pd.Timestamp("2023-05-04")
    # Values that do not fit the header's type are kept as text rather than failing the run.
    assert list(frame["broken_count"]) == ["n/a", "3"]


def test_a_header_seen_twice_keeps_both_columns():
    body = answer(
        [("Time (UTC)", "integer"), ("Streams & Downloads", "integer"), ("Plays", "integer")],
        [[1682899200, 9, 7]],
    )

    frame = plays_table(body)

    assert rows_of(frame, "plays", "plays_2") == [(9, 7)]


def test_missing_declared_column_is_all_null():
    body = answer([("Sample", "integer")], [[0], [1]])

    frame = episode_performance_table(body, EPISODE_ID)

    assert_declared_types(frame, "episode_performance")
    assert list(frame["second"]) == [0, 1]
    assert frame["listeners"].isna().all()


def test_numbers_as_strings_and_nulls():
    body = answer(
        [("Time (UTC)", "integer"), ("Plays", "integer")],
        [["1682899200", "9"], [1682985600, None], [1683072000, 0]],
    )

    frame = plays_table(body)

    assert list(frame["date"]) == list(pd.to_datetime(["2023-05-01", "2023-05-02", "2023-05-03"]))
    assert frame.loc[0, "plays"] == 9
    assert frame.loc[1, "plays"] is pd.NA
    assert frame.loc[2, "plays"] == 0


def test_aggregated_performance_with_null_and_unknown_metric():
    body = answer(
        [("Metric", "string"), ("Value", "integer")],
        [["percentile25", "57"], ["averageListenSeconds", None], ["medianListenSeconds", "900"]],
    )

    frame = episode_aggregated_performance_table(body, EPISODE_ID)

    assert len(frame) == 1
    assert frame.loc[0, "percentile_25"] == 57.0
    assert pd.isna(frame.loc[0, "average_listen_seconds"])
    assert pd.isna(frame.loc[0, "percentile_100"])
    assert frame.columns[-1] == "median_listen_seconds"
    assert frame["median_listen_seconds"].dtype == "float64"
    assert frame.loc[0, "median_listen_seconds"] == 900.0


def test_all_integer_shares_are_floats():
    body = answer(
        [("Gender", "string"), ("Percent of Plays", "number")], [["Male", 1], ["Female", 0]]
    )

    frame = share_table(body, DAY, "gender")

    assert frame["share"].dtype == "float64"
    assert list(frame["share"]) == [1.0, 0.0]


def test_plays_by_episode_accepts_integer_label_indexes():
    body = answer(
        [
            ("Time (UTC)", "integer"),
            {"labelKey": "EpisodeTitle", "type": "string"},
            ("Plays", "integer"),
        ],
        [[1682899200, 0, 4]],
        labels={"EpisodeTitle": {"0": "Pilot"}},
    )

    assert rows_of(plays_by_episode_table(body), "episode_title", "plays") == [("Pilot", 4)]


def test_milliseconds_are_recognised_where_seconds_are_expected():
    body = answer(
        [("Time (UTC)", "integer"), ("Plays", "integer")],
        [[1682899200000, 1], [1682899200, 2]],
    )

    assert list(plays_table(body)["date"]) == [pd.Timestamp("2023-05-01")] * 2


def test_impressions_without_funnel_give_an_empty_funnel():
    body = impressions_answer(5, [{"date": 1732233600, "value": "5"}], [])

    tables = impressions_tables(body, SNAPSHOT, WINDOW_START, WINDOW_END)

    assert tables["impressions_funnel"].empty
    assert_declared_types(tables["impressions_funnel"], "impressions_funnel")
    assert rows_of(tables["daily_impressions"], "date", "impressions") == [
        (pd.Timestamp("2024-11-22"), 5)
    ]


def test_parameters_are_never_read():
    body = recorded("anchorPlaysByGeoCity")
    garbage = copy.deepcopy(body)
    garbage["parameters"] = {"timeRange": "nonsense", "resultGeo": None}

    pd.testing.assert_frame_equal(
        plays_by_geo_city_table(garbage, "Germany", SNAPSHOT),
        plays_by_geo_city_table(body, "Germany", SNAPSHOT),
    )


# Answers of the wrong shape


@pytest.mark.parametrize(
    ("build", "body", "message"),
    [
        (plays_table, [], "plays answer is a list"),
        (plays_table, {"kind": "plays"}, "has no `data` object"),
        (plays_table, {"data": {"columnHeaders": []}}, "has no `data.rows` list"),
        (plays_table, {"data": {"rows": [[1, 2]]}}, "no `data.columnHeaders`"),
        (plays_table, answer([("Plays", "integer")], [[1, 2]]), "row 1 = [1, 2]"),
        (plays_table, answer([("Plays", "integer")], [5]), "row 1 = 5"),
        (plays_table, answer([{"type": "integer"}], [[1]]), "column header without a name"),
        (plays_table, answer([("Plays", "integer")], [["many"]]), "column `plays`"),
        (plays_table, answer([("Plays", "integer")], [[1.5]]), "not a BIGINT"),
        (
            plays_table,
            answer([("Time (UTC)", "integer"), ("Plays", "integer")], [["someday", 1]]),
            "column `date`",
        ),
        (
            plays_by_episode_table,
            answer([{"labelKey": "EpisodeTitle"}], [["9"]], labels={"EpisodeTitle": {}}),
            "no `data.labels.EpisodeTitle` entry for ['9']",
        ),
        (
            plays_by_episode_table,
            answer([{"labelKey": "EpisodeTitle"}], [["9"]]),
            "has no `data.labels.EpisodeTitle`",
        ),
        (
            lambda body: total_plays_table(body, SNAPSHOT),
            {"data": {"rows": [1, 2]}},
            "totalPlays answer holds 2 values",
        ),
        (
            lambda body: unique_listeners_table(body, SNAPSHOT),
            {"data": {"rows": [[65]]}},
            "uniqueListeners answer holds [65]",
        ),
        (
            lambda body: episode_aggregated_performance_table(body, 1),
            answer([("Name", "string"), ("Value", "integer")], [["percentile25", 1]]),
            "has no Metric and Value columns",
        ),
        (
            lambda body: episode_aggregated_performance_table(body, 1),
            answer([("Metric", "string"), ("Value", "integer")], [["a", 1], ["a", 2]]),
            "names a metric twice",
        ),
        (episode_list_table, {"items": []}, "episodePage answer has episode items that are not"),
        (episode_list_table, [["e1"]], "episode items that are not a list of JSON objects"),
        (lambda body: episode_metadata_table(body, 1), [], "episode overview answer is a list"),
        (
            lambda body: episode_metadata_table(body, 1),
            {"episodeAudios": "x.mp3"},
            "`episodeAudios` that is not a list",
        ),
    ],
)
def test_wrong_shapes_raise_a_helpful_error(build, body, message):
    with pytest.raises(AnswerShapeError) as raised:
        build(body)

    assert message in str(raised.value)
    assert "API may have changed" in str(raised.value)


def test_share_table_refuses_an_unknown_label_column():
    with pytest.raises(ValueError, match="label_column"):
        share_table(empty_rows(), DAY, "country")


def impressions_with(part: str, replacement: Any) -> dict:
    body = recorded("anchorImpressions")
    if replacement is None:
        del body[part]
    else:
        body[part] = replacement
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            impressions_with("dailyImpressions", {"data": None, "error": {"status": 500}}),
            "reports an error for `dailyImpressions`: {'status': 500}",
        ),
        (
            impressions_with("impressionsFunnel", {"data": None, "error": "timeout"}),
            "reports an error for `impressionsFunnel`",
        ),
        (impressions_with("impressions", {"error": None}), "no `data` object in its `impressions`"),
        (impressions_with("impressionsBySource", None), "has no `impressionsBySource` part"),
        (
            impressions_with("impressions", {"data": {"value": [1]}, "error": None}),
            "has a total of [1]",
        ),
        (
            impressions_with("dailyImpressions", {"data": {"value": {"a": 1}}, "error": None}),
            "`dailyImpressions` values that are not a list",
        ),
        ([], "impressions answer is a list"),
    ],
)
def test_impressions_errors_are_never_turned_into_empty_data(body, message):
    with pytest.raises(AnswerShapeError) as raised:
        impressions_tables(body, SNAPSHOT, WINDOW_START, WINDOW_END)

    assert message in str(raised.value)


def test_a_reported_error_says_nothing_was_stored():
    body = impressions_with("dailyImpressions", {"data": None, "error": "boom"})

    with pytest.raises(AnswerShapeError, match="none are stored for this window"):
        impressions_tables(body, SNAPSHOT, WINDOW_START, WINDOW_END)


def test_timestamps_are_utc_and_naive():
    frame = episode_list_table([{"episodeId": 1, "publishOnUnixTimestamp": 0}])

    assert frame.loc[0, "published_at"] == pd.Timestamp(datetime(1970, 1, 1))
    assert frame["published_at"].dt.tz is None
