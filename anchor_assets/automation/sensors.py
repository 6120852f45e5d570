"""Episode discovery: new episodes get a partition and their figures, gone ones are marked."""

import json

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from anchor_assets.assets.episodes import (
    EPISODES_PER_RUN,
    episode_assets,
    episodes,
    partition_changes,
)
from anchor_assets.automation.requests import RETRY_FROM_FAILURE, span_request, spans
from anchor_assets.automation.schedules import PER_EPISODE_KEYS
from anchor_assets.partitions import episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.transforms import episode_list_table

# One look at the episode list an hour: a page per 50 episodes, and a run only when it changed.
CHECK_EVERY_SECONDS = 3600


def build_episode_discovery_sensor() -> SensorDefinition:
    @sensor(
        name="anchor_episode_discovery",
        minimum_interval_seconds=CHECK_EVERY_SECONDS,
        target=AssetSelection.assets(*episode_assets),
        default_status=DefaultSensorStatus.RUNNING,
    )
    def episode_discovery(context: SensorEvaluationContext, anchor_api: AnchorApi):
        """Every hour, reads the episode list. A new episode gets its partition and a run of
        anchor/episodes and its per-episode assets; a gone one loses its partition and a run of
        anchor/episodes marks it gone, keeping its rows."""
        listed = [str(key) for key in episode_list_table(anchor_api.episodes())["episode_id"]]
        return discovery_result(context, listed)

    return episode_discovery


def discovery_result(context: SensorEvaluationContext, listed: list[str]) -> SensorResult:
    """What one look at the list asks for. The cursor holds the episodes listed last time, so an
    episode is fetched once when it appears, whoever added its partition. Before the first look
    that succeeds, the episodes whose figures are stored stand in: a partition added by a run of
    anchor/episodes alone (while the sensor's looks failed on a refused cookie, say) still gets
    its episode's figures."""
    known = context.instance.get_dynamic_partitions(episode_partitions.name)
    new_keys, gone_keys = partition_changes(listed, known)
    seen = set(json.loads(context.cursor)) if context.cursor else _fetched(context, known)
    arrived = [key for key in listed if key not in seen]
    order = [key for key in known if key not in gone_keys] + new_keys

    run_requests = [
        span_request(None, [episodes.key, *PER_EPISODE_KEYS], first, last)
        for first, last in spans(arrived, order, EPISODES_PER_RUN)
    ]
    if gone_keys and not run_requests:
        run_requests = [RunRequest(asset_selection=[episodes.key], tags=RETRY_FROM_FAILURE)]
    partition_requests = []
    if new_keys:
        partition_requests.append(episode_partitions.build_add_request(new_keys))
    if gone_keys:
        partition_requests.append(episode_partitions.build_delete_request(gone_keys))

    cursor = json.dumps(listed)
    if not run_requests and not partition_requests:
        return SensorResult(
            skip_reason=f"no episode came or went among {len(listed)}", cursor=cursor
        )
    context.log.info(f"{len(arrived)} new episodes: {arrived}; {len(gone_keys)} gone: {gone_keys}")
    return SensorResult(
        run_requests=run_requests, dynamic_partitions_requests=partition_requests, cursor=cursor
    )


def _fetched(context: SensorEvaluationContext, known: list[str]) -> set[str]:
    """The known episodes that every per-episode asset has materialized."""
    fetched = set(known)
    for key in PER_EPISODE_KEYS:
        fetched &= context.instance.get_materialized_partitions(key)
    return fetched
