"""Which rows a check looks at: the partitions the run just materialized, or the whole table."""

from dataclasses import dataclass

from dagster import AssetCheckExecutionContext

from anchor_assets.checks.tables import TableRules
from anchor_assets.storage.sql import quote


@dataclass(frozen=True)
class Scope:
    # The column a partition's rows are chosen by, and the partition keys; None: every row.
    column: str | None = None
    keys: tuple[str, ...] | None = None

    @property
    def whole_table(self) -> bool:
        return self.column is None or self.keys is None

    @property
    def condition(self) -> str:
        """A SQL condition on the table's rows; it uses the parameter $keys (see params)."""
        if self.whole_table:
            return "true"
        return f"list_contains($keys, cast({quote(self.column)} as varchar))"

    @property
    def params(self) -> dict:
        return {} if self.whole_table else {"keys": list(self.keys)}

    def __str__(self) -> str:
        if self.whole_table:
            return "the whole table"
        if len(self.keys) == 1:
            return f"partition {self.keys[0]}"
        return f"{len(self.keys)} partitions, {self.keys[0]} to {self.keys[-1]}"


def checked_scope(context: AssetCheckExecutionContext, rules: TableRules) -> Scope:
    """The partitions of this run when it has any (a check run with its asset's materialization
    of one partition or a range), else the whole table (a check run on its own)."""
    run = context.op_execution_context
    if rules.partition_column is None or not (run.has_partition_key or run.has_partition_key_range):
        return Scope()
    return Scope(rules.partition_column, tuple(run.partition_keys))
