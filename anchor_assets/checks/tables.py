"""What must hold for each endpoint table: its key, its counts, its shares."""

from dataclasses import dataclass
from enum import Enum


class ShareTotal(Enum):
    """What a day's (or a snapshot's) shares must add up to."""

    # The API gives the whole distribution, exactly: the shares add up to 1.
    WHOLE = "whole"
    # The whole distribution, but shares of 1% and more rounded to two decimals.
    WHOLE_ROUNDED = "whole_rounded"
    # The API leaves out entries under 2%, so what is left adds up to 1 at most.
    AT_MOST_ONE = "at_most_one"


@dataclass(frozen=True)
class Shares:
    total: ShareTotal
    # Rows that share one distribution: a day, a snapshot, a snapshot's country.
    per: tuple[str, ...]
    column: str = "share"


@dataclass(frozen=True)
class TableRules:
    # Columns that tell rows apart within a partition (or a snapshot: they hold snapshot_date).
    key: tuple[str, ...]
    # Counts that can never be negative.
    counts: tuple[str, ...] = ()
    shares: Shares | None = None
    # The column a partition's rows are chosen by: date (daily tables), episode_id (per episode).
    partition_column: str | None = None
    # Whether every episode_id must be in the episode list.
    per_episode: bool = False
    # A table that may legitimately hold an episode the stored list does not know yet (a new
    # episode counted before the list was read again) only warns.
    unknown_episodes_warn_only: bool = False
    # Two episodes can carry the same title, so a repeated key may be real: only warn.
    duplicates_warn_only: bool = False

    @property
    def daily(self) -> bool:
        return self.partition_column == "date"


def _per_episode(*key: str, counts: tuple[str, ...] = ()) -> TableRules:
    return TableRules(
        key=("episode_id", *key), counts=counts, partition_column="episode_id", per_episode=True
    )


def _daily_shares(label: str, total: ShareTotal) -> TableRules:
    return TableRules(
        key=("date", label), shares=Shares(total, per=("date",)), partition_column="date"
    )


TABLE_RULES: dict[str, TableRules] = {
    "episodes": TableRules(key=("episode_id",), counts=("total_plays",)),
    "episode_plays": _per_episode("date", counts=("plays",)),
    "episode_performance": _per_episode("second", counts=("listeners",)),
    "episode_aggregated_performance": _per_episode(),
    "episode_metadata": _per_episode(),
    "plays": TableRules(key=("date",), counts=("plays",), partition_column="date"),
    "plays_by_episode": TableRules(
        key=("date", "episode_title"),
        counts=("plays",),
        partition_column="date",
        duplicates_warn_only=True,
    ),
    "plays_by_age_range": _daily_shares("age_range", ShareTotal.WHOLE),
    "plays_by_app": _daily_shares("app", ShareTotal.AT_MOST_ONE),
    "plays_by_device": _daily_shares("device", ShareTotal.AT_MOST_ONE),
    "plays_by_gender": _daily_shares("gender", ShareTotal.WHOLE),
    "total_plays": TableRules(key=("snapshot_date",), counts=("plays",)),
    "total_plays_by_episode": TableRules(
        key=("snapshot_date", "episode_id"),
        counts=("plays",),
        per_episode=True,
        unknown_episodes_warn_only=True,
    ),
    "unique_listeners": TableRules(key=("snapshot_date",), counts=("listeners",)),
    "audience_size": TableRules(key=("snapshot_date",), counts=("audience_size",)),
    "plays_by_geo": TableRules(
        key=("snapshot_date", "country"),
        shares=Shares(ShareTotal.WHOLE_ROUNDED, per=("snapshot_date",)),
    ),
    "plays_by_geo_city": TableRules(
        key=("snapshot_date", "country", "region"),
        shares=Shares(ShareTotal.WHOLE_ROUNDED, per=("snapshot_date", "country")),
    ),
    "impressions": TableRules(key=("snapshot_date",), counts=("impressions",)),
    "daily_impressions": TableRules(key=("snapshot_date", "date"), counts=("impressions",)),
    "impressions_by_source": TableRules(
        key=("snapshot_date", "source_id"), counts=("impressions",)
    ),
    "impressions_funnel": TableRules(key=("snapshot_date", "stage"), counts=("count",)),
}
