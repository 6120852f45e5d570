"""The sandbox API keeps the contract the client is written against, over real HTTP."""

import base64
import ctypes
import http.client
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from anchor_assets.sandbox import (
    SANDBOX_COOKIE,
    SANDBOX_STATION_ID,
    SANDBOX_WEBSTATION_ID,
    FictionalShow,
    SandboxServer,
)
from anchor_assets.sandbox.catalogue import DRAFT, SCHEDULED
from anchor_assets.sandbox.server import API_PREFIX

S = SANDBOX_STATION_ID
RECORDED = Path(__file__).parent / "fixtures" / "anchor"
DAY = timedelta(days=1)
EPISODE_FIELDS = {
    "episodeId", "webEpisodeId", "title", "publishOnUnixTimestamp", "createdUnixTimestamp",
    "shareLinkPath", "shareLinkEmbedPath", "downloadUrl", "totalPlays", "duration", "adCount",
    "containsMusicSegments", "isPublishedToSpotifyExclusively", "wordpressPostMetadataId",
    "isTrailer", "isVideoEpisode", "audioCount", "spotifyEpisodeUri", "spotifyShowUri",
}  # fmt: skip
NEXT_PATTERN = re.compile(
    rf"/v3/stations/{S}/episodePage\?orderBy=publishOn&limit=(\d+)&pageToken=([^&]+)"
)


def midnight(day: date) -> int:
    # Worked out here rather than imported from the sandbox, so that a mistake there shows.
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def get(sandbox, path, cookie=SANDBOX_COOKIE, mums=True, **params):
    if mums:
        params = {"isMumsCompatible": "true", **params}
    headers = {"Cookie": f"anchorpw_s={cookie}"} if cookie else {}
    return requests.get(f"{sandbox.base_url}/{path}", params=params, headers=headers, timeout=10)


