"""Tables about single episodes: the episode list, their plays, drop-off and metadata."""

from datetime import date
from typing import Any

import pandas as pd

from .frames import (
    DAY_HEADERS,
    PLAYS_HEADERS,
    AnswerShapeError,
    read_rows,
    records_frame,
    snake_case,
    table_frame,
    typed_frame,
)

# The episode list gives each episode's length in milliseconds; the table holds seconds.
MILLISECONDS_PER_SECOND = 1000

# Fields of an episode list item, mapped to the columns of the episodes table.
EPISODE_FIELDS = {
    "episodeId": "episode_id",
    "webEpisodeId": "web_episode_id",
    "title": "title",
    "publishOnUnixTimestamp": "published_at",
    "createdUnixTimestamp": "created_at",
    "duration": "duration_seconds",
    "totalPlays": "total_plays",
    "adCount": "ad_count",
    "audioCount": "audio_count",
    "containsMusicSegments": "contains_music_segments",
    "isPublishedToSpotifyExclusively": "is_published_to_spotify_exclusively",
    "isTrailer": "is_trailer",
    "isVideoEpisode": "is_video_episode",
    "wordpressPostMetadataId": "wordpress_post_metadata_id",
    "shareLinkPath": "share_link_path",
    "shareLinkEmbedPath": "share_link_embed_path",
    "downloadUrl": "download_url",
    "spotifyEpisodeUri": "spotify_episode_uri",
    "spotifyShowUri": "spotify_show_uri",
}

# Fields of the episode overview, mapped to the columns of episode_metadata. Where the older
# `podcastEpisodes[]` item names a field differently, its name comes second.
METADATA_FIELDS = {
    "web_episode_id": ("webEpisodeId", "podcastEpisodeId"),
    "web_station_id": ("webStationId",),
    "title": ("title",),
    "description": ("description",),
    "created_at": ("createdUnixTimestamp", "created"),
    "published_at": ("publishOnUnixTimestamp", "publishOn"),
    "total_duration": ("totalDuration", "duration"),
    "hour_offset": ("hourOffset",),
    "is_deleted": ("isDeleted",),
    "is_published": ("isPublished",),
    "spotify_url": ("spotifyUrl",),
    "episode_image": ("episodeImage",),
    "share_link_path": ("shareLinkPath",),
    "share_link_embed_path": ("shareLinkEmbedPath",),
}

PERFORMANCE_HEADERS = {"Sample": "second", "Second": "second", "Listeners": "listeners"}
METRIC_HEADERS = {"Metric": "metric", "Value": "value"}


def episode_list_table(items: Any) -> pd.DataFrame:
    """The show's episodes, one row each, from the items of all episode list pages."""
    kind = "episodePage"
    episodes = records_frame(items, kind, "episode items", EPISODE_FIELDS).assign(is_gone=False)
    episodes = typed_frame(episodes, "episodes", kind)
    episodes["duration_seconds"] = episodes["duration_seconds"] / MILLISECONDS_PER_SECOND
    return episodes


def with_gone_episodes(
    listed: pd.DataFrame, stored: pd.DataFrame | None, today: date
) -> pd.DataFrame:
    """The listed episodes, then every stored episode the list no longer has, kept as it was
    last seen and marked gone since the first day it was missing.

    ``stored`` is the table as the previous materialization left it (None before the first one);
    a table stored before the gone columns existed counts as having no gone episode.
    """
    if stored is None or stored.empty:
        return listed
    stored = typed_frame(stored, "episodes", "stored episodes")
    gone = stored[~stored["episode_id"].isin(listed["episode_id"])]
    already_gone = gone["is_gone"].fillna(False).astype(bool)
    gone = gone.assign(
        is_gone=True,
        gone_since=gone["gone_since"].where(already_gone, pd.Timestamp(today)),
    )
    return typed_frame(pd.concat([listed, gone], ignore_index=True), "episodes", "stored episodes")


def episode_plays_table(body: Any, episode_id: int) -> pd.DataFrame:
    """Plays of one episode per period (a UTC day unless another interval was asked for)."""
    headers = {**DAY_HEADERS, **PLAYS_HEADERS}
    rows = read_rows(body, "episode plays", "episode_plays", headers)
    return table_frame(rows, "episode_plays", episode_id=episode_id)


def episode_performance_table(body: Any, episode_id: int) -> pd.DataFrame:
    """How many listeners of one episode were still listening at each second of it."""
    rows = read_rows(body, "episode performance", "episode_performance", PERFORMANCE_HEADERS)
    return table_frame(rows, "episode_performance", episode_id=episode_id)


def episode_aggregated_performance_table(body: Any, episode_id: int) -> pd.DataFrame:
    """How far listeners got into one episode and how long they listened on average.

    One row for the episode; no row when the answer is empty.
    """
    kind, table = "episode aggregatedPerformance", "episode_aggregated_performance"
    metrics = read_rows(body, kind, table, METRIC_HEADERS).frame
    if metrics.empty:
        return typed_frame(metrics, table, kind)

    wide = _one_row_per_episode(metrics, kind).assign(episode_id=episode_id)
    # A metric the API adds later is kept as a number column of its own.
    return typed_frame(wide, table, kind, {name: "DOUBLE" for name in wide.columns})


def episode_metadata_table(overview: Any, episode_id: int) -> pd.DataFrame:
    """Title, description, dates and links of one episode, from its overview.

    Also reads an item of the older `podcastEpisodes[]` answer, which names some fields
    differently and gives its publish time in milliseconds.
    """
    kind = "episode overview"
    if not isinstance(overview, dict):
        raise AnswerShapeError(kind, f"is a {type(overview).__name__}, not a JSON object")
    if not overview:
        return typed_frame(pd.DataFrame(), "episode_metadata", kind)

    row = {column: _first_present(overview, keys) for column, keys in METADATA_FIELDS.items()}
    row["audio_url"] = _audio_url(overview, kind)
    frame = pd.DataFrame([row], dtype=object).assign(episode_id=episode_id)
    return typed_frame(frame, "episode_metadata", kind)


def _one_row_per_episode(metrics: pd.DataFrame, kind: str) -> pd.DataFrame:
    if "metric" not in metrics or "value" not in metrics:
        raise AnswerShapeError(kind, "has no Metric and Value columns")
    if not all(isinstance(metric, str) for metric in metrics["metric"]):
        raise AnswerShapeError(kind, f"has metrics without a name: {list(metrics['metric'])}")
    names = [snake_case(metric) for metric in metrics["metric"]]
    if len(set(names)) != len(names):
        raise AnswerShapeError(kind, f"names a metric twice: {names}")
    return pd.DataFrame([dict(zip(names, metrics["value"], strict=True))], dtype=object)


def _first_present(overview: dict, keys: tuple[str, ...]) -> Any:
    # A key that is present but null is an answer (e.g. no publish time while scheduled), so
    # only a key that is absent falls through to the older shape's name.
    return next((overview[key] for key in keys if key in overview), None)


def _audio_url(overview: dict, kind: str) -> str | None:
    audios = overview.get("episodeAudios")
    if audios is None:
        return overview.get("url")
    if not isinstance(audios, list) or not all(isinstance(audio, dict) for audio in audios):
        raise AnswerShapeError(kind, "has `episodeAudios` that is not a list of objects")
    return audios[0].get("url") if audios else None
