"""How the nightly refresh is paced, read from the environment when the code location loads."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from anchor_assets.settings import SettingError

LOOKBACK_VARIABLE = "ANCHOR_LOOKBACK_DAYS"
# The API fills a day in over about two days, and now and then corrects one a little later:
# the nightly run fetches the last complete day and this many days before it again.
DEFAULT_LOOKBACK_DAYS = 3
# Each day costs one call per share table every night; past two months that is a backfill's job.
MAX_LOOKBACK_DAYS = 60

YOUNG_EPISODE_VARIABLE = "ANCHOR_YOUNG_EPISODE_DAYS"
# An episode's figures move most in its first weeks: refreshed every night until it has this
# many complete days, then once a week.
DEFAULT_YOUNG_EPISODE_DAYS = 30
MAX_YOUNG_EPISODE_DAYS = 366


@dataclass(frozen=True)
class AutomationSettings:
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    young_episode_days: int = DEFAULT_YOUNG_EPISODE_DAYS


def load_automation_settings(environ: Mapping[str, str] = os.environ) -> AutomationSettings:
    return AutomationSettings(
        lookback_days=_whole_number(
            environ,
            LOOKBACK_VARIABLE,
            DEFAULT_LOOKBACK_DAYS,
            0,
            MAX_LOOKBACK_DAYS,
            "how many days before the last complete day the nightly run fetches again",
        ),
        young_episode_days=_whole_number(
            environ,
            YOUNG_EPISODE_VARIABLE,
            DEFAULT_YOUNG_EPISODE_DAYS,
            1,
            MAX_YOUNG_EPISODE_DAYS,
            "for how many days after it goes out an episode is refreshed every night",
        ),
    )


def _whole_number(
    environ: Mapping[str, str], name: str, default: int, least: int, most: int, meaning: str
) -> int:
    text = (environ.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or not least <= int(text) <= most:
        raise SettingError(
            f"{name}={text!r} is not a whole number from {least} to {most}: set it to {meaning},"
            f" or unset it for {default}."
        )
    return int(text)