def ok(sandbox, path, **params) -> dict:
    response = get(sandbox, path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def days_range(first: date, last: date) -> dict:
    return {"timeRangeStart": midnight(first), "timeRangeEnd": midnight(last)}


def impressions_query(start, end) -> str:
    window = {"version": "1.0", "startTime": start, "endTime": end}
    figures = ["impressions", "dailyImpressions", "impressionsBySource"]
    query = {"include": figures, "options": {figure: dict(window) for figure in figures}}
    return base64.b64encode(json.dumps(query, separators=(",", ":")).encode()).decode()


def unpublished(show, status):
    return next(episode for episode in show.episodes if episode.status == status)


# Access


@pytest.mark.parametrize("cookie", [None, "not-the-sandbox-cookie"])
def test_a_missing_or_wrong_cookie_is_refused_with_401(sandbox, cookie):
    response = get(sandbox, f"analytics/station/{S}/totalPlays", cookie=cookie)

    assert response.status_code == 401
    assert "error" in response.json()
    assert "not-the-sandbox-cookie" not in response.text


def test_without_is_mums_compatible_the_station_is_refused_with_403(sandbox):
    response = get(sandbox, f"analytics/station/{S}/totalPlays", mums=False)

    assert response.status_code == 403
    assert response.json() == {"error": "user does not own station"}


@pytest.mark.parametrize(
    "path",
    [
        "analytics/station/1234/totalPlays",
        "stations/webStationId:ffffffff/episodePage",
        "analytics/episode/1234/performance",
        "episodes/1234/overview",
        "analytics/station/4242424/noSuchFigure",
        "no/such/path",
    ],
)
def test_unknown_stations_episodes_and_paths_are_404(sandbox, path):
    response = get(sandbox, path)

    assert response.status_code == 404
    assert response.json()["error"]


# Shapes of the recorded answers


def recent(show) -> dict:
    return days_range(show.today - 5 * DAY, show.today - 2 * DAY)


def recent_top_three(show) -> dict:
    return {**recent(show), "limit": 3}


def countries(show) -> dict:
    return {"resultGeo": "geo2", "limit": 200}


def german_regions(show) -> dict:
    return {"resultGeo": "geo3", "geo2": "Germany", "limit": 200}


def no_params(show) -> dict:
    return {}


STATION, EPISODE = "analytics/station/{S}", "analytics/episode/{E}"
SHAPES = [
    ("anchorPlays", f"{STATION}/plays", recent),
    ("anchorPlaysByAgeRange", f"{STATION}/playsByAgeRange", recent),
    ("anchorPlaysByApp", f"{STATION}/playsByApp", recent),
    ("anchorPlaysByDevice", f"{STATION}/playsByDevice", recent),
    ("anchorPlaysByGender", f"{STATION}/playsByGender", recent),
    ("anchorPlaysByEpisode", f"{STATION}/playsByEpisode", recent_top_three),
    ("anchorPlaysByGeo", f"{STATION}/playsByGeo", countries),
    ("anchorPlaysByGeoCity", f"{STATION}/playsByGeo", german_regions),
    ("anchorTotalPlays", f"{STATION}/totalPlays", no_params),
    ("anchorTotalPlaysByEpisode", f"{STATION}/totalPlaysByEpisode", no_params),
    ("anchorUniqueListeners", f"{STATION}/uniqueListeners", no_params),
    ("anchorAudienceSize", f"{STATION}/audienceSize", no_params),
    ("anchorEpisodePlays", f"{EPISODE}/plays", recent),
    ("anchorEpisodePerformance", f"{EPISODE}/performance", no_params),
    ("anchorEpisodeAggregatedPerformance", f"{EPISODE}/aggregatedPerformance", no_params),
]


def cell_kinds(row) -> tuple[str, ...]:
    cells = row if isinstance(row, list) else [row]
    return tuple("text" if isinstance(cell, str) else "number" for cell in cells)


@pytest.mark.parametrize(("recording", "path", "params"), SHAPES, ids=[s[0] for s in SHAPES])
def test_answers_are_shaped_like_the_recorded_ones(sandbox, recording, path, params):
    recorded = json.loads((RECORDED / f"{recording}.json").read_text())["data"]
    episode_id = sandbox.show.published_episodes[0].episode_id

    answer = ok(sandbox, path.format(S=S, E=episode_id), **params(sandbox.show))

    assert answer.keys() == recorded.keys()
    assert answer["kind"] == recorded["kind"]
    assert answer.get("parameters", {}).keys() == recorded.get("parameters", {}).keys()
    assert answer["data"].keys() == recorded["data"].keys()
    assert answer["data"]["columnHeaders"] == recorded["data"]["columnHeaders"]
    recorded_rows, rows = recorded["data"]["rows"], answer["data"]["rows"]
    assert {cell_kinds(row) for row in rows} == {cell_kinds(row) for row in recorded_rows}


def test_impressions_are_shaped_like_the_recorded_ones(sandbox):
    recorded = json.loads((RECORDED / "anchorImpressions.json").read_text())["data"]
    end = midnight(sandbox.show.today - DAY)

    answer = ok(sandbox, f"analytics/station/{S}", query=impressions_query(end - 29 * 86400, end))

    assert answer.keys() == recorded.keys()
    for figure, entry in recorded.items():
        assert answer[figure].keys() == entry.keys()
        assert answer[figure]["data"].keys() == entry["data"].keys()
    for figure in ("dailyImpressions", "impressionsBySource"):
        recorded_keys = {tuple(item) for item in recorded[figure]["data"]["value"]}
        assert {tuple(item) for item in answer[figure]["data"]["value"]} == recorded_keys
    recorded_steps = recorded["impressionsFunnel"]["data"]["value"]["counts"]
    steps = answer["impressionsFunnel"]["data"]["value"]["counts"]
    assert [step.keys() for step in steps] == [step.keys() for step in recorded_steps]


def test_episode_items_hold_every_field_of_the_recorded_ones(sandbox):
    recorded = json.loads((RECORDED / "anchorEpisodesPage.json").read_text())["data"]

    page = ok(sandbox, f"stations/{S}/episodePage", limit="50", orderBy="publishOn")

    for item in page["items"]:
        assert set(recorded[0]) <= set(item) == EPISODE_FIELDS


# Episode list


def test_episode_pages_follow_next_to_the_end_and_list_every_episode_once(sandbox):
    show = sandbox.show
    path = f"stations/webStationId:{SANDBOX_WEBSTATION_ID}/episodePage"
    params = {"limit": "7", "orderBy": "publishOn"}
    pages = []
    while True:
        page = ok(sandbox, path, **params)
        pages.append(page)
        if page["next"] is None:
            break
        limit, token = NEXT_PATTERN.fullmatch(page["next"]).groups()
        assert parse_qs(urlsplit(page["next"]).query)["pageToken"] == [token]
        path = f"stations/{S}/episodePage"
        params = {"limit": limit, "orderBy": "publishOn", "pageToken": token}

    items = [item for page in pages for item in page["items"]]
    assert len(pages) == math.ceil(len(show.episodes) / 7)
    assert all(page["stationId"] == S for page in pages)
    assert [item["episodeId"] for item in items] == [e.episode_id for e in show.episodes]
    assert all(set(item) == EPISODE_FIELDS for item in items)
    newest_first = [i["publishOnUnixTimestamp"] for i in items if i["publishOnUnixTimestamp"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_a_page_that_ends_the_list_exactly_has_no_next(sandbox):
    count = len(sandbox.show.episodes)

    page = ok(sandbox, f"stations/{S}/episodePage", limit=str(count), orderBy="publishOn")

    assert len(page["items"]) == count
    assert page["next"] is None


def test_episode_page_caps_the_limit_at_50_and_refuses_an_unknown_token():
    show = FictionalShow(today=date(2025, 3, 1), episode_count=60)
    with SandboxServer(show) as sandbox:
        page = ok(sandbox, f"stations/{S}/episodePage", limit="500", orderBy="publishOn")
        refused = get(sandbox, f"stations/{S}/episodePage", limit="5", pageToken="nonsense")

    assert len(page["items"]) == 50
    assert NEXT_PATTERN.fullmatch(page["next"]).group(1) == "50"
    assert refused.status_code == 400
    assert refused.json()["parameter"] == "pageToken"


def test_drafts_and_scheduled_episodes_carry_their_nulls_and_have_no_analytics(sandbox):
    show = sandbox.show
    page = ok(sandbox, f"stations/{S}/episodePage", limit="5", orderBy="publishOn")
    draft, scheduled = unpublished(show, DRAFT), unpublished(show, SCHEDULED)
    items = {item["episodeId"]: item for item in page["items"]}

    assert items[draft.episode_id]["title"] is None
    assert items[draft.episode_id]["publishOnUnixTimestamp"] is None
    assert items[scheduled.episode_id]["publishOnUnixTimestamp"] is None
    assert items[scheduled.episode_id]["downloadUrl"] is None
    for episode in (draft, scheduled):
        for figure in ("plays", "performance", "aggregatedPerformance"):
            answer = ok(sandbox, f"analytics/episode/{episode.episode_id}/{figure}")
            assert answer["data"]["rows"] == []


# Plays per day


def test_station_plays_have_one_row_per_day_from_first_to_last_day(sandbox):
    show = sandbox.show
    first, last = show.today - 20 * DAY, show.today - 10 * DAY
    asked = {**days_range(first, last), "timeInterval": 86400}

    answer = ok(sandbox, f"analytics/station/{S}/plays", **asked)

    rows = answer["data"]["rows"]
    assert rows[0] == [midnight(first), show.station_plays(first)]
    assert rows[-1] == [midnight(last), show.station_plays(last)]
    assert [day for day, _ in rows] == [midnight(first + n * DAY) for n in range(11)]
    assert answer["parameters"]["timeRange"] == [midnight(first), midnight(last)]
    assert answer["data"]["columnHeaders"][0]["isDateTime"] is True


def test_a_range_between_midnights_holds_the_days_whose_midnight_it_holds(sandbox):
    # The recorded answers asked from 22:00 UTC (a local midnight): a <= d <= b decides.
    show = sandbox.show
    first, last = show.today - 9 * DAY, show.today - 6 * DAY
    params = {"timeRangeStart": midnight(first) - 7200, "timeRangeEnd": midnight(last) + 3600}

    rows = ok(sandbox, f"analytics/station/{S}/plays", **params)["data"]["rows"]

    assert [day for day, _ in rows] == [midnight(first + n * DAY) for n in range(4)]


def test_rows_start_with_the_show_and_end_today_with_incomplete_recent_days(sandbox):
    show = sandbox.show
    asked = days_range(show.first_day - 5 * DAY, show.today + 5 * DAY)

    rows = ok(sandbox, f"analytics/station/{S}/plays", **asked)["data"]["rows"]

    assert rows[0][0] == midnight(show.first_day)
    assert rows[-1] == [midnight(show.today), show.station_plays(show.today)]
    assert len(rows) == (show.today - show.first_day).days + 1
    two_days_ago = show.today - 2 * DAY
    assert show.station_plays(two_days_ago) == show.station_plays(two_days_ago, final=True)
    for day, fraction in ((show.today, 0.3), (show.today - DAY, 0.7)):
        final = show.station_plays(day, final=True)
        assert show.station_plays(day) < final
        # Each episode's figure is rounded on its own: off by half a play per episode at most.
        assert abs(show.station_plays(day) - fraction * final) <= len(show.episodes) / 2


def test_station_plays_are_the_sum_of_the_episodes_plays(sandbox):
    show = sandbox.show
    day = show.today - 4 * DAY

    answer = ok(sandbox, f"analytics/station/{S}/playsByEpisode", **days_range(day, day))

    served = sum(plays for _, _, plays in answer["data"]["rows"])
    assert served == show.station_plays(day)
    assert served == sum(show.episode_plays(e.episode_id, day) for e in show.episodes)


def test_plays_by_episode_gives_the_top_episodes_of_each_day_with_their_titles(sandbox):
    show = sandbox.show
    first, last = show.today - 6 * DAY, show.today - 2 * DAY
    asked = {**days_range(first, last), "limit": 3}

    answer = ok(sandbox, f"analytics/station/{S}/playsByEpisode", **asked)

    titles = answer["data"]["labels"]["EpisodeTitle"]
    rows = answer["data"]["rows"]
    for n in range(5):
        day = first + n * DAY
        served = [(titles[index], plays) for ts, index, plays in rows if ts == midnight(day)]
        expected = [(show.episode(i).title, plays) for i, plays in show.plays_by_episode(day, 3)]
        assert served == expected
        assert len(served) == 3
    assert answer["parameters"]["limit"] == 3
    assert all(isinstance(index, str) for _, index, _ in rows)


def test_episode_plays_honour_the_range_and_start_on_the_publish_day(sandbox):
    show = sandbox.show
    episode = show.published_episodes[0]
    first, last = episode.publish_day - 3 * DAY, show.today - DAY
    path = f"analytics/episode/{episode.episode_id}/plays"

    answer = ok(sandbox, path, **days_range(first, last), timeInterval=86400)

    rows = answer["data"]["rows"]
    published = episode.publish_day
    assert answer["episodeId"] == episode.episode_id
    assert rows[0] == [midnight(published), show.episode_plays(episode.episode_id, published)]
    assert rows[-1][0] == midnight(last)
    assert rows == [
        [midnight(published + n * DAY), show.episode_plays(episode.episode_id, published + n * DAY)]
        for n in range((last - published).days + 1)
    ]


def test_episode_plays_without_a_range_come_in_14_day_buckets(sandbox):
    show = sandbox.show
    episode = show.published_episodes[5]

    answer = ok(sandbox, f"analytics/episode/{episode.episode_id}/plays")

    days = [day for day, _ in answer["data"]["rows"]]
    assert days[0] == midnight(episode.publish_day)
    assert {later - earlier for earlier, later in zip(days, days[1:])} == {14 * 86400}
    total = show.episode_total_plays(episode.episode_id)
    assert sum(plays for _, plays in answer["data"]["rows"]) == total
    assert answer["parameters"]["timeInterval"] == 14 * 86400


def test_weekly_episode_plays_add_up_the_daily_ones(sandbox):
    show = sandbox.show
    episode = show.published_episodes[1]
    asked = days_range(episode.publish_day, episode.publish_day + 20 * DAY)
    path = f"analytics/episode/{episode.episode_id}/plays"

    daily = ok(sandbox, path, **asked, timeInterval=86400)["data"]["rows"]
    weekly = ok(sandbox, path, **asked, timeInterval=604800)["data"]["rows"]

    assert [day for day, _ in weekly] == [day for day, _ in daily[::7]]
    assert [plays for _, plays in weekly] == [
        sum(plays for _, plays in daily[week : week + 7]) for week in (0, 7, 14)
    ]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"timeRangeStart": "yesterday", "timeRangeEnd": "1700000000"}, "timeRangeStart"),
        ({"timeRangeStart": "1700000000"}, "timeRangeEnd"),
        ({"timeRangeStart": "1700086400", "timeRangeEnd": "1700000000"}, "timeRangeEnd"),
        ({"timeRangeStart": "1.5e9", "timeRangeEnd": "1700000000"}, "timeRangeStart"),
        (
            {"timeRangeStart": "1700000000", "timeRangeEnd": "1700000000", "timeInterval": "3600"},
            "timeInterval",
        ),
    ],
)
def test_malformed_time_parameters_are_refused_with_400_naming_them(sandbox, params, parameter):
    response = get(sandbox, f"analytics/station/{S}/plays", **params)

    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert parameter in response.json()["error"]


