"""Full history and daily refresh, side by side with the reference client; prints figures.

  python -m benchmarks.full_history [--episodes 300] [--history-days 730] [--latency-ms 50]

See benchmarks/README.md for what each figure means.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from benchmarks import report, settings, startup
from benchmarks.sandbox_process import SandboxProcess, ShowFacts

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What the benchmark copies before it starts, and runs from the copy: other work in the tree
# while it runs (minutes) must not change the code between two of its processes.
SNAPSHOT = ("anchor_assets", "benchmarks", "deploy", "pyproject.toml", "workspace.yaml")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    concurrency, concurrency_source = settings.api_concurrency(args.api_concurrency)
    results: dict = {
        "machine": settings.machine(),
        "size": {
            "episodes": args.episodes,
            "history_days": args.history_days,
            "latency_ms": args.latency_ms,
        },
        "api_concurrency": {"limit": concurrency, "source": concurrency_source},
        "automation_present": settings.automation_present(),
    }
    with (
        _work_folder(args.workdir) as work,
        SandboxProcess(args.episodes, args.history_days, args.latency_ms / 1000) as sandbox,
    ):
        facts = sandbox.facts
        project = _snapshot(work)
        env = _product_env(facts, work, project)
        results["code"] = _code_version()
        _say(
            f"sandbox pid {sandbox.pid}: {len(facts.episode_ids)} episodes from {facts.first_day};"
            f" work folder {work}"
        )
        if not args.skip_product:
            results.update(_product(project, work, env, sandbox, args.api_concurrency))
        _say("reference client: full history")
        results["reference_full"] = _reference(project, sandbox, facts, "full")
        _say("reference client: everything once (the naive refresh)")
        results["reference_everything"] = _reference(project, sandbox, facts, "everything")
        _say(f"storage: {args.storage_rows} rows through the IO manager")
        results["storage"] = _storage(project, env, args.storage_rows, work)
        if args.startup_repeats:
            _say(f"startup: {args.startup_repeats} loads of each")
            results["startup"] = startup.measure(
                project, {**env, "DAGSTER_HOME": str(work / "dagster_home")}, args.startup_repeats
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(report.render(results))
    return 0


def _product(
    project: Path, work: Path, env: dict, sandbox: SandboxProcess, override: int | None
) -> dict:
    # Imported here: the smoke test runs without the UI and should not pay for these.
    from dagster import DagsterInstance

    from benchmarks import product
    from benchmarks.dagster_ui import DagsterUi
    from benchmarks.process_tree import TreeSampler

    dagster_home = work / "dagster_home"
    _say("starting the UI (anchor_assets.serve, as scripts/ui does)")
    with DagsterUi(project, dagster_home, env, work / "ui.log") as ui:
        _say(f"the UI is ready in {ui.startup_seconds:.1f} s (pid {ui.process.pid})")
        sampler = TreeSampler(ui.process.pid)
        sampler.start()
        # The instance's run history storage finds its files under DAGSTER_HOME, as the UI's do.
        os.environ["DAGSTER_HOME"] = str(dagster_home)
        instance = DagsterInstance.from_config(str(dagster_home))
        pools = ui.pool_limits()
        limit, source = settings.api_concurrency(override, pools)
        stopped = product.quiet_automation(ui, instance)
        if stopped:
            _say(f"turned off for the measurement: {', '.join(stopped)}")
        try:
            _say("full history: episodes, then a backfill of the API groups (all partitions), then analytics")
            full = product.full_history(ui, instance, sandbox, sampler)
            _say(f"full history done in {full.wall_seconds:.1f} s")
            _say("daily refresh")
            refresh = product.daily_refresh(ui, instance, sandbox, sampler)
            _say(f"daily refresh done in {refresh.wall_seconds:.1f} s")
        finally:
            sampler.stop()
            instance.dispose()
        idle = sampler.overall
    warehouse = Path(env["ANCHOR_DUCKDB_PATH"])
    return {
        "api_concurrency": {"limit": limit, "source": source, "pools": pools},
        "automation_turned_off": stopped,
        "ui_startup_seconds": ui.startup_seconds,
        "product_full": asdict(full),
        "product_refresh": asdict(refresh),
        "product_peak_overall": asdict(idle),
        "warehouse_bytes": sum(
            p.stat().st_size for p in warehouse.parent.glob(warehouse.name + "*")
        ),
        "instance_bytes": sum(p.stat().st_size for p in dagster_home.rglob("*") if p.is_file()),
    }


def _reference(project: Path, sandbox: SandboxProcess, facts: ShowFacts, mode: str) -> dict:
    sandbox.reset()
    command = [sys.executable, "-m", "benchmarks.reference_client", "--mode", mode,
               "--base-url", facts.base_url, "--webstation-id", facts.webstation_id,
               "--first-day", str(facts.first_day)]  # fmt: skip
    env = {**os.environ, "ANCHOR_PW_S": facts.cookie}
    return {**_json_from(command, project, env, timeout=7200), "requests": sandbox.counts()}


def _storage(project: Path, env: dict, rows: int, work: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "benchmarks.storage",
        "--rows",
        str(rows),
        "--folder",
        str(work),
    ]
    return _json_from(command, project, env, timeout=1800)


def _json_from(command: list[str], project: Path, env: dict, timeout: float) -> dict:
    """The JSON line a benchmark part prints last; its error output if it fails."""
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[1:4])} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _snapshot(work: Path) -> Path:
    """A copy of the project's code as it is now, which every process of the benchmark runs."""
    copy = work / "code"
    shutil.rmtree(copy, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SNAPSHOT:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        elif source.exists():
            shutil.copy(source, copy / name)
    return copy


def _code_version() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True)
        return done.stdout.strip()

    changed = len(git("status", "--porcelain", "--", "anchor_assets", "deploy").splitlines())
    return f"{git('rev-parse', '--short', 'HEAD')} + {changed} uncommitted changes in the product"


