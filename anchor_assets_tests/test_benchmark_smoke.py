"""The benchmark still runs: at a tiny size, without latency, and without its part through the UI
(which needs minutes); it prints figures and asserts nothing about their values, only that the
reference client it compares with got every answer."""

import json

import pytest

pytest.importorskip("anchorconnector", reason="the benchmark's tools: pip install -e .[bench]")
pytest.importorskip("psutil", reason="the benchmark's tools: pip install -e .[bench]")

from benchmarks import full_history  # noqa: E402 (after the skips)


def test_the_benchmark_runs_at_a_tiny_size(capsys, tmp_path):
    tiny = ["--episodes", "2", "--history-days", "20", "--latency-ms", "0"]
    figures = tmp_path / "figures.json"
    exit_code = full_history.main(
        [*tiny, "--storage-rows", "1000", "--startup-repeats", "0", "--skip-product",
         "--json", str(figures)]  # fmt: skip
    )

    printed = capsys.readouterr().out
    assert exit_code == 0
    for section in ("FULL HISTORY", "DAILY REFRESH", "STORAGE", "reference client"):
        assert section in printed
    results = json.loads(figures.read_text())
    for run in ("reference_full", "reference_everything"):
        assert results[run]["calls"] > 0 and results[run]["refused"] == []
