"""What keeps the warehouse current on its own: the nightly schedules and episode discovery,
all on as soon as the code location loads (the Dagster daemon runs them)."""

import os
from collections.abc import Mapping

from dagster import Definitions

from anchor_assets.automation.schedules import build_schedules
from anchor_assets.automation.sensors import build_episode_discovery_sensor
from anchor_assets.automation.settings import load_automation_settings


def automation_defs(environ: Mapping[str, str] = os.environ) -> Definitions:
    """The schedules and the sensor, paced by ANCHOR_LOOKBACK_DAYS and ANCHOR_YOUNG_EPISODE_DAYS
    (checked here, with an error naming the variable). The sensor uses the anchor_api resource."""
    settings = load_automation_settings(environ)
    return Definitions(
        schedules=build_schedules(settings), sensors=[build_episode_discovery_sensor()]
    )


__all__ = ["automation_defs"]
