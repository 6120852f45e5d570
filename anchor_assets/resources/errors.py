"""What can go wrong when reading the Spotify for Creators API, and what to do about it.

Every message names the endpoint (a path relative to the base URL, with its query) and the next
step for the user. None of them can hold the anchorpw_s cookie: they are built only from paths,
statuses and the API's own short error text, which the client scrubs of the cookie first.

The exceptions keep their facts in ``args`` and compose the message in ``__str__``, so they can
be pickled and rebuilt by Dagster like any other exception.
"""

FRESH_COOKIE_ADVICE = "copy a fresh one from the browser into ANCHOR_PW_S"


class AnchorApiError(Exception):
    """Reading the Spotify for Creators API failed; the message says why and what to do."""


class AnchorSettingError(AnchorApiError):
    """A setting of the resource (base URL, webStationId, cookie) cannot be right."""


class CookieRefusedError(AnchorApiError):
    """The API refused the anchorpw_s cookie (401) or the show's data to it (403)."""

    def __init__(self, endpoint: str, status: int) -> None:
        super().__init__(endpoint, status)
        self.endpoint = endpoint
        self.status = status

    def __str__(self) -> str:
        if self.status == 403:
            return (
                f"the API refused access (403) to {self.endpoint}: the anchorpw_s cookie's account"
                " may not have access to this show (check ANCHOR_WEBSTATION_ID), or a request"
                " lacked isMumsCompatible=true, without which shared (non-owner) access is"
                f" refused; if the show is right, {FRESH_COOKIE_ADVICE}"
            )
        return (
            f"the anchorpw_s cookie was refused ({self.status}) when reading {self.endpoint}:"
            f" it has expired or is wrong; {FRESH_COOKIE_ADVICE}"
        )


