"""Reading a request's query parameters the way the API does, refusing malformed ones with 400.

Every refusal names the parameter at fault, so a test or a user can tell which one was wrong.
"""

import re
from datetime import date

from anchor_assets.sandbox.utc import first_midnight_from, last_midnight_until

WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
# Longer values are not quoted back in error messages.
MAX_QUOTED_CHARS = 40


class ApiError(Exception):
    """A request the API refuses: status, a short message, and the parameter at fault if any."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(status, message, parameter)
        self.status = status
        self.message = message
        self.parameter = parameter

    def body(self) -> dict:
        return {"error": self.message, **({"parameter": self.parameter} if self.parameter else {})}


def bad(parameter: str, why: str) -> ApiError:
    return ApiError(400, f"{parameter}: {why}", parameter)


def whole_number(query: dict, name: str, minimum: int = 0) -> int | None:
    """The parameter as a whole number, None when it is not given."""
    if name not in query:
        return None
    text = query[name]
    if not WHOLE_NUMBER.fullmatch(text) or int(text) < minimum:
        raise bad(name, f"must be a whole number of at least {minimum}, not {quoted(text)}")
    return int(text)


def time_range(query: dict, required: bool = True) -> tuple[int, int] | None:
    """timeRangeStart and timeRangeEnd; None when neither is given and they are not required."""
    start, end = whole_number(query, "timeRangeStart"), whole_number(query, "timeRangeEnd")
    if start is None and end is None and not required:
        return None
    for name, value in (("timeRangeStart", start), ("timeRangeEnd", end)):
        if value is None:
            raise bad(name, "is required (Unix seconds)")
    if end < start:
        raise bad("timeRangeEnd", "must not be before timeRangeStart")
    return start, end


def time_interval(query: dict, allowed: tuple[int, ...]) -> int:
    """timeInterval, one of ``allowed``; the first of them when it is not given."""
    interval = whole_number(query, "timeInterval")
    if interval is None:
        return allowed[0]
    if interval not in allowed:
        shown = " or ".join(str(value) for value in allowed)
        raise bad("timeInterval", f"the sandbox serves {shown} here, not {interval}")
    return interval


def days(time_range: tuple[int, int]) -> tuple[date, date]:
    """The first and last day a time range asks for; the first is after the last if none."""
    # The rows are the days whose midnight d satisfies timeRangeStart <= d <= timeRangeEnd.
    start, end = time_range
    return first_midnight_from(start), last_midnight_until(end)


def quoted(value) -> str:
    text = str(value)
    return repr(text) if len(text) <= MAX_QUOTED_CHARS else f"(a {len(text)}-character value)"
