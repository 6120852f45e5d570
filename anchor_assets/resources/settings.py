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

# What a cookie value may hold (RFC 6265's cookie-octet): printable ASCII but for spaces, quotes,
# commas, semicolons and backslashes. Anything else breaks the Cookie header, splits the value
# into several cookies, or cannot be encoded into the header at all (non-ASCII letters).
COOKIE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+")


def checked_base_url(base_url: str) -> str:
    """The base URL without a trailing slash, once it is known to be an http(s) address."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AnchorSettingError(
            f"the API base URL (ANCHOR_BASE_URL) {_shown(base_url)} is not an http(s) address; use"
            " https://podcasters.spotify.com/pod/api/proxy/v3"
        )
    if parts.username is not None or parts.password is not None:
        # Not quoted: the address holds a password, and the base URL is shown in the UI.
        raise AnchorSettingError(
            "the API base URL (ANCHOR_BASE_URL) carries a user name or password, which the API"
            " does not take and the UI would show; the cookie goes in ANCHOR_PW_S. Use"
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
    if not COOKIE_VALUE.fullmatch(cookie):
        raise AnchorSettingError(
            "the anchorpw_s cookie (ANCHOR_PW_S) holds spaces, semicolons, commas, quotes,"
            " backslashes, control characters or non-ASCII letters, which no cookie value can;"
            " copy just the value of the anchorpw_s cookie from the browser"
        )
    return cookie


def _shown(value: str) -> str:
    if len(value) > MAX_QUOTED_CHARS:
        return f"(a {len(value)}-character value, not shown)"
    return repr(value)
