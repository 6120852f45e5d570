"""The benchmark's figures as a plain-text report, each next to its target."""

GIB = 2**30
MIB = 2**20

# The targets of the issue "Benchmark: full history and daily refresh".
FULL_OVER_LIMIT = 1.3
FULL_OVER_REFERENCE = 1 / 3
REFRESH_OVER_NAIVE = 0.25
REFRESH_OVER_LIMIT = 1.3
STORAGE_ROWS_PER_SECOND = 500_000
PEAK_MEMORY_BYTES = GIB
LOAD_SECONDS = 5.0


def render(results: dict) -> str:
    lines: list[str] = []
    machine, size, concurrency = results["machine"], results["size"], results["api_concurrency"]
    latency = size["latency_ms"] / 1000
    limit_concurrency = concurrency["limit"]
    if results.get("automation_turned_off"):
        concurrency_note = ", ".join(results["automation_turned_off"])
        extra = [f"turned off during the measurement (the UI's toggles): {concurrency_note}"]
    else:
        extra = []
    lines += [
        f"machine: {machine['cpus']} CPUs ({machine['cpu_model']}),"
        f" {machine['memory_gib']:.1f} GiB, Python {machine['python']}",
        f"show: {size['episodes']} published episodes over {size['history_days']} days;"
        f" sandbox latency {size['latency_ms']:g} ms per request (in its own process)",
        f"code: {results.get('code', '?')} (run from a copy made at the start)",
        f"API concurrency allowed: {limit_concurrency} requests in flight"
        f" ({concurrency['source']})",
        *extra,
        "",
    ]
    lines += _full_history(results, latency, limit_concurrency)
    lines += _refresh(results, latency, limit_concurrency)
    lines += _storage(results)
    lines += _memory(results)
    lines += _startup(results)
    return "\n".join(lines)


def _cpu_line(memory: dict, wall: float) -> str:
    tree = memory["cpu_seconds_at_end"] - memory["cpu_seconds_at_start"]
    line = f"  CPU: the dagster process tree used {tree:.0f} s ({tree / wall:.2f} cores on average)"
    if memory.get("machine_busy_at_end") is None:
        return line
    busy = memory["machine_busy_at_end"] - memory["machine_busy_at_start"]
    return (
        f"{line}; the whole machine {busy / wall:.2f} cores (the rest: sandbox, benchmark and"
        " any other process on the machine)"
    )


def _full_history(results, latency, concurrency) -> list[str]:
    reference = results["reference_full"]
    product = results.get("product_full")
    requests = product["requests"]["requests"] if product else reference["requests"]["requests"]
    limit = requests * latency / concurrency
    lines = ["FULL HISTORY", f"  {'':34}{'wall s':>9}{'requests':>10}{'max in flight':>15}"]
    lines.append(f"  {'request-bound limit':34}{limit:9.1f}{requests:10d}{concurrency:15d}")
    if product:
        lines.append(
            _row("product (UI backfill)", product["wall_seconds"], product["requests"])
        )
    lines.append(_row("reference client (sequential)", reference["seconds"], reference["requests"]))
    if product:
        wall = product["wall_seconds"]
        valid = not product["failures"]
        lines += [
            _target("product / limit", _ratio(wall, limit), "<=", FULL_OVER_LIMIT, valid),
            _target(
                "product / reference",
                _ratio(wall, reference["seconds"]),
                "<=",
                FULL_OVER_REFERENCE,
                valid,
            ),
            *_stages(product, limit),
            f"  until the backfill shows as done in the UI: {product['until_done_seconds']:.1f} s",
            "  then the analytics tables over the loaded data (one more run):"
            f" {product.get('analytics_seconds', 0.0):.1f} s",
            _cpu_line(product["memory"], wall),
            f"  DuckDB file: {results['warehouse_bytes'] / MIB:.1f} MiB; Dagster instance folder"
            f" (run history, logs) after the full history and the refresh:"
            f" {results.get('instance_bytes', 0) / MIB:.1f} MiB",
        ]
        lines += _failures(product)
        lines += _breakdown(product)
        lines += _runs(product["runs"])
        lines += _endpoints(product["requests"]["by_endpoint"])
    return lines + [""]


