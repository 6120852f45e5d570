"""What the benchmark reads from the project and the machine: the API concurrency allowed, and
the machine it ran on."""

import os
import platform
from pathlib import Path

import psutil
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_YAML = PROJECT_DIR / "deploy" / "dagster.yaml"
CONCURRENCY_VARIABLE = "ANCHOR_API_CONCURRENCY"


def api_concurrency(
    override: int | None = None, live_pools: dict[str, int | None] | None = None
) -> tuple[int, str]:
    """How many API requests the product may have in flight at once, and where that came from.

    In order: --api-concurrency; $ANCHOR_API_CONCURRENCY; else the limit of the Dagster pool the
    assets are in (live_pools, as the running instance reports it, else
    concurrency.pools.default_limit of deploy/dagster.yaml) times the requests one step may have
    in flight (anchor_assets.assets.fetching.parallel_requests(), when the project has it),
    capped by the request budget all runs share when the project has one; else 1.
    """
    if override is not None:
        return override, "--api-concurrency"
    if os.environ.get(CONCURRENCY_VARIABLE):
        return int(os.environ[CONCURRENCY_VARIABLE]), f"${CONCURRENCY_VARIABLE}"
    per_step, per_step_source = _requests_per_step()
    pool = _pool_limit(live_pools)
    if pool is None:
        return 1, "no API concurrency setting found: assumed 1"
    limit, pool_source = pool
    if _shared_budget() and limit * per_step > per_step:
        return per_step, (
            f"{per_step_source}, the budget all runs share ({pool_source} would allow"
            f" {limit * per_step})"
        )
    return limit * per_step, f"{pool_source} x {per_step_source}"


def _pool_limit(live_pools: dict[str, int | None] | None) -> tuple[int, str] | None:
    limits = {pool: limit for pool, limit in (live_pools or {}).items() if limit}
    if limits:
        pool, limit = min(limits.items(), key=lambda item: item[1])
        return limit, f"pool {pool} limit {limit} (as the instance reports it)"
    config = yaml.safe_load(INSTANCE_YAML.read_text()) or {}
    default_limit = ((config.get("concurrency") or {}).get("pools") or {}).get("default_limit")
    if isinstance(default_limit, int) and live_pools != {}:
        return default_limit, f"deploy/dagster.yaml concurrency.pools.default_limit {default_limit}"
    return None


def _requests_per_step() -> tuple[int, str]:
    try:
        from anchor_assets.assets.fetching import PARALLEL_REQUESTS_VARIABLE, parallel_requests
    except ImportError:
        return 1, "1 request per step"
    count = parallel_requests()
    return count, f"{PARALLEL_REQUESTS_VARIABLE} {count} requests"


def _shared_budget() -> bool:
    """Whether the project keeps all runs' requests within one budget (its request slots)."""
    try:
        import anchor_assets.resources.request_slots  # noqa: F401
    except ImportError:
        return False
    return True


def automation_present() -> bool:
    return (PROJECT_DIR / "anchor_assets" / "automation").is_dir()


def machine() -> dict:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gib": psutil.virtual_memory().total / 2**30,
        "cpu_model": model,
        "python": platform.python_version(),
    }
