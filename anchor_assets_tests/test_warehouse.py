"""The read-only warehouse the checks and analytics query: it waits for a writer to finish."""

import subprocess
import sys
import time

import duckdb
import pytest

from anchor_assets.warehouse import Warehouse, WarehouseNotReadyError

HOLD_SECONDS = 1.5
HOLDER = """
import duckdb, sys, time
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_open_for_writing(path, seconds: float) -> subprocess.Popen:
    """Another process that keeps the DuckDB file open for writing for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def warehouse_file(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema anchor; create table anchor.plays as select 7 as plays")
    return path


def test_a_query_waits_while_another_process_writes(warehouse_file):
    holder = hold_open_for_writing(warehouse_file, HOLD_SECONDS)
    started = time.monotonic()

    with Warehouse(database=str(warehouse_file), schema="anchor").connect() as connection:
        assert connection.execute("select plays from plays").fetchall() == [(7,)]

    assert time.monotonic() - started > HOLD_SECONDS / 2
    holder.wait(timeout=30)


def test_a_lock_held_too_long_fails_naming_the_file(warehouse_file):
    holder = hold_open_for_writing(warehouse_file, HOLD_SECONDS * 2)
    try:
        with pytest.raises(OSError, match="is locked by another process"):
            with Warehouse(database=str(warehouse_file), lock_timeout_seconds=0.2).connect():
                pass
    finally:
        holder.wait(timeout=30)


def test_a_warehouse_not_written_yet_says_what_to_do(tmp_path):
    with pytest.raises(WarehouseNotReadyError, match="materialize some assets first"):
        with Warehouse(database=str(tmp_path / "none.duckdb")).connect():
            pass
