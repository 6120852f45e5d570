"""The DuckDB IO manager that keeps the warehouse: the stock pandas one, made safe to rewrite.

Built on dagster-duckdb-pandas because the stock handler deletes a partition's rows and then
inserts by column position in separate steps, which loses stored rows when an answer changes shape.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
from dagster import InputContext, MetadataValue, OutputContext, TableColumn, TableSchema
from dagster._core.storage.db_io_manager import DbIOManager, TableSlice
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_pandas import DuckDBPandasIOManager, DuckDBPandasTypeHandler
from pydantic import Field

from anchor_assets.plots import CHART, chart_metadata
from anchor_assets.storage import sql
from anchor_assets.storage.opening import open_waiting_for_lock

# Asset metadata naming the column whose values a materialization replaces, for tables that
# keep history without partitions (current-value snapshots are replaced per snapshot_date).
REPLACE_BY = "anchor/replace_rows_by"
COLUMN_SCHEMA = "dagster/column_schema"
FRAME_VIEW = "anchor_frame"
PREVIEW_ROWS = 5


class MissingTableError(LookupError):
    """An asset's input was never stored (or the warehouse file was started afresh)."""


class AnchorDuckDBTypeHandler(DuckDBPandasTypeHandler):
    """Replaces a slice of rows by name, inside the transaction the client opened."""

    def handle_output(
        self, context: OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ):
        declared = context.definition_metadata.get(COLUMN_SCHEMA)
        connection.register(FRAME_VIEW, obj)
        try:
            in_frame = sql.frame_columns(connection, FRAME_VIEW)
            wanted = sql.wanted_columns(declared, in_frame)
            stored = sql.stored_columns(connection, table_slice)
            if stored:
                changes = sql.evolve_table(connection, table_slice, stored, wanted)
            else:
                sql.create_table(connection, table_slice, wanted)
                changes = ["created table"]
            _check_rows_fit_slice(connection, table_slice)
            deleted = _delete_replaced_rows(context, connection, table_slice)
            stored = sql.stored_columns(connection, table_slice)
            sql.insert_by_name(connection, table_slice, FRAME_VIEW, in_frame, stored)
            final = sql.stored_columns(connection, table_slice)
            total = connection.execute(
                f"select count(*) from {sql.table_name(connection, table_slice)}"
            ).fetchone()[0]
        finally:
            connection.unregister(FRAME_VIEW)
        for change in changes:
            context.log.info(f"{table_slice.schema}.{table_slice.table}: {change}")
        every_event = {
            "dagster/row_count": MetadataValue.int(total),
            COLUMN_SCHEMA: MetadataValue.table_schema(_stored_schema(final, declared)),
        }
        whole_write = _write_metadata(context, obj, deleted, changes)
        return {**every_event, **_once_per_write(context, whole_write)}

    def load_input(self, context: InputContext, table_slice: TableSlice, connection) -> pd.DataFrame:
        if table_slice.partition_dimensions and not context.asset_partition_keys:
            return pd.DataFrame()
        if not sql.stored_columns(connection, table_slice):
            raise MissingTableError(
                f"the table {table_slice.schema}.{table_slice.table} is not in the warehouse"
                f" {table_slice.database} yet: materialize {table_slice.schema}/{table_slice.table}"
                " first"
            )
        columns = ", ".join(map(sql.quote, table_slice.columns)) if table_slice.columns else "*"
        query = f"select {columns} from {sql.table_name(connection, table_slice)}"
        if table_slice.partition_dimensions:
            query += f" where {sql.slice_condition(table_slice.partition_dimensions)}"
        return connection.execute(query).fetchdf()


def _check_rows_fit_slice(connection, table_slice: TableSlice) -> None:
    """Refuses rows outside the partition being written: a rerun would not replace them."""
    if not table_slice.partition_dimensions:
        return
    condition = sql.slice_condition(table_slice.partition_dimensions)
    outside = connection.execute(
        f"select count(*) from {sql.quote(FRAME_VIEW)} where not ({condition})"
    ).fetchone()[0]
    if outside:
        raise ValueError(
            f"{outside} of the rows for {table_slice.schema}.{table_slice.table} lie outside the"
            f" partition being written ({condition}); nothing was written."
        )


