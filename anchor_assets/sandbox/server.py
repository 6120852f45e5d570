"""SandboxServer: the fictional show served over real HTTP on the API's own paths.

The server checks what the real API checks (the anchorpw_s cookie, isMumsCompatible=true),
answers from a FictionalShow, records every request for tests (path and query, never the
cookie), and can be told to misbehave on the next requests to a path, for testing how the client
copes: another status, another body, an answer that comes too late or breaks off, or a cookie that
expires in the middle of a run.
"""

import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from anchor_assets.sandbox import routes
from anchor_assets.sandbox.params import ApiError
from anchor_assets.sandbox.show import FictionalShow

SANDBOX_COOKIE = "sandbox-cookie"
COOKIE_NAME = "anchorpw_s"
API_PREFIX = "/pod/api/proxy/v3"
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

# stop() waits up to this long for the serving loop to notice; tests start and stop a server
# for each test, so it is short.
SHUTDOWN_POLL_SECONDS = 0.01

# A client that stalls in the middle of a request must not hold a server thread for ever.
REQUEST_TIMEOUT_SECONDS = 30

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the sandbox answered. It holds no header, so never the cookie."""

    method: str
    path: str  # the URL path, e.g. /pod/api/proxy/v3/analytics/station/4242424/plays
    query: dict[str, str]
    status: int


# What the API says when a session has expired; expire_cookie_after() answers with it too.
EXPIRED_COOKIE_ERROR = {"error": "the anchorpw_s cookie is missing or has expired"}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    # Sent after the headers in place of the body, before hanging up: a connection that drops.
    cut_after_bytes: int | None = None


@dataclass
class _Fault:
    """How to misbehave on requests whose path holds path_fragment: answer with ``reply`` (None:
    the real answer) after delay_seconds, cut after cut_after_bytes of its body if set."""

    path_fragment: str
    reply: Reply | None
    delay_seconds: float
    cut_after_bytes: int | None
    let_through: int
    times_left: int | None  # None: for ever

    def applied_to(self, real_answer: Callable[[], Reply]) -> Reply:
        reply = self.reply or real_answer()
        if self.cut_after_bytes is None:
            return reply
        return replace(reply, cut_after_bytes=min(self.cut_after_bytes, len(reply.body) - 1))


class SandboxServer:
    """The sandbox API in a background thread, at ``base_url`` once started.

    Use it as a context manager, or call start() and stop(). Port 0 picks a free port.
    """

    def __init__(
        self,
        show: FictionalShow | None = None,
        cookie: str = SANDBOX_COOKIE,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_seconds: float = 0.0,
    ) -> None:
        if not cookie:
            raise ValueError("the sandbox needs a cookie value to expect")
        if latency_seconds < 0:
            raise ValueError(f"latency_seconds must not be negative, not {latency_seconds}")
        self.show = show if show is not None else FictionalShow()
        self.host = host
        self.latency_seconds = latency_seconds
        self._cookie = cookie.encode("utf-8")
        self._asked_port = port
        self._port: int | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        # The most requests it was answering at once since it started or its requests were cleared.
        self.max_in_flight = 0
        self._faults: list[_Fault] = []
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "not started"
        return f"<SandboxServer {where}>"

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox has no port until it is started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    def start(self) -> "SandboxServer":
        """Bind the port and serve in a background thread; OSError if the port is taken."""
        if self._http is not None:
            raise RuntimeError(f"the sandbox is already serving at {self.base_url}")
        self._http = _HttpServer((self.host, self._asked_port), self)
        self._port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"anchor-sandbox-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port; nothing happens if it is not serving."""
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()
        self._http = self._thread = None

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def request_count(self, path_fragment: str | None = None) -> int:
        """How many requests were answered, or how many of them had path_fragment in their path."""
        return sum(1 for r in self.requests if path_fragment is None or path_fragment in r.path)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self.max_in_flight = self._in_flight

    def fail_next(
        self,
        path_fragment: str,
        status: int | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        *,
        after: int = 0,
        delay_seconds: float = 0.0,
        cut_after_bytes: int | None = None,
    ) -> None:
        """Misbehave on the next ``times`` requests whose path holds path_fragment, once
        ``after`` of them have been answered as usual.

        With a status, answer with it, ``headers`` and ``body`` (by default a short JSON
        error): 429 with or without Retry-After, 503, 200 with an HTML login page, a JSON body
        that breaks off. ``delay_seconds`` waits before answering (beyond the client's timeout:
        a timeout). ``cut_after_bytes`` sends the headers and only that much of the body, then
        hangs up. Without a status, the delay or the cut applies to the real answer.
        """
        if status is not None and not 100 <= status <= 599:
            raise ValueError(f"status must be from 100 to 599, not {status}")
        if times < 1 or after < 0 or delay_seconds < 0 or (cut_after_bytes or 0) < 0:
            raise ValueError("times must be at least 1; after, delays and cuts not negative")
        if status is None and (headers or body is not None):
            raise ValueError("headers and a body need a status to answer with")
        if status is None and not delay_seconds and cut_after_bytes is None:
            raise ValueError("say what goes wrong: a status, delay_seconds or cut_after_bytes")
        reply = None if status is None else _fault_reply(status, headers or {}, body)
        self._add_fault(_Fault(path_fragment, reply, delay_seconds, cut_after_bytes, after, times))

    def expire_cookie_after(self, requests: int) -> None:
        """Refuse the cookie with 401 from the request after the next ``requests`` on, whatever
        their path, as the API does when a session expires in the middle of a run."""
        if requests < 0:
            raise ValueError(f"requests must not be negative, not {requests}")
        expired = _json_reply(401, EXPIRED_COOKIE_ERROR)
        self._add_fault(_Fault("", expired, 0.0, None, let_through=requests, times_left=None))

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _respond(self, method: str, target: str, cookie_header: str | None) -> Reply:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return self._reply(method, target, cookie_header)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _reply(self, method: str, target: str, cookie_header: str | None) -> Reply:
        url = urlsplit(target)
        path = unquote(url.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        fault = self._take_fault(path)
        real_answer = partial(self._answer, method, path, query, cookie_header)
        reply = fault.applied_to(real_answer) if fault else real_answer()
        with self._lock:
            self._requests.append(RecordedRequest(method, path, query, reply.status))
        delay = self.latency_seconds + (fault.delay_seconds if fault else 0.0)
        if delay:
            time.sleep(delay)
        return reply

    def _take_fault(self, path: str) -> _Fault | None:
        """The first fault due for this request; every matching fault counts it towards its
        ``after``."""
        due = None
        with self._lock:
            for fault in [f for f in self._faults if f.path_fragment in path]:
                if fault.let_through:
                    fault.let_through -= 1
                elif due is None:
                    due = fault
            if due is not None and due.times_left is not None:
                due.times_left -= 1
                if not due.times_left:
                    self._faults.remove(due)
        return due

    def _answer(self, method: str, path: str, query: dict, cookie_header: str | None) -> Reply:
        if method != "GET":
            return _json_reply(405, {"error": f"the API answers GET, not {method}"})
        if not self._cookie_accepted(cookie_header):
            return _json_reply(401, EXPIRED_COOKIE_ERROR)
        if query.get("isMumsCompatible") != "true":
            return _json_reply(403, {"error": "user does not own station"})
        if not path.startswith(API_PREFIX + "/"):
            return _json_reply(404, {"error": f"no such endpoint: {path}"})
        try:
            return _json_reply(200, routes.answer(self.show, path[len(API_PREFIX) + 1 :], query))
        except ApiError as refusal:
            return _json_reply(refusal.status, refusal.body())
        except Exception:
            log.exception("the sandbox failed to answer %s", path)
            return _json_reply(500, {"error": "the sandbox failed to answer; see its log"})

    def _cookie_accepted(self, cookie_header: str | None) -> bool:
        for pair in (cookie_header or "").split(";"):
            name, _, value = pair.strip().partition("=")
            if name == COOKIE_NAME:
                return hmac.compare_digest(value.encode("utf-8"), self._cookie)
        return False


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox

    def handle_error(self, request, client_address) -> None:
        # A client hanging up mid-answer is no news; the default prints a traceback to stderr.
        log.debug("a connection from %s ended badly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "AnchorSandbox/1.0"
    timeout = REQUEST_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        self._reply("GET")

    def do_POST(self) -> None:
        self._reply("POST")

    def do_PUT(self) -> None:
        self._reply("PUT")

    def do_DELETE(self) -> None:
        self._reply("DELETE")

    def _reply(self, method: str) -> None:
        reply = self.server.sandbox._respond(method, self.path, self.headers.get("Cookie"))
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.cut_after_bytes is None:
            self.wfile.write(reply.body)
            return
        # Fewer bytes than Content-Length promised, then the connection closes.
        self.wfile.write(reply.body[: reply.cut_after_bytes])
        self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        # The sandbox keeps quiet: its requests are in SandboxServer.requests instead.
        pass


def _fault_reply(status: int, headers: dict[str, str], body: str | None) -> Reply:
    if body is None:
        body = json.dumps({"error": f"sandbox fault: status {status}"})
    content_type = HTML_TYPE if body.lstrip().startswith("<") else JSON_TYPE
    return Reply(status, {"Content-Type": content_type, **headers}, body.encode("utf-8"))


def _json_reply(status: int, body) -> Reply:
    return Reply(status, {"Content-Type": JSON_TYPE}, json.dumps(body).encode("utf-8"))
