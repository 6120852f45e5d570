"""The request budget that all runs of an instance share: threads and separate processes asking
the sandbox over HTTP together never have more requests in flight than the budget, they do use
all of it, and a process killed while it holds a slot gives it back."""

import multiprocessing
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from anchor_assets.resources.http_client import AnchorHttpClient
from anchor_assets.resources.request_slots import RequestSlots
from anchor_assets.resources.retry import RetryPolicy
from anchor_assets.sandbox import FictionalShow, SandboxServer

COOKIE = "slots-cookie-5c1f0a"
# Long enough that the threads' requests overlap for sure, short enough for a quick test.
LATENCY_SECONDS = 0.03
THREADS = 6
REQUESTS_PER_THREAD = 4


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(FictionalShow(episode_count=3), cookie=COOKIE,
                       latency_seconds=LATENCY_SECONDS) as server:  # fmt: skip
        yield server


def ask_together(base_url: str, path: str, folder: str, size: int) -> int:
    """THREADS threads, each asking REQUESTS_PER_THREAD times, within one budget; what they got."""
    slots = RequestSlots(Path(folder), size)
    client = AnchorHttpClient(base_url, COOKIE, timeout_seconds=10, slots=slots,
                              retry_policy=RetryPolicy(1, 0.0, 0.0))  # fmt: skip

    def ask(_) -> int:
        return sum(1 for _ in range(REQUESTS_PER_THREAD) if client.get_json(path))

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return sum(pool.map(ask, range(THREADS)))
    finally:
        client.close()


def first_page(sandbox: SandboxServer) -> str:
    return f"stations/webStationId:{sandbox.show.webstation_id}/episodePage"


def test_threads_of_one_step_stay_within_the_budget_and_use_all_of_it(sandbox, tmp_path):
    sandbox.clear_requests()

    answered = ask_together(sandbox.base_url, first_page(sandbox), str(tmp_path), size=2)

    assert answered == THREADS * REQUESTS_PER_THREAD == sandbox.request_count()
    assert sandbox.max_in_flight == 2


def test_runs_in_separate_processes_share_one_budget(sandbox, tmp_path):
    sandbox.clear_requests()
    spawn = multiprocessing.get_context("spawn")

    with spawn.Pool(3) as pool:
        answered = pool.starmap(ask_together, [(sandbox.base_url, first_page(sandbox), str(tmp_path), 4)] * 3)

    assert answered == [THREADS * REQUESTS_PER_THREAD] * 3
    assert sandbox.request_count() == 3 * THREADS * REQUESTS_PER_THREAD
    # Each process alone would have THREADS in flight, 18 together.
    assert sandbox.max_in_flight == 4


def hold_a_slot(folder: str, holding: multiprocessing.Event) -> None:
    with RequestSlots(Path(folder), 1).one():
        holding.set()
        threading.Event().wait(600)


def test_a_killed_run_gives_its_slot_back(tmp_path):
    spawn = multiprocessing.get_context("spawn")
    holding = spawn.Event()
    holder = spawn.Process(target=hold_a_slot, args=(str(tmp_path), holding))
    holder.start()
    assert holding.wait(60), "the process never took the slot"
    taken = threading.Event()

    def take() -> None:
        with RequestSlots(tmp_path, 1).one():
            taken.set()

    waiter = threading.Thread(target=take, daemon=True)
    waiter.start()
    assert not taken.wait(0.5), "a second request got the only slot while it was held"

    os.kill(holder.pid, signal.SIGKILL)
    holder.join(30)

    assert taken.wait(10), "the slot of the killed process was never given back"
    waiter.join(10)


def test_a_budget_needs_a_slot(tmp_path):
    with pytest.raises(ValueError, match="at least one slot, not 0"):
        RequestSlots(tmp_path, 0)
