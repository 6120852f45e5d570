"""The cookie goes nowhere but the Cookie header, when the project runs the way a user runs it.

The dagster command line runs in subprocesses, with the settings in environment variables,
against the sandbox: the episodes and every current value, three episode partitions, two days of
every daily asset, then a run in which the cookie expires and a run answered with a login page
and an error that both echo the cookie back. Then the cookie is searched for everywhere it could
have gone: what the commands printed, every file they left (the Dagster instance's SQLite
storage, with compressed blobs inflated, compute logs, the DuckDB file), the runs and event
records read through the instance's API, every warehouse table, and the sandboxes' request logs.
A self-check plants the cookie in each of those places in turn and makes sure the same search
finds it there, so the test cannot pass by looking nowhere.
"""

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path

import duckdb
import pytest
import requests
from dagster import DagsterInstance

from anchor_assets.days import utc_today
from anchor_assets.partitions import daily_partitions, episode_partitions
from anchor_assets.sandbox import FictionalShow, RecordedRequest, SandboxServer

COOKIE = "LEAKCHECK-7f3e9a1c"
REPO = Path(__file__).resolve().parents[1]
COMMAND_TIMEOUT_SECONDS = 300

DEFINITIONS = ["-m", "anchor_assets.definitions"]
EPISODES_AND_TOTALS = "anchor/episodes,group:station_totals"
EPISODE_ASSETS = "anchor/episode_plays,anchor/episode_performance,anchor/episode_metadata"
CURRENT_VALUES = "anchor/total_plays,anchor/unique_listeners,anchor/audience_size"

# Faulty answers that quote the cookie back, as a careless server or login page might.
LOGIN_PAGE = f"<html><body><form>Session {COOKIE} has expired: log in again</form></body></html>"
ECHOING_ERROR = json.dumps({"error": f"bad request (anchorpw_s={COOKIE})"})

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class Command:
    """A dagster command line as a user types it, and what came of it."""

    name: str
    arguments: list[str]
    environment: dict[str, str]
    workdir: Path
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


