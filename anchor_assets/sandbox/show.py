"""FictionalShow: a deterministic podcast whose figures the sandbox API serves.

Its methods return plain figures (numbers, dicts, lists), not the API's JSON shapes, so tests can
work out what an answer must hold. Every figure is as of ``today``, with today's and yesterday's
plays still incomplete as in the real API. The same arguments always give the same show.
"""

from datetime import date, datetime, timedelta

import numpy as np

from anchor_assets.sandbox import audience, listening
from anchor_assets.sandbox.catalogue import NEWEST_EPISODE_DAYS_AGO, Episode, make_episodes
from anchor_assets.sandbox.utc import SECONDS_PER_DAY, days_from, utc_today

SANDBOX_STATION_ID = 4242424
SANDBOX_WEBSTATION_ID = "5a1d0c4f"
SHOW_NAME = "Lighthouse Hours"
VANITY_SLUG = "lighthouse-hours"
SPOTIFY_SHOW_ID = "4LghtHsHrsSndbx0Shw7Xq"

# The API leaves out apps and devices under this share of plays (parameters.minValue).
MIN_SHARE = 0.02
SHARE_KINDS = ("age_range", "gender", "app", "device")
USUAL_SHARES = {
    "age_range": audience.AGE_RANGES,
    "gender": audience.GENDERS,
    "app": audience.APPS,
    "device": audience.DEVICES,
}

# Impressions come with a delay: today and yesterday have no figure yet.
IMPRESSIONS_DELAY_DAYS = 2

# Only some plays are sampled for the performance chart (the real charts count a few listeners).
SAMPLED_LISTENER_SHARE = 0.12


