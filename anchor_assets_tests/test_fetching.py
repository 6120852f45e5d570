"""fetch_each and fetch_in_turn: answers in order, never more requests at once than
ANCHOR_PARALLEL_REQUESTS, nothing more asked once one has failed, and each group handed over
while the requests of the groups after it go on."""

import threading
import time

import pytest

from anchor_assets.assets.fetching import fetch_each, fetch_in_turn, parallel_requests
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


# fetch_in_turn: several tables' requests in one queue


def test_groups_come_in_their_order_each_with_its_answers_in_order(monkeypatch):
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", "4")
    fetch = Recorder(seconds=0.01)
    groups = [("a", range(0, 15), fetch), ("none", [], fetch), ("b", range(15, 40), fetch)]

    handed = list(fetch_in_turn(groups))

    assert handed == [
        ("a", [f"answer {item}" for item in range(0, 15)]),
        ("none", []),
        ("b", [f"answer {item}" for item in range(15, 40)]),
    ]
    assert 2 <= fetch.most_at_once <= 4  # one limit over all the groups, not one each


def test_a_group_is_handed_over_while_the_next_ones_are_still_being_fetched(monkeypatch):
    # The second group's requests can only end once the first group has reached the caller:
    # a fetch_in_turn that waited for every answer before handing any over would never get there.
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", "3")
    first_handed_over = threading.Event()

    def waits_for_the_first_group(item: int) -> str:
        if not first_handed_over.wait(timeout=10):
            raise TimeoutError("the first group was not handed over while this one was fetched")
        return f"late {item}"

    groups = [
        ("first", range(5), Recorder(seconds=0)),
        ("second", range(6), waits_for_the_first_group),
    ]
    handed = []
    for key, answers in fetch_in_turn(groups):
        handed.append((key, answers))
        first_handed_over.set()

    assert handed == [
        ("first", [f"answer {item}" for item in range(5)]),
        ("second", [f"late {item}" for item in range(6)]),
    ]


def test_a_failing_group_stops_everything_after_it(monkeypatch):
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", "2")
    fetch = Recorder(failing={12})
    groups = [("a", range(0, 10), fetch), ("b", range(10, 20), fetch), ("c", range(20, 60), fetch)]
    handed = []

    with pytest.raises(LookupError, match="no answer for 12"):
        for key, _ in fetch_in_turn(groups):
            handed.append(key)

    assert handed == ["a"]
    assert max(fetch.asked) < 20  # nothing of the last group was asked once 12 had failed


def test_a_caller_that_stops_early_leaves_the_rest_unasked(monkeypatch):
    monkeypatch.setenv("ANCHOR_PARALLEL_REQUESTS", "2")
    fetch = Recorder()
    groups = [("a", range(0, 4), fetch), ("b", range(4, 60), fetch)]

    turns = fetch_in_turn(groups)
    assert next(turns)[0] == "a"
    turns.close()

    assert len(fetch.asked) < 20
