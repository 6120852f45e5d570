"""What every Anchor asset shares: where it is stored, how it shows in the UI, how it is paced."""

from collections.abc import Callable

import pandas as pd
from dagster import AssetExecutionContext, AssetOut, MetadataValue

from anchor_assets.storage.io_manager import COLUMN_SCHEMA, REPLACE_BY, MissingTableError
from anchor_assets.transforms.schemas import TABLE_SCHEMAS

KEY_PREFIX = "anchor"
KINDS = {"python", "duckdb"}

# The Dagster concurrency pool of every asset: each one calls the API and then writes to the
# warehouse, so the pool's limit (deploy/dagster.yaml) caps, across all runs, both the steps
# asking the API at once and the processes waiting in turn for the DuckDB file's write lock.
API_POOL = "anchor_api"


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


def chosen_table_outs(
    descriptions: dict[str, str], metadata_of: Callable[[str], dict]
) -> dict[str, AssetOut]:
    """The outputs of a multi-asset storing one table each, any of which can be chosen alone.

    Dagster asks a subsettable multi-asset to mark its outputs optional; each chosen one is
    yielded or the step fails.
    """
    return {
        table: AssetOut(
            key_prefix=KEY_PREFIX,
            kinds=KINDS,
            metadata=metadata_of(table),
            description=description,
            is_required=False,
        )
        for table, description in descriptions.items()
    }


def between(frame: pd.DataFrame, first, last, column: str = "date") -> pd.DataFrame:
    """The rows for days first..last: the API may answer with a wider range than it was asked."""
    days = frame[column].dt.date
    return frame[(days >= first) & (days <= last)].reset_index(drop=True)


def concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    non_empty = [frame for frame in frames if len(frame)]
    return pd.concat(non_empty, ignore_index=True) if non_empty else empty


def window_metadata(first, last) -> dict:
    return {"first_day": MetadataValue.text(str(first)), "last_day": MetadataValue.text(str(last))}


def stored_table(context: AssetExecutionContext) -> pd.DataFrame | None:
    """The rows this asset's previous materialization stored, read back through its IO manager;
    None when there is no table yet (a first run, or a warehouse started afresh)."""
    try:
        return context.load_asset_value(context.asset_key, python_type=pd.DataFrame)
    except MissingTableError:
        return None
