"""Which answer each sandbox path gets: the API's endpoints, their parameters checked, the show's
figures looked up and handed to answers.py for shaping.

Paths here are relative to the base URL (``analytics/station/4242424/plays``). A request the
real API would refuse raises ApiError with the status and a short message naming the parameter.
"""

import base64
import binascii
import json
import re
from datetime import date, timedelta
from functools import partial

from anchor_assets.sandbox import answers, params
from anchor_assets.sandbox.catalogue import Episode
from anchor_assets.sandbox.params import ApiError, bad, quoted
from anchor_assets.sandbox.show import FictionalShow
from anchor_assets.sandbox.utc import (
    SECONDS_PER_DAY,
    days_from,
    first_midnight_from,
    last_midnight_until,
    midnight,
)

# The sandbox serves at most this many episodes a page, and this many when no limit is given.
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10

# Episode plays: daily or weekly rows when asked for a range, 14-day buckets without one.
DAILY, WEEKLY, FORTNIGHTLY = SECONDS_PER_DAY, 7 * SECONDS_PER_DAY, 14 * SECONDS_PER_DAY

# The impressions endpoint wants exactly 29 days between whole hours.
IMPRESSIONS_WINDOW_SECONDS = 29 * SECONDS_PER_DAY
IMPRESSIONS_QUERY_VERSION = "1.0"
IMPRESSION_FIGURES = ("impressions", "dailyImpressions", "impressionsBySource", "impressionsFunnel")

# The single-number endpoints: the header of their one column and the show's figure.
_CURRENT_VALUES = {
    "totalPlays": ("Plays", FictionalShow.total_plays),
    "uniqueListeners": ("Unique Listeners", FictionalShow.unique_listeners),
    "audienceSize": ("Audience Size", FictionalShow.audience_size),
}


def answer(show: FictionalShow, path: str, query: dict[str, str]) -> dict:
    """The body of the API's answer to a GET of ``path`` with ``query``; ApiError if refused."""
    for pattern, endpoint in _ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return endpoint(show, query, **match.groupdict())
    raise ApiError(404, f"no such endpoint: {path}")


# Episode list