def _stages(product: dict, limit: float) -> list[str]:
    stages = product.get("stages") or {}
    if not stages:
        return []
    waiting = stages["backfill waiting for the daemon"]
    return [
        "  stages (s): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items()),
        "  the daemon's wait: a look within a second of the launch (anchor_assets.daemon; 0 to"
        " 30 s with Dagster's own), then planning the runs;",
        "  without it, product / limit would be"
        f" {_ratio(product['wall_seconds'] - waiting, limit):.2f}",
    ]


def _refresh(results, latency, concurrency) -> list[str]:
    naive = results["reference_everything"]
    product = results.get("product_refresh")
    notes = product["notes"] if product else ["(no product part in this run)"]
    lines = ["DAILY REFRESH", *(f"  {note}" for note in notes)]
    lines += [
        f"  {'':34}{'wall s':>9}{'requests':>10}{'max in flight':>15}",
    ]
    sensor = 0
    if product:
        requests = product["requests"]["requests"]
        limit = requests * latency / concurrency
        lines += [
            f"  {'request-bound limit':34}{limit:9.1f}{requests:10d}{concurrency:15d}",
            _row("product refresh runs", product["wall_seconds"], product["requests"]),
        ]
        sensor = product.get("sensor_requests_per_day", 0)
        if sensor:
            lines.append(f"  {'+ sensor looks over the day':34}{'':9}{sensor:10d}")
            requests += sensor
    lines.append(_row("naive: everything again (reference)", naive["seconds"], naive["requests"]))
    if product:
        lines += [
            _target(
                "requests (runs + sensor looks) / naive" if sensor else "requests product / naive",
                _ratio(requests, naive["requests"]["requests"]),
                "<=",
                REFRESH_OVER_NAIVE,
                not product["failures"],
            ),
            _target(
                "product runs / their limit",
                _ratio(product["wall_seconds"], limit),
                "<=",
                REFRESH_OVER_LIMIT,
                not product["failures"],
            ),
        ]
        lines.append(_cpu_line(product["memory"], product["wall_seconds"]))
        lines += _failures(product)
        lines += _breakdown(product)
        lines += _runs(product["runs"])
        lines += _endpoints(product["requests"]["by_endpoint"])
    return lines + [""]


def _storage(results) -> list[str]:
    storage = results["storage"]
    lines = [
        f"STORAGE ({storage['rows']:,} episode-performance rows, {storage['episodes']} episode"
        " partitions, one materialization through AnchorDuckDBIOManager)"
    ]
    for label in ("first_write", "rewrite"):
        figures = storage[label]
        lines.append(
            f"  {label:12} IO manager {figures['io_manager_seconds']:.2f} s,"
            f" whole run {figures['run_seconds']:.2f} s"
        )
    slowest = min(storage[label]["rows_per_second"] for label in ("first_write", "rewrite"))
    lines.append(
        _target("rows per second (slower of the two)", slowest, ">=", STORAGE_ROWS_PER_SECOND)
    )
    return lines + [""]


