"""The batched SQLite run history (anchor_assets/run_history.py) on real instances.

A ranged run over many daily partitions is written with a handful of database connections
instead of several per partition, and leaves exactly the rows Dagster's stock SQLite storage
leaves: the same events, the same partition tags, the same asset records and partition statuses,
failures included. An instance made with the stock storage keeps its history when switched.
"""

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    BackfillPolicy,
    DagsterInstance,
    DailyPartitionsDefinition,
    asset,
    asset_check,
    materialize,
    mem_io_manager,
)
from dagster._core.storage.partition_status_cache import AssetPartitionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

from anchor_assets.run_history import BatchedSqliteEventLogStorage

INSTANCE_SETTINGS = Path(__file__).parents[1] / "deploy" / "dagster.yaml"
DAYS = DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-03-02")  # 60 days
RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2025-01-01",
    "dagster/asset_partition_range_end": "2025-03-01",
}


@asset(partitions_def=DAYS, backfill_policy=BackfillPolicy.single_run())
def daily_figures(context) -> None:
    """Stands in for a daily station asset: one step over the whole range."""


@asset_check(asset=daily_figures)
def figures_stored() -> AssetCheckResult:
    """Its planned event comes in the same batch as the asset's planned partitions."""
    return AssetCheckResult(passed=True)


@asset(name="daily_figures", partitions_def=DAYS, backfill_policy=BackfillPolicy.single_run())
def failing_daily_figures(context) -> None:
    raise RuntimeError("the API kept failing")


def _home(tmp_path: Path, name: str, batched: bool) -> Path:
    home = tmp_path / name
    home.mkdir()
    if batched:
        shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def _materialize(home: Path, monkeypatch, asset_def=daily_figures, raise_on_error=True):
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.from_config(str(home)) as instance:
        result = materialize(
            [asset_def, figures_stored] if asset_def is daily_figures else [asset_def],
            instance=instance,
            tags=RANGE_TAGS,
            resources={"io_manager": mem_io_manager},
            raise_on_error=raise_on_error,
        )
        statuses = instance.get_status_by_partition(
            AssetKey("daily_figures"), DAYS.get_partition_keys(), DAYS
        )
        return type(instance.event_log_storage), result.success, statuses


def _index_rows(home: Path) -> dict[str, Counter]:
    """The cross-run index's rows that do not depend on ids and clocks."""
    with sqlite3.connect(home / "history" / "runs" / "index.db") as db:
        return {
            "events": Counter(db.execute(
                "select dagster_event_type, asset_key, partition from event_logs"
            ).fetchall()),
            # A data version is a hash of the run's own output, so it differs between runs.
            "tags": Counter(db.execute(
                "select asset_key, key,"
                " case when key = 'dagster/data_version' then 'some version' else value end"
                " from asset_event_tags"
            ).fetchall()),
            "checks": Counter(db.execute(
                "select asset_key, check_name, partition, execution_status,"
                " evaluation_event is not null from asset_check_executions"
            ).fetchall()),
            "assets": Counter(db.execute(
                "select asset_key, instr(last_materialization, '2025-03-01') > 0,"
                " last_run_id is not null, last_materialization_timestamp is not null"
                " from asset_keys"
            ).fetchall()),
        }  # fmt: skip


def _run_rows(home: Path) -> Counter:
    """Every run's own event log: how many events of each type."""
    rows = Counter()
    for path in (home / "history" / "runs").glob("*.db"):
        if path.name == "index.db":
            continue
        with sqlite3.connect(path) as db:
            rows.update(db.execute("select dagster_event_type from event_logs").fetchall())
    return rows


@pytest.fixture
def connections():
    """Counts the SQLite connections opened while the test runs (the stock storage opens one
    per event and database)."""
    opened = []

    def count(*_):
        opened.append(1)

    event.listen(Engine, "connect", count)
    yield opened
    event.remove(Engine, "connect", count)


def test_a_ranged_run_writes_the_same_rows_as_the_stock_storage(tmp_path, monkeypatch, connections):
    stock = _home(tmp_path, "stock", batched=False)
    storage, succeeded, stock_statuses = _materialize(stock, monkeypatch)
    stock_connections = len(connections)
    assert storage is not BatchedSqliteEventLogStorage and succeeded

    connections.clear()
    batched = _home(tmp_path, "batched", batched=True)
    storage, succeeded, statuses = _materialize(batched, monkeypatch)
    assert storage is BatchedSqliteEventLogStorage and succeeded

    assert _index_rows(batched) == _index_rows(stock)
    assert _run_rows(batched) == _run_rows(stock)
    events = _index_rows(batched)["events"]
    assert events[("ASSET_MATERIALIZATION_PLANNED", '["daily_figures"]', "2025-02-14")] == 1
    assert events[("ASSET_MATERIALIZATION", '["daily_figures"]', "2025-02-14")] == 1
    assert sum(n for (kind, _, _), n in events.items() if kind.startswith("ASSET_M")) == 2 * 60
    checks = _index_rows(batched)["checks"]
    assert checks[('["daily_figures"]', "figures_stored", "2025-02-14", "PLANNED", 1)] == 1
    assert statuses == stock_statuses
    assert set(statuses.values()) == {AssetPartitionStatus.MATERIALIZED}
    # The stock storage opens a connection per event and database: a partition's planned and
    # materialized events cost it four. Batched, they cost a few per run; reads are the same.
    saved = stock_connections - len(connections)
    assert saved >= 3 * 60, f"{stock_connections} connections stock, {len(connections)} batched"


def test_a_failed_ranged_run_marks_every_partition_failed(tmp_path, monkeypatch):
    stock_statuses = _materialize(
        _home(tmp_path, "stock", batched=False), monkeypatch, failing_daily_figures, False
    )[2]
    storage, succeeded, statuses = _materialize(
        _home(tmp_path, "batched", batched=True), monkeypatch, failing_daily_figures, False
    )
    assert storage is BatchedSqliteEventLogStorage and not succeeded
    assert statuses == stock_statuses
    assert set(statuses.values()) == {AssetPartitionStatus.FAILED}


def test_an_instance_keeps_its_history_when_it_switches_storage(tmp_path, monkeypatch):
    home = _home(tmp_path, "home", batched=False)
    _materialize(home, monkeypatch)
    shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
        materialized = instance.get_materialized_partitions(AssetKey("daily_figures"))
    assert materialized == set(DAYS.get_partition_keys())


def test_without_a_dagster_home_it_says_what_to_set(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(RuntimeError, match="DAGSTER_HOME is not set"):
        BatchedSqliteEventLogStorage.from_config_value(None, {})
