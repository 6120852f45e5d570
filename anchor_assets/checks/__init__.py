"""Asset checks on every endpoint table, run in DuckDB SQL against the stored rows.

They need the ``warehouse`` resource (anchor_assets.warehouse.Warehouse) pointing at the IO
manager's DuckDB file and schema.
"""

from anchor_assets.checks.build import table_checks_definition
from anchor_assets.checks.tables import TABLE_RULES

anchor_checks = [table_checks_definition(table, rules) for table, rules in TABLE_RULES.items()]

__all__ = ["anchor_checks"]
