"""Every asset of the code location, one module per group."""

import warnings

from dagster import BetaWarning

BETA_FEATURES = "|".join((
    "backfill_policy", "build_column_schema_change_checks", "with_source_code_references",
    "CodeReferencesMetadataValue", "LocalFileCodeReference",
))  # fmt: skip

# Single-run backfills (a span of days in one call), column schema checks and code references
# are features this project relies on; Dagster still marks them beta and says so on every load.
warnings.filterwarnings("ignore", category=BetaWarning, message=f".*({BETA_FEATURES})")

from anchor_assets.assets.episodes import episode_assets  # noqa: E402
from anchor_assets.assets.station_daily import station_daily_assets  # noqa: E402
from anchor_assets.assets.station_totals import station_totals_assets  # noqa: E402

all_assets = [*episode_assets, *station_daily_assets, *station_totals_assets]
