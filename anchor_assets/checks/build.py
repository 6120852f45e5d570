"""One multi-asset check per endpoint table: its checks share one step and one DuckDB connection,
and each shows on its own in the UI."""

from collections.abc import Callable
from dataclasses import dataclass

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from anchor_assets.analytics import ANALYTICS_SOURCES
from anchor_assets.assets.common import KEY_PREFIX
from anchor_assets.checks import table_checks
from anchor_assets.checks.freshness import last_complete_day_stored
from anchor_assets.checks.outcome import CheckedRows, Outcome
from anchor_assets.checks.scope import checked_scope
from anchor_assets.checks.station_plays import plays_match_episode_plays
from anchor_assets.checks.tables import TableRules
from anchor_assets.days import DATA_DELAY_DAYS
from anchor_assets.warehouse import Warehouse, missing_tables

ERROR, WARN = AssetCheckSeverity.ERROR, AssetCheckSeverity.WARN

# Tables other assets read: a failed ERROR check on one of them stops the run before its
# downstream assets would build on the bad rows.
READ_BY_OTHER_ASSETS = {"episodes"} | {
    table for tables in ANALYTICS_SOURCES.values() for table in tables
}


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    evaluate: Callable[[CheckedRows], Outcome]
    severity: AssetCheckSeverity = ERROR
    additional_deps: tuple[str, ...] = ()

    def spec(self, table: str) -> AssetCheckSpec:
        return AssetCheckSpec(
            self.name,
            asset=AssetKey([KEY_PREFIX, table]),
            description=self.description,
            blocking=self.severity == ERROR and table in READ_BY_OTHER_ASSETS,
            additional_deps=[AssetKey([KEY_PREFIX, dep]) for dep in self.additional_deps],
        )


def checks_for(table: str, rules: TableRules) -> list[Check]:
    """The checks that apply to a table, by what its rules say it holds."""
    key = table_checks.key_words(rules.key)
    checks = [
        Check(
            "no_duplicate_keys",
            f"Each {key} is stored once.",
            table_checks.no_duplicate_keys,
            WARN if rules.duplicates_warn_only else ERROR,
        )
    ]
    if rules.counts:
        counts = " or ".join(rules.counts)
        checks.append(
            Check("no_negative_counts", f"No {counts} below zero.", table_checks.no_negative_counts)
        )
    if rules.shares:
        per, total = " and ".join(rules.shares.per), table_checks.EXPECTED_TOTAL[rules.shares.total]
        checks += [
            Check(
                "shares_between_0_and_1",
                "Every share is a fraction from 0 to 1.",
                table_checks.shares_between_0_and_1,
            ),
            Check(
                "shares_add_up", f"The shares of each {per} {total}.", table_checks.shares_add_up
            ),
        ]
    if rules.per_episode:
        checks.append(
            Check(
                "episodes_known",
                "Every episode_id is in the stored episode list (anchor/episodes).",
                table_checks.episodes_known,
                WARN if rules.unknown_episodes_warn_only else ERROR,
                additional_deps=("episodes",),
            )
        )
    if rules.daily:
        checks.append(
            Check(
                "last_complete_day_stored",
                f"Fresh: the last complete day ({DATA_DELAY_DAYS} days ago, UTC) was fetched once"
                " complete.",
                last_complete_day_stored,
                WARN,
            )
        )
    if table == "plays":
        checks.append(
            Check(
                "plays_match_episode_plays",
                "Each complete day's plays equal the sum of that day's episode plays.",
                plays_match_episode_plays,
                WARN,
                additional_deps=("episode_plays",),
            )
        )
    return checks


def table_checks_definition(table: str, rules: TableRules) -> AssetChecksDefinition:
    checks = {check.name: check for check in checks_for(table, rules)}

    @multi_asset_check(
        name=f"{table}_checks",
        specs=[check.spec(table) for check in checks.values()],
        can_subset=True,
        compute_kind="duckdb",
    )
    def run_checks(context: AssetCheckExecutionContext, warehouse: Warehouse):
        scope = checked_scope(context, rules)
        selected = sorted(context.selected_asset_check_keys, key=lambda key: key.name)
        with warehouse.connect() as connection:
            rows = CheckedRows(connection, table, rules, scope, context)
            stored = not missing_tables(connection, [table])
            for check_key in selected:
                check = checks[check_key.name]
                outcome = check.evaluate(rows) if stored else _not_stored(table)
                yield AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=check.name,
                    passed=outcome.passed,
                    severity=check.severity,
                    description=outcome.description,
                    metadata={**outcome.metadata, "checked": MetadataValue.text(str(scope))},
                )

    return run_checks


def _not_stored(table: str) -> Outcome:
    return Outcome(False, f"{table} is not stored yet: materialize anchor/{table} first")
