"""The Dagster resource that reads a podcast's analytics from the Spotify for Creators API."""

import operator
import threading
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from dagster import ConfigurableResource, InitResourceContext, get_dagster_logger
from pydantic import Field, PrivateAttr

from anchor_assets.resources.errors import (
    LASTING_FAILURES,
    PageTokenLoopError,
    UnexpectedAnswerError,
)
from anchor_assets.resources.http_client import AnchorHttpClient, Params, endpoint_name
from anchor_assets.resources.request_slots import SLOTS_FOLDER, RequestSlots
from anchor_assets.resources.retry import RetryPolicy
from anchor_assets.resources.settings import (
    checked_base_url,
    checked_cookie,
    checked_webstation_id,
)
from anchor_assets.resources.time_ranges import (
    SECONDS_PER_DAY,
    day_range,
    impressions_query,
)

DEFAULT_BASE_URL = "https://podcasters.spotify.com/pod/api/proxy/v3"

# The largest episode page the API hands out; fewer, bigger pages mean fewer requests.
EPISODE_PAGE_SIZE = 50

# Most rows the geography endpoints return; the dashboard asks for as many.
GEO_LIMIT = 200

# One row per UTC day, for the endpoints that can also bucket by week or month.
DAILY = {"timeInterval": SECONDS_PER_DAY}

# A run tagged so is not run again by the instance's run retries when a step of it fails.
NO_RUN_RETRY = {"dagster/retry_on_asset_or_op_failure": "false"}


