"""The sandbox API in a process of its own, so that its CPU and memory stay out of the process
tree being measured, with a request count the benchmark can read and reset over a pipe."""

import multiprocessing
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from anchor_assets.sandbox import SANDBOX_COOKIE, FictionalShow, SandboxServer
from anchor_assets.sandbox.server import API_PREFIX

# How long the benchmark waits for the sandbox process to answer a command.
COMMAND_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ShowFacts:
    base_url: str
    webstation_id: str
    cookie: str
    first_day: date
    today: date
    episode_ids: list[int]  # every episode, as the episode list orders them
    published_days: dict[int, date]  # published episodes only


class CountingSandbox(SandboxServer):
    """The sandbox, also adding up how long it spent answering."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._count_lock = threading.Lock()
        self.busy_seconds = 0.0  # summed over requests, latency included

    def _respond(self, method, target, cookie_header):
        started = time.perf_counter()
        try:
            return super()._respond(method, target, cookie_header)
        finally:
            with self._count_lock:
                self.busy_seconds += time.perf_counter() - started

    def reset_counts(self) -> None:
        self.clear_requests()
        with self._count_lock:
            self.busy_seconds = 0.0

    def counts(self) -> dict:
        requests = self.requests
        return {
            "requests": len(requests),
            "by_endpoint": dict(Counter(endpoint_of(r.path, r.query) for r in requests)),
            "failed": sum(1 for r in requests if r.status != 200),
            "max_in_flight": self.max_in_flight,
            "busy_seconds": self.busy_seconds,
        }


def endpoint_of(path: str, query: dict) -> str:
    """A request's endpoint without its ids: analytics/station/N/playsByGeo?resultGeo=geo3."""
    endpoint = re.sub(r"/\d+(?=/|$)", "/N", path.removeprefix(API_PREFIX + "/"))
    endpoint = re.sub(r"webStationId:[0-9a-fA-F]+", "webStationId:W", endpoint)
    if endpoint.endswith("episodePage") and query.get("limit") == "1":
        endpoint += "?limit=1"  # the stationId look-up
    if "resultGeo" in query:
        endpoint += f"?resultGeo={query['resultGeo']}"
    return endpoint


class SandboxProcess:
    """Starts the sandbox in a child process; use as a context manager."""

    def __init__(self, episodes: int, history_days: int, latency_seconds: float) -> None:
        self._settings = (episodes, history_days, latency_seconds)
        self._process: multiprocessing.Process | None = None
        self._connection = None
        self.pid: int | None = None

    def __enter__(self) -> "SandboxProcess":
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child_end, *self._settings), name="anchor-sandbox", daemon=True
        )
        self._process.start()
        self.pid = self._process.pid
        self.facts: ShowFacts = self._ask("facts")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._process is None:
            return
        try:
            self._connection.send("stop")
        except OSError:
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)
        self._process = None

    def counts(self) -> dict:
        return self._ask("counts")

    def reset(self) -> None:
        self._ask("reset")

    def _ask(self, command: str):
        self._connection.send(command)
        deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
        while not self._connection.poll(1):
            if not self._process.is_alive():
                raise RuntimeError(f"the sandbox process died (exit code {self._process.exitcode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sandbox process did not answer {command!r}")
        answer = self._connection.recv()
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _serve(connection, episodes: int, history_days: int, latency_seconds: float) -> None:
    try:
        show = FictionalShow(episode_count=episodes, history_days=history_days)
        server = CountingSandbox(show, latency_seconds=latency_seconds).start()
    except BaseException as error:  # hand it to the benchmark rather than die silently
        connection.send(error)
        return
    try:
        while True:
            command = connection.recv()
            if command == "stop":
                return
            if command == "facts":
                connection.send(_facts(server, show))
            elif command == "counts":
                connection.send(server.counts())
            elif command == "reset":
                server.reset_counts()
                connection.send(None)
    except EOFError:
        pass
    finally:
        server.stop()


def _facts(server: SandboxServer, show: FictionalShow) -> ShowFacts:
    return ShowFacts(
        base_url=server.base_url,
        webstation_id=show.webstation_id,
        cookie=SANDBOX_COOKIE,
        first_day=show.first_day,
        today=show.today,
        episode_ids=[episode.episode_id for episode in show.episodes],
        published_days={e.episode_id: e.publish_day for e in show.published_episodes},
    )


def young_episode_ids(facts: ShowFacts, days: int) -> list[int]:
    """Published episodes that went out within the last ``days`` days."""
    since = facts.today - timedelta(days=days)
    return [episode_id for episode_id, day in facts.published_days.items() if day > since]
