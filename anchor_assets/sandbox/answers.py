"""The API's JSON bodies, filled with the fictional show's figures.

Each function shapes one endpoint's answer as the recorded answers in
anchor_assets_tests/fixtures/anchor/ are shaped: the same kind, parameters, column headers,
translation mappings, colors and labels, and the same quirks (listeners as strings, rows: [] with
timeRange: [] when there is nothing to show).
"""

from datetime import date
from urllib.parse import quote

from anchor_assets.sandbox.audience import IMPRESSION_SOURCES
from anchor_assets.sandbox.catalogue import Episode
from anchor_assets.sandbox.show import MIN_SHARE, FictionalShow
from anchor_assets.sandbox.utc import SECONDS_PER_DAY, days_from, iso_instant, midnight

TIME_HEADER = {"name": "Time (UTC)", "type": "integer", "isDateTime": True}
PLAYS_HEADER = {"name": "Plays", "type": "integer"}
SHARE_HEADER = {"name": "Percent of Plays", "type": "number"}

# The show's share kinds: the API's kind for each and the header of its label column.
SHARE_ENDPOINTS = {
    "age_range": ("playsByAgeRange", "Age Range"),
    "gender": ("playsByGender", "Gender"),
    "app": ("playsByApp", "App"),
    "device": ("playsByDevice", "Device"),
}
COLORS = {
    "Male": "#26008D", "Female": "#5925FF", "Not specified": "#9691FF", "Non-binary": "#D7DBFF",
    "Spotify": "#1ED760", "Web Browser": "#5D55FF", "Apple Podcasts": "#D56DFB",
    "Pocket Casts": "#F43E37", "CastBox": "#F55B23", "Overcast": "#FC7E0F",
    "Podcast Addict": "#F4842D", "Castro": "#00B265", "Podverse": "#2D1449",
    "iPhone": "#5D55FF", "Android": "#26008D", "Mac": "#EF77A1", "Windows": "#80AC0B",
    "iPad": "#9691FF", "Smart Speaker": "#D7DBFF", "Other": "#FF4834",
}  # fmt: skip
# Age ranges all come in one color in the real answers.
DEFAULT_COLOR = "#26008D"

# The fictional show's audio lives on a host that cannot exist (RFC 2606).
AUDIO_HOST = "https://sandbox.invalid/audio"


def episode_page(show: FictionalShow, episodes: list[Episode], next_path: str | None) -> dict:
    return {
        "stationId": show.station_id,
        "items": [episode_item(show, episode) for episode in episodes],
        "next": next_path,
    }


def episode_item(show: FictionalShow, episode: Episode) -> dict:
    return {
        "episodeId": episode.episode_id,
        "webEpisodeId": episode.web_episode_id,
        "title": episode.title,
        "publishOnUnixTimestamp": episode.publish_at,
        "createdUnixTimestamp": episode.created_at,
        "shareLinkPath": _share_link(show, episode, "episodes"),
        "shareLinkEmbedPath": _share_link(show, episode, "embed/episodes"),
        "downloadUrl": _download_url(episode),
        "totalPlays": show.episode_total_plays(episode.episode_id),
        "duration": episode.duration_ms,
        "adCount": 0,
        "containsMusicSegments": False,
        "isPublishedToSpotifyExclusively": False,
        "wordpressPostMetadataId": None,
        "isTrailer": False,
        "isVideoEpisode": False,
        "audioCount": 0 if episode.audio_id is None else 1,
        "spotifyEpisodeUri": episode.spotify_episode_uri,
        "spotifyShowUri": show.spotify_show_uri,
    }


def daily_plays(owner: dict, time_range: list[int], plays: list[tuple[date, int]], interval: int):
    """Plays per bucket (a day, or the buckets of ``interval`` seconds) of a station or episode;
    owner is {"stationId": S} or {"episodeId": E}."""
    rows = [[midnight(day), count] for day, count in plays]
    return {
        **owner,
        "kind": "plays",
        "parameters": {"timeRange": _shown_range(time_range, rows), "timeInterval": interval},
        "data": {"rows": rows, "columnHeaders": [TIME_HEADER, PLAYS_HEADER]},
    }


