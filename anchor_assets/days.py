"""Days as the API counts them: UTC dates, with the newest ones still being filled in."""

from datetime import date, datetime, timedelta, timezone

from dagster import TimeWindow

# The API fills a day's figures in over about two days; a day is complete once two have passed.
DATA_DELAY_DAYS = 2


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


def last_complete_day(today: date) -> date:
    return today - timedelta(days=DATA_DELAY_DAYS)


def window_days(window: TimeWindow) -> tuple[date, date]:
    """The first and last UTC day of a partition time window (its end is exclusive)."""
    first = window.start.astimezone(timezone.utc).date()
    last = (window.end.astimezone(timezone.utc) - timedelta(days=1)).date()
    return first, last


def each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
