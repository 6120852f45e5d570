"""The nightly refresh: the last days of station figures, today's current values, and the
episodes, young ones every night and all of them once a week. Times are UTC."""

from datetime import date, datetime, timedelta, timezone

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DagsterInstance,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from anchor_assets.assets.episodes import EPISODES_PER_RUN, PUBLISH_DAYS, episode_assets, episodes
from anchor_assets.assets.station_daily import station_daily_assets
from anchor_assets.assets.station_totals import station_totals_assets
from anchor_assets.automation.requests import RETRY_FROM_FAILURE, span_request, spans
from anchor_assets.automation.settings import AutomationSettings
from anchor_assets.days import last_complete_day
from anchor_assets.partitions import daily_partitions, episode_partitions

# Every night at 03:00 UTC, a few hours into the API's new day.
NIGHTLY = "0 3 * * *"
# The day the episodes past their first weeks are refreshed too (Monday).
WEEKLY_REFRESH_WEEKDAY = 0


def _keys(assets: list[AssetsDefinition]) -> list[AssetKey]:
    return [key for asset in assets for key in asset.keys]


STATION_DAILY_KEYS = _keys(station_daily_assets)
CURRENT_VALUE_KEYS = _keys(station_totals_assets)
PER_EPISODE_KEYS = [key for key in _keys(episode_assets) if key != episodes.key]


def tick_day(context: ScheduleEvaluationContext) -> date:
    """The UTC day of the tick being evaluated (of now, when tested without a tick time)."""
    when = context.scheduled_execution_time or datetime.now(timezone.utc)
    return when.astimezone(timezone.utc).date()


def station_daily_window(day: date, lookback_days: int, start: date) -> tuple[date, date] | None:
    """The days the refresh on ``day`` fetches: the last complete day and ``lookback_days``
    before it, none before the first daily partition; None while even the last is before it."""
    last = last_complete_day(day)
    if last < start:
        return None
    return max(last - timedelta(days=lookback_days), start), last


def young_episode_keys(
    keys: list[str], publish_days: dict[str, str | None], day: date, young_days: int
) -> list[str]:
    """The episodes with at most ``young_days`` complete days on ``day``; those not out yet,
    and those the stored list does not know yet, count as young."""
    earliest_young = last_complete_day(day) - timedelta(days=young_days - 1)
    return [
        key
        for key in keys
        if publish_days.get(key) is None or date.fromisoformat(publish_days[key]) >= earliest_young
    ]


def latest_publish_days(instance: DagsterInstance) -> dict[str, str | None]:
    """Each listed episode's publish day, as the latest anchor/episodes materialization recorded."""
    event = instance.get_latest_materialization_event(episodes.key)
    if event is None or event.asset_materialization is None:
        return {}
    recorded = event.asset_materialization.metadata.get(PUBLISH_DAYS)
    return dict(recorded.value) if recorded is not None else {}


def build_schedules(settings: AutomationSettings) -> list[ScheduleDefinition]:
    @schedule(
        name="anchor_station_daily_refresh",
        cron_schedule=NIGHTLY,
        execution_timezone="UTC",
        target=AssetSelection.assets(*station_daily_assets),
        default_status=DefaultScheduleStatus.RUNNING,
    )
    def station_daily_refresh(context: ScheduleEvaluationContext):
        """Every night, one run of the station_daily assets over the last complete day and the
        ANCHOR_LOOKBACK_DAYS days before it, which the API still fills in."""
        start = daily_partitions.start.date()
        window = station_daily_window(tick_day(context), settings.lookback_days, start)
        if window is None:
            return SkipReason(f"no complete day yet since the first daily partition, {start}")
        first, last = (day.isoformat() for day in window)
        return span_request(f"{first}...{last}", STATION_DAILY_KEYS, first, last)

    @schedule(
        name="anchor_current_values_refresh",
        cron_schedule=NIGHTLY,
        execution_timezone="UTC",
        target=AssetSelection.assets(*station_totals_assets),
        default_status=DefaultScheduleStatus.RUNNING,
    )
    def current_values_refresh(context: ScheduleEvaluationContext):
        """Every night, one run that stores today's snapshot of the station_totals assets."""
        return RunRequest(
            run_key=tick_day(context).isoformat(),
            asset_selection=CURRENT_VALUE_KEYS,
            tags=RETRY_FROM_FAILURE,
        )

    @schedule(
        name="anchor_episode_refresh",
        cron_schedule=NIGHTLY,
        execution_timezone="UTC",
        target=AssetSelection.assets(*episode_assets),
        default_status=DefaultScheduleStatus.RUNNING,
    )
    def episode_refresh(context: ScheduleEvaluationContext):
        """Every night, the episode list, and the figures of episodes in their first
        ANCHOR_YOUNG_EPISODE_DAYS days; on Mondays, of every episode. Up to 500 episodes a run."""
        return episode_refresh_requests(context.instance, tick_day(context), settings)

    return [station_daily_refresh, current_values_refresh, episode_refresh]


def episode_refresh_requests(
    instance: DagsterInstance, day: date, settings: AutomationSettings
) -> list[RunRequest]:
    """Runs of anchor/episodes followed by the per-episode assets over spans of the episodes
    due on ``day``; a run of the list alone when none is due. Gone episodes have no partition."""
    order = instance.get_dynamic_partitions(episode_partitions.name)
    keys = order
    if day.weekday() != WEEKLY_REFRESH_WEEKDAY:
        keys = young_episode_keys(
            order, latest_publish_days(instance), day, settings.young_episode_days
        )
    due = spans(keys, order, EPISODES_PER_RUN)
    if not due:
        return [
            RunRequest(
                run_key=f"{day} episode list",
                asset_selection=[episodes.key],
                tags=RETRY_FROM_FAILURE,
            )
        ]
    return [
        span_request(f"{day} {first}...{last}", [episodes.key, *PER_EPISODE_KEYS], first, last)
        for first, last in due
    ]