# Audience shares


@pytest.mark.parametrize(
    ("figure", "kind", "label"),
    [
        ("playsByAgeRange", "age_range", "Age Range"),
        ("playsByGender", "gender", "Gender"),
    ],
)
def test_age_and_gender_shares_are_whole_distributions(sandbox, figure, kind, label):
    show = sandbox.show
    first, last = show.today - 30 * DAY, show.today

    answer = ok(sandbox, f"analytics/station/{S}/{figure}", **days_range(first, last))

    shares = dict(answer["data"]["rows"])
    assert shares == show.shares(kind, first, last)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert 0 in shares.values()  # zero entries are listed, as in the real answers
    assert answer["data"]["columnHeaders"][0] == {"name": label, "type": "string"}
    assert answer["data"]["translationMapping"] == {name: name for name in shares}
    assert set(answer["data"]["colors"]) == set(shares)


@pytest.mark.parametrize(("figure", "kind"), [("playsByApp", "app"), ("playsByDevice", "device")])
def test_app_and_device_shares_leave_out_small_entries(sandbox, figure, kind):
    show = sandbox.show
    first, last = show.today - 30 * DAY, show.today

    answer = ok(sandbox, f"analytics/station/{S}/{figure}", **days_range(first, last))

    shares = dict(answer["data"]["rows"])
    assert shares == show.shares(kind, first, last)
    assert 0.9 < sum(shares.values()) < 1.0
    assert min(shares.values()) >= 0.02
    assert answer["parameters"]["minValue"] == 0.02


