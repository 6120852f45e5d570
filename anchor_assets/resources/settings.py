"""Checks of the resource's settings, made before the first request so mistakes read plainly.

No message here may quote the cookie: it is a password.
"""

import re
from urllib.parse import urlsplit

from anchor_assets.resources.errors import AnchorSettingError

# A webStationId is the short hex id in the dashboard address, e.g. fb37d7a4.
WEBSTATION_ID_PATTERN = re.compile(r"[0-9a-fA-F]{4,32}")

# Longer settings are not quoted in messages, lest a cookie pasted into the wrong variable show.
MAX_QUOTED_CHARS = 40

# Characters that would break the Cookie header or split the value into several cookies.
COOKIE_BREAKERS = re.compile(r"[\s;,\"\\\x00-\x1f\x7f]")


def checked_base_url(base_url: str) -> str:
    """The base URL without a trailing slash, once it is known to be an http(s) address."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AnchorSettingError(
            f"the API base URL (ANCHOR_BASE_URL) {_shown(base_url)} is not an http(s) address; use"
            " https://podcasters.spotify.com/pod/api/proxy/v3"
        )
    if parts.query or parts.fragment:
        raise AnchorSettingError(
            f"the API base URL (ANCHOR_BASE_URL) {_shown(base_url)} must not carry a query or"
            " fragment; use https://podcasters.spotify.com/pod/api/proxy/v3"
        )
    return base_url.strip().rstrip("/")


def checked_webstation_id(webstation_id: str) -> str:
    """The webStationId, once it looks like the short hex id the dashboard shows."""
    if not WEBSTATION_ID_PATTERN.fullmatch(webstation_id.strip()):
        raise AnchorSettingError(
            f"the webStationId (ANCHOR_WEBSTATION_ID) {_shown(webstation_id)} is not a short hex"
            " id; copy it from your show's dashboard address (podcasters.spotify.com/pod/show/...),"
            " e.g. fb37d7a4"
        )
    return webstation_id.strip()


def checked_cookie(cookie: str) -> str:
    """The anchorpw_s cookie without stray surrounding whitespace, once it can be sent."""
    cookie = cookie.strip()
    if not cookie:
        raise AnchorSettingError(
            "the anchorpw_s cookie (ANCHOR_PW_S) is empty; copy its value from the browser"
            " (DevTools > Application > Cookies > podcasters.spotify.com)"
        )
    if cookie.lower().startswith("anchorpw_s="):
        raise AnchorSettingError(
            "the anchorpw_s cookie (ANCHOR_PW_S) starts with its own name, 'anchorpw_s=': set"
            " ANCHOR_PW_S to the value only, what follows the '='"
        )
    if COOKIE_BREAKERS.search(cookie):
        raise AnchorSettingError(
            "the anchorpw_s cookie (ANCHOR_PW_S) holds spaces, semicolons, commas, quotes or"
            " control characters, which no cookie value can; copy just the value of the"
            " anchorpw_s cookie from the browser"
        )
    return cookie


def _shown(value: str) -> str:
    if len(value) > MAX_QUOTED_CHARS:
        return f"(a {len(value)}-character value, not shown)"
    return repr(value)