def _product_env(facts: ShowFacts, work: Path, project: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ANCHOR_")}
    env.pop("DAGSTER_HOME", None)
    return {
        **env,
        # Ahead of the editable install: every process imports the snapshot's anchor_assets.
        "PYTHONPATH": str(project),
        "ANCHOR_BASE_URL": facts.base_url,
        "ANCHOR_WEBSTATION_ID": facts.webstation_id,
        "ANCHOR_PW_S": facts.cookie,
        "ANCHOR_START_DATE": str(facts.first_day),
        "ANCHOR_DUCKDB_PATH": str(work / "warehouse.duckdb"),
    }


class _work_folder:
    """The folder given with --workdir (kept), else a temporary one (removed)."""

    def __init__(self, given: str | None) -> None:
        self._given = given
        self._temporary = None

    def __enter__(self) -> Path:
        if self._given:
            Path(self._given).mkdir(parents=True, exist_ok=True)
            return Path(self._given).resolve()
        self._temporary = tempfile.TemporaryDirectory(prefix="anchor-bench-")
        return Path(self._temporary.name)

    def __exit__(self, *exc_info) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()


_STARTED = time.perf_counter()


def _say(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.full_history",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--episodes", type=int, default=300, help="published episodes (300)")
    parser.add_argument("--history-days", type=int, default=730, help="days of history (730)")
    parser.add_argument(
        "--latency-ms", type=float, default=50, help="sandbox delay per request (50)"
    )
    parser.add_argument("--api-concurrency", type=int, help="override the API concurrency allowed")
    parser.add_argument("--storage-rows", type=int, default=1_000_000)
    parser.add_argument("--startup-repeats", type=int, default=5, help="0 skips the startup part")
    parser.add_argument(
        "--skip-product",
        action="store_true",
        help="leave out the product part through the UI (full history and refresh)",
    )
    parser.add_argument("--workdir", help="keep the warehouse, instance and logs here")
    parser.add_argument("--json", help="also write every figure to this file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