def test_a_windows_shares_are_the_plays_weighted_mean_of_its_days(sandbox):
    show = sandbox.show
    first, last = show.today - 8 * DAY, show.today - 7 * DAY
    weights = [show.station_plays(first), show.station_plays(last)]
    daily = [show.shares("gender", day, day) for day in (first, last)]

    answer = ok(sandbox, f"analytics/station/{S}/playsByGender", **days_range(first, last))

    for label, share in answer["data"]["rows"]:
        mean = (weights[0] * daily[0][label] + weights[1] * daily[1][label]) / sum(weights)
        assert share == pytest.approx(mean)


def test_a_window_without_plays_gives_empty_rows_and_time_range(sandbox):
    show = sandbox.show
    before = show.first_day - 10 * DAY

    answer = ok(sandbox, f"analytics/station/{S}/playsByGender", **days_range(before, before))

    assert answer["data"]["rows"] == []
    assert answer["parameters"]["timeRange"] == []
    assert answer["data"]["translationMapping"] == {}


# Current values


def test_current_values_agree_with_each_other(sandbox):
    show = sandbox.show

    total = ok(sandbox, f"analytics/station/{S}/totalPlays")
    by_episode = ok(sandbox, f"analytics/station/{S}/totalPlaysByEpisode")
    listeners = ok(sandbox, f"analytics/station/{S}/uniqueListeners")
    audience = ok(sandbox, f"analytics/station/{S}/audienceSize")

    rows = by_episode["data"]["rows"]
    headers = [header["name"] for header in by_episode["data"]["columnHeaders"]]
    assert total["data"]["rows"] == [show.total_plays()]
    assert sum(row[2] for row in rows) == show.total_plays()
    assert headers[2] == "Streams & Downloads" and headers[5] == "Episode URI"
    assert [row[4] for row in rows] == list(range(1, len(show.published_episodes) + 1))
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), reverse=True)
    top = show.episode(rows[0][1])
    assert rows[0][:2] == [top.title, top.episode_id]
    assert rows[0][3:] == [top.publish_at, 1, top.spotify_episode_uri]
    assert listeners["data"]["rows"] == [show.unique_listeners()] != [show.total_plays()]
    assert audience["data"]["rows"] == [show.audience_size()]


