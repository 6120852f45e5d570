"""Tables about impressions: how often Spotify showed the show to people, where, and what
came of it."""

from datetime import date
from typing import Any

import pandas as pd

from .frames import AnswerShapeError, records_frame, typed_frame

KIND = "impressions"

DAILY_FIELDS = {"date": "date", "value": "impressions"}
SOURCE_FIELDS = {"id": "source_id", "displayName": "source", "value": "impressions"}
FUNNEL_FIELDS = {"id": "stage", "count": "count", "conversionPercent": "conversion_share"}


def impressions_tables(
    body: Any, snapshot_date: date, window_start: date, window_end: date
) -> dict[str, pd.DataFrame]:
    """The four impressions tables from one answer, read on `snapshot_date` for the window
    from `window_start` to `window_end`: the total, per day, per source and the funnel.

    The funnel is optional in the answer and comes out empty without it. A part that reports
    an error raises, so that an outage is never stored as a window without impressions.
    """
    if not isinstance(body, dict):
        raise AnswerShapeError(KIND, f"is a {type(body).__name__}, not a JSON object")

    total = _part_value(body, "impressions")
    if isinstance(total, (list, dict)):
        raise AnswerShapeError(KIND, f"has a total of {total!r} where a number was expected")
    window = {"window_start": window_start, "window_end": window_end}
    totals = pd.DataFrame({"impressions": [] if total is None else [total]}, dtype=object)
    funnel = _part_value(body, "impressionsFunnel", required=False) or {}
    if not isinstance(funnel, dict):
        raise AnswerShapeError(KIND, "has an `impressionsFunnel` value that is not an object")

    return {
        "impressions": _typed(totals.assign(**window), "impressions", snapshot_date),
        "daily_impressions": _records_table(
            body, "dailyImpressions", DAILY_FIELDS, "daily_impressions", snapshot_date
        ),
        "impressions_by_source": _records_table(
            body, "impressionsBySource", SOURCE_FIELDS, "impressions_by_source", snapshot_date
        ),
        "impressions_funnel": _typed(
            records_frame(funnel.get("counts") or [], KIND, "funnel counts", FUNNEL_FIELDS),
            "impressions_funnel",
            snapshot_date,
        ),
    }


def _part_value(body: dict, part: str, required: bool = True) -> Any:
    """The `data.value` of one part of the answer; `None` for an optional part it lacks."""
    if part not in body and not required:
        return None
    answer = body.get(part)
    if not isinstance(answer, dict):
        raise AnswerShapeError(KIND, f"has no `{part}` part")
    if answer.get("error") is not None:
        raise AnswerShapeError(
            KIND,
            f"reports an error for `{part}`: {answer['error']!r}",
            hint="The API sent no numbers for it, so none are stored for this window.",
        )
    if not isinstance(answer.get("data"), dict):
        raise AnswerShapeError(KIND, f"has no `data` object in its `{part}` part")
    return answer["data"].get("value")


def _records_table(
    body: dict, part: str, fields: dict[str, str], table: str, snapshot_date: date
) -> pd.DataFrame:
    records = _part_value(body, part) or []
    return _typed(records_frame(records, KIND, f"`{part}` values", fields), table, snapshot_date)


def _typed(frame: pd.DataFrame, table: str, snapshot_date: date) -> pd.DataFrame:
    return typed_frame(frame.assign(snapshot_date=snapshot_date), table, KIND)
