"""Whether a daily table holds the last complete day, fetched once that day was complete."""

from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
from dagster import AssetKey, AssetRecordsFilter, MetadataValue

from anchor_assets.checks.outcome import CheckedRows, Outcome
from anchor_assets.days import DATA_DELAY_DAYS, last_complete_day, utc_today
from anchor_assets.storage.sql import quote


def last_complete_day_stored(rows: CheckedRows) -> Outcome:
    """Looks up when the partition of the last complete day was last materialized: a day with
    no plays has no rows, so the instance's record, not the table, says whether it was fetched."""
    day = last_complete_day(utc_today())
    records = rows.context.instance.fetch_materializations(
        AssetRecordsFilter(
            asset_key=AssetKey(["anchor", rows.table]), asset_partitions=[day.isoformat()]
        ),
        limit=1,
    ).records
    fetched_at = datetime.fromtimestamp(records[0].timestamp, timezone.utc) if records else None
    newest = rows.query(f"select max(date) as newest from {quote(rows.table)}")["newest"][0]
    return freshness(day, fetched_at, None if pd.isna(newest) else newest.date())


def freshness(day: date, fetched_at: datetime | None, newest_stored: date | None) -> Outcome:
    """Fresh when ``day``, the last complete day, was fetched at or after the moment its figures
    were complete (DATA_DELAY_DAYS after it began); a day fetched earlier was still filling in."""
    complete_from = datetime.combine(day + timedelta(days=DATA_DELAY_DAYS), time(), timezone.utc)
    metadata = {
        "last_complete_day": MetadataValue.text(day.isoformat()),
        "newest_day_stored": MetadataValue.text(str(newest_stored) if newest_stored else "none"),
    }
    if fetched_at is None:
        return Outcome(
            False,
            f"Stale: {day}, the last complete day, has not been materialized; materialize its"
            " partition",
            metadata,
        )
    metadata["fetched_at"] = MetadataValue.timestamp(fetched_at)
    if fetched_at < complete_from:
        return Outcome(
            False,
            f"Stale: {day}, the last complete day, was fetched at {fetched_at:%Y-%m-%d %H:%M} UTC,"
            f" before its figures were complete ({complete_from:%Y-%m-%d %H:%M} UTC);"
            " materialize its partition again",
            metadata,
        )
    return Outcome(True, f"{day}, the last complete day, is stored", metadata)
