"""Station figures per UTC day, one daily partition each; a backfill fetches its span in one run.

The six tables are one step: their requests all go into one queue, and each table is stored as
soon as its answers are in while the API is busy with the next table's, instead of idling while
the step stores. Each table is still an asset of its own (any of them can be materialized alone).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, BackfillPolicy, Output, multi_asset

from anchor_assets.assets.common import (
    API_POOL,
    between,
    chosen_table_outs,
    daily_table,
    window_metadata,
)
from anchor_assets.assets.fetching import fetch_in_turn
from anchor_assets.days import each_day, window_days
from anchor_assets.partitions import daily_partitions
from anchor_assets.plots import chart
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.transforms import plays_by_episode_table, plays_table, share_tables

GROUP = "station_daily"

DESCRIPTIONS = {
    "plays": "Plays of the whole show on each UTC day.",
    "plays_by_episode": (
        "Plays of each episode on each UTC day, as the dashboard's plays-by-episode chart"
        " counts them."
    ),
    "plays_by_age_range": "Share of each UTC day's plays by listeners' age range.",
    "plays_by_app": (
        "Share of each UTC day's plays by listening app (apps under 2% are left out by the API)."
    ),
    "plays_by_device": (
        "Share of each UTC day's plays by device (devices under 2% are left out by the API)."
    ),
    "plays_by_gender": "Share of each UTC day's plays by listeners' gender.",
}
CHARTS = {"plays": chart("date", "plays", "Plays per day")}
# The share tables, by the column holding their label; the API gives shares over the window
# asked, so each day is one call of its own.
SHARE_LABELS = {
    "plays_by_age_range": "age_range",
    "plays_by_app": "app",
    "plays_by_device": "device",
    "plays_by_gender": "gender",
}


@dataclass(frozen=True)
class DailyFetch:
    """How one table's span of days is asked for: the requests, and the frame their answers make."""

    items: list
    fetch: Callable[[Any], Any]
    combine: Callable[[list], pd.DataFrame]


def daily_fetches(anchor_api: AnchorApi, first: date, last: date) -> dict[str, DailyFetch]:
    """Every table's requests for the days first..last: plays and plays by episode take one
    ranged call, each share table one call a day."""

    def ranged(read) -> DailyFetch:
        # The API may answer a ranged call with more days than were asked for.
        fetch = lambda span: between(read(*span), first, last)  # noqa: E731
        return DailyFetch([(first, last)], fetch, lambda frames: frames[0])

    fetches = {
        "plays": ranged(lambda a, b: plays_table(anchor_api.plays(a, b))),
        "plays_by_episode": ranged(
            lambda a, b: plays_by_episode_table(anchor_api.plays_by_episode(a, b))
        ),
    }
    for table, label in SHARE_LABELS.items():
        endpoint, days = getattr(anchor_api, table), each_day(first, last)
        fetches[table] = DailyFetch(
            days,
            lambda day, endpoint=endpoint: endpoint(day, day),
            lambda answers, days=days, label=label: share_tables(zip(days, answers), label),
        )
    return fetches


@multi_asset(
    name="station_daily",
    group_name=GROUP,
    pool=API_POOL,
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    can_subset=True,
    outs=chosen_table_outs(DESCRIPTIONS, lambda table: daily_table(table) | CHARTS.get(table, {})),
)
def station_daily(context: AssetExecutionContext, anchor_api: AnchorApi):
    """The chosen tables over the run's days, each stored once its answers are in."""
    first, last = window_days(context.partition_time_window)
    fetches = daily_fetches(anchor_api, first, last)
    selected = context.op_execution_context.selected_output_names
    chosen = [name for name in DESCRIPTIONS if name in selected]
    groups = [(name, fetches[name].items, fetches[name].fetch) for name in chosen]
    for name, frames in fetch_in_turn(groups):
        frame = fetches[name].combine(frames)
        yield Output(frame, name, metadata=window_metadata(first, last))


station_daily_assets = [station_daily]
