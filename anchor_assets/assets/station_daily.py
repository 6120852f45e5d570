"""Station figures per UTC day, one daily partition each; a backfill fetches its span in one run."""

from dagster import AssetExecutionContext, AssetsDefinition, BackfillPolicy, MaterializeResult, asset
import pandas as pd

from anchor_assets.assets.common import (
    API_POOL,
    KEY_PREFIX,
    KINDS,
    between,
    concat,
    daily_table,
    window_metadata,
)
from anchor_assets.assets.fetching import fetch_each
from anchor_assets.days import each_day, window_days
from anchor_assets.partitions import daily_partitions
from anchor_assets.plots import plot_metadata
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.transforms import plays_by_episode_table, plays_table, share_table
from anchor_assets.transforms.schemas import empty_frame

GROUP = "station_daily"

daily_asset = dict(
    key_prefix=KEY_PREFIX,
    group_name=GROUP,
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    kinds=KINDS,
    pool=API_POOL,
)


@asset(**daily_asset, metadata=daily_table("plays"))
def plays(context: AssetExecutionContext, anchor_api: AnchorApi) -> pd.DataFrame:
    """Plays of the whole show on each UTC day."""
    first, last = window_days(context.partition_time_window)
    frame = between(plays_table(anchor_api.plays(first, last)), first, last)
    context.add_output_metadata(window_metadata(first, last))
    context.add_output_metadata(plot_metadata(frame, "date", "plays", "Plays per day"))
    return frame


@asset(**daily_asset, metadata=daily_table("plays_by_episode"))
def plays_by_episode(context: AssetExecutionContext, anchor_api: AnchorApi) -> pd.DataFrame:
    """Plays of each episode on each UTC day, as the dashboard's plays-by-episode chart counts them."""
    first, last = window_days(context.partition_time_window)
    frame = between(plays_by_episode_table(anchor_api.plays_by_episode(first, last)), first, last)
    context.add_output_metadata(window_metadata(first, last))
    return frame


def _share_asset(table: str, label_column: str, fetch: str, description: str) -> AssetsDefinition:
    """A day's shares of plays by one trait; the API gives shares over the asked window, so one call a day."""

    @asset(name=table, description=description, **daily_asset, metadata=daily_table(table))
    def shares_per_day(context: AssetExecutionContext, anchor_api: AnchorApi) -> pd.DataFrame:
        first, last = window_days(context.partition_time_window)
        frames = fetch_each(
            each_day(first, last),
            lambda day: share_table(getattr(anchor_api, fetch)(day, day), day, label_column),
        )
        context.add_output_metadata(window_metadata(first, last))
        return concat(frames, empty_frame(table))

    return shares_per_day


plays_by_age_range = _share_asset(
    "plays_by_age_range", "age_range", "plays_by_age_range",
    "Share of each UTC day's plays by listeners' age range.",
)
plays_by_app = _share_asset(
    "plays_by_app", "app", "plays_by_app",
    "Share of each UTC day's plays by listening app (apps under 2% are left out by the API).",
)
plays_by_device = _share_asset(
    "plays_by_device", "device", "plays_by_device",
    "Share of each UTC day's plays by device (devices under 2% are left out by the API).",
)
plays_by_gender = _share_asset(
    "plays_by_gender", "gender", "plays_by_gender",
    "Share of each UTC day's plays by listeners' gender.",
)

station_daily_assets = [
    plays, plays_by_episode, plays_by_age_range, plays_by_app, plays_by_device, plays_by_gender
]