def test_countries_and_the_regions_of_a_country(sandbox):
    show = sandbox.show
    path = f"analytics/station/{S}/playsByGeo"

    countries = ok(sandbox, path, resultGeo="geo2", limit=200)
    regions = ok(sandbox, path, resultGeo="geo3", geo2="Germany", limit=200)
    nowhere = ok(sandbox, path, resultGeo="geo3", geo2="Atlantis", limit=200)
    top_five = ok(sandbox, path, resultGeo="geo2", limit=5)
    no_country = get(sandbox, path, resultGeo="geo3", limit=200)

    shares = dict(countries["data"]["rows"])
    assert shares == show.countries()
    assert len(shares) >= 20
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.03)
    assert all(share == round(share, 2) for share in shares.values() if share >= 0.01)
    assert dict(regions["data"]["rows"]) == show.regions("Germany")
    assert "Bavaria" in dict(regions["data"]["rows"])
    assert nowhere["data"]["rows"] == []
    assert top_five["data"]["rows"] == countries["data"]["rows"][:5]
    assert no_country.status_code == 400 and no_country.json()["parameter"] == "geo2"


# Impressions


def test_impressions_of_a_29_day_window(sandbox):
    show = sandbox.show
    first, end = show.today - 40 * DAY, midnight(show.today - 11 * DAY)

    answer = ok(sandbox, f"analytics/station/{S}", query=impressions_query(midnight(first), end))

    daily = answer["dailyImpressions"]["data"]["value"]
    assert [entry["date"] for entry in daily] == [midnight(first + n * DAY) for n in range(29)]
    assert daily[0]["value"] == show.daily_impressions(first)
    total = answer["impressions"]["data"]["value"]
    assert total == sum(entry["value"] for entry in daily) > 0
    sources = answer["impressionsBySource"]["data"]["value"]
    assert sum(source["value"] for source in sources) == total
    assert {source["id"] for source in sources} == {"home", "search", "library", "other"}
    funnel = answer["impressionsFunnel"]["data"]["value"]["counts"]
    assert [step["id"] for step in funnel] == ["impressions", "considerations", "streams"]
    assert answer["impressions"]["error"] is None


