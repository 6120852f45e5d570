"""Current station figures, which the API gives only for today: each run keeps today's snapshot."""

from datetime import timedelta

import pandas as pd

from dagster import AssetExecutionContext, AssetOut, Output, asset, multi_asset

from anchor_assets.assets.common import API_POOL, KEY_PREFIX, KINDS, concat, snapshot_table
from anchor_assets.assets.fetching import fetch_each
from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.plots import plot_metadata
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.transforms import (
    audience_size_table,
    impressions_tables,
    plays_by_geo_city_table,
    plays_by_geo_table,
    total_plays_by_episode_table,
    total_plays_table,
    unique_listeners_table,
)
from anchor_assets.transforms.schemas import empty_frame

GROUP = "station_totals"
# The impressions endpoint only answers for a window of exactly 29 days.
IMPRESSIONS_WINDOW_DAYS = 29

snapshot_asset = dict(key_prefix=KEY_PREFIX, group_name=GROUP, kinds=KINDS, pool=API_POOL)


@asset(**snapshot_asset, metadata=snapshot_table("total_plays"))
def total_plays(anchor_api: AnchorApi) -> pd.DataFrame:
    """All-time plays of the show, one snapshot per day it was fetched."""
    return total_plays_table(anchor_api.total_plays(), utc_today())


@asset(**snapshot_asset, metadata=snapshot_table("total_plays_by_episode"))
def total_plays_by_episode(anchor_api: AnchorApi) -> pd.DataFrame:
    """All-time plays and rank of every episode, one snapshot per day it was fetched."""
    return total_plays_by_episode_table(anchor_api.total_plays_by_episode(), utc_today())


@asset(**snapshot_asset, metadata=snapshot_table("unique_listeners"))
def unique_listeners(anchor_api: AnchorApi) -> pd.DataFrame:
    """All-time unique listeners of the show, one snapshot per day it was fetched."""
    return unique_listeners_table(anchor_api.unique_listeners(), utc_today())


@asset(**snapshot_asset, metadata=snapshot_table("audience_size"))
def audience_size(anchor_api: AnchorApi) -> pd.DataFrame:
    """The show's audience size as the dashboard reports it, one snapshot per day it was fetched."""
    return audience_size_table(anchor_api.audience_size(), utc_today())


@multi_asset(
    group_name=GROUP,
    pool=API_POOL,
    outs={
        "plays_by_geo": AssetOut(
            key_prefix=KEY_PREFIX,
            kinds=KINDS,
            metadata=snapshot_table("plays_by_geo"),
            description="All-time share of plays by listeners' country, one snapshot per day.",
        ),
        "plays_by_geo_city": AssetOut(
            key_prefix=KEY_PREFIX,
            kinds=KINDS,
            metadata=snapshot_table("plays_by_geo_city"),
            description="All-time share of each country's plays by region, for every country.",
        ),
    },
)
def plays_by_geo(context: AssetExecutionContext, anchor_api: AnchorApi):
    """Countries first, then the regions of every country the first answer named."""
    today = utc_today()
    countries = plays_by_geo_table(anchor_api.plays_by_geo(), today)
    regions = fetch_each(
        list(countries["country"]),
        lambda country: plays_by_geo_city_table(
            anchor_api.plays_by_geo_region(country), country, today
        ),
    )
    context.log.info(f"fetched the regions of {len(countries)} countries")
    yield Output(countries, "plays_by_geo")
    yield Output(concat(regions, empty_frame("plays_by_geo_city")), "plays_by_geo_city")


def _impressions_out(table: str, description: str) -> AssetOut:
    return AssetOut(
        key_prefix=KEY_PREFIX, kinds=KINDS, metadata=snapshot_table(table), description=description
    )


@multi_asset(
    group_name=GROUP,
    pool=API_POOL,
    outs={
        "impressions": _impressions_out(
            "impressions", "Times the show was seen on Spotify over the 29 days to the last complete day."
        ),
        "daily_impressions": _impressions_out(
            "daily_impressions", "Times the show was seen on Spotify on each of those 29 days."
        ),
        "impressions_by_source": _impressions_out(
            "impressions_by_source", "Where on Spotify the show was seen (home, search, library...)."
        ),
        "impressions_funnel": _impressions_out(
            "impressions_funnel", "How many who saw the show considered it and then streamed it."
        ),
    },
)
def impressions(context: AssetExecutionContext, anchor_api: AnchorApi):
    """One impressions call gives the total, the days, the sources and the funnel together."""
    today = utc_today()
    last = last_complete_day(today)
    first = last - timedelta(days=IMPRESSIONS_WINDOW_DAYS - 1)
    tables = impressions_tables(anchor_api.impressions(last), today, first, last)
    context.log.info(f"fetched impressions for {first} to {last}")
    plot = plot_metadata(tables["daily_impressions"], "date", "impressions", "Impressions per day")
    context.add_output_metadata(plot, output_name="daily_impressions")
    for table, frame in tables.items():
        yield Output(frame, table)


station_totals_assets = [
    total_plays, total_plays_by_episode, unique_listeners, audience_size, plays_by_geo, impressions
]
