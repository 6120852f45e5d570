"""The anchor_assets code location: every Spotify for Creators endpoint as an asset in DuckDB."""

from dagster import (
    Definitions,
    EnvVar,
    build_column_schema_change_checks,
    in_process_executor,
    with_source_code_references,
)

from anchor_assets.analytics import analytics_assets
from anchor_assets.assets import all_assets
from anchor_assets.assets.fetching import parallel_requests
from anchor_assets.automation import automation_defs
from anchor_assets.checks import anchor_checks
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.settings import check_credentials, load_settings
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager
from anchor_assets.warehouse import Warehouse

settings = load_settings()
check_credentials()
# How many requests each step sends at once, and how many all runs together may have in flight.
requests_at_once = parallel_requests()

assets = [*all_assets, *analytics_assets]

# A run's steps run one after another in the run's own process; each step asks the API for
# several things at once, and the AnchorApi resource keeps all runs within one budget of
# requests in flight (ANCHOR_PARALLEL_REQUESTS). Dagster's multiprocess executor costs a
# process per step and passes every event through a queue it drains one event per poll of each
# step: a daily step of two years (731 materializations) held its pool slot 9 s after it was
# done, and memory doubled.
executor = in_process_executor

defs = Definitions.merge(
    Definitions(
        assets=with_source_code_references(assets),
        executor=executor,
        asset_checks=[
            # A warning on an asset whose stored columns changed since its previous materialization.
            *build_column_schema_change_checks(assets=assets),
            *anchor_checks,
        ],
        resources={
            # EnvVar keeps the cookie out of the UI: it shows the variable's name, never its value.
            "anchor_api": AnchorApi(
                base_url=settings.base_url,
                webstation_id=EnvVar("ANCHOR_WEBSTATION_ID"),
                anchorpw_s=EnvVar("ANCHOR_PW_S"),
                parallel_requests=requests_at_once,
            ),
            "io_manager": AnchorDuckDBIOManager(database=settings.duckdb_path, schema="anchor"),
            # The checks and the analytics read the same file and schema in SQL.
            "warehouse": Warehouse(database=settings.duckdb_path, schema="anchor"),
        },
    ),
    # Schedules and the episode sensor; they check their own settings when the location loads.
    automation_defs(),
)