class FictionalShow:
    """A fictional podcast with ``episode_count`` published episodes over ``history_days``
    days before ``today``, a draft and a scheduled episode; identical for identical arguments."""

    def __init__(
        self,
        *,
        today: date | None = None,
        episode_count: int = 36,
        history_days: int = 730,
        seed: int = 7,
    ) -> None:
        _check_arguments(today, episode_count, history_days, seed)
        self.today = today or utc_today()
        self.seed = seed
        self.station_id = SANDBOX_STATION_ID
        self.webstation_id = SANDBOX_WEBSTATION_ID
        self.name = SHOW_NAME
        self.vanity_slug = VANITY_SLUG
        self.spotify_show_uri = f"spotify:show:{SPOTIFY_SHOW_ID}"
        # The station starts on first_day; the calendar runs from it to today, both included.
        self.first_day = self.today - timedelta(days=history_days)
        self._day_count = history_days + 1

        rng = np.random.default_rng(seed)
        created_order = make_episodes(rng, self.today, episode_count, history_days)
        self._published = [episode for episode in created_order if episode.is_published]
        self._row = {episode.episode_id: row for row, episode in enumerate(self._published)}
        self._by_id = {episode.episode_id: episode for episode in created_order}
        # The episode page lists what is not out yet first, then the newest published first.
        unpublished = [episode for episode in created_order if not episode.is_published]
        self.episodes: list[Episode] = unpublished[::-1] + self._published[::-1]

        self._final_plays = self._draw_plays(rng)
        served = np.rint(self._final_plays * listening.completeness(self._day_count))
        self._plays = served.astype(np.int64)
        self._station_plays = self._plays.sum(axis=0)
        self._daily_shares = {
            kind: listening.daily_shares(rng, np.array(list(usual.values())), self._day_count)
            for kind, usual in USUAL_SHARES.items()
        }
        self._countries = _place_shares(rng, audience.COUNTRIES)
        self._regions = {
            country: _place_shares(rng, audience.REGIONS[country]) for country in self._countries
        }
        self._impressions = listening.daily_impressions(rng, self._final_plays.sum(axis=0))
        self._source_shares = _wobbled(rng, [s for _, s in audience.IMPRESSION_SOURCES.values()])
        self._listener_ratio = float(rng.uniform(0.3, 0.42))
        self._audience_ratio = float(rng.uniform(1.5, 2.1))
        self._funnel_rates = rng.uniform([0.12, 0.12, 0.45], [0.18, 0.2, 0.6]).tolist()

    # Episodes

    @property
    def published_episodes(self) -> list[Episode]:
        """The published episodes, newest first."""
        return self._published[::-1]

    def episode(self, episode_id: int) -> Episode:
        """The episode with this id; KeyError for an id the show does not have."""
        return self._by_id[episode_id]

    # Plays per day

    def station_plays(self, day: date, final: bool = False) -> int:
        """Plays of all episodes on ``day`` as served today, or once complete if ``final``."""
        plays = self._final_plays if final else self._plays
        offset = self._offset(day)
        return 0 if offset is None else int(plays[:, offset].sum())

    def episode_plays(self, episode_id: int, day: date, final: bool = False) -> int:
        """Plays of one episode on ``day`` as served today, or once complete if ``final``."""
        row, offset = self._row.get(episode_id), self._offset(day)
        if row is None or offset is None:
            return 0
        return int((self._final_plays if final else self._plays)[row, offset])

    def station_daily_plays(self, first_day: date, last_day: date) -> dict[date, int]:
        """The station's plays per day for the days the API has rows for within the window."""
        return self._series(self._station_plays, first_day, last_day, self.first_day)

    def episode_daily_plays(
        self, episode_id: int, first_day: date, last_day: date
    ) -> dict[date, int]:
        """An episode's plays per day within the window, from its publish day on."""
        episode = self.episode(episode_id)
        if not episode.is_published:
            return {}
        plays = self._plays[self._row[episode_id]]
        return self._series(plays, first_day, last_day, episode.publish_day)

    def plays_by_episode(self, day: date, limit: int | None = None) -> list[tuple[int, int]]:
        """(episode_id, plays) of the ``limit`` most played episodes on ``day``, most first;
        episodes without plays that day are left out."""
        offset = self._offset(day)
        if offset is None:
            return []
        column = self._plays[:, offset]
        ranked = np.argsort(-column, kind="stable")
        top = [(self._published[row].episode_id, int(column[row])) for row in ranked if column[row]]
        return top if limit is None else top[:limit]

    # Audience shares over a window

    def shares(self, kind: str, first_day: date, last_day: date) -> dict[str, float]:
        """The share of plays per label over the window, as the API serves it.

        kind is one of SHARE_KINDS. A window's share is the plays-weighted mean of its days'
        shares. Apps and devices under MIN_SHARE are left out; an empty window gives {}.
        """
        if kind not in USUAL_SHARES:
            raise ValueError(f"kind must be one of {', '.join(SHARE_KINDS)}, not {kind!r}")
        start, stop = max(first_day, self.first_day), min(last_day, self.today)
        if stop < start:
            return {}
        days = slice(self._offset(start), self._offset(stop) + 1)
        weights = self._station_plays[days]
        if not weights.sum():
            return {}
        mixed = weights @ self._daily_shares[kind][days] / weights.sum()
        return _served_order(kind, dict(zip(USUAL_SHARES[kind], map(float, mixed))))

    # Current values (as of today)

    def episode_total_plays(self, episode_id: int) -> int:
        row = self._row.get(episode_id)
        return 0 if row is None else int(self._plays[row].sum())

    def total_plays(self) -> int:
        return int(self._plays.sum())

    def total_plays_by_episode(self) -> list[tuple[int, int]]:
        """(episode_id, plays) of every published episode, most played first."""
        totals = [(e.episode_id, self.episode_total_plays(e.episode_id)) for e in self._published]
        return sorted(totals, key=lambda pair: -pair[1])

    def unique_listeners(self) -> int:
        return round(self.total_plays() * self._listener_ratio)

    def audience_size(self) -> int:
        return round(self.unique_listeners() * self._audience_ratio)

    def countries(self) -> dict[str, float]:
        """Share of all plays per country, largest first, as served (0.01 and up to 2 decimals)."""
        return dict(self._countries)

    def regions(self, country: str) -> dict[str, float]:
        """Share of a country's plays per region, largest first; {} for a country not listed."""
        return dict(self._regions.get(country, {}))

    # Performance of an episode

    def performance(self, episode_id: int) -> list[int]:
        """Listeners still in at each second of the episode; [] for one that is not out."""
        episode = self.episode(episode_id)
        if not episode.is_published:
            return []
        rng = np.random.default_rng([self.seed, episode_id])
        sampled = round(self.episode_total_plays(episode_id) * SAMPLED_LISTENER_SHARE)
        return listening.listener_curve(rng, max(2, sampled), episode.duration_ms // 1000).tolist()

    def aggregated_performance(self, episode_id: int) -> dict[str, int] | None:
        """Percent of listeners reaching 25/50/75/100% of the episode and the mean seconds
        listened, worked out from performance(); None for an episode that is not out."""
        curve = self.performance(episode_id)
        if not curve:
            return None
        marks = [len(curve) * quarter // 4 for quarter in (1, 2, 3)] + [len(curve) - 1]
        reached = [round(100 * curve[second] / curve[0]) for second in marks]
        return {
            **dict(zip(("percentile25", "percentile50", "percentile75", "percentile100"), reached)),
            # Each listener adds one second for every second they are still in.
            "averageListenSeconds": round(sum(curve) / curve[0]),
        }

    # Impressions on Spotify

    def daily_impressions(self, day: date) -> int | None:
        """Impressions on ``day``; None for a day without a figure (the last two, or before
        the show started)."""
        offset = self._offset(day)
        if offset is None or day > self.today - timedelta(days=IMPRESSIONS_DELAY_DAYS):
            return None
        return int(self._impressions[offset])

    def impressions(self, first_day: date, last_day: date) -> int:
        daily = (self.daily_impressions(day) for day in days_from(first_day, last_day))
        return sum(value for value in daily if value is not None)

    def impressions_by_source(self, first_day: date, last_day: date) -> dict[str, int]:
        """The window's impressions split by source id (home, search, library, other)."""
        counts = _split(self.impressions(first_day, last_day), self._source_shares)
        return dict(zip(audience.IMPRESSION_SOURCES, counts))

    def impressions_funnel(self, first_day: date, last_day: date) -> dict[str, int]:
        """Listeners who saw the show, then looked at it, then played it, over the window."""
        reach, consider, stream = self._funnel_rates
        reached = round(self.impressions(first_day, last_day) * reach)
        considered = round(reached * consider)
        return {
            "impressions": reached,
            "considerations": considered,
            "streams": round(considered * stream),
        }

    # Internals

    def _draw_plays(self, rng: np.random.Generator) -> np.ndarray:
        publish_offsets = np.array([(e.publish_day - self.first_day).days for e in self._published])
        seconds_into_day = np.array([e.publish_at % SECONDS_PER_DAY for e in self._published])
        return listening.final_daily_plays(
            rng,
            publish_offsets,
            1 - seconds_into_day / SECONDS_PER_DAY,
            self._day_count,
            self.first_day.weekday(),
        )

    def _offset(self, day: date) -> int | None:
        offset = (day - self.first_day).days
        return offset if 0 <= offset < self._day_count else None

    def _series(
        self, values: np.ndarray, first_day: date, last_day: date, earliest: date
    ) -> dict[date, int]:
        days = days_from(max(first_day, earliest), min(last_day, self.today))
        return {day: int(values[self._offset(day)]) for day in days}


def _check_arguments(today, episode_count, history_days, seed) -> None:
    if today is not None and (isinstance(today, datetime) or not isinstance(today, date)):
        raise TypeError(f"today must be a date (a UTC day), not {type(today).__name__}")
    if episode_count < 1:
        raise ValueError(f"episode_count must be at least 1, not {episode_count}")
    if history_days < NEWEST_EPISODE_DAYS_AGO + 4:
        raise ValueError(f"history_days must be at least {NEWEST_EPISODE_DAYS_AGO + 4}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, not {seed}")


def _served_order(kind: str, shares: dict[str, float]) -> dict[str, float]:
    if kind not in ("app", "device"):
        return shares
    kept = {label: share for label, share in shares.items() if share >= MIN_SHARE}
    # Devices come largest first but with Other last, as in the recorded answers.
    return dict(sorted(kept.items(), key=lambda item: (item[0] == "Other", -item[1])))


def _place_shares(rng: np.random.Generator, usual: dict[str, float]) -> dict[str, float]:
    shares = _wobbled(rng, list(usual.values()))
    ranked = sorted(zip(usual, shares), key=lambda item: -item[1])
    # The real answers round shares of 1% and more to two decimals and leave smaller ones be.
    return {place: round(share, 2) if share >= 0.01 else share for place, share in ranked}


def _wobbled(rng: np.random.Generator, usual: list[float]) -> list[float]:
    noisy = np.array(usual) * np.exp(rng.normal(0.0, 0.1, len(usual)))
    return [float(share) for share in noisy / noisy.sum()]


def _split(total: int, shares: list[float]) -> list[int]:
    # Largest remainders, so that the parts add up to the total exactly.
    quotas = [total * share for share in shares]
    parts = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(shares)), key=lambda i: parts[i] - quotas[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts
