"""Opening the warehouse file, waiting a bounded time while another process holds its lock."""

import time

import duckdb


class WarehouseLockedError(OSError):
    """Another process holds the DuckDB file open."""


def open_waiting_for_lock(
    database: str, *, read_only: bool, timeout_seconds: float, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to the file; DuckDB lets one process write (or several read) at a time, so a
    lock held elsewhere is waited out, with growing pauses, for up to timeout_seconds."""
    purpose = "reading" if read_only else "writing"
    deadline = time.monotonic() + timeout_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(database=database, read_only=read_only, config=config or {})
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise OSError(
                    f"the DuckDB file {database} cannot be opened for {purpose}: {error}."
                    " Check that ANCHOR_DUCKDB_PATH names a file in a folder you can write to."
                ) from None
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"the DuckDB file {database} is locked by another process (a notebook or the"
                    f" DuckDB CLI, even read-only?) and stayed locked for {timeout_seconds:g} s;"
                    " close it there and run again. Nothing was written."
                ) from None
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 1.0)
