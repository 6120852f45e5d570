"""Tables about the whole show: plays per day, who listens and where, all-time totals."""

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from .frames import DAY_HEADERS, PLAYS_HEADERS, read_rows, single_values, table_frame, typed_frame

# Header names as the API sends them, past names included, mapped to the table's columns.
SHARE_HEADERS = {"Percent of Plays": "share"}
TOTAL_PLAYS_BY_EPISODE_HEADERS = {
    "Episode Title": "episode_title",
    "Episode ID": "episode_id",
    **PLAYS_HEADERS,
    "Publish Time (UTC)": "published_at",
    "Rank": "rank",
    # Added to the answer later; older answers have only the five columns before it.
    "Episode URI": "episode_uri",
}

# The endpoint behind each share table, named by the column that holds its label.
SHARE_ENDPOINTS = {
    "age_range": "playsByAgeRange",
    "app": "playsByApp",
    "device": "playsByDevice",
    "gender": "playsByGender",
}


def plays_table(body: Any) -> pd.DataFrame:
    """Plays of all the show's episodes, per UTC day."""
    rows = read_rows(body, "plays", "plays", {**DAY_HEADERS, **PLAYS_HEADERS})
    return table_frame(rows, "plays")


def share_table(body: Any, day: date, label_column: str) -> pd.DataFrame:
    """Share of one day's plays by age range, app, device or gender (`label_column`).

    The answer's rows carry no date: `day` says which day the shares were asked for.
    """
    return share_tables([(day, body)], label_column)


def share_tables(answers: Iterable[tuple[date, Any]], label_column: str) -> pd.DataFrame:
    """The shares of many days' answers, each ``(day, answer)``, as one typed frame.

    Read one by one and typed once: a two-year backfill brings 730 answers of a few rows each,
    and typing each on its own cost more than fetching it.
    """
    if label_column not in SHARE_ENDPOINTS:
        raise ValueError(f"label_column must be one of {sorted(SHARE_ENDPOINTS)}")
    kind, table = SHARE_ENDPOINTS[label_column], f"plays_by_{label_column}"
    # The label's header is the column's own name in words, e.g. "Age Range" for age_range.
    headers = {label_column: label_column, **SHARE_HEADERS}
    days, frames, extra_types = [], [], {}
    for day, body in answers:
        rows = read_rows(body, kind, table, headers)
        if len(rows.frame):
            days.append(day)
            frames.append(rows.frame)
            extra_types.update(rows.extra_types)
    if not frames:
        return typed_frame(pd.DataFrame(), table, kind)
    frame = pd.concat(frames, ignore_index=True)
    frame["date"] = [day for day, rows in zip(days, frames) for _ in range(len(rows))]
    return typed_frame(frame, table, kind, extra_types)


def plays_by_episode_table(body: Any) -> pd.DataFrame:
    """Plays of each episode per UTC day, for the episodes the answer lists."""
    headers = {**DAY_HEADERS, "EpisodeTitle": "episode_title", **PLAYS_HEADERS}
    rows = read_rows(body, "playsByEpisode", "plays_by_episode", headers)
    return table_frame(rows, "plays_by_episode")


def total_plays_table(body: Any, snapshot_date: date) -> pd.DataFrame:
    """Plays of the whole show since it started, as read on `snapshot_date`."""
    return _snapshot_value(body, "totalPlays", "total_plays", "plays", snapshot_date)


def total_plays_by_episode_table(body: Any, snapshot_date: date) -> pd.DataFrame:
    """Plays of each episode since it was published, as read on `snapshot_date`."""
    table = "total_plays_by_episode"
    rows = read_rows(body, "totalPlaysByEpisode", table, TOTAL_PLAYS_BY_EPISODE_HEADERS)
    return table_frame(rows, table, snapshot_date=snapshot_date)


def unique_listeners_table(body: Any, snapshot_date: date) -> pd.DataFrame:
    """Distinct listeners of the show since it started, as read on `snapshot_date`."""
    return _snapshot_value(body, "uniqueListeners", "unique_listeners", "listeners", snapshot_date)


def audience_size_table(body: Any, snapshot_date: date) -> pd.DataFrame:
    """Size of the show's audience as Spotify counts it, as read on `snapshot_date`."""
    return _snapshot_value(body, "audienceSize", "audience_size", "audience_size", snapshot_date)


def plays_by_geo_table(body: Any, snapshot_date: date) -> pd.DataFrame:
    """Share of all the show's plays by country, as read on `snapshot_date`."""
    headers = {"Geo": "country", "Country": "country", **SHARE_HEADERS}
    rows = read_rows(body, "playsByGeo", "plays_by_geo", headers)
    return table_frame(rows, "plays_by_geo", snapshot_date=snapshot_date)


def plays_by_geo_city_table(body: Any, country: str, snapshot_date: date) -> pd.DataFrame:
    """Share of one country's plays by region or city, as read on `snapshot_date`.

    The answer names only the regions: `country` says which country was asked for.
    """
    headers = {"Geo": "region", "Region": "region", "City": "region", **SHARE_HEADERS}
    rows = read_rows(body, "playsByGeo (regions)", "plays_by_geo_city", headers)
    return table_frame(rows, "plays_by_geo_city", snapshot_date=snapshot_date, country=country)


def _snapshot_value(
    body: Any, kind: str, table: str, column: str, snapshot_date: date
) -> pd.DataFrame:
    frame = pd.DataFrame({column: single_values(body, kind)}, dtype=object)
    return typed_frame(frame.assign(snapshot_date=snapshot_date), table, kind)
