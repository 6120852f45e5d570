"""The warehouse's IO manager against a real DuckDB file and a real temporary Dagster instance."""

import duckdb
import pandas as pd
import pytest
from dagster import (
    DailyPartitionsDefinition,
    DagsterInstance,
    TableColumn,
    TableSchema,
    asset,
    materialize,
)

from anchor_assets.storage.io_manager import COLUMN_SCHEMA, REPLACE_BY, AnchorDuckDBIOManager

days = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
PLAYS_SCHEMA = TableSchema(
    columns=[TableColumn("date", "DATE"), TableColumn("plays", "BIGINT")]
)


def daily_plays_asset(rows_by_day: dict):
    """A daily asset whose answer for a day is given by the test."""

    @asset(
        name="plays",
        key_prefix="anchor",
        partitions_def=days,
        metadata={"partition_expr": "date", COLUMN_SCHEMA: PLAYS_SCHEMA},
    )
    def plays(context) -> pd.DataFrame:
        return rows_by_day[context.partition_key]

    return plays


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.fixture
def warehouse(tmp_path):
    return str(tmp_path / "warehouse.duckdb")


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def run(assets, warehouse, instance, partition_key=None, raise_on_error=True):
    return materialize(
        assets,
        partition_key=partition_key,
        instance=instance,
        resources={"io_manager": AnchorDuckDBIOManager(database=warehouse, schema="anchor")},
        raise_on_error=raise_on_error,
    )


def stored(warehouse, table="plays"):
    with duckdb.connect(warehouse, read_only=True) as connection:
        return connection.execute(f"select * from anchor.{table} order by all").fetchall()


def stored_types(warehouse, table="plays"):
    with duckdb.connect(warehouse, read_only=True) as connection:
        return dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        )


def test_rerunning_a_partition_replaces_its_rows_and_keeps_the_others(warehouse, instance):
    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), plays=[5]),
    }
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")
    run([plays], warehouse, instance, "2026-01-02")
    answers["2026-01-01"] = frame(date=pd.to_datetime(["2026-01-01"]), plays=[4])
    run([plays], warehouse, instance, "2026-01-01")

    assert [(str(day), plays) for day, plays in stored(warehouse)] == [
        ("2026-01-01", 4),
        ("2026-01-02", 5),
    ]
    assert stored_types(warehouse) == {"date": "DATE", "plays": "BIGINT"}


def test_a_failed_write_keeps_the_stored_rows(warehouse, instance):
    answers = {"2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3])}
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")
    # A text where a count is stored cannot be written: the old row must survive the failure.
    answers["2026-01-01"] = frame(date=pd.to_datetime(["2026-01-01"]), plays=["many"])

    result = run([plays], warehouse, instance, "2026-01-01", raise_on_error=False)

    assert not result.success
    assert [plays for _, plays in stored(warehouse)] == [3]


def test_rows_outside_the_partition_are_refused(warehouse, instance):
    answers = {"2026-01-01": frame(date=pd.to_datetime(["2026-01-01", "2026-01-02"]), plays=[3, 4])}

    result = run([daily_plays_asset(answers)], warehouse, instance, "2026-01-01", raise_on_error=False)

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    assert "1 of the rows for anchor.plays lie outside the partition" in error.to_string()
    assert stored_types(warehouse) == {}, "the failed write must leave no table behind"


def test_a_new_column_is_added_and_older_rows_read_null(warehouse, instance):
    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), plays=[5], listeners=[2]),
    }
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")
    run([plays], warehouse, instance, "2026-01-02")

    assert [(plays, listeners) for _, plays, listeners in stored(warehouse)] == [(3, None), (5, 2)]


def test_columns_are_written_by_name_not_position(warehouse, instance):
    answers = {"2026-01-01": frame(plays=[7], date=pd.to_datetime(["2026-01-01"]))}

    run([daily_plays_asset(answers)], warehouse, instance, "2026-01-01")

    assert [(str(day), plays) for day, plays in stored(warehouse)] == [("2026-01-01", 7)]


def test_an_integer_column_widens_to_fractions(warehouse, instance):
    shares_schema = TableSchema(columns=[TableColumn("date", "DATE"), TableColumn("share", "BIGINT")])
    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), share=[1]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), share=[0.25]),
    }

    @asset(name="shares", key_prefix="anchor", partitions_def=days,
           metadata={"partition_expr": "date", COLUMN_SCHEMA: shares_schema})
    def shares(context) -> pd.DataFrame:
        return answers[context.partition_key]

    run([shares], warehouse, instance, "2026-01-01")
    # The declared type is what a table starts with; a later answer's fractions widen it.
    shares_schema_now = TableSchema(columns=[TableColumn("date", "DATE"), TableColumn("share", "DOUBLE")])
    shares_v2 = shares.with_attributes(
        metadata_by_key={shares.key: {"partition_expr": "date", COLUMN_SCHEMA: shares_schema_now}}
    )
    run([shares_v2], warehouse, instance, "2026-01-02")

    assert [share for _, share in stored(warehouse, "shares")] == [1.0, 0.25]
    assert stored_types(warehouse, "shares")["share"] == "DOUBLE"


