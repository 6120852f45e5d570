"""fetch_each: answers in order, never more requests at once than ANCHOR_PARALLEL_REQUESTS, and
nothing more asked once one has failed."""

import threading
import time

import pytest

from anchor_assets.assets.fetching import fetch_each, parallel_requests
from anchor_assets.settings import SettingError


class Recorder:
    """A fetch that takes a little while, counts how many run at once, and fails where told."""

    def __init__(self, failing: set[int] = frozenset(), seconds: float = 0.05) -> None:
        self.failing, self.seconds = failing, seconds
        self.lock = threading.Lock()
        self.running = self.most_at_once = 0
        self.asked: list[int] = []

    def __call__(self, item: int) -> str:
        with self.lock:
            self.asked.append(item)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        if item in self.failing:
            raise LookupError(f"no answer for {item}")
        return f"answer {item}"


# A busy machine may start the threads late, so ten at once is only required to be reached half.
@pytest.mark.parametrize("at_once, least_seen", [("1", 1), ("3", 3), ("10", 5)])
def test_answers_come_in_order_with_at_most_so_many_at_once(monkeypatch, at_once, least_seen):
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", at_once)
    fetch = Recorder()

    answers = fetch_each(list(range(40)), fetch)

    assert answers == [f"answer {item}" for item in range(40)]
    assert fetch.asked[0] == 0  # alone, before the others
    assert least_seen <= fetch.most_at_once <= int(at_once)


def test_without_the_setting_eight_go_at_once(monkeypatch):
    monkeypatch.delenv("ANCHOR_PARALLEL_REQUESTS", raising=False)
    fetch = Recorder()

    fetch_each(list(range(20)), fetch)

    assert fetch.most_at_once == 8


def test_one_at_a_time_stops_at_the_first_failure(monkeypatch):
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", "1")
    fetch = Recorder(failing={3}, seconds=0)

    with pytest.raises(LookupError, match="no answer for 3"):
        fetch_each(list(range(10)), fetch)
    assert fetch.asked == [0, 1, 2, 3]


def test_a_failure_stops_what_has_not_started(monkeypatch):
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", "2")
    fetch = Recorder(failing={2})

    with pytest.raises(LookupError, match="no answer for 2"):
        fetch_each(list(range(40)), fetch)
    assert len(fetch.asked) < 10


def test_nothing_to_fetch_asks_nothing():
    assert fetch_each([], Recorder()) == []


@pytest.mark.parametrize("value", ["0", "11", "four", "-2", "1.5"])
def test_a_malformed_setting_names_the_variable(value):
    with pytest.raises(SettingError, match=f"^ANCHOR_PARALLEL_REQUESTS='{value}' is not a whole"):
        parallel_requests({"ANCHOR_PARALLEL_REQUESTS": value})
