"""The benchmark still runs: at a tiny size, without latency, and without its dagster dev part
(which needs minutes); it prints figures and asserts nothing about them."""

import pytest

pytest.importorskip("anchorconnector", reason="the benchmark's tools: pip install -e .[bench]")
pytest.importorskip("psutil", reason="the benchmark's tools: pip install -e .[bench]")

from benchmarks import full_history  # noqa: E402 (after the skips)


def test_the_benchmark_runs_at_a_tiny_size(capsys):
    tiny = ["--episodes", "2", "--history-days", "20", "--latency-ms", "0"]
    exit_code = full_history.main(
        [*tiny, "--storage-rows", "1000", "--startup-repeats", "0", "--skip-product"]
    )

    printed = capsys.readouterr().out
    assert exit_code == 0
    for section in ("FULL HISTORY", "DAILY REFRESH", "STORAGE", "reference client"):
        assert section in printed
