"""Tables worked out in DuckDB SQL from the stored endpoint tables, for reading at a glance."""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, asset

from anchor_assets.analytics import queries
from anchor_assets.analytics.schemas import ANALYTICS_SCHEMAS
from anchor_assets.assets.common import KEY_PREFIX
from anchor_assets.plots import plot_metadata
from anchor_assets.storage.io_manager import COLUMN_SCHEMA
from anchor_assets.warehouse import Warehouse, WarehouseNotReadyError, missing_tables

GROUP = "analytics"
KINDS = {"duckdb", "sql"}
# Episodes whose listen-through curves are drawn in the plot: the most recently created ones
# (episode ids grow as episodes are created).
PLOTTED_EPISODES = 6

# The stored tables each analytics table is computed from: its lineage in the UI.
ANALYTICS_SOURCES: dict[str, tuple[str, ...]] = {
    "episode_summary": ("episodes", "episode_plays", "episode_aggregated_performance"),
    "listen_through": ("episode_performance", "episodes"),
    "daily_plays_by_app": ("plays_by_app", "plays"),
    "daily_plays_by_device": ("plays_by_device", "plays"),
    "audience_trend": ("total_plays", "unique_listeners", "audience_size"),
}


def _analytics_asset(table: str) -> dict:
    return {
        "key_prefix": KEY_PREFIX,
        "group_name": GROUP,
        "kinds": KINDS,
        "deps": [AssetKey([KEY_PREFIX, source]) for source in ANALYTICS_SOURCES[table]],
        "metadata": {COLUMN_SCHEMA: ANALYTICS_SCHEMAS[table]},
    }


def query(warehouse: Warehouse, table: str, sql: str) -> pd.DataFrame:
    """The rows of an analytics table, once every table it is computed from is stored."""
    with warehouse.connect() as connection:
        missing = missing_tables(connection, ANALYTICS_SOURCES[table])
        if missing:
            raise WarehouseNotReadyError(
                f"{table} is computed from {', '.join(ANALYTICS_SOURCES[table])}, but"
                f" {', '.join(missing)} is not stored yet: materialize"
                f" {', '.join(f'anchor/{name}' for name in missing)} first."
            )
        return connection.execute(sql).fetchdf()


@asset(**_analytics_asset("episode_summary"))
def episode_summary(warehouse: Warehouse) -> pd.DataFrame:
    """One row per episode: when it went out, its plays in its first 1, 7, 30 and 90 days and in
    all, and how far its listeners get."""
    return query(warehouse, "episode_summary", queries.EPISODE_SUMMARY)


@asset(**_analytics_asset("listen_through"))
def listen_through(context: AssetExecutionContext, warehouse: Warehouse) -> pd.DataFrame:
    """For each episode, the share of its starting listeners still listening at each percent
    (0 to 100) of its length."""
    frame = query(warehouse, "listen_through", queries.LISTEN_THROUGH)
    newest = frame["episode_id"].drop_duplicates().nlargest(PLOTTED_EPISODES)
    shown = frame[frame["episode_id"].isin(newest)]
    title = "Share still listening, by percent of the episode (newest episodes)"
    context.add_output_metadata(
        plot_metadata(shown, "percent", "share_still_listening", title, series="episode_id")
    )
    return frame


@asset(**_analytics_asset("daily_plays_by_app"))
def daily_plays_by_app(warehouse: Warehouse) -> pd.DataFrame:
    """Estimated plays per UTC day and app: the day's share of plays times its plays."""
    sql = queries.DAILY_PLAYS_BY.format(label="app", shares_table="plays_by_app")
    return query(warehouse, "daily_plays_by_app", sql)


@asset(**_analytics_asset("daily_plays_by_device"))
def daily_plays_by_device(warehouse: Warehouse) -> pd.DataFrame:
    """Estimated plays per UTC day and device: the day's share of plays times its plays."""
    sql = queries.DAILY_PLAYS_BY.format(label="device", shares_table="plays_by_device")
    return query(warehouse, "daily_plays_by_device", sql)


@asset(**_analytics_asset("audience_trend"))
def audience_trend(context: AssetExecutionContext, warehouse: Warehouse) -> pd.DataFrame:
    """The show's all-time plays, unique listeners and audience size on each day they were read,
    as a daily series."""
    frame = query(warehouse, "audience_trend", queries.AUDIENCE_TREND)
    context.add_output_metadata(
        plot_metadata(frame, "date", "total_plays", "All-time plays, as read each day")
    )
    return frame


analytics_assets = [
    episode_summary,
    listen_through,
    daily_plays_by_app,
    daily_plays_by_device,
    audience_trend,
]