def test_an_empty_answer_creates_the_typed_table_and_stores_nothing(warehouse, instance):
    answers = {"2026-01-01": frame(date=pd.Series([], dtype="datetime64[ns]"), plays=pd.Series([], dtype="Int64"))}

    run([daily_plays_asset(answers)], warehouse, instance, "2026-01-01")

    assert stored(warehouse) == []
    assert stored_types(warehouse) == {"date": "DATE", "plays": "BIGINT"}


def test_snapshots_replace_only_their_own_day(warehouse, instance):
    schema = TableSchema(columns=[TableColumn("snapshot_date", "DATE"), TableColumn("plays", "BIGINT")])
    answer = {"value": frame(snapshot_date=pd.to_datetime(["2026-01-01"]), plays=[10])}

    @asset(name="total_plays", key_prefix="anchor",
           metadata={REPLACE_BY: "snapshot_date", COLUMN_SCHEMA: schema})
    def total_plays() -> pd.DataFrame:
        return answer["value"]

    run([total_plays], warehouse, instance)
    answer["value"] = frame(snapshot_date=pd.to_datetime(["2026-01-02"]), plays=[12])
    run([total_plays], warehouse, instance)
    answer["value"] = frame(snapshot_date=pd.to_datetime(["2026-01-02"]), plays=[13])
    run([total_plays], warehouse, instance)

    assert [(str(day), plays) for day, plays in stored(warehouse, "total_plays")] == [
        ("2026-01-01", 10),
        ("2026-01-02", 13),
    ]


def test_a_column_missing_from_a_newer_answer_stays_and_reads_null(warehouse, instance):
    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3], listeners=[2]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), plays=[5]),
    }
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")
    run([plays], warehouse, instance, "2026-01-02")

    assert [(plays, listeners) for _, plays, listeners in stored(warehouse)] == [(3, 2), (5, None)]


def test_an_incompatible_type_fails_naming_both_types_and_keeps_the_rows(warehouse, instance):
    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3], app=["Spotify"]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), plays=[5], app=[True]),
    }
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")

    result = run([plays], warehouse, instance, "2026-01-02", raise_on_error=False)

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "column app of anchor.plays is stored as VARCHAR but the new answer holds BOOLEAN" in error
    assert [(str(day), plays, app) for day, plays, app in stored(warehouse)] == [
        ("2026-01-01", 3, "Spotify")
    ]


def test_the_stored_columns_go_into_the_materialization_so_drift_shows(warehouse, instance):
    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), plays=[5], listeners=[2]),
    }
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")
    run([plays], warehouse, instance, "2026-01-02")

    def columns(partition):
        records = instance.fetch_materializations(plays.key, limit=10).records
        materialization = next(
            r.asset_materialization for r in records if r.asset_materialization.partition == partition
        )
        return [column.name for column in materialization.metadata["dagster/column_schema"].schema.columns]

    assert columns("2026-01-01") == ["date", "plays"]
    assert columns("2026-01-02") == ["date", "plays", "listeners"]


LOCK_HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create schema if not exists anchor")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(warehouse, seconds):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, warehouse, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def run_waiting(assets, warehouse, instance, partition_key, seconds):
    return materialize(
        assets,
        partition_key=partition_key,
        instance=instance,
        resources={
            "io_manager": AnchorDuckDBIOManager(
                database=warehouse, schema="anchor", lock_timeout_seconds=seconds
            )
        },
        raise_on_error=False,
    )


def test_a_file_locked_by_another_process_fails_after_a_bounded_wait(warehouse, instance):
    answers = {"2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3])}
    plays = daily_plays_asset(answers)
    run([plays], warehouse, instance, "2026-01-01")
    holder = hold_lock(warehouse, 30)
    try:
        answers["2026-01-01"] = frame(date=pd.to_datetime(["2026-01-01"]), plays=[4])
        result = run_waiting([plays], warehouse, instance, "2026-01-01", seconds=1)
    finally:
        holder.kill()
        holder.wait()

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert f"the DuckDB file {warehouse} is locked by another process" in error
    assert [plays for _, plays in stored(warehouse)] == [3]


def test_a_lock_released_within_the_wait_lets_the_write_through(warehouse, instance):
    answers = {"2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3])}
    plays = daily_plays_asset(answers)
    holder = hold_lock(warehouse, 1.5)
    try:
        result = run_waiting([plays], warehouse, instance, "2026-01-01", seconds=30)
    finally:
        holder.wait()

    assert result.success
    assert [plays for _, plays in stored(warehouse)] == [3]


def test_a_new_column_fails_the_column_schema_check_with_a_warning(warehouse, instance):
    from dagster import AssetCheckSeverity, build_column_schema_change_checks

    answers = {
        "2026-01-01": frame(date=pd.to_datetime(["2026-01-01"]), plays=[3]),
        "2026-01-02": frame(date=pd.to_datetime(["2026-01-02"]), plays=[5]),
        "2026-01-03": frame(date=pd.to_datetime(["2026-01-03"]), plays=[5], listeners=[2]),
    }
    plays = daily_plays_asset(answers)
    checks = build_column_schema_change_checks(assets=[plays])

    outcomes = []
    for day in answers:
        result = run([plays, *checks], warehouse, instance, day)
        (evaluation,) = result.get_asset_check_evaluations()
        outcomes.append(evaluation.passed)

    assert outcomes == [True, True, False]
    assert evaluation.severity == AssetCheckSeverity.WARN
    assert "Added columns: listeners" in evaluation.description
