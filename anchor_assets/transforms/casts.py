"""Coercion of single values and columns to the DuckDB type a table declares for them.

The API sends numbers as strings ("13"), nulls anywhere, and times as Unix seconds, Unix
milliseconds or ISO text; everything here accepts all of those.
"""

import json
import math
import numbers
from typing import Any

import pandas as pd

from .schemas import PANDAS_DTYPES

# The older episode answer gives publishOnUnixTimestamp in milliseconds, next to a
# createdUnixTimestamp in seconds. As seconds, a value this large would lie past the year 5000,
# so a value at or above it can only be milliseconds.
MILLISECONDS_THRESHOLD = 100_000_000_000


def cast_values(values: pd.Series, duckdb_type: str) -> pd.Series:
    """The values as the pandas dtype that holds `duckdb_type`; ValueError if one does not fit."""
    return _CASTS[duckdb_type](values).astype(PANDAS_DTYPES[duckdb_type])


def utc_timestamp(value: Any) -> pd.Timestamp:
    """A time the API sent (Unix seconds or milliseconds, ISO text) as a tz-naive UTC stamp."""
    if _is_null(value):
        return pd.NaT
    if isinstance(value, str) and _is_number(value):
        value = float(value)
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not a time")
    if isinstance(value, numbers.Real):
        unit = "ms" if abs(value) >= MILLISECONDS_THRESHOLD else "s"
        return pd.Timestamp(value, unit=unit)
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def _to_text(value: Any) -> str | None:
    if _is_null(value):
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value if isinstance(value, str) else str(value)


def _to_boolean(value: Any) -> bool | None:
    if _is_null(value):
        return None
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value in (True, False):  # also 1 and 0
        return bool(value)
    raise ValueError(f"{value!r} is not true or false")


def _to_integers(values: pd.Series) -> pd.Series:
    # Nullable numbers keep large ids exact; the check matters because pandas would silently
    # cut 1.5 down to 1 when it casts nullable floats to integers.
    numbers = pd.to_numeric(values, dtype_backend="numpy_nullable")
    if numbers.dtype.kind == "f":
        fractional = numbers[(numbers % 1).fillna(0) != 0]
        if len(fractional):
            raise ValueError(f"{fractional.iloc[0]!r} is not a whole number")
    return numbers


def _to_timestamps(values: pd.Series) -> pd.Series:
    return pd.Series([utc_timestamp(value) for value in values], values.index, "datetime64[ns]")


_CASTS = {
    "BIGINT": _to_integers,
    "DOUBLE": pd.to_numeric,
    "VARCHAR": lambda values: values.map(_to_text).astype(object),
    "BOOLEAN": lambda values: values.map(_to_boolean).astype(object),
    "TIMESTAMP": _to_timestamps,
    # Day rows are stamped at UTC midnight; anything later in the day still belongs to that day.
    "DATE": lambda values: _to_timestamps(values).dt.normalize(),
}


def _is_null(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
