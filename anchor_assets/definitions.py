"""The anchor_assets code location: every Spotify for Creators endpoint as an asset in DuckDB."""

from dagster import Definitions, EnvVar, build_column_schema_change_checks

from anchor_assets.assets import all_assets
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.settings import check_credentials, load_settings
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager

settings = load_settings()
check_credentials()

defs = Definitions(
    assets=all_assets,
    # A warning on an asset whose stored columns changed since its previous materialization.
    asset_checks=build_column_schema_change_checks(assets=all_assets),
    resources={
        # EnvVar keeps the cookie out of the UI: it shows the variable's name, never its value.
        "anchor_api": AnchorApi(
            base_url=settings.base_url,
            webstation_id=EnvVar("ANCHOR_WEBSTATION_ID"),
            anchorpw_s=EnvVar("ANCHOR_PW_S"),
        ),
        "io_manager": AnchorDuckDBIOManager(database=settings.duckdb_path, schema="anchor"),
    },
)