class EndpointNotFoundError(AnchorApiError):
    """The API answered 404: it knows no such show, episode or endpoint."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        self.endpoint = endpoint

    def __str__(self) -> str:
        return (
            f"the API found nothing at {self.endpoint} (404): it does not know that show or"
            " episode id, or the unofficial API has moved; check ANCHOR_WEBSTATION_ID and"
            " ANCHOR_BASE_URL"
        )


class RequestRejectedError(AnchorApiError):
    """The API refused a request with a status that retrying cannot fix (400, 405, 501, ...)."""

    def __init__(self, endpoint: str, status: int, api_says: str = "") -> None:
        super().__init__(endpoint, status, api_says)
        self.endpoint = endpoint
        self.status = status
        self.api_says = api_says

    def __str__(self) -> str:
        reason = f" ({self.api_says})" if self.api_says else ""
        if self.status >= 500:
            return (
                f"the API failed on {self.endpoint} with status {self.status}{reason}: try again"
                " later; if it keeps failing, the unofficial API may have changed"
            )
        return (
            f"the API rejected {self.endpoint} with status {self.status}{reason}: the unofficial"
            " API may have changed what it accepts; this client needs updating"
        )


class RedirectedError(AnchorApiError):
    """The API answered with a redirect, which it does for an expired session or a wrong URL."""

    def __init__(self, endpoint: str, status: int, target_site: str) -> None:
        super().__init__(endpoint, status, target_site)
        self.endpoint = endpoint
        self.status = status
        self.target_site = target_site

    def __str__(self) -> str:
        return (
            f"the API redirected {self.endpoint} ({self.status}) to"
            f" {self.target_site or 'another page'} instead of answering: check ANCHOR_BASE_URL;"
            f" if it is right, the session has expired: {FRESH_COOKIE_ADVICE}"
        )


class NotJsonError(AnchorApiError):
    """The API answered with something that is not JSON, often the login page of a lost session."""

    def __init__(self, endpoint: str, status: int, content_type: str) -> None:
        super().__init__(endpoint, status, content_type)
        self.endpoint = endpoint
        self.status = status
        self.content_type = content_type

    def __str__(self) -> str:
        return (
            f"the API answered {self.endpoint} (status {self.status}) with something that is not"
            f" JSON ({self.content_type or 'no content type'}); an HTML page here is usually the"
            f" login page of an expired session: {FRESH_COOKIE_ADVICE}"
        )


class UnexpectedAnswerError(AnchorApiError):
    """The API answered with JSON that does not have the shape this client relies on."""

    def __init__(self, endpoint: str, problem: str) -> None:
        super().__init__(endpoint, problem)
        self.endpoint = endpoint
        self.problem = problem

    def __str__(self) -> str:
        return (
            f"the API's answer to {self.endpoint} is not what this client expects: {self.problem};"
            " the unofficial API may have changed and this client needs updating"
        )


class PageTokenLoopError(AnchorApiError):
    """The episode list handed out a page token it had given before, which would never end."""

    def __init__(self, endpoint: str, page_token: str, pages_read: int) -> None:
        super().__init__(endpoint, page_token, pages_read)
        self.endpoint = endpoint
        self.page_token = page_token
        self.pages_read = pages_read

    def __str__(self) -> str:
        return (
            f"the episode list at {self.endpoint} handed out page token {self.page_token!r} a"
            f" second time after {self.pages_read} pages; stopped rather than loop forever: the"
            " API's paging may have changed and this client needs updating"
        )


class RetryAfterTooLongError(AnchorApiError):
    """The API asked to wait longer before the next request than the resource will sleep."""

    def __init__(self, endpoint: str, status: int, wait_seconds: float, ceiling: float) -> None:
        super().__init__(endpoint, status, wait_seconds, ceiling)
        self.endpoint = endpoint
        self.status = status
        self.wait_seconds = wait_seconds
        self.ceiling = ceiling

    def __str__(self) -> str:
        return (
            f"the API answered {self.endpoint} with {self.status} and asked to wait"
            f" {_duration(self.wait_seconds)} before the next request, longer than"
            f" max_retry_after_seconds ({_duration(self.ceiling)}): it is limiting requests;"
            " try again later"
        )


class RetriesExhaustedError(AnchorApiError):
    """Every attempt at a request failed with a passing fault (5xx, 429, timeout, lost link,
    JSON cut short)."""

    def __init__(self, endpoint: str, last_failure: str, attempts: int) -> None:
        super().__init__(endpoint, last_failure, attempts)
        self.endpoint = endpoint
        self.last_failure = last_failure
        self.attempts = attempts

    def __str__(self) -> str:
        return (
            f"gave up on {self.endpoint} after {self.attempts} attempts; the last one failed with"
            f" {self.last_failure}: the API is down or overloaded, try again later"
        )


class TransientFailure(AnchorApiError):
    """One attempt failed in a way that may pass (5xx, 429, timeout, lost link, JSON cut short):
    retry it.

    The retry policy raises ``RetriesExhaustedError`` in its place once attempts run out.
    """

    def __init__(
        self, endpoint: str, what: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(endpoint, what, status, retry_after)
        self.endpoint = endpoint
        self.what = what
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.endpoint} failed with {self.what}"


def _duration(seconds: float) -> str:
    """Say a wait the way a person would read it: seconds, and hours or minutes when long."""
    if seconds >= 3600:
        return f"{seconds:.0f} s (about {seconds / 3600:.1f} h)"
    if seconds >= 120:
        return f"{seconds:.0f} s (about {seconds / 60:.0f} min)"
    return f"{seconds:g} s"


# Failures that trying the run again cannot mend: a refused or malformed cookie, a show or
# endpoint the API does not know, a request it rejects, a redirect to the login page. The user
# has to change something first, so the run is not retried (the others may pass in a minute).
LASTING_FAILURES = (
    AnchorSettingError,
    CookieRefusedError,
    EndpointNotFoundError,
    RequestRejectedError,
    RedirectedError,
)
