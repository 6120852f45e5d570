"""The episode list, and each episode's figures, partitioned by its numeric episode id."""

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    BackfillPolicy,
    MetadataValue,
    asset,
)

from anchor_assets.assets.common import KEY_PREFIX, KINDS, between, concat, episode_table, table_metadata
from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.partitions import episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.transforms import (
    episode_aggregated_performance_table,
    episode_list_table,
    episode_metadata_table,
    episode_performance_table,
    episode_plays_table,
)
from anchor_assets.transforms.schemas import empty_frame

GROUP = "episodes"
# Episodes per run when a backfill covers many: each run loads the episode list once.
EPISODES_PER_RUN = 50


class UnknownEpisodeError(LookupError):
    """An episode partition whose id is not in the stored episode list."""


@asset(key_prefix=KEY_PREFIX, group_name=GROUP, kinds=KINDS, metadata=table_metadata("episodes"))
def episodes(context: AssetExecutionContext, anchor_api: AnchorApi) -> pd.DataFrame:
    """Every episode of the show, drafts and scheduled ones included; adds a partition for each."""
    frame = episode_list_table(anchor_api.episodes())
    known = set(context.instance.get_dynamic_partitions(episode_partitions.name))
    new_ids = [str(episode_id) for episode_id in frame["episode_id"] if str(episode_id) not in known]
    if new_ids:
        context.instance.add_dynamic_partitions(episode_partitions.name, new_ids)
    context.log.info(f"{len(frame)} episodes, {len(new_ids)} new")
    context.add_output_metadata({"new_episodes": MetadataValue.int(len(new_ids))})
    return frame


per_episode = dict(
    key_prefix=KEY_PREFIX,
    group_name=GROUP,
    kinds=KINDS,
    partitions_def=episode_partitions,
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=EPISODES_PER_RUN),
    ins={"episode_list": AssetIn(key=[KEY_PREFIX, "episodes"])},
)


def _chosen_episodes(context: AssetExecutionContext, episode_list: pd.DataFrame) -> pd.DataFrame:
    """The stored episodes of this run's partitions; an id missing from the list is an error."""
    wanted = [int(key) for key in context.partition_keys]
    chosen = episode_list[episode_list["episode_id"].isin(wanted)]
    missing = sorted(set(wanted) - set(chosen["episode_id"]))
    if missing:
        raise UnknownEpisodeError(
            f"episode ids {missing} are not in the stored episode list: materialize"
            " anchor/episodes first, or delete these partitions if the episodes were removed."
        )
    titles = ", ".join(str(title) for title in chosen["title"].head(5))
    context.add_output_metadata({"episodes": MetadataValue.text(titles)})
    return chosen


@asset(**per_episode, metadata=episode_table("episode_plays"))
def episode_plays(
    context: AssetExecutionContext, anchor_api: AnchorApi, episode_list: pd.DataFrame
) -> pd.DataFrame:
    """Plays of an episode on each UTC day since it was published, to the last complete day."""
    last = last_complete_day(utc_today())
    frames = []
    for episode in _chosen_episodes(context, episode_list).itertuples():
        first = _first_day(episode)
        if first is None or first > last:
            continue
        body = anchor_api.episode_plays(episode.episode_id, first, last)
        frames.append(between(episode_plays_table(body, episode.episode_id), first, last))
    return concat(frames, empty_frame("episode_plays"))


def _first_day(episode):
    """The day an episode went out; drafts and scheduled episodes have none and no plays yet."""
    published = episode.published_at
    return None if pd.isna(published) else published.date()


@asset(**per_episode, metadata=episode_table("episode_performance"))
def episode_performance(
    context: AssetExecutionContext, anchor_api: AnchorApi, episode_list: pd.DataFrame
) -> pd.DataFrame:
    """How many listeners are still listening at each second of an episode."""
    frames = [
        episode_performance_table(anchor_api.episode_performance(episode_id), episode_id)
        for episode_id in _chosen_episodes(context, episode_list)["episode_id"]
    ]
    return concat(frames, empty_frame("episode_performance"))


@asset(**per_episode, metadata=episode_table("episode_aggregated_performance"))
def episode_aggregated_performance(
    context: AssetExecutionContext, anchor_api: AnchorApi, episode_list: pd.DataFrame
) -> pd.DataFrame:
    """Share of listeners who reach a quarter, half, three quarters and the end, and the average listen."""
    frames = [
        episode_aggregated_performance_table(
            anchor_api.episode_aggregated_performance(episode_id), episode_id
        )
        for episode_id in _chosen_episodes(context, episode_list)["episode_id"]
    ]
    return concat(frames, empty_frame("episode_aggregated_performance"))


@asset(**per_episode, metadata=episode_table("episode_metadata"))
def episode_metadata(
    context: AssetExecutionContext, anchor_api: AnchorApi, episode_list: pd.DataFrame
) -> pd.DataFrame:
    """An episode's details from its overview: description, audio, links, publishing state."""
    frames = [
        episode_metadata_table(anchor_api.episode_overview(episode_id), episode_id)
        for episode_id in _chosen_episodes(context, episode_list)["episode_id"]
    ]
    return concat(frames, empty_frame("episode_metadata"))


episode_assets = [
    episodes, episode_plays, episode_performance, episode_aggregated_performance, episode_metadata
]
