"""The AnchorApi resource, run as it runs in production: real HTTP to the sandbox API on loopback.

Faults the sandbox cannot make (a page token that repeats, a connection dropped mid-answer, a
stalled answer, a redirect) come from a tiny scripted server in this file. Every failure test
also checks that the cookie shows nowhere: not in the message, repr, args, chained causes or logs.
"""

import base64
import json
import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from dagster import DagsterInstance, EnvVar, asset, materialize

from anchor_assets.resources import (
    AnchorApi,
    AnchorApiError,
    AnchorSettingError,
    CookieRefusedError,
    EndpointNotFoundError,
    NotJsonError,
    PageTokenLoopError,
    RedirectedError,
    RequestRejectedError,
    RetriesExhaustedError,
    RetryAfterTooLongError,
    UnexpectedAnswerError,
)
from anchor_assets.resources.retry import retry_after_seconds
from anchor_assets.resources.time_ranges import day_range
from anchor_assets.sandbox import SANDBOX_STATION_ID, FictionalShow, SandboxServer

COOKIE = "SECRET-COOKIE-1234"
S = SANDBOX_STATION_ID
PLAYS_PATH = f"analytics/station/{S}/plays"
TOTAL_PLAYS_PATH = f"analytics/station/{S}/totalPlays"


def make_api(base_url: str, **settings) -> AnchorApi:
    """The resource as configured in production, with back-off short enough for tests."""
    defaults = {
        "webstation_id": FictionalShow().webstation_id,
        "anchorpw_s": COOKIE,
        "timeout_seconds": 5.0,
        "max_backoff_seconds": 0.01,
    }
    return AnchorApi(base_url=base_url, **{**defaults, **settings})


@pytest.fixture
def sandbox(sandbox_show) -> Iterator[SandboxServer]:
    """The sandbox expecting this file's recognisable cookie, so that any leak of it shows."""
    with SandboxServer(sandbox_show, cookie=COOKIE, port=0) as server:
        yield server


@pytest.fixture
def api(sandbox) -> AnchorApi:
    return make_api(sandbox.base_url)


@pytest.fixture
def days(sandbox_show) -> tuple[date, date]:
    """A week of complete days in the fictional show's history."""
    last = sandbox_show.today - timedelta(days=3)
    return last - timedelta(days=6), last


@pytest.fixture
def warnings(caplog) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="dagster")
    return caplog


