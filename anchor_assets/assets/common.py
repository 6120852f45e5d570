"""What every Anchor asset shares: where it is stored and how it shows in the UI."""

import pandas as pd
from dagster import MetadataValue

from anchor_assets.storage.io_manager import COLUMN_SCHEMA, REPLACE_BY
from anchor_assets.transforms.schemas import TABLE_SCHEMAS

KEY_PREFIX = "anchor"
KINDS = {"python", "duckdb"}


def table_metadata(table: str, **extra) -> dict:
    """Asset metadata declaring the table's typed columns (created from these, shown in the UI)."""
    return {COLUMN_SCHEMA: TABLE_SCHEMAS[table], **extra}


def daily_table(table: str) -> dict:
    return table_metadata(table, partition_expr="date")


def episode_table(table: str) -> dict:
    return table_metadata(table, partition_expr="episode_id")


def snapshot_table(table: str) -> dict:
    """Current values keep one snapshot per day: a rerun replaces only that day's rows."""
    return table_metadata(table, **{REPLACE_BY: "snapshot_date"})


def between(frame: pd.DataFrame, first, last, column: str = "date") -> pd.DataFrame:
    """The rows for days first..last: the API may answer with a wider range than it was asked."""
    days = frame[column].dt.date
    return frame[(days >= first) & (days <= last)].reset_index(drop=True)


def concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    non_empty = [frame for frame in frames if len(frame)]
    return pd.concat(non_empty, ignore_index=True) if non_empty else empty


def window_metadata(first, last) -> dict:
    return {"first_day": MetadataValue.text(str(first)), "last_day": MetadataValue.text(str(last))}
