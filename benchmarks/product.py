"""The product's full history load and one day's refresh, as a user runs them in the UI."""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time

from dagster import DagsterInstance, RunsFilter

from benchmarks.breakdown import breakdown
from benchmarks.dagster_ui import DagsterUi
from benchmarks.process_tree import PhaseMemory, TreeSampler
from benchmarks.runs import failure_messages, wait_for_backfill, wait_for_runs, wait_until_idle
from benchmarks.sandbox_process import SandboxProcess, young_episode_ids

EPISODES_ASSET = "anchor/episodes"
ANALYTICS_GROUP = "analytics"
EPISODE_PARTITIONS = "anchor_episodes"
FULL_HISTORY_TIMEOUT_SECONDS = 3600
# Longer than a sensor tick takes to launch its runs, so no run of it starts inside a phase.
QUIET_SECONDS = 10
REFRESH_TIMEOUT_SECONDS = 900
# The refresh when the project has no automation of its own yet: the days the API may still fill
# in, and the episodes young enough for their figures to move much.
REFRESH_DAYS = 3
YOUNG_EPISODE_DAYS = 30
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
# The schedules' tick the refresh is taken from: the last night at this hour (UTC) that is not a
# Monday's, when a weekly refresh of every episode may add to the nightly one.
TICK_HOUR_UTC = 3
MONDAY = 0
SECONDS_PER_DAY = 86_400


def quiet_automation(ui: DagsterUi, instance: DagsterInstance) -> list[str]:
    """Turns the project's schedules and sensors off, as a user can in the UI, so that the
    measured phases hold only what the benchmark launches; waits for runs they started."""
    stopped = ui.stop_automation()
    if stopped:
        wait_until_idle(instance, QUIET_SECONDS, FULL_HISTORY_TIMEOUT_SECONDS)
    return stopped


@dataclass
class Measured:
    wall_seconds: float  # from the first launch to the last run's end (the data is stored)
    until_done_seconds: float  # to the backfill being marked done, as the UI shows it
    requests: dict
    memory: PhaseMemory
    runs: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sensor_requests_per_day: int = 0  # the sensors' own looks at the API, a day's worth
    analytics_seconds: float = 0.0  # the analytics tables over the loaded data, afterwards
    breakdown: dict = field(default_factory=dict)  # where the runs' time went (breakdown.py)
    # The full history's stages, in seconds, in order: the episode list's run, the backfill's
    # wait for Dagster's backfill daemon to create its runs, then those runs to the last end.
    stages: dict = field(default_factory=dict)


def full_history(
    ui: DagsterUi, instance: DagsterInstance, sandbox: SandboxProcess, sampler: TreeSampler
) -> Measured:
    """Materialize anchor/episodes (which adds the episode partitions), then one backfill of
    every other asset that reads the API over all its partitions: every day since
    ANCHOR_START_DATE, every episode, today's current values (the data the reference client
    fetches). This is the UI's Materialize, then Materialize of the API groups. The analytics
    tables, derived from them in SQL, are materialized afterwards and timed apart, since the
    reference client has nothing like them."""
    groups = ui.asset_groups()
    analytics = [key for key, group in groups.items() if group == ANALYTICS_GROUP]
    others = [key for key in groups if key != EPISODES_ASSET and key not in analytics]
    sandbox.reset()
    sampler.start_phase("full_history")
    started = time.time()
    episodes_run = ui.launch_run([EPISODES_ASSET])
    wait_for_runs(instance, [episodes_run], FULL_HISTORY_TIMEOUT_SECONDS)
    backfill_id = ui.launch_backfill(others)
    _, seen_done, status = wait_for_backfill(instance, backfill_id, FULL_HISTORY_TIMEOUT_SECONDS)
    memory = sampler.end_phase()
    backfill_runs = _backfill_run_ids(instance, backfill_id)
    measured = _measured(
        instance, [episodes_run, *backfill_runs], started, seen_done, sandbox.counts(), memory
    )
    measured.stages = _stages(instance, started, episodes_run, backfill_id, backfill_runs)
    measured.notes.append(f"backfill {backfill_id} ended {status}")
    if analytics:
        started = time.time()
        analytics_run = ui.launch_run(analytics)
        wait_for_runs(instance, [analytics_run], FULL_HISTORY_TIMEOUT_SECONDS)
        measured.analytics_seconds = time.time() - started
    return measured