def assert_cookie_hidden(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    """The cookie is nowhere in the error, its chained causes, its traceback or the logs."""
    texts = [caplog.text]
    texts.extend(traceback.format_exception(type(error), error, error.__traceback__))
    current: BaseException | None = error
    while current is not None:
        assert not isinstance(current, requests.RequestException), "requests' error is chained"
        texts.extend([str(current), repr(current), *map(repr, current.args)])
        current = current.__cause__ or current.__context__
    for text in texts:
        assert COOKIE not in text


# Identifiers and paging


def test_the_station_id_is_asked_once_and_reused(api, sandbox):
    assert api.station_id() == sandbox.show.station_id
    api.station_id()
    api.total_plays()
    api.audience_size()

    assert sandbox.request_count("webStationId:") == 1
    assert sandbox.request_count(f"/analytics/station/{S}/") == 2


@pytest.fixture(scope="module")
def long_show() -> FictionalShow:
    """A show with more episodes than fit on three pages of 50."""
    return FictionalShow(episode_count=120)


def test_the_episode_list_follows_every_page_and_lists_each_episode_once(long_show):
    with SandboxServer(long_show, cookie=COOKIE, port=0) as sandbox:
        episodes = make_api(sandbox.base_url).episodes()
        pages = [r for r in sandbox.requests if r.path.endswith("/episodePage")]

    assert [e["episodeId"] for e in episodes] == [e.episode_id for e in long_show.episodes]
    assert len(pages) == 3
    assert "pageToken" not in pages[0].query
    assert all(page.query["limit"] == "50" for page in pages)


def test_a_page_token_that_comes_back_stops_the_episode_list(warnings):
    looping_page = {"stationId": S, "items": [{"episodeId": 1}], "next": "/v3/x?pageToken=AAA"}
    with (
        scripted_api([json_answer(looping_page)]) as server,
        pytest.raises(PageTokenLoopError) as failure,
    ):
        make_api(server.base_url).episodes()

    assert "pageToken=AAA" in str(failure.value)
    assert "'AAA' a second time after 2 pages" in str(failure.value)
    assert len(server.paths) == 2
    assert_cookie_hidden(failure.value, warnings)


def test_every_request_is_mums_compatible_and_carries_the_cookie_only_as_a_cookie(api, sandbox):
    api.episodes()
    api.total_plays()
    api.episode_overview(sandbox.show.published_episodes[0].episode_id)

    assert sandbox.request_count() == 4
    assert all(r.query.get("isMumsCompatible") == "true" for r in sandbox.requests)
    assert all(COOKIE not in r.path + json.dumps(r.query) for r in sandbox.requests)


# Time ranges


@pytest.fixture
def far_from_utc(monkeypatch) -> Iterator[None]:
    """The host's clock set to a zone 14 hours ahead of UTC, where naive dates go wrong."""
    if not hasattr(time, "tzset"):
        pytest.skip("only POSIX hosts can change their time zone while running")
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_time_range_runs_from_the_utc_midnight_of_the_first_day_to_that_of_the_last(
    api, sandbox, far_from_utc
):
    api.plays(date(2024, 3, 30), date(2024, 4, 2))

    (asked,) = [r.query for r in sandbox.requests if r.path.endswith("/plays")]
    assert asked["timeRangeStart"] == "1711756800"  # 2024-03-30T00:00:00Z
    assert asked["timeRangeEnd"] == "1712016000"  # 2024-04-02T00:00:00Z
    assert asked["timeInterval"] == "86400"


def test_a_time_range_must_be_dates_in_order():
    with pytest.raises(ValueError, match="before first_day"):
        day_range(date(2024, 4, 2), date(2024, 4, 1))
    with pytest.raises(TypeError, match="expected a date"):
        day_range(datetime(2024, 4, 1), date(2024, 4, 2))


def test_impressions_ask_for_the_29_whole_utc_days_ending_with_the_last_day(api, sandbox):
    last = sandbox.show.today - timedelta(days=3)
    body = api.impressions(last)

    (asked,) = [r.query for r in sandbox.requests if r.path.endswith(f"/station/{S}")]
    query = json.loads(base64.b64decode(asked["query"]))
    window = query["options"]["impressions"]
    end_of_last_day = datetime.combine(last + timedelta(days=1), datetime.min.time(), timezone.utc)
    assert window["endTime"] == end_of_last_day.timestamp()
    assert window["endTime"] - window["startTime"] == 29 * 86_400
    assert query["include"] == ["impressions", "dailyImpressions", "impressionsBySource"]
    daily = body["dailyImpressions"]["data"]["value"]
    assert [d["date"] for d in daily] == [
        window["startTime"] + day * 86_400 for day in range(len(daily))
    ]
    first = last - timedelta(days=28)
    assert body["impressions"]["data"]["value"] == sandbox.show.impressions(first, last)


# What each endpoint answers


def station_calls(days, country):
    first, last = days
    return {
        "plays": ("plays", lambda api: api.plays(first, last)),
        "age": ("playsByAgeRange", lambda api: api.plays_by_age_range(first, last)),
        "app": ("playsByApp", lambda api: api.plays_by_app(first, last)),
        "device": ("playsByDevice", lambda api: api.plays_by_device(first, last)),
        "gender": ("playsByGender", lambda api: api.plays_by_gender(first, last)),
        "by_episode": ("playsByEpisode", lambda api: api.plays_by_episode(first, last)),
        "total": ("totalPlays", lambda api: api.total_plays()),
        "total_by_episode": ("totalPlaysByEpisode", lambda api: api.total_plays_by_episode()),
        "listeners": ("uniqueListeners", lambda api: api.unique_listeners()),
        "audience": ("audienceSize", lambda api: api.audience_size()),
        "geo": ("playsByGeo", lambda api: api.plays_by_geo()),
        "regions": ("playsByGeo", lambda api: api.plays_by_geo_region(country)),
    }


@pytest.mark.parametrize("call", list(station_calls((None, None), None)))
def test_each_station_endpoint_answers_rows_of_its_kind(api, sandbox, days, call):
    country = next(iter(sandbox.show.countries()))
    kind, fetch = station_calls(days, country)[call]
    body = fetch(api)

    assert body["stationId"] == S
    assert body["kind"] == kind
    assert body["data"]["rows"]


@pytest.mark.parametrize(
    "fetch, kind",
    [
        (lambda api, e, days: api.episode_plays(e, *days), "plays"),
        (lambda api, e, days: api.episode_performance(e), "performance"),
        (lambda api, e, days: api.episode_aggregated_performance(e), "aggregatedPerformance"),
    ],
    ids=["plays", "performance", "aggregated"],
)
def test_each_episode_endpoint_answers_rows_of_its_kind(api, sandbox, days, fetch, kind):
    episode_id = sandbox.show.published_episodes[-1].episode_id
    body = fetch(api, episode_id, days)

    assert body["episodeId"] == episode_id
    assert body["kind"] == kind
    assert body["data"]["rows"]


def test_the_figures_are_the_shows(api, sandbox, days):
    show = sandbox.show
    first, last = days
    episode = show.published_episodes[-1]
    overview = api.episode_overview(episode.episode_id)

    assert api.plays(first, last)["data"]["rows"] == [
        [int(datetime.combine(day, datetime.min.time(), timezone.utc).timestamp()), plays]
        for day, plays in show.station_daily_plays(first, last).items()
    ]
    assert api.total_plays()["data"]["rows"] == [show.total_plays()]
    country = next(iter(show.countries()))
    assert dict(api.plays_by_geo_region(country)["data"]["rows"]) == show.regions(country)
    assert (overview["title"], overview["webEpisodeId"]) == (episode.title, episode.web_episode_id)


def test_episode_ids_must_be_the_numeric_ones(api):
    with pytest.raises(TypeError, match="numeric episodeId"):
        api.episode_performance("e215pm4")


# Retries


def test_a_429_is_retried_after_the_wait_the_api_asks_for(api, sandbox, days, warnings):
    sandbox.fail_next(PLAYS_PATH, 429, headers={"Retry-After": "0.3"})
    started = time.monotonic()
    body = api.plays(*days)

    assert time.monotonic() - started >= 0.3
    assert body["data"]["rows"]
    assert sandbox.request_count(PLAYS_PATH) == 2
    (line,) = warnings.messages
    assert PLAYS_PATH in line and "status 429" in line and "retrying in 0.30 s" in line


def test_5xx_answers_are_retried_with_one_log_line_each(api, sandbox, warnings):
    sandbox.fail_next(TOTAL_PLAYS_PATH, 503, times=2)
    body = api.total_plays()

    assert body["data"]["rows"] == [sandbox.show.total_plays()]
    assert sandbox.request_count(TOTAL_PLAYS_PATH) == 3
    assert len(warnings.messages) == 2
    assert all(TOTAL_PLAYS_PATH in line and "status 503" in line for line in warnings.messages)
    assert COOKIE not in warnings.text


def test_retries_end_with_an_error_naming_the_endpoint_the_status_and_the_attempts(
    sandbox, warnings
):
    api = make_api(sandbox.base_url, max_attempts=3)
    api.station_id()
    sandbox.fail_next(TOTAL_PLAYS_PATH, 502, times=5)
    with pytest.raises(RetriesExhaustedError) as failure:
        api.total_plays()

    message = str(failure.value)
    assert TOTAL_PLAYS_PATH in message and "status 502" in message and "3 attempts" in message
    assert sandbox.request_count(TOTAL_PLAYS_PATH) == 3
    assert_cookie_hidden(failure.value, warnings)


def test_a_retry_after_beyond_the_ceiling_fails_at_once(api, sandbox, warnings):
    api.station_id()
    sandbox.fail_next(TOTAL_PLAYS_PATH, 429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(RetryAfterTooLongError) as failure:
        api.total_plays()

    assert time.monotonic() - started < 1
    assert sandbox.request_count(TOTAL_PLAYS_PATH) == 1
    message = str(failure.value)
    assert "3600 s" in message and "max_retry_after_seconds" in message
    assert "try again later" in message and TOTAL_PLAYS_PATH in message
    assert_cookie_hidden(failure.value, warnings)


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("12", 12.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2026 07:27:00 GMT", 0.0),  # already past
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(header, seconds):
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(header, now) == seconds


def test_a_connection_dropped_mid_answer_is_retried(warnings):
    body = {"stationId": S, "kind": "totalPlays", "data": {"rows": [7]}}
    answers = [episode_page_answer(), dropped_answer(), json_answer(body)]
    with scripted_api(answers) as server:
        assert make_api(server.base_url).total_plays() == body

    assert "dropped in the middle" in warnings.text


def test_an_answer_that_does_not_come_in_time_is_retried(warnings):
    body = {"stationId": S, "kind": "totalPlays", "data": {"rows": [7]}}
    answers = [episode_page_answer(), stalled_answer(1.0), json_answer(body)]
    with scripted_api(answers) as server:
        assert make_api(server.base_url, timeout_seconds=0.2).total_plays() == body

    assert "no answer within 0.2 s" in warnings.text


def test_an_unreachable_api_fails_with_a_connection_failure(warnings):
    with pytest.raises(RetriesExhaustedError) as failure:
        make_api(f"http://127.0.0.1:{closed_port()}/pod/api/proxy/v3", max_attempts=2).total_plays()

    assert "connection failure" in str(failure.value) and "2 attempts" in str(failure.value)
    assert_cookie_hidden(failure.value, warnings)


# Refusals that retrying cannot fix


def test_a_refused_cookie_fails_at_once_and_says_to_paste_a_fresh_one(sandbox, warnings):
    api = make_api(sandbox.base_url, anchorpw_s="SECRET-COOKIE-1234-EXPIRED")
    with pytest.raises(CookieRefusedError) as failure:
        api.station_id()

    assert sandbox.request_count() == 1
    message = str(failure.value)
    assert message.startswith("the anchorpw_s cookie was refused (401)")
    assert "expired or is wrong" in message and "ANCHOR_PW_S" in message
    assert "webStationId:" in message
    assert_cookie_hidden(failure.value, warnings)


def test_a_403_fails_at_once_and_names_shared_access(api, sandbox, warnings):
    sandbox.fail_next("episodePage", 403, body=json.dumps({"error": "user does not own station"}))
    with pytest.raises(CookieRefusedError) as failure:
        api.station_id()

    assert sandbox.request_count() == 1
    assert "(403)" in str(failure.value) and "isMumsCompatible" in str(failure.value)
    assert_cookie_hidden(failure.value, warnings)


def test_an_unknown_episode_is_not_found(api, warnings):
    with pytest.raises(EndpointNotFoundError) as failure:
        api.episode_performance(999)

    assert "analytics/episode/999/performance (404)" in str(failure.value)
    assert_cookie_hidden(failure.value, warnings)


def test_another_4xx_names_its_status_and_the_api_reason_without_an_echoed_cookie(
    api, sandbox, warnings
):
    api.station_id()
    echo = json.dumps({"error": f"timeRangeEnd: bad value (cookie was {COOKIE})"})
    sandbox.fail_next(TOTAL_PLAYS_PATH, 400, body=echo)
    with pytest.raises(RequestRejectedError) as failure:
        api.total_plays()

    message = str(failure.value)
    assert "status 400" in message and TOTAL_PLAYS_PATH in message
    assert "timeRangeEnd: bad value (cookie was [anchorpw_s])" in message
    assert sandbox.request_count(TOTAL_PLAYS_PATH) == 1
    assert_cookie_hidden(failure.value, warnings)


def test_a_login_page_instead_of_json_says_the_session_expired(api, sandbox, warnings):
    api.station_id()
    login_page = "<!DOCTYPE html><html><body><form>Log in to Spotify</form></body></html>"
    sandbox.fail_next(TOTAL_PLAYS_PATH, 200, body=login_page)
    with pytest.raises(NotJsonError) as failure:
        api.total_plays()

    message = str(failure.value)
    assert f"the API answered {TOTAL_PLAYS_PATH} (status 200)" in message
    assert "not JSON (text/html)" in message and "ANCHOR_PW_S" in message
    assert_cookie_hidden(failure.value, warnings)


def test_a_json_answer_cut_short_is_retried_and_gives_up_only_if_it_stays_cut(sandbox, warnings):
    api = make_api(sandbox.base_url, max_attempts=3)
    api.station_id()
    cut_short = '{"stationId": 4242424, "kind": "totalPlays", "data": {"rows": ['
    sandbox.fail_next(TOTAL_PLAYS_PATH, 200, body=cut_short)
    assert api.total_plays()["data"]["rows"] == [sandbox.show.total_plays()]

    sandbox.fail_next(TOTAL_PLAYS_PATH, 200, body=cut_short, times=3)
    with pytest.raises(RetriesExhaustedError) as failure:
        api.total_plays()

    assert str(failure.value) == (
        f"gave up on {TOTAL_PLAYS_PATH} after 3 attempts; the last one failed with a JSON answer"
        " that was cut short or garbled: the API is down or overloaded, try again later"
    )
    assert sandbox.request_count(TOTAL_PLAYS_PATH) == 2 + 3
    assert_cookie_hidden(failure.value, warnings)


def test_json_of_the_wrong_shape_names_the_endpoint(api, sandbox, warnings):
    api.station_id()
    sandbox.fail_next(TOTAL_PLAYS_PATH, 200, body="[1, 2, 3]")
    with pytest.raises(UnexpectedAnswerError) as failure:
        api.total_plays()

    assert TOTAL_PLAYS_PATH in str(failure.value) and "JSON list" in str(failure.value)
    assert_cookie_hidden(failure.value, warnings)


def test_a_redirect_is_not_followed_so_the_cookie_stays_home(warnings):
    with scripted_api([]) as elsewhere:
        login = f"{elsewhere.base_url}/login?next=%2Fpod"
        with (
            scripted_api([redirect_answer(login)]) as server,
            pytest.raises(RedirectedError) as failure,
        ):
            make_api(server.base_url).station_id()

    assert elsewhere.paths == []
    assert f"to http://127.0.0.1:{elsewhere.port} instead" in str(failure.value)
    assert_cookie_hidden(failure.value, warnings)


def test_a_request_that_cannot_be_sent_fails_plainly_without_requests_error_chained(warnings):
    with pytest.raises(AnchorApiError) as failure:
        make_api("http://127.0.0.1:99999/pod/api/proxy/v3").station_id()

    assert "could not be sent (InvalidURL); check ANCHOR_BASE_URL" in str(failure.value)
    assert failure.value.__context__ is None and failure.value.__cause__ is None
    assert_cookie_hidden(failure.value, warnings)


# Settings


def test_a_webstation_id_that_is_not_short_hex_is_refused_before_any_request(sandbox):
    with pytest.raises(AnchorSettingError) as failure:
        make_api(sandbox.base_url, webstation_id="my-podcast").station_id()

    assert "ANCHOR_WEBSTATION_ID" in str(failure.value) and "'my-podcast'" in str(failure.value)
    assert sandbox.request_count() == 0


@pytest.mark.parametrize(
    "cookie", ["", "  ", f"{COOKIE}; other=1", f"{COOKIE}\nX-Evil: 1", f"{COOKIE}\u00e9\u2603"]
)
def test_a_cookie_that_cannot_be_sent_is_refused_without_being_shown(sandbox, cookie, warnings):
    with pytest.raises(AnchorSettingError) as failure:
        make_api(sandbox.base_url, anchorpw_s=cookie).total_plays()

    assert "ANCHOR_PW_S" in str(failure.value)
    assert sandbox.request_count() == 0
    assert_cookie_hidden(failure.value, warnings)


def test_the_resource_never_shows_the_cookie(api):
    api.station_id()
    assert COOKIE not in repr(api) and COOKIE not in str(api)
    assert "webstation_id='5a1d0c4f'" in repr(api)


def test_in_a_dagster_run_env_vars_configure_it_retries_show_in_its_log_and_the_cookie_never(
    sandbox, monkeypatch
):
    monkeypatch.setenv("ANCHOR_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("ANCHOR_WEBSTATION_ID", sandbox.show.webstation_id)
    monkeypatch.setenv("ANCHOR_PW_S", COOKIE)
    resource = AnchorApi(
        base_url=EnvVar("ANCHOR_BASE_URL"),
        webstation_id=EnvVar("ANCHOR_WEBSTATION_ID"),
        anchorpw_s=EnvVar("ANCHOR_PW_S"),
        max_backoff_seconds=0.01,
    )

    @asset
    def total_plays(anchor_api: AnchorApi) -> int:
        return anchor_api.total_plays()["data"]["rows"][0]

    instance = DagsterInstance.ephemeral()
    materialize_it = partial(
        materialize, [total_plays], resources={"anchor_api": resource}, instance=instance
    )

    sandbox.fail_next(TOTAL_PLAYS_PATH, 503)
    result = materialize_it()
    assert result.output_for_node("total_plays") == sandbox.show.total_plays()
    assert "status 503" in run_log(instance, result.run_id)

    sandbox.fail_next(TOTAL_PLAYS_PATH, 401)
    failed = materialize_it(raise_on_error=False)
    assert not failed.success
    assert "the anchorpw_s cookie was refused (401)" in run_log(instance, failed.run_id)
    for run in (result, failed):
        assert COOKIE not in run_log(instance, run.run_id)


def run_log(instance: DagsterInstance, run_id: str) -> str:
    """Everything a run logged, as the Dagster UI would show it, errors included."""
    return "\n".join(str(entry) for entry in instance.all_logs(run_id))


# A scripted stand-in API for the faults the sandbox cannot make

Answer = Callable[[BaseHTTPRequestHandler], None]


class ScriptedServer:
    """Plays its answers in order, one per request, the last one again when they run out."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = list(answers)
        self.paths: list[str] = []
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/pod/api/proxy/v3"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                answer = server.answers.pop(0) if len(server.answers) > 1 else server.answers[0]
                answer(self)

            def log_message(self, format, *args) -> None:
                pass

        return Handler


@contextmanager
def scripted_api(answers: list[Answer]) -> Iterator[ScriptedServer]:
    server = ScriptedServer(answers or [json_answer({})])
    thread = threading.Thread(target=server.http.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()
        thread.join()


def json_answer(body, status: int = 200) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def episode_page_answer() -> Answer:
    return json_answer({"stationId": S, "items": [], "next": None})


def dropped_answer() -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b'{"stationId": ')
        handler.close_connection = True

    return answer


def stalled_answer(seconds: float) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        handler.close_connection = True

    return answer


def redirect_answer(location: str) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def closed_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
