"""Turning UTC calendar days into the time parameters the API expects.

Everything here works on dates, never on clock times: a day is the UTC day, and its start is
its UTC midnight, whatever the time zone of the machine running the pipeline.
"""

import base64
import json
from datetime import date, datetime, time, timedelta, timezone

# timeInterval value asking for one row per UTC day; the API's rows are then UTC midnights.
SECONDS_PER_DAY = 86_400

# The impressions endpoint answers 400 unless its window is exactly 29 days long.
IMPRESSIONS_WINDOW_DAYS = 29

# The three impression figures asked for in one request: total, per day and per source.
IMPRESSION_FIGURES = ("impressions", "dailyImpressions", "impressionsBySource")

# Version of the impressions query format that the dashboard sends.
IMPRESSIONS_QUERY_VERSION = "1.0"


def utc_midnight(day: date) -> int:
    """Unix seconds of the UTC midnight that starts ``day``."""
    _require_date(day)
    return int(datetime.combine(day, time(), tzinfo=timezone.utc).timestamp())


def day_range(first_day: date, last_day: date) -> dict[str, int]:
    """timeRangeStart and timeRangeEnd for the days first_day to last_day, both included.

    The API includes the day that starts at timeRangeEnd, so the range ends at the UTC midnight
    that starts last_day, not at the one after it.
    """
    if _require_date(last_day) < _require_date(first_day):
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    return {"timeRangeStart": utc_midnight(first_day), "timeRangeEnd": utc_midnight(last_day)}


def impressions_query(last_day: date) -> str:
    """The base64 query for the impressions of the 29 whole UTC days ending with last_day."""
    window_end = last_day + timedelta(days=1)
    window = {
        "version": IMPRESSIONS_QUERY_VERSION,
        "startTime": utc_midnight(window_end - timedelta(days=IMPRESSIONS_WINDOW_DAYS)),
        "endTime": utc_midnight(window_end),
    }
    query = {
        "include": list(IMPRESSION_FIGURES),
        "options": {figure: dict(window) for figure in IMPRESSION_FIGURES},
    }
    # The API decodes standard base64 of compact JSON; requests URL-encodes the + / = it may hold.
    compact_json = json.dumps(query, separators=(",", ":"))
    return base64.b64encode(compact_json.encode("utf-8")).decode("ascii")


def _require_date(day: date) -> date:
    # A datetime is a date too, and a naive local one would shift the window by the host's
    # offset: the reference client's bug. Only plain dates say which UTC day is meant.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date (a UTC day), got {type(day).__name__} {day!r}")
    return day
