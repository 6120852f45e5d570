"""Where the runs' time went, from their event logs: the profile of a measured phase.

Per run: from creation to being queued (the backfill daemon writes a planned-materialization
event per partition first), queued to started (the run coordinator, the run worker's start).
Per step, summed over the steps of all the runs: waiting to start (executor concurrency, pool
slots, upstream steps), starting the step's process (with a multiprocess executor only: a new
interpreter importing the code location), storing (each output's IO manager write and its one
materialization event per partition: from the output to its HANDLED_OUTPUT event), and waiting
for answers (the rest of the step: fetching and shaping that storing did not hide). A step whose
tables are fetched in one queue stores one table while the next ones are fetched, so its
storing and its requests overlap; the requests' own time is in the sandbox's busy seconds.
"""

from collections import defaultdict

from dagster import DagsterInstance

RUN_PHASES = ("created to queued", "queued to started", "started to ended")
STEP_PHASES = ("waiting to start", "starting process", "waiting for answers", "storing and events")


def breakdown(instance: DagsterInstance, run_ids: list[str]) -> dict:
    runs = dict.fromkeys(RUN_PHASES, 0.0)
    steps = dict.fromkeys(STEP_PHASES, 0.0)
    slowest: list[tuple[float, str, dict]] = []
    for run_id in run_ids:
        created = instance.get_run_record_by_id(run_id).create_timestamp.timestamp()
        events = instance.all_logs(run_id)
        stamps = _run_stamps(events)
        _add(runs, "created to queued", created, stamps.get("PIPELINE_ENQUEUED"))
        queued, started = stamps.get("PIPELINE_ENQUEUED"), stamps.get("PIPELINE_START")
        _add(runs, "queued to started", queued, started)
        _add(runs, "started to ended", stamps.get("PIPELINE_START"), stamps.get("end"))
        for step, step_stamps in _step_stamps(events).items():
            phases = _step_phases(stamps.get("PIPELINE_START"), step_stamps)
            for name, seconds in phases.items():
                steps[name] += seconds
            slowest.append((sum(phases.values()), step, phases))
    slowest.sort(key=lambda item: -item[0])
    return {
        "runs": runs,
        "steps": steps,
        "slowest_steps": [{"step": step, **phases} for _, step, phases in slowest[:6]],
    }


def _run_stamps(events) -> dict:
    stamps = {}
    for record in events:
        event = record.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind in ("PIPELINE_ENQUEUED", "PIPELINE_START") and kind not in stamps:
            stamps[kind] = record.timestamp
        if kind in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED"):
            stamps["end"] = record.timestamp
    return stamps


def _step_stamps(events) -> dict[str, dict]:
    steps: dict[str, dict] = defaultdict(lambda: {"storing": 0.0})
    outputs: dict[tuple[str, str], float] = {}
    for record in events:
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        kind, stamps = event.event_type_value, steps[event.step_key]
        if kind in ("STEP_WORKER_STARTING", "STEP_WORKER_STARTED", "STEP_START"):
            stamps.setdefault(kind, record.timestamp)
        elif kind == "STEP_OUTPUT":
            outputs[(event.step_key, _output_name(event))] = record.timestamp
        elif kind == "HANDLED_OUTPUT":
            yielded = outputs.pop((event.step_key, _output_name(event)), None)
            if yielded is not None:
                stamps["storing"] += record.timestamp - yielded
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            stamps["end"] = record.timestamp
    return steps


def _output_name(event) -> str | None:
    data = event.event_specific_data
    if hasattr(data, "step_output_handle"):
        return data.step_output_handle.output_name
    return getattr(data, "output_name", None)


def _step_phases(run_start: float | None, stamps: dict) -> dict:
    phases = dict.fromkeys(STEP_PHASES, 0.0)
    starting = stamps.get("STEP_WORKER_STARTING")
    if run_start and starting:
        phases["waiting to start"] = max(0.0, starting - run_start)
    _add(phases, "starting process", starting, stamps.get("STEP_START"))
    step_start, end = stamps.get("STEP_START"), stamps.get("end")
    if step_start is not None and end is not None:
        phases["storing and events"] = stamps["storing"]
        phases["waiting for answers"] = max(0.0, end - step_start - stamps["storing"])
    return phases


def _add(totals: dict, name: str, start: float | None, end: float | None) -> None:
    if start is not None and end is not None:
        totals[name] += max(0.0, end - start)
