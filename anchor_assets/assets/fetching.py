"""Asking the API for many things in one step, a few requests at a time."""

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

from anchor_assets.settings import SettingError

Item = TypeVar("Item")
Answer = TypeVar("Answer")

PARALLEL_REQUESTS_VARIABLE = "ANCHOR_PARALLEL_REQUESTS"
# The dashboard itself asks for several things at once when a page opens. Eight in flight cut a
# long backfill's wall time eightfold without looking like a flood; the anchor_api pool (one step
# unless changed) bounds how many steps do this at the same time.
DEFAULT_PARALLEL_REQUESTS = 8
# requests keeps at most 10 connections to a host; more threads would open and drop extra ones.
MAX_PARALLEL_REQUESTS = 10


def parallel_requests(environ: Mapping[str, str] = os.environ) -> int:
    """How many requests one step may have in flight, from ANCHOR_PARALLEL_REQUESTS."""
    text = (environ.get(PARALLEL_REQUESTS_VARIABLE) or "").strip()
    if not text:
        return DEFAULT_PARALLEL_REQUESTS
    if not text.isdigit() or not 1 <= int(text) <= MAX_PARALLEL_REQUESTS:
        raise SettingError(
            f"{PARALLEL_REQUESTS_VARIABLE}={text!r} is not a whole number from 1 to"
            f" {MAX_PARALLEL_REQUESTS}: set how many API requests one step may make at once"
            f" (1 asks one thing at a time), or unset it for {DEFAULT_PARALLEL_REQUESTS}."
        )
    return int(text)


def fetch_each(items: Sequence[Item], fetch: Callable[[Item], Answer]) -> list[Answer]:
    """``fetch(item)`` for every item, answers in the items' order, a few at a time.

    The first item is fetched alone: that first request opens the AnchorApi client's session
    and learns the station id, which the later ones then share from several threads. A
    requests session can be shared so: its settings do not change once open, its cookie jar
    takes a lock and its connection pool is thread-safe. The first failure is raised once the
    requests already under way have ended; nothing more is asked.
    """
    at_once = parallel_requests()
    if not items:
        return []
    first = fetch(items[0])
    workers = min(at_once, len(items) - 1)
    if workers <= 1:
        return [first, *(fetch(item) for item in items[1:])]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="anchor-api") as pool:
        futures = [pool.submit(fetch, item) for item in items[1:]]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((future for future in futures if future in done and future.exception()), None)
        if failed is not None:
            for future in futures:
                future.cancel()
            raise failed.exception()
        return [first, *(future.result() for future in futures)]
