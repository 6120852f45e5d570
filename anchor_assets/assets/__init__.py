"""Every asset of the code location, one module per group."""

from anchor_assets.assets.episodes import episode_assets
from anchor_assets.assets.station_daily import station_daily_assets
from anchor_assets.assets.station_totals import station_totals_assets

all_assets = [*episode_assets, *station_daily_assets, *station_totals_assets]
