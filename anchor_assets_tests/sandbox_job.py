"""Asset jobs with their resources read from the ANCHOR_* variables as the code location reads
them: a run process and each of its step processes rebuild the same job from these functions,
so a test can run them out of process against the sandbox (see test_backfill.py)."""

import os

from dagster import (
    AssetSelection,
    Definitions,
    JobDefinition,
    define_asset_job,
    in_process_executor,
)

from anchor_assets.assets import all_assets
from anchor_assets.assets.episodes import episode_assets, episodes
from anchor_assets.assets.station_daily import station_daily_assets
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager


def station_daily_job() -> JobDefinition:
    return _job("station_daily", AssetSelection.assets(*station_daily_assets))


def per_episode_job() -> JobDefinition:
    selection = AssetSelection.assets(*episode_assets) - AssetSelection.assets(episodes)
    return _job("per_episode", selection)




def _job(name: str, selection: AssetSelection) -> JobDefinition:
    defs = Definitions(
        assets=all_assets,
        jobs=[define_asset_job(name, selection=selection, executor_def=in_process_executor)],
        resources={
            "anchor_api": AnchorApi(
                base_url=os.environ["ANCHOR_BASE_URL"],
                webstation_id=os.environ["ANCHOR_WEBSTATION_ID"],
                anchorpw_s=os.environ["ANCHOR_PW_S"],
            ),
            "io_manager": AnchorDuckDBIOManager(
                database=os.environ["ANCHOR_DUCKDB_PATH"], schema="anchor"
            ),
        },
    )
    return defs.resolve_job_def(name)