def daily_refresh(
    ui: DagsterUi, instance: DagsterInstance, sandbox: SandboxProcess, sampler: TreeSampler
) -> Measured:
    """One day's automatic refresh: what the project's schedules ask for at one nightly tick,
    launched as the daemon would launch it, plus a day of its sensors' looks at the API. Without
    schedules, the benchmark's own definition of a refresh (planned_refresh)."""
    found = ui.automation()
    if not found["schedules"]:
        measured = planned_refresh(ui, instance, sandbox, sampler)
        measured.notes.append(
            "the project has no schedules, so the refresh is the benchmark's own: the episode"
            f" list, the current values, the last {REFRESH_DAYS} days of the daily assets as one"
            " ranged run, then the per-episode assets of the episodes published in the last"
            f" {YOUNG_EPISODE_DAYS} days"
        )
        return measured
    tick = _last_tick(sandbox.facts.today)
    sandbox.reset()
    sampler.start_phase("daily_refresh")
    started = time.time()
    run_ids = []
    for schedule in found["schedules"]:
        for request in ui.schedule_dry_run(schedule["name"], tick.timestamp()):
            tags = {tag["key"]: tag["value"] for tag in request["tags"]}
            keys = ["/".join(key["path"]) for key in request["assetSelection"] or []]
            run_ids.append(ui.launch_run(keys, {**tags, "dagster/schedule_name": schedule["name"]}))
    wait_for_runs(instance, run_ids, REFRESH_TIMEOUT_SECONDS)
    memory = sampler.end_phase()
    measured = _measured(instance, run_ids, started, None, sandbox.counts(), memory)
    measured.notes.append(
        f"refresh: the schedules {', '.join(s['name'] for s in found['schedules'])} at their tick"
        f" of {tick:%Y-%m-%d %H:%M} UTC ({tick:%A}), launched as runs"
    )
    measured.sensor_requests_per_day = _sensor_requests_per_day(
        ui, sandbox, found["sensors"], measured
    )
    return measured


def _last_tick(today) -> datetime:
    """The latest nightly tick at or before now that is not a Monday's: a tick of today or
    before, so that every partition it asks for already exists."""
    now = datetime.now(timezone.utc)
    day = today
    while (
        day.weekday() == MONDAY
        or datetime.combine(day, clock_time(TICK_HOUR_UTC), tzinfo=timezone.utc) > now
    ):
        day -= timedelta(days=1)
    return datetime.combine(day, clock_time(TICK_HOUR_UTC), tzinfo=timezone.utc)


def _sensor_requests_per_day(ui, sandbox, sensors, measured: Measured) -> int:
    """Requests one look of each sensor makes (a dry run, evaluated by the code server as the
    daemon would) times its looks a day."""
    total = 0
    for sensor in sensors:
        sandbox.reset()
        ui.sensor_dry_run(sensor["name"])
        per_look = sandbox.counts()["requests"]
        looks = SECONDS_PER_DAY // max(sensor["minIntervalSeconds"], 30)
        total += per_look * looks
        measured.notes.append(
            f"sensor {sensor['name']}: {per_look} requests a look, {looks} looks a day"
        )
    return total


def planned_refresh(
    ui: DagsterUi, instance: DagsterInstance, sandbox: SandboxProcess, sampler: TreeSampler
) -> Measured:
    """A refresh as the benchmark defines it while the project has no schedules: the episode
    list, today's current values, the daily assets for the last REFRESH_DAYS days as one ranged
    run, and, once the episode list is stored, the per-episode assets of the episodes
    published in the last YOUNG_EPISODE_DAYS days."""
    by_partitioning = ui.asset_keys()
    current = [
        key for key, kind in by_partitioning.items() if kind is None and key != EPISODES_ASSET
    ]
    daily = [key for key, kind in by_partitioning.items() if kind == "TIME_WINDOW"]
    per_episode = [key for key, kind in by_partitioning.items() if kind == "DYNAMIC"]
    yesterday = sandbox.facts.today - timedelta(days=1)
    days = [str(yesterday - timedelta(days=n)) for n in range(REFRESH_DAYS - 1, -1, -1)]

    sandbox.reset()
    sampler.start_phase("daily_refresh")
    started = time.time()
    episodes_run = ui.launch_run([EPISODES_ASSET])
    current_run = ui.launch_run(current)
    daily_run = ui.launch_run(daily, {RANGE_START: days[0], RANGE_END: days[-1]})
    wait_for_runs(instance, [episodes_run], REFRESH_TIMEOUT_SECONDS)
    episode_runs, backfill_id = _launch_young_episodes(ui, instance, sandbox, per_episode)
    seen_done = None
    if backfill_id:
        _, seen_done, _ = wait_for_backfill(instance, backfill_id, REFRESH_TIMEOUT_SECONDS)
        episode_runs = _backfill_run_ids(instance, backfill_id)
    run_ids = [episodes_run, current_run, daily_run, *episode_runs]
    wait_for_runs(instance, run_ids, REFRESH_TIMEOUT_SECONDS)
    memory = sampler.end_phase()
    return _measured(instance, run_ids, started, seen_done, sandbox.counts(), memory)


