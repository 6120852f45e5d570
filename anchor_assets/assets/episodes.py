"""The episode list, and each episode's figures, partitioned by its numeric episode id.

The four per-episode tables are one step, as the daily ones are: all their requests go into one
queue and each table is stored as soon as its answers are in, while the API works on the next.
"""

from collections.abc import Iterable

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    BackfillPolicy,
    DagsterInstance,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from anchor_assets.assets.common import (
    API_POOL,
    KEY_PREFIX,
    KINDS,
    between,
    chosen_table_outs,
    concat,
    episode_table,
    stored_table,
    table_metadata,
)
from anchor_assets.assets.fetching import fetch_in_turn
from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.partitions import episode_partitions
from anchor_assets.plots import chart
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.transforms import (
    episode_aggregated_performance_table,
    episode_list_table,
    episode_metadata_table,
    episode_performance_table,
    episode_plays_table,
)
from anchor_assets.transforms.episodes import with_gone_episodes
from anchor_assets.transforms.schemas import empty_frame

GROUP = "episodes"
# Episodes per run when a backfill, the sensor or the weekly refresh covers many. Each run costs
# seconds of starting up, far more than the second 50 episodes' requests take, so a show's
# whole back catalogue is one run; a network's thousands still split, and one run holds at most
# about 1.5 million performance rows (some 3,000 an episode) in memory.
EPISODES_PER_RUN = 500

# Materialization metadata of anchor/episodes: the UTC day each listed episode went out (null
# while not out), which the episode refresh schedule reads to tell young episodes from old.
PUBLISH_DAYS = "anchor/publish_days"


class UnknownEpisodeError(LookupError):
    """An episode partition whose id is not in the stored episode list."""


class EmptyEpisodeListError(RuntimeError):
    """The episode list came back empty while episodes are known: a fault of the API, most
    likely, rather than every episode gone at once."""


@asset(
    key_prefix=KEY_PREFIX,
    group_name=GROUP,
    kinds=KINDS,
    pool=API_POOL,
    metadata=table_metadata("episodes"),
)
def episodes(context: AssetExecutionContext, anchor_api: AnchorApi) -> pd.DataFrame:
    """Every episode of the show, drafts and scheduled ones included, and those that left the
    list (is_gone); each listed episode has a partition, a gone one's partition is removed."""
    listed = episode_list_table(anchor_api.episodes())
    frame = with_gone_episodes(listed, stored_table(context), utc_today())
    new_keys, gone_keys = sync_episode_partitions(context.instance, listed["episode_id"])
    gone_count = int(frame["is_gone"].sum())
    context.log.info(
        f"{len(listed)} episodes listed, {len(new_keys)} new; {gone_count} gone"
        + (f", partitions removed: {', '.join(gone_keys)}" if gone_keys else "")
    )
    context.add_output_metadata(
        {
            "new_episodes": MetadataValue.int(len(new_keys)),
            "gone_episodes": MetadataValue.int(gone_count),
            PUBLISH_DAYS: MetadataValue.json(_publish_days(listed)),
        }
    )
    return frame


def partition_changes(
    listed_ids: Iterable, known_keys: Iterable[str]
) -> tuple[list[str], list[str]]:
    """The partition keys to add (listed episodes without one, in the list's order) and to
    remove (episodes no longer listed), given the listed episode ids and the existing keys."""
    listed = list(dict.fromkeys(str(episode_id) for episode_id in listed_ids))
    known = list(known_keys)
    if known and not listed:
        raise EmptyEpisodeListError(
            f"the episode list came back empty although {len(known)} episodes have a partition;"
            " nothing was changed. Try again later; if the show really has no episode left,"
            " delete the anchor_episodes partitions in the UI."
        )
    known_set, listed_set = set(known), set(listed)
    new_keys = [key for key in listed if key not in known_set]
    gone_keys = [key for key in known if key not in listed_set]
    return new_keys, gone_keys


def sync_episode_partitions(
    instance: DagsterInstance, listed_ids: Iterable
) -> tuple[list[str], list[str]]:
    """Gives every listed episode a partition and removes those of episodes no longer listed,
    so that no backfill or schedule asks the API for them; their stored rows stay."""
    known = instance.get_dynamic_partitions(episode_partitions.name)
    new_keys, gone_keys = partition_changes(listed_ids, known)
    if new_keys:
        instance.add_dynamic_partitions(episode_partitions.name, new_keys)
    for key in gone_keys:
        instance.delete_dynamic_partition(episode_partitions.name, key)
    return new_keys, gone_keys


