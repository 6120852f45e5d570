"""anchor-assets: a podcast's Spotify for Creators analytics as Dagster assets in DuckDB."""

import warnings

from dagster import BetaWarning

# Single-run backfills are what let a daily asset fetch a span of days in one call; Dagster
# still marks backfill_policy as beta and would say so once per asset on every load.
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")
