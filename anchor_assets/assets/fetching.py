"""Asking the API for many things in one step, a few requests at a time."""

import os
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from threading import Lock
from typing import TypeVar

from anchor_assets.settings import SettingError

Item = TypeVar("Item")
Answer = TypeVar("Answer")
Key = TypeVar("Key", bound=Hashable)

PARALLEL_REQUESTS_VARIABLE = "ANCHOR_PARALLEL_REQUESTS"
# The dashboard itself asks for several things at once when a page opens. Eight in flight cut a
# long backfill's wall time eightfold without looking like a flood. The same number bounds the
# requests of all runs together (the AnchorApi resource's request slots).
DEFAULT_PARALLEL_REQUESTS = 8
# requests keeps at most 10 connections to a host; more threads would open and drop extra ones.
MAX_PARALLEL_REQUESTS = 10


def parallel_requests(environ: Mapping[str, str] = os.environ) -> int:
    """How many requests may be in flight, from ANCHOR_PARALLEL_REQUESTS: one step's threads, and
    the budget all runs share."""
    text = (environ.get(PARALLEL_REQUESTS_VARIABLE) or "").strip()
    if not text:
        return DEFAULT_PARALLEL_REQUESTS
    if not text.isdigit() or not 1 <= int(text) <= MAX_PARALLEL_REQUESTS:
        raise SettingError(
            f"{PARALLEL_REQUESTS_VARIABLE}={text!r} is not a whole number from 1 to"
            f" {MAX_PARALLEL_REQUESTS}: set how many API requests may be in flight at once"
            f" (1 asks one thing at a time), or unset it for {DEFAULT_PARALLEL_REQUESTS}."
        )
    return int(text)


def fetch_each(items: Sequence[Item], fetch: Callable[[Item], Answer]) -> list[Answer]:
    """``fetch(item)`` for every item, answers in the items' order, a few at a time."""
    ((_, answers),) = fetch_in_turn([(None, items, fetch)])
    return answers


def fetch_in_turn(
    groups: Sequence[tuple[Key, Sequence[Item], Callable[[Item], Answer]]],
) -> Iterator[tuple[Key, list[Answer]]]:
    """Yields ``(key, [fetch(item) for item in items])`` for each group, in the groups' order,
    as soon as that group's answers are all in, while the later groups' requests go on.

    Every request of every group is queued at once, so the caller can store one group's table
    while the API is busy with the next ones, instead of leaving it idle. The first request is
    made alone: it opens the AnchorApi client's session and learns the station id, which the
    later ones then share from several threads. A requests session can be shared so: its
    settings do not change once open, its cookie jar takes a lock and its connection pool is
    thread-safe. The first failure is raised once the requests already under way have ended;
    nothing more is asked and no later group is yielded.
    """
    at_once = parallel_requests()
    # Every request as (its group's number, item, fetch), in the order they are sent.
    requests = [(number, item, fetch) for number, (_, items, fetch) in enumerate(groups)
                for item in items]  # fmt: skip
    if at_once == 1 or len(requests) <= 2:
        for key, items, fetch in groups:
            yield key, [fetch(item) for item in items]
        return
    _, first_item, first_fetch = requests[0]
    first = Future()
    first.set_result(first_fetch(first_item))
    with ThreadPoolExecutor(min(at_once, len(requests) - 1), "anchor-api") as pool:
        sent = [pool.submit(fetch, item) for _, item, fetch in requests[1:]]
        failures = _stop_at_first_failure(sent)
        answers: list[list[Future]] = [[] for _ in groups]
        for (number, _, _), future in zip(requests, [first, *sent]):
            answers[number].append(future)
        try:
            for (key, _, _), futures in zip(groups, answers):
                wait(futures)
                if failures:
                    raise failures[0]
                yield key, [future.result() for future in futures]
        finally:
            # Also when the caller stops early: what was not sent yet is never sent.
            for future in sent:
                future.cancel()


def _stop_at_first_failure(futures: list[Future]) -> list[BaseException]:
    """Cancels every request not yet sent as soon as one fails; the list holds that failure."""
    failures: list[BaseException] = []
    lock = Lock()

    def on_done(done: Future) -> None:
        if done.cancelled() or done.exception() is None:
            return
        with lock:
            if failures:
                return
            failures.append(done.exception())
        for future in futures:
            future.cancel()

    for future in futures:
        future.add_done_callback(on_done)
    return failures
