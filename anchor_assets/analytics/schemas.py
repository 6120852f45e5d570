"""The declared columns of each analytics table, as the UI shows them."""

from dagster import TableColumn, TableSchema


def _schema(*columns: tuple[str, str, str]) -> TableSchema:
    return TableSchema(
        columns=[TableColumn(name, type, description) for name, type, description in columns]
    )


def _plays_within(days: int, words: str) -> tuple[str, str, str]:
    name = "plays_first_day" if days == 1 else f"plays_first_{days}_days"
    return (
        name,
        "BIGINT",
        f"Plays on {words} (day 1 is the UTC day it went out); empty until {days} days are stored.",
    )


def _daily_plays_by(label: str, words: str) -> TableSchema:
    return _schema(
        ("date", "DATE", "Day (UTC)."),
        (label, "VARCHAR", words),
        ("share", "DOUBLE", "Fraction of the day's plays, from 0 to 1."),
        ("day_plays", "BIGINT", "Plays of the whole show that day."),
        ("estimated_plays", "DOUBLE", "Estimated plays that day: share times the day's plays."),
    )


ANALYTICS_SCHEMAS: dict[str, TableSchema] = {
    "episode_summary": _schema(
        ("episode_id", "BIGINT", "Numeric id of the episode."),
        ("title", "VARCHAR", "Title of the episode; empty for drafts that have none yet."),
        ("publish_date", "DATE", "Day (UTC) the episode went out; empty while not out."),
        ("duration_seconds", "DOUBLE", "Length of the episode in seconds."),
        _plays_within(1, "the day it went out"),
        _plays_within(7, "its first 7 days"),
        _plays_within(30, "its first 30 days"),
        _plays_within(90, "its first 90 days"),
        ("total_plays", "BIGINT", "Plays since it went out, as of the last episode list."),
        ("percentile_25", "DOUBLE", "Percent (0-100) of listeners who reached a quarter."),
        ("percentile_50", "DOUBLE", "Percent (0-100) of listeners who reached the middle."),
        ("percentile_75", "DOUBLE", "Percent (0-100) of listeners who reached three quarters."),
        ("percentile_100", "DOUBLE", "Percent (0-100) of listeners who reached the end."),
        ("average_listen_seconds", "DOUBLE", "Average time a listener listened, in seconds."),
        (
            "average_share_heard",
            "DOUBLE",
            "Average fraction of the episode a listener heard: average listen over its length.",
        ),
    ),
    "listen_through": _schema(
        ("episode_id", "BIGINT", "Numeric id of the episode."),
        ("percent", "BIGINT", "Position in the episode, in percent of its length (0 to 100)."),
        ("second", "BIGINT", "That position in seconds from the start."),
        ("listeners", "BIGINT", "Listeners still listening there."),
        (
            "share_still_listening",
            "DOUBLE",
            "Fraction (0 to 1) of the listeners at the start still listening there.",
        ),
    ),
    "daily_plays_by_app": _daily_plays_by("app", "App the plays came from, e.g. Spotify."),
    "daily_plays_by_device": _daily_plays_by(
        "device", "Kind of device the plays came from, e.g. iPhone."
    ),
    "audience_trend": _schema(
        ("date", "DATE", "Day (UTC) the all-time figures were read."),
        ("total_plays", "BIGINT", "Plays of the whole show since it started, as of that day."),
        ("unique_listeners", "BIGINT", "Distinct listeners since the show started, that day."),
        ("audience_size", "BIGINT", "People Spotify counted as the show's audience that day."),
    ),
}
