"""When and how long to wait before asking the API again."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity
from dagster import get_dagster_logger

from anchor_assets.resources.errors import (
    RetriesExhaustedError,
    RetryAfterTooLongError,
    TransientFailure,
)

# Statuses that say "not now" rather than "never": rate limiting and a struggling server.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# The first back-off; each later one doubles, up to the policy's cap.
FIRST_BACKOFF_SECONDS = 1.0

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try a request and how long to wait in between."""

    max_attempts: int
    max_backoff_seconds: float
    max_retry_after_seconds: float

    def run(self, endpoint: str, attempt: Callable[[], Answer]) -> Answer:
        """Call ``attempt`` until it succeeds, retrying only ``TransientFailure``."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait_seconds,
            retry=tenacity.retry_if_exception_type(TransientFailure),
            before_sleep=self._log_retry,
            retry_error_callback=_give_up,
        )
        return retrying(self._refuse_long_waits, attempt)

    def _refuse_long_waits(self, attempt: Callable[[], Answer]) -> Answer:
        # Sleeping for hours inside a run holds a worker and hides the problem: fail instead.
        try:
            return attempt()
        except TransientFailure as failure:
            if failure.retry_after is None or failure.retry_after <= self.max_retry_after_seconds:
                raise
            too_long = RetryAfterTooLongError(
                failure.endpoint, failure.status, failure.retry_after, self.max_retry_after_seconds
            )
        raise too_long

    def _wait_seconds(self, retry_state: tenacity.RetryCallState) -> float:
        failure = retry_state.outcome.exception()
        if failure.retry_after is not None:
            return failure.retry_after
        return backoff_seconds(retry_state.attempt_number, self.max_backoff_seconds)

    def _log_retry(self, retry_state: tenacity.RetryCallState) -> None:
        failure = retry_state.outcome.exception()
        get_dagster_logger().warning(
            f"Anchor API: {failure.endpoint} failed with {failure.what}"
            f" (attempt {retry_state.attempt_number} of {self.max_attempts});"
            f" retrying in {retry_state.upcoming_sleep:.2f} s"
        )


def backoff_seconds(failed_attempts: int, cap: float) -> float:
    """Exponential back-off with jitter: between half and all of min(cap, 1 s * 2^(n-1)).

    The random half keeps several runs that failed together from retrying in lockstep.
    """
    ceiling = min(cap, FIRST_BACKOFF_SECONDS * 2 ** (failed_attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Read a Retry-After header: seconds, or an HTTP date. None when absent or unreadable."""
    if not header or not header.strip():
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; an offset-less one still means GMT
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _give_up(retry_state: tenacity.RetryCallState) -> None:
    failure = retry_state.outcome.exception()
    raise RetriesExhaustedError(failure.endpoint, failure.what, retry_state.attempt_number)
