"""Small SQL helpers for the DuckDB warehouse: table shapes, schema changes, row slices."""

from collections.abc import Sequence

import duckdb
from dagster import TableSchema
from dagster._core.definitions.partitions.utils import TimeWindow
from dagster._core.storage.db_io_manager import TablePartitionDimension, TableSlice

# A column whose type changes along one of these paths keeps every stored value exactly.
WIDENINGS = {
    ("INTEGER", "BIGINT"),
    ("INTEGER", "DOUBLE"),
    ("BIGINT", "DOUBLE"),
    ("DATE", "TIMESTAMP"),
}


class SchemaChangeError(ValueError):
    """A new answer's column cannot be stored next to the rows already kept."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_name(connection: duckdb.DuckDBPyConnection, table_slice: TableSlice) -> str:
    """The table's full name: DuckDB names the file's catalog after the file, so a warehouse
    called anchor.duckdb would make a bare anchor.plays ambiguous."""
    catalog = connection.execute("select current_database()").fetchone()[0]
    return f"{quote(catalog)}.{quote(table_slice.schema)}.{quote(table_slice.table)}"


def stored_columns(connection: duckdb.DuckDBPyConnection, table_slice: TableSlice) -> dict[str, str]:
    """The table's columns and their DuckDB types, in order; empty when the table does not exist."""
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [table_slice.schema, table_slice.table],
    ).fetchall()
    return dict(rows)


def frame_columns(connection: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    """The columns DuckDB sees in a registered data frame, with the types it would give them."""
    rows = connection.execute(f"describe select * from {quote(view)}").fetchall()
    return {name: _plain_type(kind) for name, kind, *_ in rows}


def _plain_type(kind: str) -> str:
    # pandas datetimes arrive as nanosecond timestamps; stored tables use plain TIMESTAMP.
    return "TIMESTAMP" if kind.startswith("TIMESTAMP") else kind


def wanted_columns(declared: TableSchema | None, in_frame: dict[str, str]) -> dict[str, str]:
    """Declared columns with their declared types, then any extra column the answer brought."""
    columns = {column.name: column.type for column in declared.columns} if declared else {}
    for name, kind in in_frame.items():
        columns.setdefault(name, kind)
    return columns


def create_table(
    connection: duckdb.DuckDBPyConnection, table_slice: TableSlice, columns: dict[str, str]
) -> None:
    body = ", ".join(f"{quote(name)} {kind}" for name, kind in columns.items())
    connection.execute(f"create table {table_name(connection, table_slice)} ({body})")


def evolve_table(
    connection: duckdb.DuckDBPyConnection,
    table_slice: TableSlice,
    stored: dict[str, str],
    wanted: dict[str, str],
) -> list[str]:
    """Adds new columns and widens changed ones; returns what changed, in words."""
    changes = []
    for name, kind in wanted.items():
        if name not in stored:
            connection.execute(f"alter table {table_name(connection, table_slice)} add column {quote(name)} {kind}")
            changes.append(f"added column {name} {kind}")
        elif stored[name] != kind and (stored[name], kind) in WIDENINGS:
            connection.execute(
                f"alter table {table_name(connection, table_slice)} alter column {quote(name)} type {kind}"
            )
            changes.append(f"widened column {name} from {stored[name]} to {kind}")
        elif stored[name] != kind and (kind, stored[name]) not in WIDENINGS:
            raise SchemaChangeError(
                f"column {name} of {table_slice.schema}.{table_slice.table} is stored as"
                f" {stored[name]} but the new answer holds {kind}; nothing was written."
                " Check the API answer, or move the old table aside to start a new one."
            )
    return changes


def insert_by_name(
    connection: duckdb.DuckDBPyConnection,
    table_slice: TableSlice,
    view: str,
    in_frame: dict[str, str],
    stored: dict[str, str],
) -> None:
    """Inserts the frame's columns by name, each cast to the type the table stores."""
    selected = ", ".join(f"cast({quote(name)} as {stored[name]}) as {quote(name)}" for name in in_frame)
    connection.execute(
        f"insert into {table_name(connection, table_slice)} by name select {selected} from {quote(view)}"
    )


def slice_condition(dimensions: Sequence[TablePartitionDimension]) -> str:
    """The WHERE condition that selects a partition's rows (a span of days or a set of keys)."""
    return " and ".join(_dimension_condition(dimension) for dimension in dimensions)


def _dimension_condition(dimension: TablePartitionDimension) -> str:
    column = dimension.partition_expr
    if isinstance(dimension.partitions, TimeWindow):
        start, end = dimension.partitions
        return f"{column} >= '{start:%Y-%m-%d %H:%M:%S}' and {column} < '{end:%Y-%m-%d %H:%M:%S}'"
    keys = ", ".join("'" + key.replace("'", "''") + "'" for key in dimension.partitions)
    return f"cast({column} as varchar) in ({keys})"