def _launch_young_episodes(ui, instance, sandbox, per_episode) -> tuple[list[str], str | None]:
    """One ranged run when the young episodes' partitions are neighbours (they are added newest
    first), else a backfill of exactly those partitions."""
    young = {str(episode_id) for episode_id in young_episode_ids(sandbox.facts, YOUNG_EPISODE_DAYS)}
    if not young:
        return [], None
    keys = instance.get_dynamic_partitions(EPISODE_PARTITIONS)
    positions = sorted(keys.index(key) for key in young if key in keys)
    if positions and positions[-1] - positions[0] + 1 == len(young):
        tags = {RANGE_START: keys[positions[0]], RANGE_END: keys[positions[-1]]}
        return [ui.launch_run(per_episode, tags)], None
    return [], ui.launch_backfill(per_episode, sorted(young))


def _stages(instance, started, episodes_run, backfill_id, backfill_runs) -> dict[str, float]:
    """Seconds from the first click to the episode list's run end, from the backfill's launch
    to its first run's creation (the backfill daemon's look, within a second of the launch
    under anchor_assets.serve, and planning the runs' partitions), and from there to the last
    run's end."""
    episodes_end = instance.get_run_record_by_id(episodes_run).end_time
    launched = instance.get_backfill(backfill_id).backfill_timestamp
    records = instance.get_run_records(RunsFilter(run_ids=backfill_runs))
    first_created = min(record.create_timestamp.timestamp() for record in records)
    last_end = max(record.end_time for record in records)
    return {
        "episode list run": episodes_end - started,
        "backfill waiting for the daemon": first_created - launched,
        "backfill runs": last_end - first_created,
    }


def _backfill_run_ids(instance: DagsterInstance, backfill_id: str) -> list[str]:
    records = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
    return [record.dagster_run.run_id for record in records]


def _measured(instance, run_ids, started, seen_done, requests, memory) -> Measured:
    times = wait_for_runs(instance, run_ids, 60)
    records = instance.get_run_records(RunsFilter(run_ids=run_ids))
    runs = [
        _run_summary(record)
        for record in sorted(records, key=lambda r: r.create_timestamp.timestamp())
    ]
    failures = [
        message for run_id in times.failed for message in failure_messages(instance, run_id)
    ]
    if times.failed and not failures:
        failures = [f"run {run_id} did not succeed" for run_id in times.failed]
    wall = times.last_end - started
    return Measured(
        wall_seconds=wall,
        until_done_seconds=(seen_done - started) if seen_done else wall,
        requests=requests,
        memory=memory,
        runs=runs,
        failures=failures,
        breakdown=breakdown(instance, run_ids),
    )


def _run_summary(record) -> dict:
    run = record.dagster_run
    tags = run.tags
    assets = sorted("/".join(key.path[1:]) for key in (run.asset_selection or []))
    if RANGE_START in tags:
        partitions = f"{tags[RANGE_START]}..{tags[RANGE_END]}"
    else:
        partitions = tags.get("dagster/partition", "-")
    created = record.create_timestamp.timestamp()
    started = record.start_time or created
    return {
        "assets": assets,
        "partitions": partitions,
        "status": run.status.value,
        "queued_seconds": started - created,
        "run_seconds": (record.end_time or started) - started,
        "created": created,
        "start": record.start_time,
        "end": record.end_time,
    }
