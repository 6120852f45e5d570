"""The declared schema of every table: the single source of truth for names, types and meaning.

Each column's type is the DuckDB type the storage layer creates it with; its description is
what the Dagster UI shows next to the column.
"""

import pandas as pd
from dagster import TableColumn, TableSchema

# How each DuckDB type is held in a pandas frame before it is written. Dates and timestamps
# are tz-naive and mean UTC, because the API buckets and stamps everything in UTC.
PANDAS_DTYPES = {
    "BIGINT": "Int64",
    "DOUBLE": "float64",
    "DATE": "datetime64[ns]",
    "TIMESTAMP": "datetime64[ns]",
    "VARCHAR": "object",
    "BOOLEAN": "boolean",
}


def _schema(*columns: tuple[str, str, str]) -> TableSchema:
    return TableSchema(
        columns=[TableColumn(name, type, description) for name, type, description in columns]
    )


_EPISODE_ID = ("episode_id", "BIGINT", "Numeric id of the episode.")
_SNAPSHOT_DATE = ("snapshot_date", "DATE", "Day (UTC) on which this all-time value was read.")
_DAY = ("date", "DATE", "Day (UTC) the value is for.")
_SHARE = ("share", "DOUBLE", "Fraction of the day's plays, from 0 to 1.")


def _shares_by(label: str, description: str) -> TableSchema:
    return _schema(_DAY, (label, "VARCHAR", description), _SHARE)


