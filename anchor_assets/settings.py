"""Settings read from the environment when the code location loads, checked with clear errors."""

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

DEFAULT_BASE_URL = "https://podcasters.spotify.com/pod/api/proxy/v3"
# The first day offered for backfills when ANCHOR_START_DATE is unset: two full years of history
# for most shows, and a fixed date so that the set of partitions does not shift every day.
DEFAULT_START_DATE = date(2024, 1, 1)
DEFAULT_DUCKDB_PATH = Path("data") / "warehouse.duckdb"


class SettingError(ValueError):
    """A setting in the environment is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    start_date: date
    duckdb_path: str


def load_settings(environ=os.environ) -> Settings:
    return Settings(
        base_url=environ.get("ANCHOR_BASE_URL") or DEFAULT_BASE_URL,
        start_date=_start_date(environ.get("ANCHOR_START_DATE")),
        duckdb_path=str(Path(environ.get("ANCHOR_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)),
    )


def _start_date(text: str | None) -> date:
    if not text:
        return DEFAULT_START_DATE
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise SettingError(
            f"ANCHOR_START_DATE={text!r} is not a date: write the first day to keep as YYYY-MM-DD,"
            " for example 2024-01-01."
        ) from None
    if value > datetime.now(timezone.utc).date():
        raise SettingError(
            f"ANCHOR_START_DATE={text} lies in the future: set it to the first day of your show's"
            " history, or unset it to start at 2024-01-01."
        )
    return value
