"""What every check is given and what it gives back."""

from dataclasses import dataclass, field

import duckdb
import pandas as pd
from dagster import AssetCheckExecutionContext, MetadataValue

from anchor_assets.checks.scope import Scope
from anchor_assets.checks.tables import TableRules

# Rows shown in a check's metadata when it fails.
SHOWN_ROWS = 10


@dataclass(frozen=True)
class CheckedRows:
    """The rows a check looks at: a table's rows in scope, through an open connection."""

    connection: duckdb.DuckDBPyConnection
    table: str
    rules: TableRules
    scope: Scope
    context: AssetCheckExecutionContext | None = None

    def query(self, sql: str, **params) -> pd.DataFrame:
        """Runs SQL that may use the scope's condition (and its $keys) and named parameters."""
        # DuckDB refuses parameters the SQL does not use.
        given = {**self.scope.params, **params}
        used = {name: value for name, value in given.items() if f"${name}" in sql}
        return self.connection.execute(sql, used).fetchdf()


@dataclass(frozen=True)
class Outcome:
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def failed(description: str, rows: pd.DataFrame, metadata: dict | None = None) -> Outcome:
    """A failed outcome showing the offending rows (the first SHOWN_ROWS) in its metadata."""
    return Outcome(
        False,
        description,
        {
            **(metadata or {}),
            "failing_rows": MetadataValue.int(len(rows)),
            "examples": MetadataValue.md(rows.head(SHOWN_ROWS).to_markdown(index=False)),
        },
    )