def test_impressions_of_the_last_two_days_are_not_in_yet(sandbox):
    end = midnight(sandbox.show.today + DAY)

    answer = ok(sandbox, f"analytics/station/{S}", query=impressions_query(end - 29 * 86400, end))

    dates = [entry["date"] for entry in answer["dailyImpressions"]["data"]["value"]]
    assert dates[-1] == midnight(sandbox.show.today - 2 * DAY)
    assert len(dates) == 27


def test_impressions_take_times_written_as_whole_floats(sandbox):
    """The reference client writes 1700006400.0: the same JSON number as 1700006400."""
    end = midnight(sandbox.show.today - 11 * DAY)
    as_ints = impressions_query(end - 29 * 86400, end)
    as_floats = impressions_query(float(end - 29 * 86400), float(end))

    assert as_floats != as_ints
    assert ok(sandbox, f"analytics/station/{S}", query=as_floats) == ok(
        sandbox, f"analytics/station/{S}", query=as_ints
    )


@pytest.mark.parametrize(
    "query",
    [
        impressions_query(1_700_006_400, 1_700_006_400 + 28 * 86400),  # 28 days
        impressions_query(1_700_006_400.5, 1_700_006_400.5 + 29 * 86400),  # not whole seconds
        impressions_query("1700006400", "1702512000"),  # text, not numbers
        impressions_query(1_700_006_400 + 1800, 1_700_006_400 + 1800 + 29 * 86400),  # half hour
        "not base64!",
        base64.b64encode(b'{"include": ["impressions"]}').decode(),  # no options
    ],
)
def test_impressions_refuse_a_malformed_query_with_400(sandbox, query):
    response = get(sandbox, f"analytics/station/{S}", query=query)

    assert response.status_code == 400
    assert response.json()["parameter"] == "query"


# Episode performance and overview


def test_performance_gives_listeners_at_each_second_as_strings(sandbox):
    show = sandbox.show
    episode = show.published_episodes[3]

    rows = ok(sandbox, f"analytics/episode/{episode.episode_id}/performance")["data"]["rows"]

    assert len(rows) == episode.duration_ms // 1000
    assert [second for second, _ in rows] == list(range(len(rows)))
    assert all(isinstance(listeners, str) for _, listeners in rows)
    assert [int(listeners) for _, listeners in rows] == show.performance(episode.episode_id)