def shares(show: FictionalShow, kind: str, time_range: list[int], served: dict[str, float]):
    api_kind, label_header = SHARE_ENDPOINTS[kind]
    parameters = {"timeRange": _shown_range(time_range, served)}
    if kind in ("app", "device"):
        parameters = {"minValue": MIN_SHARE, **parameters, "timeInterval": SECONDS_PER_DAY}
    return {
        "stationId": show.station_id,
        "kind": api_kind,
        "parameters": parameters,
        "data": {
            "rows": [[label, share] for label, share in served.items()],
            "translationMapping": {label: label for label in served},
            "columnHeaders": [{"name": label_header, "type": "string"}, SHARE_HEADER],
            "colors": {label: COLORS.get(label, DEFAULT_COLOR) for label in served},
        },
    }


def plays_by_episode(
    show: FictionalShow,
    time_range: list[int],
    limit: int | None,
    top_per_day: list[tuple[date, list[tuple[int, int]]]],
) -> dict:
    """Rows [day, "index", plays]; the index points into labels.EpisodeTitle, numbered in the
    order the episodes first appear."""
    index_of: dict[int, str] = {}
    rows = []
    for day, top in top_per_day:
        for episode_id, plays in top:
            index = index_of.setdefault(episode_id, str(len(index_of)))
            rows.append([midnight(day), index, plays])
    parameters = {"timeRange": _shown_range(time_range, rows), "timeInterval": SECONDS_PER_DAY}
    if limit is not None:
        parameters["limit"] = limit
    titles = {index: show.episode(episode_id).title for episode_id, index in index_of.items()}
    return {
        "stationId": show.station_id,
        "kind": "playsByEpisode",
        "parameters": parameters,
        "data": {
            "rows": rows,
            "columnHeaders": [
                TIME_HEADER,
                {"labelKey": "EpisodeTitle", "type": "string"},
                PLAYS_HEADER,
            ],
            "labels": {"EpisodeTitle": titles},
        },
    }


def single_value(show: FictionalShow, kind: str, header: str, value: int) -> dict:
    """totalPlays, uniqueListeners and audienceSize: one number under one header."""
    return {
        "stationId": show.station_id,
        "kind": kind,
        "data": {"rows": [value], "columnHeaders": [{"name": header, "type": "integer"}]},
    }


def total_plays_by_episode(show: FictionalShow) -> dict:
    rows = []
    for rank, (episode_id, plays) in enumerate(show.total_plays_by_episode(), start=1):
        episode = show.episode(episode_id)
        uri = episode.spotify_episode_uri
        rows.append([episode.title, episode_id, plays, episode.publish_at, rank, uri])
    return {
        "stationId": show.station_id,
        "kind": "totalPlaysByEpisode",
        "data": {
            "rows": rows,
            "columnHeaders": [
                {"name": "Episode Title", "type": "string"},
                {"name": "Episode ID", "type": "integer"},
                {"name": "Streams & Downloads", "type": "integer"},
                {"name": "Publish Time (UTC)", "type": "integer", "isDateTime": True},
                {"name": "Rank", "type": "integer"},
                {"name": "Episode URI", "type": "string"},
            ],
        },
    }


def plays_by_geo(show: FictionalShow, country: str | None, served: dict[str, float]) -> dict:
    """Countries (country None) or the regions of one country, largest share first."""
    return {
        "stationId": show.station_id,
        "kind": "playsByGeo",
        "parameters": {
            "geos": [None, country, None],
            "resultGeo": "geo_2" if country is None else "geo_3",
            "timeRange": [midnight(show.first_day), midnight(show.today)],
            "timeInterval": 3600,
        },
        "data": {
            "rows": [[place, share] for place, share in served.items()],
            "columnHeaders": [{"name": "Geo", "type": "string"}, SHARE_HEADER],
            "assets": {"flagUrlByGeo": {}},
        },
    }


def impressions(show: FictionalShow, windows: dict[str, tuple[date, date]]) -> dict:
    """One entry per asked figure, each over its own window of days; the funnel comes along
    unasked, as it does from the real API, over the first asked window."""
    figures = {
        "impressions": show.impressions,
        "dailyImpressions": lambda first, last: _daily_impressions(show, first, last),
        "impressionsBySource": lambda first, last: _impressions_by_source(show, first, last),
    }
    answer = {"impressionsFunnel": _spotify_value(_funnel(show, *next(iter(windows.values()))))}
    for figure, (first, last) in windows.items():
        if figure in figures:
            answer[figure] = _spotify_value(figures[figure](first, last))
    return answer


