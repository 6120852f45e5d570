"""UTC days and the Unix seconds of their midnights, as the sandbox API counts them.

The sandbox keeps its own few lines of date arithmetic rather than calling the client's: it is the
yardstick the client is tested against, so a mistake in one must not hide in both.
"""

from datetime import date, datetime, time, timedelta, timezone

SECONDS_PER_DAY = 86_400


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


def midnight(day: date) -> int:
    """Unix seconds of the UTC midnight that starts ``day``."""
    return int(datetime.combine(day, time(), tzinfo=timezone.utc).timestamp())


def day_of(timestamp: int) -> date:
    """The UTC day that holds the Unix second ``timestamp``."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date()


def first_midnight_from(timestamp: int) -> date:
    """The first UTC day whose midnight is at or after ``timestamp``."""
    day = day_of(timestamp)
    return day if midnight(day) == timestamp else day + timedelta(days=1)


def last_midnight_until(timestamp: int) -> date:
    """The last UTC day whose midnight is at or before ``timestamp``."""
    return day_of(timestamp)


def days_from(first: date, last: date) -> list[date]:
    """Every day from first to last, both included; none when last is before first."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def iso_instant(timestamp: int) -> str:
    """The dashboard's way of writing an instant: 2023-04-20T15:10:12.000Z."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