def test_aggregated_performance_agrees_with_the_curve(sandbox):
    episode = sandbox.show.published_episodes[3]
    path = f"analytics/episode/{episode.episode_id}"

    curve = [int(n) for _, n in ok(sandbox, f"{path}/performance")["data"]["rows"]]
    figures = dict(ok(sandbox, f"{path}/aggregatedPerformance")["data"]["rows"])

    assert figures["percentile50"] == round(100 * curve[len(curve) // 2] / curve[0])
    assert figures["percentile100"] == round(100 * curve[-1] / curve[0])
    assert 0 < figures["percentile100"] <= figures["percentile75"] <= figures["percentile25"] <= 100
    assert figures["averageListenSeconds"] == str(round(sum(curve) / curve[0]))


def test_overview_gives_web_ids_only_when_asked(sandbox):
    episode = sandbox.show.published_episodes[0]
    path = f"episodes/{episode.episode_id}/overview"

    with_ids = ok(sandbox, path, returnWebIds="true")
    without = ok(sandbox, path)

    assert with_ids["webEpisodeId"] == episode.web_episode_id
    assert with_ids["webStationId"] == SANDBOX_WEBSTATION_ID
    assert with_ids["title"] == episode.title
    assert with_ids["publishOnUnixTimestamp"] == episode.publish_at
    assert with_ids["totalDuration"] == episode.duration_ms
    assert "webEpisodeId" not in without


# Recording, faults, latency


def test_requests_are_recorded_without_the_cookie(sandbox):
    ok(sandbox, f"analytics/station/{S}/totalPlays")
    get(sandbox, f"analytics/station/{S}/uniqueListeners", cookie="wrong")

    recorded = sandbox.requests
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in recorded] == [
        ("totalPlays", 200),
        ("uniqueListeners", 401),
    ]
    assert recorded[0].query == {"isMumsCompatible": "true"}
    assert SANDBOX_COOKIE not in repr(recorded)
    assert sandbox.request_count("totalPlays") == 1
    assert sandbox.request_count() == 2


def test_fail_next_answers_the_next_matching_requests_with_the_fault(sandbox):
    sandbox.fail_next("totalPlays", 429, times=2, headers={"Retry-After": "1"})
    sandbox.fail_next("audienceSize", 200, body="<html><body>Log in</body></html>")

    first = get(sandbox, f"analytics/station/{S}/totalPlays")
    other_path = get(sandbox, f"analytics/station/{S}/uniqueListeners")
    second = get(sandbox, f"analytics/station/{S}/totalPlays")
    third = get(sandbox, f"analytics/station/{S}/totalPlays")
    login_page = get(sandbox, f"analytics/station/{S}/audienceSize")

    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert other_path.status_code == 200
    assert second.status_code == 429
    assert third.json()["data"]["rows"] == [sandbox.show.total_plays()]
    assert login_page.status_code == 200
    assert login_page.headers["Content-Type"].startswith("text/html")
    assert sandbox.request_count("totalPlays") == 3


def test_fail_next_can_let_the_first_matching_requests_through(sandbox):
    sandbox.fail_next("playsByApp", 503, times=2, after=2)
    path = f"analytics/station/{S}/playsByApp"
    day = sandbox.show.today - 10 * DAY

    statuses = [get(sandbox, path, **days_range(day, day)).status_code for _ in range(5)]
    unmatched = get(sandbox, f"analytics/station/{S}/playsByGender", **days_range(day, day))

    assert statuses == [200, 200, 503, 503, 200]
    assert unmatched.status_code == 200


def test_a_delayed_answer_comes_after_a_short_timeout_and_the_next_one_on_time(sandbox):
    sandbox.fail_next("totalPlays", delay_seconds=0.5)
    path = f"{sandbox.base_url}/analytics/station/{S}/totalPlays"
    ask = partial(requests.get, path, params={"isMumsCompatible": "true"},
                  headers={"Cookie": f"anchorpw_s={SANDBOX_COOKIE}"})  # fmt: skip

    with pytest.raises(requests.Timeout):
        ask(timeout=0.2)
    started = time.perf_counter()
    on_time = ask(timeout=0.2)

    assert time.perf_counter() - started < 0.2
    assert on_time.json()["data"]["rows"] == [sandbox.show.total_plays()]
    assert [r.status for r in sandbox.requests] == [200, 200]


def test_a_cut_answer_sends_the_headers_and_the_start_of_the_real_body_then_hangs_up(sandbox):
    path = f"{API_PREFIX}/analytics/station/{S}/totalPlays?isMumsCompatible=true"
    whole = raw_get(sandbox, path)
    sandbox.fail_next("totalPlays", cut_after_bytes=10)
    connection = http.client.HTTPConnection(sandbox.host, sandbox.port, timeout=10)
    connection.request("GET", path, headers={"Cookie": f"anchorpw_s={SANDBOX_COOKIE}"})
    response = connection.getresponse()

    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()

    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(whole) > 10
    assert cut.value.partial == whole[:10]
    assert raw_get(sandbox, path) == whole


def raw_get(sandbox, path: str) -> bytes:
    connection = http.client.HTTPConnection(sandbox.host, sandbox.port, timeout=10)
    connection.request("GET", path, headers={"Cookie": f"anchorpw_s={SANDBOX_COOKIE}"})
    return connection.getresponse().read()


@pytest.mark.parametrize(
    "body, headers, content_type",
    [
        ('{"stationId": 4242424, "data": {"rows": [12', {}, "application/json"),
        ("upstream connect error", {"Content-Type": "text/plain"}, "text/plain"),
        ("<html><body>Log in</body></html>", {}, "text/html"),
    ],
)
def test_a_faulty_body_comes_whole_with_its_content_type(sandbox, body, headers, content_type):
    sandbox.fail_next("audienceSize", 200, headers=headers, body=body)
    response = get(sandbox, f"analytics/station/{S}/audienceSize")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.text == body
    with pytest.raises(ValueError):
        response.json()


def test_an_expired_cookie_is_refused_on_every_path_from_then_on(sandbox):
    sandbox.expire_cookie_after(3)
    sandbox.fail_next("uniqueListeners", 503)
    paths = ["totalPlays", "uniqueListeners", "audienceSize", "totalPlays", "audienceSize"]

    statuses = [get(sandbox, f"analytics/station/{S}/{path}").status_code for path in paths]
    episode = sandbox.show.published_episodes[0]
    refusal = get(sandbox, f"analytics/episode/{episode.episode_id}/performance")

    # The 503 counts: the cookie expires after three requests, whatever answered them.
    assert statuses == [200, 503, 200, 401, 401]
    assert refusal.status_code == 401 and "expired" in refusal.json()["error"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"status": 99},
        {"status": 503, "times": 0},
        {"status": 503, "after": -1},
        {"delay_seconds": -1},
        {"body": "<html></html>"},
        {},
    ],
)
def test_fail_next_refuses_a_fault_it_cannot_make(sandbox, arguments):
    with pytest.raises(ValueError):
        sandbox.fail_next("totalPlays", **arguments)


