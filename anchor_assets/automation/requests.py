"""Run requests over spans of partitions: one run fetches a whole span, as a backfill's run does."""

from collections.abc import Iterable, Sequence

from dagster import AssetKey, RunRequest

# Dagster's tags for a run over a span of partitions, the same a single-run backfill sets.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# A retry of a failed run redoes only its failed steps, so what was fetched is not asked again.
RETRY_FROM_FAILURE = {"dagster/retry_strategy": "FROM_FAILURE"}


def spans(keys: Iterable[str], order: Sequence[str], most: int) -> list[tuple[str, str]]:
    """The first and last key of the fewest spans of consecutive partitions (consecutive in
    ``order``, the partitions as Dagster lists them) that hold exactly ``keys``, each span
    at most ``most`` partitions long."""
    wanted = set(keys)
    found: list[list[str]] = []
    after_wanted = False
    for key in order:
        if key not in wanted:
            after_wanted = False
            continue
        if after_wanted and len(found[-1]) < most:
            found[-1].append(key)
        else:
            found.append([key])
        after_wanted = True
    return [(span[0], span[-1]) for span in found]


def span_request(
    run_key: str | None, assets: Sequence[AssetKey], first: str, last: str
) -> RunRequest:
    """One run of ``assets`` over the partitions from ``first`` to ``last``."""
    return RunRequest(
        run_key=run_key,
        asset_selection=list(assets),
        tags={RANGE_START_TAG: first, RANGE_END_TAG: last, **RETRY_FROM_FAILURE},
    )
