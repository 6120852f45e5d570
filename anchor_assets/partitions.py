"""How the assets are split: UTC days for station figures, episodes for per-episode figures."""

from dagster import DailyPartitionsDefinition, DynamicPartitionsDefinition

from anchor_assets.days import DATA_DELAY_DAYS
from anchor_assets.settings import load_settings

# Days end at the last complete one: the API is still filling in the newer days, and a partition
# stored with half its plays would look done.
daily_partitions = DailyPartitionsDefinition(
    start_date=load_settings().start_date.isoformat(),
    timezone="UTC",
    end_offset=1 - DATA_DELAY_DAYS,
)

# Filled by the episodes asset with every episode's numeric id.
episode_partitions = DynamicPartitionsDefinition(name="anchor_episodes")
