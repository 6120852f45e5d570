"""Helpers for the check and analytics tests: stand-in assets that store crafted rows through the
real IO manager, and crafted tables written straight into a temporary DuckDB file."""

from pathlib import Path

import duckdb
import pandas as pd
from dagster import AssetKey, AssetsDefinition, asset

from anchor_assets.assets import all_assets
from anchor_assets.storage.sql import quote
from anchor_assets.transforms.schemas import PANDAS_DTYPES, TABLE_SCHEMAS

KEY_PREFIX = "anchor"


def typed(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows of a table as a frame typed the way the transforms type them."""
    types = {column.name: PANDAS_DTYPES[column.type] for column in TABLE_SCHEMAS[table].columns}
    frame = pd.DataFrame(rows)
    return frame.astype({name: types[name] for name in frame.columns})


def stand_in(table: str, rows_by_partition: dict[str | None, list[dict]]) -> AssetsDefinition:
    """An asset with the real asset's key, partitions and metadata (so the IO manager stores its
    rows the same way) that answers each partition (None: no partition) with the given rows."""
    key = AssetKey([KEY_PREFIX, table])
    real = next(assets_def for assets_def in all_assets if key in assets_def.keys)

    @asset(key=key, partitions_def=real.partitions_def, metadata=real.specs_by_key[key].metadata)
    def crafted(context) -> pd.DataFrame:
        partition = context.partition_key if context.has_partition_key else None
        return typed(table, rows_by_partition[partition])

    return crafted


def store(warehouse: Path, tables: dict[str, list[dict]]) -> None:
    """Writes crafted rows straight into the warehouse, each table with its declared columns."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema if not exists anchor")
        for table, rows in tables.items():
            columns = TABLE_SCHEMAS[table].columns
            body = ", ".join(f"{quote(column.name)} {column.type}" for column in columns)
            connection.execute(f"create or replace table anchor.{quote(table)} ({body})")
            if rows:
                connection.register("crafted", typed(table, rows))
                connection.execute(
                    f"insert into anchor.{quote(table)} by name select * from crafted"
                )
                connection.unregister("crafted")