def run_side_by_side(*commands: Command) -> None:
    """Start the commands together and wait for all of them."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "dagster", *command.arguments],
            env=command.environment,
            cwd=command.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    for command, process in zip(commands, processes):
        try:
            command.stdout, command.stderr = process.communicate(timeout=COMMAND_TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        command.returncode = process.returncode


@dataclass(frozen=True)
class User:
    """Someone with the project set up in a folder, pointed at a sandbox."""

    folder: Path
    sandbox: SandboxServer

    def command(self, name: str, arguments: list[str]) -> Command:
        environment = {
            **os.environ,
            "ANCHOR_BASE_URL": self.sandbox.base_url,
            "ANCHOR_WEBSTATION_ID": self.sandbox.show.webstation_id,
            "ANCHOR_PW_S": COOKIE,
            "ANCHOR_DUCKDB_PATH": str(self.folder / "warehouse.duckdb"),
            "DAGSTER_HOME": str(self.folder / "dagster_home"),
        }
        return Command(name, arguments, environment, self.folder / "workdir")


def materialize(selection: str, *options: str) -> list[str]:
    """dagster asset materialize, as a user types it."""
    return ["asset", "materialize", *DEFINITIONS, "--select", selection, *options]


@dataclass(frozen=True)
class Evidence:
    """Everywhere the cookie could have gone."""

    outputs: dict[str, str]  # what each command printed, by where it printed it
    folder: Path  # DAGSTER_HOME, the warehouse and the commands' working directory
    requests: list[RecordedRequest]  # what the sandboxes were asked

    @property
    def dagster_home(self) -> Path:
        return self.folder / "dagster_home"

    @property
    def warehouse(self) -> Path:
        return self.folder / "warehouse.duckdb"


@dataclass(frozen=True)
class Runs:
    show: FictionalShow
    commands: dict[str, Command]
    evidence: Evidence
    episode_keys: list[str]
    days: list[str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    folder = tmp_path_factory.mktemp("leakcheck")
    for part in ("dagster_home", "workdir"):
        (folder / part).mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", folder / "dagster_home" / "dagster.yaml")
    show = FictionalShow(episode_count=5, history_days=60)
    days = daily_partitions.get_partition_keys()[-10:-8]

    # The cookie expires on a sandbox of its own, so the other one can serve a run meanwhile.
    with (
        SandboxServer(show, cookie=COOKIE) as sandbox,
        SandboxServer(show, cookie=COOKIE) as expiring,
    ):
        user, unlucky = User(folder, sandbox), User(folder, expiring)
        first = user.command("episodes and current values", materialize(EPISODES_AND_TOTALS))
        run_side_by_side(first)

        episode_keys = published_episode_keys(folder / "dagster_home", show)[:3]
        per_episode = [
            user.command(f"episode {key}", materialize(EPISODE_ASSETS, "--partition", key))
            for key in episode_keys
        ]
        daily = user.command(
            "two days", materialize("group:station_daily", "--partition-range", "...".join(days))
        )
        run_side_by_side(*per_episode)
        run_side_by_side(daily)

        expiring.expire_cookie_after(4)
        sandbox.fail_next("totalPlays", 200, body=LOGIN_PAGE, times=10)
        sandbox.fail_next("uniqueListeners", 400, body=ECHOING_ERROR, times=10)
        expired = unlucky.command("cookie expires", materialize(EPISODES_AND_TOTALS))
        login_page = user.command("login page", materialize(CURRENT_VALUES))
        run_side_by_side(expired, login_page)

    commands = [first, *per_episode, daily, expired, login_page]
    outputs = {}
    for command in commands:
        outputs[f"stdout of '{command.name}'"] = command.stdout
        outputs[f"stderr of '{command.name}'"] = command.stderr
    evidence = Evidence(outputs, folder, sandbox.requests + expiring.requests)
    return Runs(show, {command.name: command for command in commands}, evidence, episode_keys, days)


@contextmanager
def instance_at(dagster_home: Path) -> Iterator[DagsterInstance]:
    """The instance the commands used; its run history storage finds its files through
    DAGSTER_HOME, as in the commands."""
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("DAGSTER_HOME", str(dagster_home))
        with DagsterInstance.from_config(str(dagster_home)) as instance:
            yield instance


def published_episode_keys(dagster_home: Path, show: FictionalShow) -> list[str]:
    """The partitions of published episodes, in the order Dagster keeps them (newest first,
    after the draft and the scheduled one, so they make a range)."""
    with instance_at(dagster_home) as instance:
        keys = instance.get_dynamic_partitions(episode_partitions.name)
    published = [key for key in keys if show.episode(int(key)).is_published]
    assert keys[keys.index(published[0]) :][: len(published)] == published
    return published


# What the runs did


def test_the_runs_stored_what_was_served_and_the_faulty_ones_failed_clearly(runs):
    show, commands = runs.show, runs.commands

    assert [command.returncode for command in commands.values()] == [0, 0, 0, 0, 0, 1, 1], {
        name: command.stderr[-2000:] for name, command in commands.items()
    }
    assert "the anchorpw_s cookie was refused (401)" in commands["cookie expires"].stderr
    login_page = commands["login page"].stderr
    assert "with something that is not JSON (text/html)" in login_page
    assert "status 400 (bad request (anchorpw_s=[anchorpw_s]))" in login_page

    rows = partial(stored_rows, runs.evidence.warehouse)
    assert rows("select count(*) from anchor.episodes") == [(len(show.episodes),)]
    assert rows("select * from anchor.total_plays") == [(utc_today(), show.total_plays())]
    assert rows("select * from anchor.audience_size") == [(utc_today(), show.audience_size())]
    assert rows("select date, plays from anchor.plays order by date") == [
        (day, show.station_plays(day)) for day in map(date.fromisoformat, runs.days)
    ]
    for key in runs.episode_keys:
        curve = rows(
            f"select listeners from anchor.episode_performance where episode_id = {key}"
            " order by second"
        )
        assert [listeners for (listeners,) in curve] == show.performance(int(key))
    stored_episodes = rows("select distinct episode_id from anchor.episode_metadata")
    assert sorted(str(episode_id) for (episode_id,) in stored_episodes) == sorted(runs.episode_keys)


def stored_rows(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(query).fetchall()


# The search


class LeakSearch:
    """Looks for a secret, as it is and base64-encoded, and says where it found it."""

    def __init__(self, secret: str) -> None:
        raw = secret.encode()
        # Base64 of the secret at each of the three ways it can fall on 3-byte groups.
        groups = [raw[offset:][: (len(raw) - offset) // 3 * 3] for offset in range(3)]
        self.forms = [raw, *map(base64.b64encode, groups), *map(base64.urlsafe_b64encode, groups)]
        self.found: list[str] = []
        self.looked_at: Counter[str] = Counter()

    def look(self, kind: str, where: str, data: bytes | str) -> None:
        self.looked_at[kind] += 1
        data = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
        if any(form in data for form in self.forms):
            self.found.append(f"{kind}: {where}")


def search_for(secret: str, evidence: Evidence) -> LeakSearch:
    search = LeakSearch(secret)
    for name, text in evidence.outputs.items():
        search.look("command output", name, text)
    for path in sorted(p for p in evidence.folder.rglob("*") if p.is_file()):
        where = str(path.relative_to(evidence.folder))
        content = path.read_bytes()
        search.look("file bytes", where, content)
        if content.startswith(SQLITE_HEADER):
            search_sqlite(search, path, where)
    search_instance(search, evidence.dagster_home)
    search_warehouse(search, evidence.warehouse)
    for request in evidence.requests:
        search.look("sandbox request log", request.path, f"{request.path} {request.query}")
    return search


def search_sqlite(search: LeakSearch, path: Path, where: str) -> None:
    """Every value of every table, with zlib-compressed blobs (Dagster's snapshots) inflated."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as database:
        tables = database.execute("select name from sqlite_master where type = 'table'").fetchall()
        for (table,) in tables:
            values = [
                value for row in database.execute(f'select * from "{table}"') for value in row
            ]
            blobs = [inflated(value) for value in values if isinstance(value, bytes)]
            text = repr([value for value in values if not isinstance(value, bytes)])
            search.look("sqlite table", f"{where} table {table}", text.encode() + b"".join(blobs))
    database.close()


def inflated(blob: bytes) -> bytes:
    try:
        return blob + zlib.decompress(blob)
    except zlib.error:
        return blob


def search_instance(search: LeakSearch, dagster_home: Path) -> None:
    """Each run as the instance's API gives it (config, tags), and each of its event records,
    errors with their causes and stack traces included."""
    with instance_at(dagster_home) as instance:
        for run in instance.get_runs():
            search.look("dagster run", run.run_id, repr(run))
            for entry in instance.all_logs(run.run_id):
                error = entry.dagster_event and getattr(
                    entry.dagster_event.event_specific_data, "error", None
                )
                text = repr(entry) + (error.to_string() if error else "")
                search.look("dagster event record", f"run {run.run_id}", text)


def search_warehouse(search: LeakSearch, warehouse: Path) -> None:
    """Every table's columns and rows as text: DuckDB compresses strings, so its bytes may not
    show the cookie."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            result = connection.execute(f'select * from "{schema}"."{table}"')
            columns = [column for column, *_ in result.description]
            search.look("warehouse table", f"{schema}.{table}", repr((columns, result.fetchall())))


def test_the_cookie_is_nowhere(runs):
    search = search_for(COOKIE, runs.evidence)

    assert search.found == []
    looked_at = search.looked_at
    assert looked_at["command output"] == 14  # stdout and stderr of seven commands
    assert looked_at["dagster run"] == 7
    assert looked_at["dagster event record"] > 100
    assert looked_at["sqlite table"] >= 20
    assert looked_at["warehouse table"] >= 19
    assert looked_at["sandbox request log"] > 40
    compute_logs = [
        f for f in runs.evidence.dagster_home.rglob("compute_logs/*") if f.stat().st_size
    ]
    assert len(compute_logs) >= 5


# The self-check: the same search finds the cookie wherever it is planted


def plant_in_a_compute_log(evidence: Evidence) -> str:
    log = next(evidence.dagster_home.rglob("compute_logs/*.err"))
    with log.open("a") as file:
        file.write(f"requests sent Cookie: anchorpw_s={COOKIE}\n")
    return f"file bytes: {log.relative_to(evidence.folder)}"


def plant_base64_in_a_file(evidence: Evidence) -> str:
    header = base64.b64encode(f"Cookie: anchorpw_s={COOKIE}".encode())
    (evidence.folder / "workdir" / "headers.b64").write_bytes(header)
    return "file bytes: workdir/headers.b64"


def plant_compressed_in_the_run_storage(evidence: Evidence) -> str:
    with sqlite3.connect(evidence.dagster_home / "history" / "runs.db") as database:
        database.execute("create table planted (snapshot blob)")
        blob = zlib.compress(json.dumps({"anchorpw_s": COOKIE}).encode())
        database.execute("insert into planted values (?)", [blob])
    database.close()
    return "sqlite table: dagster_home/history/runs.db table planted"


def plant_in_a_runs_event_log(evidence: Evidence) -> str:
    with instance_at(evidence.dagster_home) as instance:
        run = instance.get_runs(limit=1)[0]
        instance.report_engine_event(f"retrying with anchorpw_s={COOKIE}", run)
    return f"dagster event record: run {run.run_id}"


def plant_in_a_warehouse_row(evidence: Evidence) -> str:
    with duckdb.connect(str(evidence.warehouse)) as connection:
        connection.execute("update anchor.episode_metadata set description = ?", [COOKIE])
    return "warehouse table: anchor.episode_metadata"


def plant_in_a_request_query(evidence: Evidence) -> str:
    with SandboxServer(FictionalShow(episode_count=1, history_days=30)) as sandbox:
        requests.get(f"{sandbox.base_url}/episodes/1/overview", params={"t": COOKIE}, timeout=10)
    evidence.requests.extend(sandbox.requests)
    return "sandbox request log: /pod/api/proxy/v3/episodes/1/overview"


def plant_in_a_commands_output(evidence: Evidence) -> str:
    evidence.outputs["stderr of a leaky command"] = f"ValueError: bad cookie {COOKIE}\n"
    return "command output: stderr of a leaky command"


@pytest.mark.parametrize(
    "plant",
    [
        plant_in_a_compute_log,
        plant_base64_in_a_file,
        plant_compressed_in_the_run_storage,
        plant_in_a_runs_event_log,
        plant_in_a_warehouse_row,
        plant_in_a_request_query,
        plant_in_a_commands_output,
    ],
)
def test_the_search_finds_a_planted_cookie(runs, tmp_path, plant):
    copy = tmp_path / "copy"
    shutil.copytree(runs.evidence.folder, copy)
    evidence = replace(
        runs.evidence,
        outputs=dict(runs.evidence.outputs),
        folder=copy,
        requests=list(runs.evidence.requests),
    )

    planted_at = plant(evidence)

    assert planted_at in search_for(COOKIE, evidence).found
