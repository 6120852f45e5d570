"""The fictional show's episodes: identities, titles, publish times and lengths.

Everything is drawn from the show's seeded generator, so a show built twice with the same
arguments has the same episodes with the same ids.
"""

import string
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from anchor_assets.sandbox.utc import SECONDS_PER_DAY, day_of, midnight

PUBLISHED = "published"
DRAFT = "draft"
SCHEDULED = "scheduled"

# The newest episode came out a few days ago, so even it has complete days behind it.
NEWEST_EPISODE_DAYS_AGO = 3

SUBJECTS = (
    "Tide tables", "Fog signals", "Sea charts", "Harbour pilots", "Knots and rope",
    "Weather ships", "Ferry timetables", "Salt marshes", "Lifeboat crews", "Radio beacons",
    "Shipwreck maps", "Coastal erosion", "Lens makers", "Canal locks", "Buoys", "Night fishing",
    "Island post", "Storm surges", "Port cranes", "Sea shanties", "Message bottles", "Lightships",
    "Kelp forests", "Dockside cafes",
)  # fmt: skip
ANGLES = (
    "a beginner's guide", "what nobody tells you", "the long history", "a listener's question",
    "live from the pier", "the numbers behind it", "myths and facts", "ten years on",
    "how it works", "the people behind it", "a winter special", "from the mailbag",
    "with a coastguard", "an update",
)  # fmt: skip

BASE36 = string.digits + string.ascii_lowercase
BASE62 = string.digits + string.ascii_letters


@dataclass(frozen=True)
class Episode:
    """One episode of the fictional show, as its creator sees it in the dashboard."""

    episode_id: int
    web_episode_id: str
    title: str | None
    description: str
    status: str  # PUBLISHED, DRAFT or SCHEDULED
    created_at: int  # Unix seconds
    publish_at: int | None  # Unix seconds; None until the episode is out
    duration_ms: int
    audio_id: str | None  # None for the scheduled episode: its download URL is null
    spotify_id: str | None  # None until the episode is on Spotify
    slug: str

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def publish_day(self) -> date | None:
        return None if self.publish_at is None else day_of(self.publish_at)

    @property
    def spotify_episode_uri(self) -> str | None:
        return None if self.spotify_id is None else f"spotify:episode:{self.spotify_id}"


def make_episodes(
    rng: np.random.Generator, today: date, count: int, history_days: int
) -> list[Episode]:
    """``count`` published episodes over the ``history_days`` before today, then a draft and a
    scheduled episode, in the order they were created (oldest first)."""
    publish_times = _publish_times(rng, today, count, history_days)
    lead_times = rng.integers(SECONDS_PER_DAY // 2, 5 * SECONDS_PER_DAY, count)
    created_times = [publish - int(lead) for publish, lead in zip(publish_times, lead_times)]
    now_ish = midnight(today) - SECONDS_PER_DAY + int(rng.integers(0, 6 * 3600))
    created_times += [now_ish - 2 * SECONDS_PER_DAY, now_ish]
    statuses = [PUBLISHED] * count + [DRAFT, SCHEDULED]
    episode_ids = _episode_ids(rng, len(statuses))
    web_ids = _unique_codes(rng, len(statuses), prefix="e2", length=5, alphabet=BASE36)
    audio_ids = _unique_codes(rng, len(statuses), prefix="a", length=6, alphabet=BASE36)
    spotify_ids = _unique_codes(rng, count, prefix="", length=22, alphabet=BASE62)
    titles = _titles(rng, len(statuses))
    durations = rng.integers(18 * 60_000, 72 * 60_000, len(statuses))

    episodes = []
    for index, status in enumerate(statuses):
        published = status == PUBLISHED
        title = titles[index] if status != DRAFT else None
        episodes.append(
            Episode(
                episode_id=episode_ids[index],
                web_episode_id=web_ids[index],
                title=title,
                description=f"<p>{title or 'Untitled draft'}: notes and links.</p>",
                status=status,
                created_at=created_times[index],
                publish_at=publish_times[index] if published else None,
                duration_ms=int(durations[index]),
                audio_id=None if status == SCHEDULED else audio_ids[index],
                spotify_id=spotify_ids[index] if published else None,
                slug=_slug(title or "untitled"),
            )
        )
    return episodes


def _publish_times(rng: np.random.Generator, today: date, count: int, history_days: int):
    # Evenly spaced with some jitter, as a show with a regular rhythm looks.
    newest = history_days - NEWEST_EPISODE_DAYS_AGO
    offsets = np.linspace(1, newest, count) if count > 1 else np.array([newest], dtype=float)
    spacing = (newest - 1) / max(count - 1, 1)
    offsets[:-1] += rng.uniform(-0.3, 0.3, count - 1) * spacing
    offsets = np.sort(np.clip(np.rint(offsets), 1, newest)).astype(int)
    first_day = today - timedelta(days=history_days)
    seconds_into_day = rng.integers(5 * 3600, 19 * 3600, count)
    return [
        midnight(first_day + timedelta(days=int(offset))) + int(seconds)
        for offset, seconds in zip(offsets, seconds_into_day)
    ]


def _episode_ids(rng: np.random.Generator, count: int) -> list[int]:
    # Numeric ids grow with creation time, as the API's do.
    steps = rng.integers(20_000, 400_000, count)
    return [int(value) for value in 61_000_000 + np.cumsum(steps)]


def _unique_codes(
    rng: np.random.Generator, count: int, prefix: str, length: int, alphabet: str
) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = prefix + "".join(alphabet[i] for i in rng.integers(0, len(alphabet), length))
        if code not in codes:
            codes.append(code)
    return codes


def _titles(rng: np.random.Generator, count: int) -> list[str]:
    # The number in front keeps titles unique however many episodes a benchmark asks for.
    pairs = [(subject, angle) for subject in SUBJECTS for angle in ANGLES]
    order = rng.permutation(len(pairs))
    titles = []
    for n in range(count):
        subject, angle = pairs[order[n % len(pairs)]]
        titles.append(f"#{n + 1} {subject}: {angle}")
    return titles


def _slug(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)
