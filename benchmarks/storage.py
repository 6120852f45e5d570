"""Storage throughput alone: episode-performance rows written through the project's IO manager
(AnchorDuckDBIOManager) by a real materialization of a stand-in for anchor/episode_performance,
with the same table metadata, partitioned by episode like the real asset.

  python -m benchmarks.storage --rows 1000000 --folder /tmp/x   prints one JSON line
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import (
    AssetExecutionContext,
    DagsterEventType,
    DagsterInstance,
    StaticPartitionsDefinition,
    asset,
    materialize,
)

from anchor_assets.assets.common import KEY_PREFIX, episode_table
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager

# A run of the real backfill writes 50 episodes (BackfillPolicy.multi_run); the rows are split
# over this many episodes, so that one materialization writes them all.
EPISODES = 100


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        print(json.dumps(measure(args.rows, Path(folder))))
    return 0


def measure(rows: int, folder: Path) -> dict:
    episode_ids = [str(1_000_000 + n) for n in range(EPISODES)]
    frame = _performance_rows(rows, [int(key) for key in episode_ids])
    partitions = StaticPartitionsDefinition(episode_ids)

    @asset(
        key_prefix=KEY_PREFIX,
        name="episode_performance",
        partitions_def=partitions,
        metadata=episode_table("episode_performance"),
    )
    def episode_performance(context: AssetExecutionContext) -> pd.DataFrame:
        return frame

    io_manager = AnchorDuckDBIOManager(database=str(folder / "storage.duckdb"), schema="anchor")
    tags = {
        "dagster/asset_partition_range_start": episode_ids[0],
        "dagster/asset_partition_range_end": episode_ids[-1],
    }
    figures = {"rows": rows, "episodes": EPISODES}
    with DagsterInstance.ephemeral() as instance:
        # First into an empty table, then again: a rerun deletes the stored rows and inserts anew.
        for label in ("first_write", "rewrite"):
            started = time.perf_counter()
            result = materialize(
                [episode_performance],
                instance=instance,
                resources={"io_manager": io_manager},
                tags=tags,
            )
            run_seconds = time.perf_counter() - started
            write_seconds = _output_handling_seconds(instance, result.run_id)
            figures[label] = {
                "run_seconds": run_seconds,
                "io_manager_seconds": write_seconds,
                "rows_per_second": rows / write_seconds,
            }
    figures["file_bytes"] = (folder / "storage.duckdb").stat().st_size
    return figures


def _performance_rows(rows: int, episode_ids: list[int]) -> pd.DataFrame:
    """Listeners at each second of each episode, typed as the transforms type them."""
    per_episode = -(-rows // len(episode_ids))
    ids = np.repeat(np.array(episode_ids, dtype=np.int64), per_episode)[:rows]
    seconds = np.tile(np.arange(per_episode, dtype=np.int64), len(episode_ids))[:rows]
    listeners = np.maximum(1000 - seconds // 20, 1)
    return pd.DataFrame(
        {
            "episode_id": pd.array(ids, dtype="Int64"),
            "second": pd.array(seconds, dtype="Int64"),
            "listeners": pd.array(listeners, dtype="Int64"),
        }
    )


def _output_handling_seconds(instance: DagsterInstance, run_id: str) -> float:
    """From the step yielding its output to the IO manager having stored it (event times)."""
    stamps = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_OUTPUT:
            stamps["output"] = record.timestamp
        elif event.event_type == DagsterEventType.HANDLED_OUTPUT:
            stamps["handled"] = record.timestamp
    return stamps["handled"] - stamps["output"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", help="where to put the temporary DuckDB file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