def _delete_replaced_rows(context: OutputContext, connection, table_slice: TableSlice) -> int:
    target = sql.table_name(connection, table_slice)
    if table_slice.partition_dimensions:
        condition = sql.slice_condition(table_slice.partition_dimensions)
    elif replace_by := context.definition_metadata.get(REPLACE_BY):
        column = sql.quote(replace_by)
        condition = f"{column} in (select distinct {column} from {sql.quote(FRAME_VIEW)})"
    else:
        condition = "true"
    return connection.execute(f"delete from {target} where {condition}").fetchone()[0]


def _write_metadata(context: OutputContext, obj: pd.DataFrame, deleted: int, changes) -> dict:
    """What this write did: its rows, a preview of them, the table's chart if it has one."""
    written = "dagster/partition_row_count" if context.has_partition_key else "rows_written"
    metadata = {
        written: MetadataValue.int(len(obj)),
        "rows_replaced": MetadataValue.int(deleted),
        # As objects, so that ids in an all-number row are not printed as floats.
        "preview": MetadataValue.md(
            obj.head(PREVIEW_ROWS).astype(object).to_markdown(index=False)
        ),
        **chart_metadata(obj, context.definition_metadata.get(CHART)),
    }
    if changes and changes != ["created table"]:
        metadata["schema_changes"] = MetadataValue.text("; ".join(changes))
    return metadata


def _once_per_write(context: OutputContext, metadata: dict) -> dict:
    """Dagster copies an output's metadata onto the event of every partition a run writes: what
    describes the whole write (its rows, a preview, a chart) goes onto the event of the last
    partition alone, the latest, which the UI shows, so that a two-year backfill keeps it once,
    not 731 times. The table's size and the column schema (which the schema checks compare) stay
    on every event."""
    # Dagster writes the events in the order of these keys (a set's order, for episodes).
    keys = list(context.asset_partition_keys) if context.has_asset_partitions else []
    if len(keys) < 2:
        return metadata
    context.step_context.add_asset_metadata(
        metadata, asset_key=context.asset_key, partition_key=keys[-1]
    )
    return {}


def _stored_schema(stored: dict[str, str], declared: TableSchema | None) -> TableSchema:
    """The table's columns as stored now, so that a change between two materializations shows
    (and fails the column schema checks); declared columns keep their descriptions."""
    described = {column.name: column.description for column in declared.columns} if declared else {}
    return TableSchema(
        columns=[
            TableColumn(name, kind, description=described.get(name) or "added by a newer answer")
            for name, kind in stored.items()
        ]
    )


class TransactionalDuckDbClient(DuckDbClient):
    """Opens one transaction per write, so a failed write leaves the stored rows as they were."""

    @staticmethod
    def delete_table_slice(context: OutputContext, table_slice: TableSlice, connection) -> None:
        # The type handler deletes inside the same transaction as its insert, after the answer's
        # columns have been checked; deleting here first is what loses rows in the stock client.
        return None

    @staticmethod
    @contextmanager
    def connect(context, _table_slice) -> Iterator[duckdb.DuckDBPyConnection]:
        config = context.resource_config
        _make_folder(config["database"])
        connection = open_waiting_for_lock(
            config["database"],
            read_only=False,
            timeout_seconds=config["lock_timeout_seconds"],
            config=config.get("connection_config"),
        )
        try:
            connection.begin()
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()


def _make_folder(database: str) -> None:
    if database == ":memory:":
        return
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(
            f"cannot create the folder for the DuckDB file {database} ({error.strerror});"
            " set ANCHOR_DUCKDB_PATH to a file in a folder you can write to."
        ) from None


class AnchorDuckDBIOManager(DuckDBPandasIOManager):
    """Keeps every asset as a typed table in one DuckDB file, one table per asset."""

    lock_timeout_seconds: float = Field(
        default=60.0,
        description="How long a write waits for a DuckDB file that another process holds open.",
    )

    def create_io_manager(self, context) -> DbIOManager:
        return DbIOManager(
            db_client=TransactionalDuckDbClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=[AnchorDuckDBTypeHandler()],
            default_load_type=pd.DataFrame,
            io_manager_name="AnchorDuckDBIOManager",
        )


def column_schema(schema: TableSchema) -> dict:
    """Asset metadata that declares a table's columns, for the UI and for table creation."""
    return {COLUMN_SCHEMA: schema}
