"""Settings read from the environment when the code location loads, checked with clear errors."""

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from anchor_assets.days import last_complete_day, utc_today
from anchor_assets.resources.errors import AnchorSettingError
from anchor_assets.resources.settings import checked_base_url, checked_cookie, checked_webstation_id

DEFAULT_BASE_URL = "https://podcasters.spotify.com/pod/api/proxy/v3"
# The first day offered for backfills when ANCHOR_START_DATE is unset: two full years of history
# for most shows, and a fixed date so that the set of partitions does not shift every day.
DEFAULT_START_DATE = date(2024, 1, 1)
# Anchor opened in 2015: an earlier start is a typo (0224 for 2024), and would only add years of
# empty days, a request per day for each share table.
EARLIEST_START_DATE = date(2015, 1, 1)
DEFAULT_DUCKDB_PATH = Path("data") / "warehouse.duckdb"


class SettingError(AnchorSettingError):
    """A setting in the environment is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    start_date: date
    duckdb_path: str


def load_settings(environ=os.environ) -> Settings:
    """The settings the assets' shapes depend on; none of them is secret."""
    return Settings(
        base_url=checked_base_url(environ.get("ANCHOR_BASE_URL") or DEFAULT_BASE_URL),
        start_date=_start_date(environ.get("ANCHOR_START_DATE")),
        duckdb_path=_duckdb_path(environ.get("ANCHOR_DUCKDB_PATH")),
    )


def check_credentials(environ=os.environ) -> None:
    """Fails the code location's load, naming the variable, when a show setting is missing or
    malformed; the values themselves reach the resource through EnvVar at run time."""
    for name, what in (
        ("ANCHOR_WEBSTATION_ID", "the short hex id in your dashboard address, e.g. fb37d7a4"),
        ("ANCHOR_PW_S", "the value of the anchorpw_s cookie from your logged-in browser"),
    ):
        if not (environ.get(name) or "").strip():
            raise SettingError(
                f"{name} is not set: set it to {what} (README: 'Point it at your show'),"
                " or run scripts/demo to try the sandbox"
            )
    checked_webstation_id(environ["ANCHOR_WEBSTATION_ID"])
    checked_cookie(environ["ANCHOR_PW_S"])


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
    if value < EARLIEST_START_DATE:
        raise SettingError(
            f"ANCHOR_START_DATE={text} is before {EARLIEST_START_DATE}, when Anchor opened: no"
            " show has figures that old. Set it to the first day of your show's history."
        )
    # The newest daily partition is the last complete day (see days.py).
    if value > last_complete_day(utc_today()):
        raise SettingError(
            f"ANCHOR_START_DATE={text} lies after the last complete day, so there would be no day"
            " to fetch: set it to the first day of your show's history, or unset it to start at"
            " 2024-01-01."
        )
    return value


def _duckdb_path(text: str | None) -> str:
    """The warehouse file, once its folder exists or can be made, and can be written to."""
    path = Path(text.strip()) if text and text.strip() else DEFAULT_DUCKDB_PATH
    if path.is_dir():
        raise SettingError(
            f"ANCHOR_DUCKDB_PATH={path} is a folder: name a file in it, e.g. {path / 'warehouse.duckdb'}"
        )
    folder = next((parent for parent in path.absolute().parents if parent.exists()), None)
    writable = path.exists() and os.access(path, os.W_OK) or (
        not path.exists() and folder is not None and folder.is_dir() and os.access(folder, os.W_OK)
    )
    if not writable:
        raise SettingError(
            f"ANCHOR_DUCKDB_PATH={path} cannot be written: choose a file in a folder you can write to"
        )
    return str(path)