TABLE_SCHEMAS: dict[str, TableSchema] = {
    "episodes": _schema(
        _EPISODE_ID,
        ("web_episode_id", "VARCHAR", "Short legacy id of the episode, as in its share link."),
        ("title", "VARCHAR", "Title of the episode; empty for drafts that have none yet."),
        ("published_at", "TIMESTAMP", "When the episode went out (UTC); empty while scheduled."),
        ("created_at", "TIMESTAMP", "When the episode was created (UTC)."),
        ("duration_seconds", "DOUBLE", "Length of the episode in seconds."),
        ("total_plays", "BIGINT", "Plays of the episode since it was published."),
        ("ad_count", "BIGINT", "Number of ads in the episode."),
        ("audio_count", "BIGINT", "Number of audio segments the episode is made of."),
        ("contains_music_segments", "BOOLEAN", "Whether the episode contains music segments."),
        (
            "is_published_to_spotify_exclusively",
            "BOOLEAN",
            "Whether the episode is only on Spotify.",
        ),
        ("is_trailer", "BOOLEAN", "Whether the episode is the show's trailer."),
        ("is_video_episode", "BOOLEAN", "Whether the episode is a video episode."),
        ("wordpress_post_metadata_id", "VARCHAR", "Id of the linked WordPress post, if any."),
        ("share_link_path", "VARCHAR", "Path of the episode's public page."),
        ("share_link_embed_path", "VARCHAR", "Path of the episode's embeddable player."),
        ("download_url", "VARCHAR", "Where the audio can be downloaded; empty while scheduled."),
        ("spotify_episode_uri", "VARCHAR", "Spotify URI of the episode (spotify:episode:...)."),
        ("spotify_show_uri", "VARCHAR", "Spotify URI of the show (spotify:show:...)."),
        (
            "is_gone",
            "BOOLEAN",
            "Whether the episode has left the show's episode list; its stored rows are kept.",
        ),
        ("gone_since", "DATE", "First day (UTC) the episode was missing from the list."),
    ),
    "episode_plays": _schema(
        _EPISODE_ID,
        ("date", "DATE", "First day (UTC) of the period the plays were counted in."),
        ("plays", "BIGINT", "Plays of the episode in that period."),
    ),
    "episode_performance": _schema(
        _EPISODE_ID,
        ("second", "BIGINT", "Position in the episode, in seconds from the start."),
        ("listeners", "BIGINT", "Listeners still listening at that second."),
    ),
    "episode_aggregated_performance": _schema(
        _EPISODE_ID,
        ("percentile_25", "DOUBLE", "Percent (0-100) of listeners who reached a quarter."),
        ("percentile_50", "DOUBLE", "Percent (0-100) of listeners who reached the middle."),
        ("percentile_75", "DOUBLE", "Percent (0-100) of listeners who reached three quarters."),
        ("percentile_100", "DOUBLE", "Percent (0-100) of listeners who reached the end."),
        ("average_listen_seconds", "DOUBLE", "Average time a listener listened, in seconds."),
    ),
    "episode_metadata": _schema(
        _EPISODE_ID,
        ("web_episode_id", "VARCHAR", "Short legacy id of the episode, as in its share link."),
        ("web_station_id", "VARCHAR", "Short hex id of the show, as in the dashboard's URL."),
        ("title", "VARCHAR", "Title of the episode."),
        ("description", "VARCHAR", "Show notes of the episode, as HTML."),
        ("created_at", "TIMESTAMP", "When the episode was created (UTC)."),
        ("published_at", "TIMESTAMP", "When the episode went out or goes out (UTC)."),
        (
            "total_duration",
            "BIGINT",
            "Length of the episode as the API gives it (milliseconds in the answers seen).",
        ),
        ("hour_offset", "BIGINT", "Time zone offset in hours recorded with the episode, as given."),
        ("is_deleted", "BOOLEAN", "Whether the episode was deleted."),
        ("is_published", "BOOLEAN", "Whether the episode is published."),
        ("audio_url", "VARCHAR", "Address of the episode's audio file."),
        ("spotify_url", "VARCHAR", "Address of the episode on Spotify."),
        ("episode_image", "VARCHAR", "Address of the episode's cover image, if it has its own."),
        ("share_link_path", "VARCHAR", "Path of the episode's public page."),
        ("share_link_embed_path", "VARCHAR", "Path of the episode's embeddable player."),
    ),
    "plays": _schema(_DAY, ("plays", "BIGINT", "Plays of all episodes of the show that day.")),
    "plays_by_age_range": _shares_by("age_range", "Age range of the listeners, e.g. 23-27."),
    "plays_by_app": _shares_by("app", "App the plays came from, e.g. Spotify."),
    "plays_by_device": _shares_by("device", "Kind of device the plays came from, e.g. iPhone."),
    "plays_by_gender": _shares_by("gender", "Gender the listeners gave."),
    "plays_by_episode": _schema(
        _DAY,
        ("episode_title", "VARCHAR", "Title of the episode."),
        ("plays", "BIGINT", "Plays of that episode that day."),
    ),
    "total_plays": _schema(
        _SNAPSHOT_DATE, ("plays", "BIGINT", "Plays of the whole show since it started.")
    ),
    "total_plays_by_episode": _schema(
        _SNAPSHOT_DATE,
        _EPISODE_ID,
        ("episode_title", "VARCHAR", "Title of the episode."),
        ("plays", "BIGINT", "Streams and downloads of the episode since it was published."),
        ("published_at", "TIMESTAMP", "When the episode went out (UTC)."),
        ("rank", "BIGINT", "Place of the episode among the show's episodes, 1 for most plays."),
        ("episode_uri", "VARCHAR", "Spotify URI of the episode (spotify:episode:...)."),
    ),
    "unique_listeners": _schema(
        _SNAPSHOT_DATE, ("listeners", "BIGINT", "Distinct listeners of the show since it started.")
    ),
    "audience_size": _schema(
        _SNAPSHOT_DATE, ("audience_size", "BIGINT", "People Spotify counts as the show's audience.")
    ),
    "plays_by_geo": _schema(
        _SNAPSHOT_DATE,
        ("country", "VARCHAR", "Country the plays came from."),
        ("share", "DOUBLE", "Fraction of all the show's plays, from 0 to 1."),
    ),
    "plays_by_geo_city": _schema(
        _SNAPSHOT_DATE,
        ("country", "VARCHAR", "Country the region lies in."),
        ("region", "VARCHAR", "Region or city the plays came from."),
        ("share", "DOUBLE", "Fraction of the country's plays, from 0 to 1."),
    ),
    "impressions": _schema(
        _SNAPSHOT_DATE,
        ("window_start", "DATE", "First day (UTC) of the window the impressions were counted in."),
        ("window_end", "DATE", "Last day (UTC) of that window."),
        ("impressions", "BIGINT", "Times the show was shown to someone on Spotify in the window."),
    ),
    "daily_impressions": _schema(
        _SNAPSHOT_DATE,
        _DAY,
        ("impressions", "BIGINT", "Times the show was shown to someone on Spotify that day."),
    ),
    "impressions_by_source": _schema(
        _SNAPSHOT_DATE,
        ("source_id", "VARCHAR", "Id of the place on Spotify, e.g. search."),
        ("source", "VARCHAR", "Name of the place on Spotify, e.g. Spotify Search."),
        ("impressions", "BIGINT", "Impressions from that place in the window."),
    ),
    "impressions_funnel": _schema(
        _SNAPSHOT_DATE,
        ("stage", "VARCHAR", "Step from being seen to being played: impressions, then on."),
        ("count", "BIGINT", "People who reached that step in the window."),
        (
            "conversion_share",
            "DOUBLE",
            "Fraction (0 to 1) of the previous step who reached this one; empty for the first.",
        ),
    ),
}


def empty_frame(table: str) -> pd.DataFrame:
    """A frame with no rows and every declared column of the table, typed."""
    columns = TABLE_SCHEMAS[table].columns
    return pd.DataFrame(
        {column.name: pd.Series(dtype=PANDAS_DTYPES[column.type]) for column in columns}
    )
