"""Dagster's SQLite run history, with a backfill's per-partition events written a batch at a time.

A single run over two years of daily partitions logs 731 "planned" events per asset when it is
created and 731 materializations when its step ends. The stock SQLite event log opens a database
engine and commits twice for each of them (the run's own database and the cross-run index), about
10 ms an event: a minute of the full history went to that alone. Dagster already hands such
events over as batches when DAGSTER_EVENT_BATCH_SIZE is set, but its SQLite storage then still
writes them one by one; this storage writes each batch in one transaction per database, and a
partitioned check's planned rows in one statement, leaving the same rows the stock storage
leaves. deploy/dagster.yaml selects it; any other instance works without it, only slower.
"""

import os
from collections.abc import Sequence
from itertools import groupby

from dagster import Field, StringSource
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._serdes import serialize_value

# How many planned or materialized events Dagster hands over at once. Read by Dagster at every
# event, in every process that opens the instance (webserver, daemon, run and step workers), so
# setting it where this storage is loaded reaches all of them; a value set by the user wins.
EVENT_BATCH_SIZE = "1000"
os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)

# The events Dagster batches: a run's planned partitions and a ranged step's materializations.
BATCHED_EVENT_TYPES = {
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_OBSERVATION,
}


def default_history_dir() -> str:
    """Where Dagster's default SQLite storage keeps run histories: $DAGSTER_HOME/history/runs."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError(
            "DAGSTER_HOME is not set: set it to the instance folder, or give the event log"
            " storage a base_dir in dagster.yaml."
        )
    return os.path.join(home, "history", "runs")


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log storage that writes a batch of asset events in one transaction per file.

    Same files and layout as Dagster's default SQLite storage, so an existing instance keeps its
    history when it switches to this one, and back.
    """

    @classmethod
    def config_type(cls):  # type: ignore[override]
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # type: ignore[override]
        base_dir = config_value.get("base_dir") or default_history_dir()
        return cls(base_dir=base_dir, inst_data=inst_data)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        # A run's planned events come with its checks' planned events in the same batch: those
        # (and anything else) keep the stock path, in the batch's order.
        for batchable, group in groupby(events, key=_batchable):
            group = list(group)
            if batchable:
                self._store_asset_events(group)
            else:
                for event in group:
                    self.store_event(event)

    def _store_asset_events(self, events: list[EventLogEntry]) -> None:
        for run_id, group in groupby(events, key=lambda event: event.run_id):
            group = list(group)
            statements = [self.prepare_insert_event(event) for event in group]
            with self.run_connection(run_id) as conn:
                for statement in statements:
                    conn.execute(statement)
            # The asset's own row keeps, column by column, what the latest event that sets the
            # column put there: the last event of each type per asset leaves the same row as all.
            latest = {}
            for index, event in enumerate(group):
                latest[(event.get_dagster_event().asset_key, event.dagster_event_type)] = index
            last_of_kind = set(latest.values())
            # Mirrored into the cross-run index, as the stock store_event does for each one.
            with self.index_transaction() as conn:
                event_ids = []
                for index, (event, statement) in enumerate(zip(group, statements)):
                    with db_result(conn, statement) as result:
                        event_ids.append(result.inserted_primary_key[0])
                    if index in last_of_kind:
                        self._store_asset_event(conn, event, event_ids[-1])
                # The partition tags of the whole batch in one statement (and one look for the
                # tags table), not one of each per event.
                self._store_asset_event_tags(conn, group, event_ids)

    def _store_asset_check_evaluation_planned(self, event: EventLogEntry, event_id: int | None):
        # The stock method serializes the same event again for every partition of the run and
        # compiles one statement of as many rows: seconds per check over two years of days.
        planned = event.get_dagster_event().event_specific_data
        subset = planned.partitions_subset  # type: ignore[union-attr]
        row = {
            "asset_key": planned.asset_key.to_string(),  # type: ignore[union-attr]
            "check_name": planned.check_name,  # type: ignore[union-attr]
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialize_value(event),
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        keys = subset.get_partition_keys() if subset else [None]
        with self.index_connection() as conn:
            conn.execute(
                AssetCheckExecutionsTable.insert(), [{**row, "partition": key} for key in keys]
            )


def _batchable(event: EventLogEntry) -> bool:
    return (
        event.is_dagster_event
        and event.dagster_event_type in BATCHED_EVENT_TYPES
        and event.dagster_event.asset_key is not None  # type: ignore[union-attr]
    )
