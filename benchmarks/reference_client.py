"""The reference client, anchorconnector 0.6.3, fetching what the product fetches, with
sequential calls as its own example (anchorconnector/__main__.py) makes them.

Run in a process of its own by the benchmark:
  python -m benchmarks.reference_client --mode full --base-url URL --webstation-id W --first-day D
prints one JSON line: the seconds it took and the calls it made.

Modes:
- full: the whole history the product's backfill stores. The four share endpoints give shares over
  the window asked, so as in the product each day is asked for on its own; every country's regions;
  every episode's plays over the whole history, performance, aggregated performance and overview.
- everything: every endpoint once (shares over the last three days in one call each) and every
  episode's four endpoints: the naive daily refresh that fetches everything again.
"""

import argparse
import json
import os
import sys
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone

# The product counts a day as complete once two have passed (anchor_assets.days.DATA_DELAY_DAYS).
DATA_DELAY_DAYS = 2
REFRESH_DAYS = 3


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from anchorconnector import AnchorConnector
    from loguru import logger

    logger.remove()  # its example logs every answer; the benchmark keeps quiet
    connector = AnchorConnector(args.base_url, args.webstation_id, os.environ["ANCHOR_PW_S"])
    counting = _CallCounter(connector)
    today = datetime.now(timezone.utc).date()
    started = time.perf_counter()
    if args.mode == "full":
        _full_history(counting, date.fromisoformat(args.first_day), today)
    else:
        _everything_once(counting, today)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "calls": counting.calls, "refused": counting.refused}))
    return 0


def _full_history(connector, first_day: date, today: date) -> None:
    yesterday = today - timedelta(days=1)  # the last daily partition the product offers
    start, end = _utc(first_day), _utc(yesterday)
    episodes = connector.podcast_episode()
    _impressions(connector)
    connector.plays(start, end)
    connector.plays_by_episode(start, end)
    for offset in range((yesterday - first_day).days + 1):
        day = _utc(first_day + timedelta(days=offset))
        connector.plays_by_age_range(day, day)
        connector.plays_by_app(day, day)
        connector.plays_by_device(day, day)
        connector.plays_by_gender(day, day)
    _current_values(connector)
    _every_episode(connector, episodes, start, _utc(today - timedelta(days=DATA_DELAY_DAYS)))


def _everything_once(connector, today: date) -> None:
    last = today - timedelta(days=1)
    start, end = _utc(last - timedelta(days=REFRESH_DAYS - 1)), _utc(last)
    episodes = connector.podcast_episode()
    _impressions(connector)
    connector.plays(start, end)
    connector.plays_by_episode(start, end)
    connector.plays_by_age_range(start, end)
    connector.plays_by_app(start, end)
    connector.plays_by_device(start, end)
    connector.plays_by_gender(start, end)
    _current_values(connector)
    _every_episode(connector, episodes, start, _utc(today - timedelta(days=DATA_DELAY_DAYS)))


def _impressions(connector) -> None:
    # The reference client asks for the window ending now less two days, local time: a refusal
    # (a clock not in UTC can put its ends off the sandbox's rules) is reported, not fatal.
    import requests

    try:
        connector.impressions()
    except requests.HTTPError as error:
        connector.refused.append(f"impressions: {error.response.status_code}")


def _current_values(connector) -> None:
    geo = connector.plays_by_geo()
    for row in geo.get("data", {}).get("rows", []):
        connector.plays_by_geo_city(str(row[0]))
    connector.unique_listeners()
    connector.audience_size()
    connector.total_plays_by_episode()
    connector.total_plays(True)


def _every_episode(connector, episodes: list[dict], start: datetime, end: datetime) -> None:
    for episode in episodes:
        episode_id = int(episode["episodeId"])
        connector.episode_plays(episode_id, start, end)
        connector.episode_performance(episode_id)
        connector.episode_aggregated_performance(episode_id)
        connector.episode_metadata(episode_id)


def _utc(day: date) -> datetime:
    # The reference client turns datetimes into Unix seconds with .timestamp(); an aware UTC
    # midnight keeps its window on the same UTC days as the product's, whatever the host's zone.
    return datetime.combine(day, clock_time(), tzinfo=timezone.utc)


class _CallCounter:
    """Counts the connector's public calls (one request each, but for paged episode lists)."""

    def __init__(self, connector) -> None:
        self._connector = connector
        self.calls = 0
        self.refused: list[str] = []

    def __getattr__(self, name):
        method = getattr(self._connector, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return method(*args, **kwargs)

        return counted


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reference_client")
    parser.add_argument("--mode", choices=("full", "everything"), required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--webstation-id", required=True)
    parser.add_argument("--first-day", help="YYYY-MM-DD, for --mode full")
    return parser


if __name__ == "__main__":
    sys.exit(main())
