"""Read access to the DuckDB warehouse, for SQL that runs next to the stored tables: the asset
checks and the analytics assets. Writing stays with the IO manager."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from anchor_assets.storage.opening import open_waiting_for_lock
from anchor_assets.storage.sql import quote


class WarehouseNotReadyError(LookupError):
    """The warehouse, its schema or a table some SQL needs has not been written yet."""


class Warehouse(ConfigurableResource):
    """The DuckDB file and schema the IO manager writes, opened read-only for queries.

    Give it the same database and schema as the IO manager. Table names in its queries are
    unqualified: a connection starts in the warehouse's schema.
    """

    database: str = Field(description="Path of the DuckDB file, the same as the IO manager's.")
    schema_: str = Field(
        default="anchor", alias="schema", description="Schema of the tables, as the IO manager's."
    )
    lock_timeout_seconds: float = Field(
        default=60.0,
        description="How long a query waits for a DuckDB file that another process is writing.",
    )

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection whose unqualified table names are the schema's tables."""
        connection = _open_read_only(self.database, self.lock_timeout_seconds)
        try:
            if not _has_schema(connection, self.schema_):
                raise WarehouseNotReadyError(
                    f"the DuckDB file {self.database} has no schema {self.schema_} yet:"
                    " materialize some assets first."
                )
            catalog = connection.execute("select current_database()").fetchone()[0]
            connection.execute(f"use {quote(catalog)}.{quote(self.schema_)}")
            yield connection
        finally:
            connection.close()


def missing_tables(connection: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> list[str]:
    """The tables among ``tables`` that are not in the connection's current schema."""
    stored = {
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = current_database() and table_schema = current_schema()"
        ).fetchall()
    }
    return [table for table in tables if table not in stored]


def _has_schema(connection: duckdb.DuckDBPyConnection, schema: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.schemata"
            " where catalog_name = current_database() and schema_name = ?",
            [schema],
        ).fetchone()[0]
    )


def _open_read_only(database: str, timeout_seconds: float) -> duckdb.DuckDBPyConnection:
    """Opens the file read-only, waiting while another process holds it open for writing."""
    if not Path(database).exists():
        raise WarehouseNotReadyError(
            f"the DuckDB file {database} does not exist yet: materialize some assets first"
            " (or check that the warehouse is configured like the IO manager)."
        )
    return open_waiting_for_lock(database, read_only=True, timeout_seconds=timeout_seconds)
