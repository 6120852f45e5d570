"""The checks every endpoint table gets, each one SQL query over the rows in scope."""

from anchor_assets.checks.outcome import CheckedRows, Outcome, failed
from anchor_assets.checks.tables import ShareTotal
from anchor_assets.storage.sql import quote
from anchor_assets.warehouse import missing_tables

# Shares arrive as floats: a whole distribution adds up to 1 only within float error.
FLOAT_ERROR = 1e-6
# The API rounds every share of 1% and more to two decimals (plays_by_geo, plays_by_geo_city);
# each such share is then off by at most half a hundredth, so the sum may be off by that much
# per rounded share. A recorded real answer has 15 rounded countries adding up to 1.0157, well
# inside its bound of 0.075; a fixed tolerance tight enough to catch a lost country would fail
# some honest answers, since the error grows with the number of rounded shares.
ROUNDED_SHARE = 0.01
ROUNDING_ERROR = 0.005

# Which totals of a distribution are wrong, for each kind of distribution the API gives.
WRONG_TOTAL = {
    ShareTotal.WHOLE: f"abs(total - 1) > {FLOAT_ERROR}",
    ShareTotal.WHOLE_ROUNDED: f"abs(total - 1) > {FLOAT_ERROR} + {ROUNDING_ERROR} * rounded_shares",
    ShareTotal.AT_MOST_ONE: f"total > 1 + {FLOAT_ERROR}",
}
EXPECTED_TOTAL = {
    ShareTotal.WHOLE: "add up to 1",
    ShareTotal.WHOLE_ROUNDED: "add up to 1 within the rounding of their two-decimal shares",
    ShareTotal.AT_MOST_ONE: "add up to 1 at most (the API leaves out small entries)",
}


def no_negative_counts(rows: CheckedRows) -> Outcome:
    negative = " or ".join(f"{quote(column)} < 0" for column in rows.rules.counts)
    bad = rows.query(
        f"select * from {quote(rows.table)} where {rows.scope.condition} and ({negative})"
    )
    names = " or ".join(rows.rules.counts)
    if len(bad):
        return failed(f"{len(bad)} rows of {rows.scope} have negative {names}", bad)
    return Outcome(True, f"No negative {names} in {rows.scope}")


def shares_between_0_and_1(rows: CheckedRows) -> Outcome:
    share = quote(rows.rules.shares.column)
    bad = rows.query(
        f"select * from {quote(rows.table)} where {rows.scope.condition}"
        f" and ({share} is null or {share} < 0 or {share} > 1)"
    )
    if len(bad):
        return failed(f"{len(bad)} shares of {rows.scope} are missing or outside 0 to 1", bad)
    return Outcome(True, f"Every share of {rows.scope} lies between 0 and 1")


def shares_add_up(rows: CheckedRows) -> Outcome:
    shares = rows.rules.shares
    per, share = ", ".join(map(quote, shares.per)), quote(shares.column)
    distributions = (
        f"select {per}, sum({share}) as total,"
        f" count(*) filter (where {share} >= {ROUNDED_SHARE}) as rounded_shares"
        f" from {quote(rows.table)} where {rows.scope.condition} group by {per}"
    )
    checked = int(rows.query(f"select count(*) as n from ({distributions})")["n"][0])
    bad = rows.query(
        f"select * from ({distributions}) where {WRONG_TOTAL[shares.total]} order by {per}"
    )
    what, expected = " and ".join(shares.per), EXPECTED_TOTAL[shares.total]
    metadata = {"distributions_checked": checked}
    if len(bad):
        return failed(
            f"The shares of {len(bad)} of {checked} {what} values in {rows.scope}"
            f" do not {expected}",
            bad,
            metadata,
        )
    return Outcome(True, f"The shares of each {what} in {rows.scope} {expected}", metadata)


def no_duplicate_keys(rows: CheckedRows) -> Outcome:
    key = ", ".join(map(quote, rows.rules.key))
    bad = rows.query(
        f"select {key}, count(*) as copies from {quote(rows.table)} where {rows.scope.condition}"
        f" group by {key} having count(*) > 1 order by copies desc, {key}"
    )
    names = key_words(rows.rules.key)
    if len(bad):
        return failed(
            f"{len(bad)} values of {names} are stored more than once in {rows.scope}", bad
        )
    return Outcome(True, f"Each {names} is stored once in {rows.scope}")


def episodes_known(rows: CheckedRows) -> Outcome:
    if missing_tables(rows.connection, ["episodes"]):
        return Outcome(False, "The episode list is not stored yet: materialize anchor/episodes")
    bad = rows.query(
        f"select distinct episode_id from {quote(rows.table)} as t where {rows.scope.condition}"
        " and not exists (select 1 from episodes as e where e.episode_id = t.episode_id)"
        " order by episode_id"
    )
    if len(bad):
        return failed(
            f"{len(bad)} episode ids of {rows.scope} are not in the stored episode list:"
            " materialize anchor/episodes again",
            bad,
        )
    return Outcome(True, f"Every episode of {rows.scope} is in the stored episode list")


def key_words(key: tuple[str, ...]) -> str:
    return key[0] if len(key) == 1 else f"({', '.join(key)})"
