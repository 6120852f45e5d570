"""A budget of requests in flight shared by every run of a Dagster instance.

Each step asks the API for several things at once; when runs overlap (a backfill's daily and
per-episode runs, the nightly runs), their requests together must still stay within what the
API is asked to bear. The slots are lock files in the instance's folder, taken with flock:
the kernel frees a slot when its process dies, so a killed run never keeps one. (Named
semaphores stay taken when a process is killed; filelock offers one lock and waits by polling.)
"""

import fcntl
import itertools
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The folder, below the instance's folder, that holds one empty file per slot.
SLOTS_FOLDER = "anchor_api_requests"


class RequestSlots:
    """At most ``size`` requests in flight across all threads and processes sharing ``folder``."""

    def __init__(self, folder: Path, size: int) -> None:
        if size < 1:
            raise ValueError(f"a request budget needs at least one slot, not {size}")
        folder.mkdir(parents=True, exist_ok=True)
        self._paths = [folder / f"slot-{number}" for number in range(size)]
        # A thread that finds every slot taken waits for its own: threads of one step take
        # different ones, so every slot has its waiters.
        self._next_home = itertools.count()
        self._home = threading.local()

    def __repr__(self) -> str:
        return f"RequestSlots({len(self._paths)} in {self._paths[0].parent})"

    @contextmanager
    def one(self) -> Iterator[None]:
        """Holds a slot while the block runs, waiting for one when all are taken."""
        slot = self._take()
        try:
            yield
        finally:
            os.close(slot)  # closing the file frees its lock

    def _take(self) -> int:
        # Each take opens the file anew: flock locks belong to an open file, so two threads
        # sharing one descriptor would both "hold" it.
        first = random.randrange(len(self._paths))
        for path in self._paths[first:] + self._paths[:first]:
            slot = _open(path)
            try:
                fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return slot
            except BlockingIOError:
                os.close(slot)
        slot = _open(self._paths[self._home_number()])
        try:
            fcntl.flock(slot, fcntl.LOCK_EX)
        except BaseException:
            os.close(slot)
            raise
        return slot

    def _home_number(self) -> int:
        if not hasattr(self._home, "number"):
            self._home.number = next(self._next_home) % len(self._paths)
        return self._home.number


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
