"""The HTTP client of the Spotify for Creators API, as a Dagster resource, and its errors."""

from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.resources.errors import (
    AnchorApiError,
    AnchorSettingError,
    CookieRefusedError,
    EndpointNotFoundError,
    NotJsonError,
    PageTokenLoopError,
    RedirectedError,
    RequestRejectedError,
    RetriesExhaustedError,
    RetryAfterTooLongError,
    UnexpectedAnswerError,
)

__all__ = [
    "AnchorApi",
    "AnchorApiError",
    "AnchorSettingError",
    "CookieRefusedError",
    "EndpointNotFoundError",
    "NotJsonError",
    "PageTokenLoopError",
    "RedirectedError",
    "RequestRejectedError",
    "RetriesExhaustedError",
    "RetryAfterTooLongError",
    "UnexpectedAnswerError",
]