def performance(episode: Episode, curve: list[int]) -> dict:
    # Listeners come as strings in the real answers: a quirk the client must survive.
    return {
        "episodeId": episode.episode_id,
        "kind": "performance",
        "data": {
            "rows": [[second, str(listeners)] for second, listeners in enumerate(curve)],
            "columnHeaders": [
                {"name": "Sample", "type": "integer"},
                {"name": "Listeners", "type": "integer"},
            ],
        },
    }


def aggregated_performance(episode: Episode, figures: dict[str, int] | None) -> dict:
    # The mean listening time comes as a string, the percentiles as numbers.
    rows = [
        [metric, str(value) if metric == "averageListenSeconds" else value]
        for metric, value in (figures or {}).items()
    ]
    return {
        "episodeId": episode.episode_id,
        "kind": "aggregatedPerformance",
        "data": {
            "rows": rows,
            "columnHeaders": [
                {"name": "Metric", "type": "string"},
                {"name": "Value", "type": "integer"},
            ],
        },
    }


def overview(show: FictionalShow, episode: Episode, with_web_ids: bool) -> dict:
    answer = {
        "episodeId": episode.episode_id,
        "stationId": show.station_id,
        "title": episode.title,
        "description": episode.description,
        "created": iso_instant(episode.created_at),
        "createdUnixTimestamp": episode.created_at,
        "publishOn": None if episode.publish_at is None else iso_instant(episode.publish_at),
        "publishOnUnixTimestamp": episode.publish_at,
        "totalDuration": episode.duration_ms,
        "hourOffset": 0,
        "isDeleted": False,
        "isPublished": episode.is_published,
        "episodeAudios": [] if episode.audio_id is None else [{"url": _audio_url(episode)}],
        "spotifyUrl": _spotify_url(episode),
        "episodeImage": None,
        "shareLinkPath": _share_link(show, episode, "episodes"),
        "shareLinkEmbedPath": _share_link(show, episode, "embed/episodes"),
    }
    if with_web_ids:
        answer["webEpisodeId"] = episode.web_episode_id
        answer["webStationId"] = show.webstation_id
    return answer


def _shown_range(time_range: list[int], rows) -> list[int]:
    # An answer with nothing in it says timeRange: [] whatever was asked, like the real API.
    return list(time_range) if rows else []


def _daily_impressions(show: FictionalShow, first: date, last: date) -> list[dict]:
    daily = ((day, show.daily_impressions(day)) for day in days_from(first, last))
    return [{"date": midnight(day), "value": value} for day, value in daily if value is not None]


def _impressions_by_source(show: FictionalShow, first: date, last: date) -> list[dict]:
    counts = show.impressions_by_source(first, last)
    return [
        {"id": source, "value": counts[source], "displayName": name}
        for source, (name, _) in IMPRESSION_SOURCES.items()
    ]


def _funnel(show: FictionalShow, first: date, last: date) -> dict:
    counts = []
    previous = None
    for step, count in show.impressions_funnel(first, last).items():
        entry = {"id": step, "count": count}
        if previous is not None:
            # Named a percent, served as a fraction of the step before, to five decimals.
            entry["conversionPercent"] = round(count / previous, 5) if previous else 0
        counts.append(entry)
        previous = count
    return {"counts": counts}


def _spotify_value(value) -> dict:
    return {"data": {"value": value, "isDistributedToSpotify": True}, "error": None}


def _share_link(show: FictionalShow, episode: Episode, kind: str) -> str:
    return f"/{show.vanity_slug}/{kind}/{episode.slug}-{episode.web_episode_id}"


def _spotify_url(episode: Episode) -> str | None:
    if episode.spotify_id is None:
        return None
    return f"https://open.spotify.com/episode/{episode.spotify_id}"


def _audio_url(episode: Episode) -> str:
    return f"{AUDIO_HOST}/{episode.audio_id}.m4a"


def _download_url(episode: Episode) -> str | None:
    if episode.audio_id is None:
        return None
    return f"/pod/api/audio/{episode.audio_id}/download?url={quote(_audio_url(episode), safe='')}"
