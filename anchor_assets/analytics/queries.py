"""The SQL behind each analytics table, run in DuckDB against the stored tables of the schema."""

# One row per episode of the episode list. Day 1 is the UTC day the episode went out. A window's
# plays stay NULL until the stored daily plays reach its last day: the episode is younger, or
# its plays were last fetched before.
EPISODE_SUMMARY = """
with daily as (
    select
        episode_plays.episode_id,
        episode_plays.plays,
        date_diff('day', cast(episodes.published_at as date), episode_plays.date) + 1 as day_number
    from episode_plays
    join episodes using (episode_id)
),
windows as (
    select
        episode_id,
        max(day_number) as days_stored,
        sum(plays) filter (where day_number between 1 and 1) as plays_day_1,
        sum(plays) filter (where day_number between 1 and 7) as plays_days_1_to_7,
        sum(plays) filter (where day_number between 1 and 30) as plays_days_1_to_30,
        sum(plays) filter (where day_number between 1 and 90) as plays_days_1_to_90
    from daily
    group by episode_id
)
select
    episodes.episode_id,
    episodes.title,
    cast(episodes.published_at as date) as publish_date,
    episodes.duration_seconds,
    case when days_stored >= 1 then coalesce(plays_day_1, 0) end as plays_first_day,
    case when days_stored >= 7 then coalesce(plays_days_1_to_7, 0) end as plays_first_7_days,
    case when days_stored >= 30 then coalesce(plays_days_1_to_30, 0) end as plays_first_30_days,
    case when days_stored >= 90 then coalesce(plays_days_1_to_90, 0) end as plays_first_90_days,
    episodes.total_plays,
    performance.percentile_25,
    performance.percentile_50,
    performance.percentile_75,
    performance.percentile_100,
    performance.average_listen_seconds,
    performance.average_listen_seconds / nullif(episodes.duration_seconds, 0) as average_share_heard
from episodes
left join windows using (episode_id)
left join episode_aggregated_performance as performance using (episode_id)
order by episodes.published_at desc nulls first, episodes.episode_id
"""

# For each episode with a performance curve, the share of its starting listeners still in at
# each percent of its length (from the episode list; the curve's own length if unknown). A
# position between two points of the curve takes the point before it.
LISTEN_THROUGH = """
with curves as (
    select
        episode_id,
        arg_min(listeners, second) as starting_listeners,
        max(second) + 1 as curve_seconds
    from episode_performance
    group by episode_id
),
positions as (
    select
        curves.episode_id,
        percents.percent,
        cast(floor(
            coalesce(episodes.duration_seconds, curves.curve_seconds) * percents.percent / 100
        ) as bigint) as second,
        curves.starting_listeners
    from curves
    left join episodes using (episode_id)
    cross join range(0, 101) as percents(percent)
)
select
    positions.episode_id,
    positions.percent,
    positions.second,
    curve.listeners,
    curve.listeners / nullif(positions.starting_listeners, 0) as share_still_listening
from positions
asof join episode_performance as curve
    on positions.episode_id = curve.episode_id
    and positions.second >= curve.second
order by positions.episode_id, positions.percent
"""

# Estimated plays per day and {label}: the day's share times the day's plays. The API leaves out
# {label}s under 2% of plays, so a day's estimates add up to a little less than its plays.
DAILY_PLAYS_BY = """
select
    shares.date,
    shares.{label},
    shares.share,
    plays.plays as day_plays,
    shares.share * plays.plays as estimated_plays
from {shares_table} as shares
join plays using (date)
order by shares.date desc, estimated_plays desc, shares.{label}
"""

# The all-time figures read each day, side by side: one row per day any of them was read.
AUDIENCE_TREND = """
with days as (
    select snapshot_date from total_plays
    union
    select snapshot_date from unique_listeners
    union
    select snapshot_date from audience_size
)
select
    days.snapshot_date as date,
    total_plays.plays as total_plays,
    unique_listeners.listeners as unique_listeners,
    audience_size.audience_size
from days
left join total_plays using (snapshot_date)
left join unique_listeners using (snapshot_date)
left join audience_size using (snapshot_date)
order by date desc
"""
