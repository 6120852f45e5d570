"""The only code that sends HTTP requests to the Spotify for Creators API.

The anchorpw_s cookie travels in the Cookie header only. Redirects are not followed, so the
header never reaches another site, and requests' own exceptions, which hold the prepared request
and its headers, are replaced by ours outside their ``except`` block, so none is chained.
"""

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from anchor_assets.resources.errors import (
    AnchorApiError,
    CookieRefusedError,
    EndpointNotFoundError,
    NotJsonError,
    RedirectedError,
    RequestRejectedError,
    TransientFailure,
)
from anchor_assets.resources.request_slots import RequestSlots
from anchor_assets.resources.retry import RETRYABLE_STATUSES, RetryPolicy, retry_after_seconds

USER_AGENT = "anchor-assets (Dagster pipeline reading Spotify for Creators analytics)"

# Without it the API answers 403 "user does not own station" to accounts with shared access.
MUMS_COMPATIBLE = {"isMumsCompatible": "true"}

# The API's own error text helps to see what it disliked; a whole page of it does not.
MAX_API_ERROR_CHARS = 200

Params = Mapping[str, str | int]


def endpoint_name(path: str, params: Params | None = None) -> str:
    """How messages name a request: its path below the base URL, with the query we chose."""
    return f"{path}?{urlencode(params)}" if params else path


class AnchorHttpClient:
    """A pooled session that GETs JSON from the API, retrying passing faults."""

    def __init__(
        self,
        base_url: str,
        cookie: str,
        timeout_seconds: float,
        retry_policy: RetryPolicy,
        slots: RequestSlots | None = None,
    ) -> None:
        self._base_url = base_url
        # Held while a request is in flight, not while it waits to be tried again.
        self._slots = slots
        self._cookie = cookie
        self._timeout_seconds = timeout_seconds
        self._retry_policy = retry_policy
        self._session = requests.Session()
        # An explicit Cookie header also keeps cookies the API sets from being sent back.
        self._session.headers.update(
            {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Cookie": f"anchorpw_s={cookie}",
            }
        )

    def __repr__(self) -> str:
        return f"AnchorHttpClient(base_url={self._base_url!r})"

    def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET ``path`` below the base URL and return its decoded JSON body."""
        endpoint = endpoint_name(path, params)
        return self._retry_policy.run(endpoint, lambda: self._get_once(path, params, endpoint))

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def _get_once(self, path: str, params: Params | None, endpoint: str) -> Any:
        response = self._send(path, params, endpoint)
        self._check_status(response, endpoint)
        return _decoded_json(response, endpoint)

    def _send(self, path: str, params: Params | None, endpoint: str) -> requests.Response:
        try:
            with self._slots.one() if self._slots else nullcontext():
                return self._session.get(
                    f"{self._base_url}/{path}",
                    params={**(params or {}), **MUMS_COMPATIBLE},
                    timeout=self._timeout_seconds,
                    allow_redirects=False,
                )
        except requests.RequestException as error:
            failure = self._failure_for(error, endpoint)
        raise failure

    def _failure_for(self, error: requests.RequestException, endpoint: str) -> AnchorApiError:
        # Only the kind of error is kept: its text and attributes can hold the request headers.
        if isinstance(error, requests.Timeout):
            return TransientFailure(endpoint, f"no answer within {self._timeout_seconds:g} s")
        if isinstance(error, requests.exceptions.ChunkedEncodingError):
            return TransientFailure(endpoint, "a connection dropped in the middle of the answer")
        if isinstance(error, requests.ConnectionError):
            return TransientFailure(endpoint, "a connection failure (host unreachable or hung up)")
        return AnchorApiError(
            f"the request to {endpoint} could not be sent ({type(error).__name__});"
            " check ANCHOR_BASE_URL"
        )

    def _check_status(self, response: requests.Response, endpoint: str) -> None:
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            raise TransientFailure(endpoint, f"status {status}", status, retry_after)
        if status in (401, 403):
            raise CookieRefusedError(endpoint, status)
        if status == 404:
            raise EndpointNotFoundError(endpoint)
        if 300 <= status < 400:
            raise RedirectedError(endpoint, status, _site_of(response.headers.get("Location")))
        if status >= 400:
            raise RequestRejectedError(endpoint, status, self._api_error_text(response))

    def _api_error_text(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        text = body.get("error") or body.get("message") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return ""
        # An API that echoes the request back must not smuggle the cookie into a message.
        return text.replace(self._cookie, "[anchorpw_s]")[:MAX_API_ERROR_CHARS]


def _decoded_json(response: requests.Response, endpoint: str) -> Any:
    try:
        return response.json()
    except ValueError:  # requests' JSONDecodeError is a ValueError
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    # JSON that does not parse was cut short on its way (a proxy, a server restarting): the next
    # try usually gets all of it. A page of another type is the login page of a lost session.
    if content_type == "application/json" or content_type.endswith("+json"):
        raise TransientFailure(endpoint, "a JSON answer that was cut short or garbled")
    raise NotJsonError(endpoint, response.status_code, content_type)


def _site_of(location: str | None) -> str:
    # Only the site: the rest of a login page's address is noise in a message.
    if not location:
        return ""
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "another page of the same site"