def _episode_page(show: FictionalShow, query: dict, station: str) -> dict:
    _check_station(show, station, web_id_allowed=True)
    limit = min(params.whole_number(query, "limit", minimum=1) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if query.get("orderBy", "publishOn") != "publishOn":
        raise bad("orderBy", "the sandbox orders by publishOn only")
    start = _page_start(show, query["pageToken"]) if "pageToken" in query else 0
    following = start + limit
    next_path = None
    if following < len(show.episodes):
        # The token is the id of the episode the next page starts with.
        token = show.episodes[following].episode_id
        next_path = (
            f"/v3/stations/{show.station_id}/episodePage"
            f"?orderBy=publishOn&limit={limit}&pageToken={token}"
        )
    return answers.episode_page(show, show.episodes[start:following], next_path)


def _page_start(show: FictionalShow, token: str) -> int:
    for index, episode in enumerate(show.episodes):
        if str(episode.episode_id) == token:
            return index
    raise bad("pageToken", f"{quoted(token)} is no page of this list; start again without it")


# Station figures


def _station_figure(show: FictionalShow, query: dict, station: str, figure: str) -> dict:
    _check_station(show, station)
    if figure not in _STATION_FIGURES:
        raise ApiError(404, f"no such endpoint: analytics/station/{station}/{figure}")
    return _STATION_FIGURES[figure](show, query)


def _station_plays(show: FictionalShow, query: dict) -> dict:
    asked_range = params.time_range(query)
    params.time_interval(query, allowed=(DAILY,))
    daily = show.station_daily_plays(*params.days(asked_range))
    owner = {"stationId": show.station_id}
    return answers.daily_plays(owner, list(asked_range), list(daily.items()), DAILY)


def _shares(show: FictionalShow, query: dict, kind: str) -> dict:
    asked_range = params.time_range(query)
    served = show.shares(kind, *params.days(asked_range))
    return answers.shares(show, kind, list(asked_range), served)


def _plays_by_episode(show: FictionalShow, query: dict) -> dict:
    asked_range = params.time_range(query)
    params.time_interval(query, allowed=(DAILY,))
    limit = params.whole_number(query, "limit", minimum=1)
    first, last = params.days(asked_range)
    days = days_from(max(first, show.first_day), min(last, show.today))
    top_per_day = [(day, show.plays_by_episode(day, limit)) for day in days]
    return answers.plays_by_episode(show, list(asked_range), limit, top_per_day)


def _current_value(show: FictionalShow, query: dict, kind: str) -> dict:
    header, figure = _CURRENT_VALUES[kind]
    return answers.single_value(show, kind, header, figure(show))


def _total_plays_by_episode(show: FictionalShow, query: dict) -> dict:
    return answers.total_plays_by_episode(show)


def _plays_by_geo(show: FictionalShow, query: dict) -> dict:
    result_geo = query.get("resultGeo")
    if result_geo not in ("geo2", "geo3"):
        raise bad("resultGeo", "must be geo2 (countries) or geo3 (regions of the geo2 country)")
    limit = params.whole_number(query, "limit", minimum=1)
    country = None
    if result_geo == "geo3":
        country = query.get("geo2")
        if not country:
            raise bad("geo2", "names the country whose regions resultGeo=geo3 asks for")
    served = show.countries() if country is None else show.regions(country)
    return answers.plays_by_geo(show, country, dict(list(served.items())[:limit]))


def _impressions(show: FictionalShow, query: dict, station: str) -> dict:
    _check_station(show, station)
    if "query" not in query:
        raise bad("query", "is required: base64 of the JSON that says which impressions to give")
    try:
        asked = json.loads(base64.b64decode(query["query"], validate=True))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad("query", "must be standard base64 of compact JSON") from None
    include = asked.get("include") if isinstance(asked, dict) else None
    if not include or not isinstance(include, list):
        raise bad("query", "include must list the figures wanted")
    options = asked.get("options")
    windows = {}
    for figure in include:
        if figure not in IMPRESSION_FIGURES:
            raise bad("query", f"include holds {quoted(figure)}, not one of the figures known")
        if not isinstance(options, dict) or not isinstance(options.get(figure), dict):
            raise bad("query", f"options.{figure} is missing")
        windows[figure] = _impressions_window(figure, options[figure])
    return answers.impressions(show, windows)


def _impressions_window(figure: str, window: dict) -> tuple[date, date]:
    start, end = _unix_seconds(window.get("startTime")), _unix_seconds(window.get("endTime"))
    if window.get("version") != IMPRESSIONS_QUERY_VERSION:
        raise bad("query", f"options.{figure}.version must be {IMPRESSIONS_QUERY_VERSION!r}")
    if start is None or end is None:
        raise bad("query", f"options.{figure} needs startTime and endTime in Unix seconds")
    if start % 3600 or end % 3600:
        raise bad("query", f"options.{figure}: startTime and endTime must be on a whole hour")
    if end - start != IMPRESSIONS_WINDOW_SECONDS:
        raise bad("query", f"options.{figure}: endTime must be exactly 29 days after startTime")
    # The window holds the days whose midnight d satisfies start <= d < end.
    return first_midnight_from(start), last_midnight_until(end - 1)


def _unix_seconds(value) -> int | None:
    """A time as JSON gives it: a number of whole seconds, written 1700006400 or 1700006400.0
    (a JSON number is the same either way; the reference client writes the second)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value) if value == int(value) else None


# Episode figures


def _episode_figure(show: FictionalShow, query: dict, episode: str, figure: str) -> dict:
    if figure not in _EPISODE_FIGURES:
        raise ApiError(404, f"no such endpoint: analytics/episode/{episode}/{figure}")
    return _EPISODE_FIGURES[figure](show, query, _episode(show, episode))


def _episode_plays(show: FictionalShow, query: dict, episode: Episode) -> dict:
    asked_range = params.time_range(query, required=False)
    if asked_range is None:
        # Without a range the API answers in 14-day buckets over the episode's whole life.
        interval = FORTNIGHTLY
        first, last = episode.publish_day or show.today, show.today
        asked_range = (midnight(first), midnight(last))
    else:
        interval = params.time_interval(query, allowed=(DAILY, WEEKLY))
        first, last = params.days(asked_range)
    daily = show.episode_daily_plays(episode.episode_id, first, last)
    buckets = _buckets(daily, interval // SECONDS_PER_DAY)
    owner = {"episodeId": episode.episode_id}
    return answers.daily_plays(owner, list(asked_range), buckets, interval)


def _performance(show: FictionalShow, query: dict, episode: Episode) -> dict:
    return answers.performance(episode, show.performance(episode.episode_id))


def _aggregated_performance(show: FictionalShow, query: dict, episode: Episode) -> dict:
    return answers.aggregated_performance(episode, show.aggregated_performance(episode.episode_id))


def _overview(show: FictionalShow, query: dict, episode: str) -> dict:
    with_web_ids = query.get("returnWebIds") == "true"
    return answers.overview(show, _episode(show, episode), with_web_ids)


# Identifiers


def _check_station(show: FictionalShow, station: str, web_id_allowed: bool = False) -> None:
    known = [str(show.station_id)]
    if web_id_allowed:
        known.append(f"webStationId:{show.webstation_id}")
    # Hex ids are the same id in either case.
    if station.lower() not in [name.lower() for name in known]:
        raise ApiError(404, f"unknown station {quoted(station)}")


def _episode(show: FictionalShow, episode_id: str) -> Episode:
    try:
        return show.episode(int(episode_id))
    except KeyError:
        raise ApiError(404, f"unknown episode {episode_id}") from None


def _buckets(daily: dict[date, int], days_per_bucket: int) -> list[tuple[date, int]]:
    """Daily plays summed into buckets of ``days_per_bucket`` days from the first day on."""
    buckets: dict[date, int] = {}
    first = next(iter(daily), None)
    for day, plays in daily.items():
        start = first + timedelta(days=(day - first).days // days_per_bucket * days_per_bucket)
        buckets[start] = buckets.get(start, 0) + plays
    return list(buckets.items())


_STATION_FIGURES = {
    "plays": _station_plays,
    "playsByAgeRange": partial(_shares, kind="age_range"),
    "playsByGender": partial(_shares, kind="gender"),
    "playsByApp": partial(_shares, kind="app"),
    "playsByDevice": partial(_shares, kind="device"),
    "playsByEpisode": _plays_by_episode,
    "playsByGeo": _plays_by_geo,
    "totalPlays": partial(_current_value, kind="totalPlays"),
    "uniqueListeners": partial(_current_value, kind="uniqueListeners"),
    "audienceSize": partial(_current_value, kind="audienceSize"),
    "totalPlaysByEpisode": _total_plays_by_episode,
}

_EPISODE_FIGURES = {
    "plays": _episode_plays,
    "performance": _performance,
    "aggregatedPerformance": _aggregated_performance,
}

_ROUTES = [
    (re.compile(r"stations/(?P<station>webStationId:\w+|\d+)/episodePage"), _episode_page),
    (re.compile(r"analytics/station/(?P<station>\d+)"), _impressions),
    (re.compile(r"analytics/station/(?P<station>\d+)/(?P<figure>\w+)"), _station_figure),
    (re.compile(r"analytics/episode/(?P<episode>\d+)/(?P<figure>\w+)"), _episode_figure),
    (re.compile(r"episodes/(?P<episode>\d+)/overview"), _overview),
]