def test_requests_at_the_same_time_are_all_answered_and_recorded(sandbox):
    episodes = sandbox.show.published_episodes[:10]
    paths = [f"analytics/episode/{episode.episode_id}/performance" for episode in episodes]
    paths += [f"analytics/station/{S}/totalPlays"] * 10

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda path: get(sandbox, path).status_code, paths))

    assert statuses == [200] * len(paths)
    assert sandbox.request_count("/performance") == 10


def test_latency_delays_every_answer(sandbox_show):
    with SandboxServer(sandbox_show, latency_seconds=0.05) as sandbox:
        started = time.perf_counter()
        get(sandbox, f"analytics/station/{S}/totalPlays")
        get(sandbox, f"analytics/station/{S}/totalPlays", cookie=None)

    assert time.perf_counter() - started >= 0.1


# The show itself


def test_the_same_arguments_give_the_same_show_and_another_seed_another():
    def figures(show):
        day = show.today - 40 * DAY
        episode = show.published_episodes[2]
        return (
            [(e.episode_id, e.web_episode_id, e.title, e.publish_at) for e in show.episodes],
            [show.station_plays(show.today - n * DAY) for n in range(60)],
            show.shares("app", day, show.today),
            show.countries(),
            show.performance(episode.episode_id),
            show.impressions(day, show.today),
        )

    arguments = {"today": date(2025, 6, 30), "episode_count": 12, "history_days": 200}

    assert figures(FictionalShow(**arguments)) == figures(FictionalShow(**arguments))
    assert figures(FictionalShow(**arguments)) != figures(FictionalShow(**arguments, seed=8))


def test_a_300_episode_show_over_two_years():
    show = FictionalShow(today=date(2025, 6, 30), episode_count=300, history_days=730)

    assert len(show.published_episodes) == 300
    assert show.published_episodes[0].publish_day == date(2025, 6, 27)
    assert show.published_episodes[-1].publish_day >= show.first_day
    assert show.total_plays() == sum(pair[1] for pair in show.total_plays_by_episode())


def test_the_command_line_serves_until_stopped():
    command = [sys.executable, "-m", "anchor_assets.sandbox", "--port", "0", "--episodes", "5"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        base_url = re.search(r"http://127\.0\.0\.1:\d+/pod/api/proxy/v3", line).group(0)
        response = requests.get(
            f"{base_url}/analytics/station/{S}/totalPlays",
            params={"isMumsCompatible": "true"},
            headers={"Cookie": f"anchorpw_s={SANDBOX_COOKIE}"},
            timeout=10,
        )
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)

    assert SANDBOX_WEBSTATION_ID in line
    assert response.json()["kind"] == "totalPlays"
    assert process.returncode == 0, errors
    assert errors == ""


def test_the_command_line_stops_on_a_sigterm_that_lands_on_another_thread():
    """The kernel may hand a process's SIGTERM to any of its threads (scripts/demo's kill, the
    parent-death signal), here to the thread serving requests: it stops all the same."""
    command = [sys.executable, "-m", "anchor_assets.sandbox", "--port", "0", "--episodes", "5"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        process.stdout.readline()  # listening
        threads = [int(tid) for tid in os.listdir(f"/proc/{process.pid}/task")]
        server_thread = next(tid for tid in threads if tid != process.pid)
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.tgkill(process.pid, server_thread, signal.SIGTERM) == 0, ctypes.get_errno()
        returncode = process.wait(timeout=10)
    finally:
        process.kill()
        _, errors = process.communicate(timeout=10)

    assert returncode == 0, errors