def _publish_days(listed: pd.DataFrame) -> dict[str, str | None]:
    days = listed["published_at"].dt.strftime("%Y-%m-%d")
    return {
        str(episode_id): None if pd.isna(day) else day
        for episode_id, day in zip(listed["episode_id"], days)
    }


PER_EPISODE_DESCRIPTIONS = {
    "episode_plays": (
        "Plays of an episode on each UTC day since it was published, to the last complete day."
    ),
    "episode_performance": "How many listeners are still listening at each second of an episode.",
    "episode_aggregated_performance": (
        "Share of listeners who reach a quarter, half, three quarters and the end, and the"
        " average listen."
    ),
    "episode_metadata": (
        "An episode's details from its overview: description, audio, links, publishing state."
    ),
}
CHARTS = {
    "episode_plays": chart("date", "plays", "Plays per day", series="episode_id"),
    "episode_performance": chart(
        "second", "listeners", "Listeners still in, by second", series="episode_id"
    ),
}


@multi_asset(
    name="per_episode",
    group_name=GROUP,
    pool=API_POOL,
    partitions_def=episode_partitions,
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=EPISODES_PER_RUN),
    can_subset=True,
    ins={"episode_list": AssetIn(key=[KEY_PREFIX, "episodes"])},
    outs=chosen_table_outs(
        PER_EPISODE_DESCRIPTIONS, lambda table: episode_table(table) | CHARTS.get(table, {})
    ),
)
def per_episode(context: AssetExecutionContext, anchor_api: AnchorApi, episode_list: pd.DataFrame):
    """The chosen tables for the run's episodes, each stored once its answers are in."""
    chosen = _chosen_episodes(context, episode_list)
    titles = {"episodes": MetadataValue.text(", ".join(map(str, chosen["title"].head(5))))}
    episode_ids = list(chosen["episode_id"])
    last = last_complete_day(utc_today())
    first_days = [
        (episode.episode_id, first)
        for episode in chosen.itertuples()
        if (first := _first_day(episode)) is not None and first <= last
    ]

    def plays_of(episode_first_day) -> pd.DataFrame:
        episode_id, first = episode_first_day
        body = anchor_api.episode_plays(episode_id, first, last)
        return between(episode_plays_table(body, episode_id), first, last)

    fetches = {
        "episode_plays": (first_days, plays_of),
        "episode_performance": (
            episode_ids,
            lambda episode_id: episode_performance_table(
                anchor_api.episode_performance(episode_id), episode_id
            ),
        ),
        "episode_aggregated_performance": (
            episode_ids,
            lambda episode_id: episode_aggregated_performance_table(
                anchor_api.episode_aggregated_performance(episode_id), episode_id
            ),
        ),
        "episode_metadata": (
            episode_ids,
            lambda episode_id: episode_metadata_table(
                anchor_api.episode_overview(episode_id), episode_id
            ),
        ),
    }
    selected = context.op_execution_context.selected_output_names
    groups = [(table, *fetches[table]) for table in fetches if table in selected]
    for table, frames in fetch_in_turn(groups):
        frame = concat(frames, empty_frame(table))
        yield Output(frame, table, metadata=titles)


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
    # Writing this run's partitions replaces their rows: fetching nothing for a gone episode
    # would wipe what is kept of it, so the run stops before asking anything.
    gone = sorted(chosen.loc[_is_gone(chosen), "episode_id"])
    if gone:
        raise UnknownEpisodeError(
            f"episode ids {gone} have left the show's episode list (anchor/episodes marks them"
            " gone); their stored rows are kept and they are no longer fetched. Leave them out."
        )
    return chosen


def _is_gone(episode_list: pd.DataFrame) -> pd.Series:
    # A list stored before episodes could leave it has no is_gone column: none of them is gone.
    if "is_gone" not in episode_list:
        return pd.Series(False, index=episode_list.index)
    return episode_list["is_gone"].fillna(False).astype(bool)


def _first_day(episode):
    """The day an episode went out; drafts and scheduled episodes have none and no plays yet."""
    published = episode.published_at
    return None if pd.isna(published) else published.date()


episode_assets = [episodes, per_episode]
