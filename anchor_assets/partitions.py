"""How the assets are split: UTC days for station figures, episodes for per-episode figures."""

from dagster import DailyPartitionsDefinition, DynamicPartitionsDefinition

from anchor_assets.settings import load_settings

daily_partitions = DailyPartitionsDefinition(
    start_date=load_settings().start_date.isoformat(), timezone="UTC"
)

# Filled by the episodes asset with every episode's numeric id.
episode_partitions = DynamicPartitionsDefinition(name="anchor_episodes")