class AnchorApi(ConfigurableResource):
    """Reads your podcast's analytics from the unofficial Spotify for Creators (Anchor) API.

    Each method returns the API's JSON answer for one endpoint, as the API sends it.
    """

    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description="Address of the Spotify for Creators API (the dashboard's API proxy).",
    )
    webstation_id: str = Field(
        description="Your show's webStationId: the short hex id in the dashboard address, "
        "e.g. fb37d7a4.",
    )
    anchorpw_s: str = Field(
        repr=False,
        description="The anchorpw_s cookie of a logged-in podcasters.spotify.com session. It is a "
        "password: set it from an environment variable so that only the variable's name shows.",
    )
    timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long to wait for the API to answer one request before trying again.",
    )
    max_attempts: int = Field(
        default=6,
        ge=1,
        description="How many times to try a request that fails for a passing reason "
        "(rate limit, server error, timeout, dropped connection) before giving up.",
    )
    max_retry_after_seconds: float = Field(
        default=120.0,
        ge=0,
        description="The longest wait the API may ask for when it limits requests; if it asks "
        "for longer, the run fails at once and tells you to try again later.",
    )
    max_backoff_seconds: float = Field(
        default=30.0,
        ge=0,
        description="The longest pause between two tries after a server error or timeout; "
        "pauses start at about a second and double each time.",
    )

    parallel_requests: int = Field(
        default=8,
        ge=1,
        le=10,
        description="How many requests may be in flight at once, across every run of the Dagster "
        "instance (ANCHOR_PARALLEL_REQUESTS).",
    )

    _client: AnchorHttpClient | None = PrivateAttr(default=None)
    _slots: RequestSlots | None = PrivateAttr(default=None)
    _station_id: int | None = PrivateAttr(default=None)
    _run: tuple | None = PrivateAttr(default=None)  # (instance, run id) of the run using it
    # Steps fetch from several threads, and all of them may meet the same lasting failure.
    _run_tagging: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _run_tagged: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        if context.instance is not None:
            folder = Path(context.instance.root_directory) / SLOTS_FOLDER
            self._slots = RequestSlots(folder, self.parallel_requests)
            if context.run is not None:
                self._run = (context.instance, context.run.run_id)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # Show and episodes

    def station_id(self) -> int:
        """The show's numeric stationId, which every analytics endpoint needs; asked once."""
        if self._station_id is None:
            path, params = self._episode_page_request(limit=1)
            page = self._get(path, params)
            self._station_id = _station_id_in(page, endpoint_name(path, params))
        return self._station_id

    def episodes(self) -> list[dict]:
        """Every episode of the show, newest first, gathered from all pages of the list."""
        episodes: list[dict] = []
        tokens_seen: set[str] = set()
        page_token = None
        while True:
            path, params = self._episode_page_request(EPISODE_PAGE_SIZE, page_token)
            endpoint = endpoint_name(path, params)
            page = self._get(path, params)
            episodes.extend(_episodes_in(page, endpoint))
            page_token = _next_page_token(page, endpoint)
            if page_token is None:
                return episodes
            if page_token in tokens_seen:
                raise PageTokenLoopError(endpoint, page_token, len(tokens_seen) + 1)
            tokens_seen.add(page_token)

    # The show's figures over a range of UTC days, both ends included

    def plays(self, first_day: date, last_day: date) -> dict:
        """Plays of the whole show per UTC day."""
        return self._station("plays", {**day_range(first_day, last_day), **DAILY})

    def plays_by_age_range(self, first_day: date, last_day: date) -> dict:
        """Share of plays per listener age range over the days."""
        return self._station("playsByAgeRange", day_range(first_day, last_day))

    def plays_by_app(self, first_day: date, last_day: date) -> dict:
        """Share of plays per listening app over the days (the API drops apps under 2 %)."""
        return self._station("playsByApp", day_range(first_day, last_day))

    def plays_by_device(self, first_day: date, last_day: date) -> dict:
        """Share of plays per device over the days (the API drops devices under 2 %)."""
        return self._station("playsByDevice", day_range(first_day, last_day))

    def plays_by_gender(self, first_day: date, last_day: date) -> dict:
        """Share of plays per listener gender over the days."""
        return self._station("playsByGender", day_range(first_day, last_day))

    def plays_by_episode(self, first_day: date, last_day: date) -> dict:
        """Plays per episode per UTC day; episode titles are in data.labels.EpisodeTitle."""
        return self._station("playsByEpisode", {**day_range(first_day, last_day), **DAILY})

    # The show's figures as of today: each call is a snapshot

    def total_plays(self) -> dict:
        """All plays of the show so far."""
        return self._station("totalPlays")

    def total_plays_by_episode(self) -> dict:
        """All plays so far of each episode."""
        return self._station("totalPlaysByEpisode")

    def unique_listeners(self) -> dict:
        """How many different listeners the show has had."""
        return self._station("uniqueListeners")

    def audience_size(self) -> dict:
        """The show's audience size as the dashboard reports it."""
        return self._station("audienceSize")

    def plays_by_geo(self) -> dict:
        """Share of plays per country."""
        return self._station("playsByGeo", {"resultGeo": "geo2", "limit": GEO_LIMIT})

    def plays_by_geo_region(self, country: str) -> dict:
        """Share of plays per region or city of one country, named as plays_by_geo names it."""
        if not country or not country.strip():
            raise ValueError("country must be a country name as plays_by_geo returns it")
        params = {"resultGeo": "geo3", "geo2": country, "limit": GEO_LIMIT}
        return self._station("playsByGeo", params)

    def impressions(self, last_day: date) -> dict:
        """Impressions (total, per day, per source) over the 29 UTC days ending with last_day."""
        path = f"analytics/station/{self.station_id()}"
        return self._get(path, {"query": impressions_query(last_day)})

    # One episode's figures; episode_id is the numeric episodeId, not the webEpisodeId

    def episode_plays(self, episode_id: int, first_day: date, last_day: date) -> dict:
        """Plays of one episode per UTC day."""
        params = {**day_range(first_day, last_day), **DAILY}
        return self._episode_analytics(episode_id, "plays", params)

    def episode_performance(self, episode_id: int) -> dict:
        """How many listeners are still listening at each second of one episode."""
        return self._episode_analytics(episode_id, "performance")

    def episode_aggregated_performance(self, episode_id: int) -> dict:
        """Share of listeners reaching 25/50/75/100 % of one episode, and the average listen."""
        return self._episode_analytics(episode_id, "aggregatedPerformance")

    def episode_overview(self, episode_id: int) -> dict:
        """One episode's details: title, description, publication, duration, links."""
        path = f"episodes/{_numeric_episode_id(episode_id)}/overview"
        return self._get(path, {"returnWebIds": "true"})

    # Plumbing

    def _station(self, figure: str, params: Params | None = None) -> dict:
        return self._get(f"analytics/station/{self.station_id()}/{figure}", params)

    def _episode_analytics(
        self, episode_id: int, figure: str, params: Params | None = None
    ) -> dict:
        path = f"analytics/episode/{_numeric_episode_id(episode_id)}/{figure}"
        return self._get(path, params)

    def _episode_page_request(
        self, limit: int, page_token: str | None = None
    ) -> tuple[str, dict[str, str | int]]:
        # The webStationId form of the path always works, so no page waits for the stationId.
        path = f"stations/webStationId:{checked_webstation_id(self.webstation_id)}/episodePage"
        params: dict[str, str | int] = {"limit": limit, "orderBy": "publishOn"}
        if page_token is not None:
            params["pageToken"] = page_token
        return path, params

    def _get(self, path: str, params: Params | None = None) -> dict:
        try:
            body = self._http().get_json(path, params)
        except LASTING_FAILURES:
            self._do_not_retry_the_run()
            raise
        # Every endpoint this resource reads answers with one JSON object.
        if not isinstance(body, dict):
            problem = f"a JSON {type(body).__name__} came where an object was expected"
            raise UnexpectedAnswerError(endpoint_name(path, params), problem)
        return body

    def _do_not_retry_the_run(self) -> None:
        """Tags the run so that run retries leave it failed: asking again with the same cookie
        or show id would only fail the same way, three more times."""
        with self._run_tagging:
            if self._run is None or self._run_tagged:
                return
            self._run_tagged = True
            instance, run_id = self._run
            try:
                instance.add_run_tags(run_id, NO_RUN_RETRY)
            except Exception as error:  # the API's failure, raised next, is the one to show
                get_dagster_logger().warning(
                    f"Could not mark the run as not worth retrying ({type(error).__name__}: "
                    f"{error}); run retries may run it again."
                )

    def _http(self) -> AnchorHttpClient:
        if self._client is None:
            self._client = AnchorHttpClient(
                base_url=checked_base_url(self.base_url),
                cookie=checked_cookie(self.anchorpw_s),
                timeout_seconds=self.timeout_seconds,
                retry_policy=RetryPolicy(
                    max_attempts=self.max_attempts,
                    max_backoff_seconds=self.max_backoff_seconds,
                    max_retry_after_seconds=self.max_retry_after_seconds,
                ),
                slots=self._slots,
            )
        return self._client


def _station_id_in(page: dict, endpoint: str) -> int:
    station_id = page.get("stationId")
    if isinstance(station_id, bool) or not isinstance(station_id, int):
        raise UnexpectedAnswerError(endpoint, f"stationId is {station_id!r}, not a number")
    return station_id


def _episodes_in(page: dict, endpoint: str) -> list[dict]:
    items = page.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise UnexpectedAnswerError(endpoint, "items is not a list of episodes")
    return items


def _next_page_token(page: dict, endpoint: str) -> str | None:
    next_link = page.get("next")
    if next_link is None:
        return None
    if isinstance(next_link, str):
        tokens = parse_qs(urlsplit(next_link).query).get("pageToken")
        if tokens:
            return tokens[0]
    raise UnexpectedAnswerError(endpoint, f"its next link {next_link!r} has no pageToken")


def _numeric_episode_id(episode_id: int) -> int:
    # operator.index accepts numpy integers from a data frame, and refuses the string webEpisodeId.
    try:
        return operator.index(episode_id)
    except TypeError:
        raise TypeError(
            f"episode_id must be the numeric episodeId (episode['episodeId']), got {episode_id!r}"
        ) from None
