"""How long the code location takes to load, each time in a fresh process."""

import statistics
import subprocess
import sys
import time
from pathlib import Path

IMPORT_DEFINITIONS = [sys.executable, "-c", "import anchor_assets.definitions"]
VALIDATE = [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"]


def measure(project_dir: Path, env: dict[str, str], repeats: int) -> dict:
    """Seconds per load for both commands: every repetition, and their median and worst."""
    return {
        "import anchor_assets.definitions": _timed(IMPORT_DEFINITIONS, project_dir, env, repeats),
        "dagster definitions validate": _timed(VALIDATE, project_dir, env, repeats),
    }


def _timed(command: list[str], project_dir: Path, env: dict[str, str], repeats: int) -> dict:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            command, cwd=project_dir, env=env, check=True, capture_output=True, timeout=300
        )
        seconds.append(time.perf_counter() - started)
    return {"runs": seconds, "median": statistics.median(seconds), "worst": max(seconds)}
