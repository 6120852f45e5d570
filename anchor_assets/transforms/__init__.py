"""Pure transforms: one decoded API answer in, one typed, tidy frame of a declared table out."""

from .episodes import (
    episode_aggregated_performance_table,
    episode_list_table,
    episode_metadata_table,
    episode_performance_table,
    episode_plays_table,
)
from .frames import AnswerShapeError
from .impressions import impressions_tables
from .schemas import TABLE_SCHEMAS, empty_frame
from .station import (
    audience_size_table,
    plays_by_episode_table,
    plays_by_geo_city_table,
    plays_by_geo_table,
    plays_table,
    share_table,
    share_tables,
    total_plays_by_episode_table,
    total_plays_table,
    unique_listeners_table,
)

__all__ = [
    "TABLE_SCHEMAS",
    "AnswerShapeError",
    "audience_size_table",
    "empty_frame",
    "episode_aggregated_performance_table",
    "episode_list_table",
    "episode_metadata_table",
    "episode_performance_table",
    "episode_plays_table",
    "impressions_tables",
    "plays_by_episode_table",
    "plays_by_geo_city_table",
    "plays_by_geo_table",
    "plays_table",
    "share_table",
    "share_tables",
    "total_plays_by_episode_table",
    "total_plays_table",
    "unique_listeners_table",
]
