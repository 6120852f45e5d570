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
