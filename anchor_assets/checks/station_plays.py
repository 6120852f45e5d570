"""Whether the show's plays per day are the sum of its episodes' plays that day."""

from dagster import MetadataValue

from anchor_assets.checks.outcome import SHOWN_ROWS, CheckedRows, Outcome
from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.warehouse import missing_tables

# Days compared: those in scope that are complete, up to the newest day of stored episode plays
# (episode plays are fetched to the last complete day of their run, station plays per partition).
DAILY_GAPS = """
with compared as (
    select date, plays as station_plays
    from plays
    where {scope}
      and date <= $last_complete_day
      and date <= (select max(date) from episode_plays)
),
episodes_per_day as (
    select date, sum(plays) as episode_plays
    from episode_plays
    where date in (select date from compared)
    group by date
)
select
    date,
    station_plays,
    coalesce(episode_plays, 0) as episode_plays,
    station_plays - coalesce(episode_plays, 0) as gap
from compared left join episodes_per_day using (date)
order by abs(gap) desc, date
"""


def plays_match_episode_plays(rows: CheckedRows) -> Outcome:
    if missing_tables(rows.connection, ["episode_plays"]):
        return Outcome(False, "No episode plays are stored: materialize anchor/episode_plays")
    days = rows.query(
        DAILY_GAPS.format(scope=rows.scope.condition),
        last_complete_day=last_complete_day(utc_today()),
    )
    off = days[days["gap"] != 0]
    total_gap = int(days["gap"].sum())
    metadata = {
        "days_compared": MetadataValue.int(len(days)),
        "days_off": MetadataValue.int(len(off)),
        "total_gap": MetadataValue.int(total_gap),
        "largest_gap": MetadataValue.int(int(days["gap"].abs().max()) if len(days) else 0),
    }
    if not len(days):
        return Outcome(
            True, f"No complete day of {rows.scope} has episode plays stored yet", metadata
        )
    if len(off):
        metadata["days"] = MetadataValue.md(off.head(SHOWN_ROWS).to_markdown(index=False))
        return Outcome(
            False,
            f"On {len(off)} of {len(days)} days the episodes' plays do not add up to the show's"
            f" (a gap of {total_gap} plays in all); if it is large, materialize episode_plays"
            " for every episode again",
            metadata,
        )
    return Outcome(
        True, f"On each of {len(days)} days the episodes' plays add up to the show's", metadata
    )
