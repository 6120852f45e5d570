"""How the fictional show is listened to, drawn once with numpy from the show's seeded generator.

Plays are a matrix of episodes x days: each episode launches with a spike that decays into a long
tail, later episodes launch bigger as the show grows, weekends are quieter, and Poisson noise
makes every day a little different. Nothing is played before an episode is published.
"""

import numpy as np

# Mean plays on the first full day of the show's first episode.
LAUNCH_PLAYS = 40.0
# The newest episodes launch this many times bigger than the first: the show has grown.
GROWTH = 2.5
# Monday to Sunday: people listen less at the weekend.
WEEKDAY_FACTORS = np.array([1.05, 1.08, 1.06, 1.04, 0.98, 0.85, 0.82])

# The API fills the newest days in over about two days: what it serves for today and yesterday
# is this fraction of the figure those days will end with.
TODAY_COMPLETENESS = 0.3
YESTERDAY_COMPLETENESS = 0.7

# Day-to-day spread of the audience shares around their usual values (log scale).
SHARE_WOBBLE = 0.15

# About this many impressions on Spotify for each play, plus a floor of passers-by.
IMPRESSIONS_PER_PLAY = 7.0
IMPRESSIONS_FLOOR = 40.0


def final_daily_plays(
    rng: np.random.Generator,
    publish_offsets: np.ndarray,
    publish_day_left: np.ndarray,
    day_count: int,
    first_weekday: int,
) -> np.ndarray:
    """Plays of each episode (rows) on each day (columns) once every day is complete.

    publish_offsets: the day index each episode came out on; publish_day_left: the fraction of
    that day still ahead when it came out; first_weekday: the weekday of day 0 (Monday is 0).
    """
    episode_count = len(publish_offsets)
    progress = publish_offsets / max(day_count - 1, 1)
    launch = LAUNCH_PLAYS * (1 + GROWTH * progress) * rng.lognormal(0.0, 0.35, episode_count)
    decay = rng.uniform(1.0, 1.4, episode_count)
    tail = launch * rng.uniform(0.01, 0.03, episode_count)

    age = np.arange(day_count)[None, :] - publish_offsets[:, None]
    live = age >= 0
    expected = launch[:, None] * (np.maximum(age, 0) + 1.0) ** -decay[:, None] + tail[:, None]
    expected = np.where(age == 0, expected * publish_day_left[:, None], expected)
    weekdays = (first_weekday + np.arange(day_count)) % 7
    expected = np.where(live, expected * WEEKDAY_FACTORS[weekdays][None, :], 0.0)
    return rng.poisson(expected).astype(np.int64)


def completeness(day_count: int) -> np.ndarray:
    """The fraction of each day's final figure that the API serves as of the last day."""
    fractions = np.ones(day_count)
    fractions[-1] = TODAY_COMPLETENESS
    if day_count > 1:
        fractions[-2] = YESTERDAY_COMPLETENESS
    return fractions


def daily_shares(rng: np.random.Generator, usual: np.ndarray, day_count: int) -> np.ndarray:
    """Shares of plays per label (columns) on each day (rows), wobbling around ``usual``.

    Each row sums to 1; a label whose usual share is 0 stays at 0.
    """
    wobble = np.exp(rng.normal(0.0, SHARE_WOBBLE, (day_count, len(usual))))
    noisy = usual[None, :] * wobble
    return noisy / noisy.sum(axis=1, keepdims=True)


def daily_impressions(rng: np.random.Generator, station_plays: np.ndarray) -> np.ndarray:
    """Impressions on Spotify per day, following the show's plays over the past week."""
    week = np.ones(7) / 7
    recent_plays = np.convolve(station_plays, week)[: len(station_plays)]
    return rng.poisson(IMPRESSIONS_FLOOR + IMPRESSIONS_PER_PLAY * recent_plays).astype(np.int64)


def listener_curve(rng: np.random.Generator, starting_listeners: int, seconds: int) -> np.ndarray:
    """Listeners still in at each second of an episode: a quick early drop, then a slow leak."""
    position = np.arange(seconds) / max(seconds, 1)
    early_drop = rng.uniform(0.08, 0.2) * (1 - np.exp(-position / 0.02))
    leak = np.exp(-rng.uniform(0.4, 1.2) * position)
    return np.rint(starting_listeners * (1 - early_drop) * leak).astype(np.int64)