def _memory(results) -> list[str]:
    product = results.get("product_full")
    if not product:
        return []
    lines = ["PEAK MEMORY of the UI's process tree (webserver, daemon, code server, runs)"]
    for label, key in (("full history", "product_full"), ("daily refresh", "product_refresh")):
        memory = results[key]["memory"]
        roles = ", ".join(
            f"{role} {value / MIB:.0f}"
            for role, value in sorted(memory["peak_rss_by_role"].items())
        )
        lines += [
            f"  {label}: RSS summed {memory['peak_rss'] / MIB:.0f} MiB,"
            f" PSS {memory['peak_pss'] / MIB:.0f} MiB, up to {memory['peak_processes']} processes",
            f"    peak RSS by role (MiB): {roles}",
        ]
    # Both: PSS splits shared pages between the processes that map them (what the tree costs);
    # RSS summed counts them once per process (an upper bound).
    for measure, label in (("peak_pss", "peak PSS (GiB)"), ("peak_rss", "peak RSS summed (GiB)")):
        peak = max(results[key]["memory"][measure] for key in ("product_full", "product_refresh"))
        lines.append(_target(label, peak / GIB, "<", PEAK_MEMORY_BYTES / GIB))
    return lines + [""]


def _startup(results) -> list[str]:
    lines = []
    if "ui_startup_seconds" in results:
        lines.append(
            f"  the UI (anchor_assets.serve) until webserver, code location and daemons are up:"
            f" {results['ui_startup_seconds']:.1f} s"
        )
    if "startup" not in results:
        return ["STARTUP", *lines, ""] if lines else []
    lines = ["STARTUP (code location load, fresh process each time)", *lines]
    for command, figures in results["startup"].items():
        runs = " ".join(f"{s:.2f}" for s in figures["runs"])
        lines.append(
            f"  {command}: median {figures['median']:.2f} s, worst {figures['worst']:.2f} s"
            f" ({runs})"
        )
        lines.append(_target(f"  {command} worst", figures["worst"], "<", LOAD_SECONDS))
    return lines + [""]


def _row(label: str, seconds: float, requests: dict) -> str:
    failed = f"  ({requests['failed']} failed)" if requests["failed"] else ""
    return (
        f"  {label:34}{seconds:9.1f}{requests['requests']:10d}"
        f"{requests['max_in_flight']:15d}{failed}"
    )


def _ratio(value: float, base: float) -> float:
    return value / base if base else float("nan")


def _target(label: str, value: float, relation: str, target: float, valid: bool = True) -> str:
    if value != value:  # nan: no base to compare with (zero latency, no request)
        return f"  {label}: n/a"
    if not valid:
        return f"  {label}: {value:.2f}  NOT VALID (runs failed, see below)"
    met = (
        value <= target
        if relation == "<="
        else value >= target
        if relation == ">="
        else value < target
    )
    shown = f"{value:,.0f}" if value >= 1000 else f"{value:.2f}"
    wanted = f"{target:,.0f}" if target >= 1000 else f"{target:.2f}"
    return f"  {label}: {shown}  (target {relation} {wanted})  {'MET' if met else 'MISSED'}"


def _failures(product: dict) -> list[str]:
    if not product["failures"]:
        return []
    return ["  FAILED RUNS (figures are not valid):", *(f"    {m}" for m in product["failures"])]


def _breakdown(product: dict) -> list[str]:
    found = product.get("breakdown")
    if not found:
        return []
    runs = ", ".join(f"{name} {seconds:.0f}" for name, seconds in found["runs"].items())
    steps = ", ".join(f"{name} {seconds:.0f}" for name, seconds in found["steps"].items())
    return [
        f"  where the time went, summed over runs (s): {runs}",
        f"  and over steps (s): {steps}",
    ]


def _runs(runs: list[dict]) -> list[str]:
    lines = [f"  runs: {len(runs)}  (queued s / run s: assets, partitions)"]
    for run in runs:
        assets = (
            ", ".join(run["assets"]) if len(run["assets"]) <= 3 else f"{len(run['assets'])} assets"
        )
        lines.append(
            f"    {run['queued_seconds']:6.1f} {run['run_seconds']:7.1f}  {run['status']:8}"
            f" {assets}: {run['partitions']}"
        )
    return lines


def _endpoints(by_endpoint: dict) -> list[str]:
    top = sorted(by_endpoint.items(), key=lambda item: -item[1])
    return ["  requests by endpoint: " + ", ".join(f"{name} {count}" for name, count in top)]
