"""Shared helpers: read the rows of one API answer and give them the types of a declared table.

Answers are read by header name, never by position, because the API renames and adds columns
over time. Values are coerced in one place (`casts`), because the API sends numbers as strings,
nulls anywhere, and times as Unix seconds or milliseconds.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .casts import cast_values
from .schemas import TABLE_SCHEMAS

# Header names shared by several answers, past names included, mapped to table columns.
DAY_HEADERS = {"Time (UTC)": "date"}
PLAYS_HEADERS = {"Plays": "plays", "Streams & Downloads": "plays"}

# What each header type of an answer becomes when the project does not know the column yet.
HEADER_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "string": "VARCHAR", "boolean": "BOOLEAN"}


CHANGED_API_HINT = "The unofficial API may have changed: please report it with the answer it gave."


class AnswerShapeError(ValueError):
    """An API answer does not have the shape this project knows, so it cannot be read safely."""

    def __init__(self, kind: str, problem: str, hint: str = CHANGED_API_HINT):
        super().__init__(f"The {kind} answer {problem}. {hint}")
        self.kind = kind


@dataclass(frozen=True)
class Rows:
    """The rows of one answer, columns named for the table, values still as the API sent them."""

    kind: str
    frame: pd.DataFrame
    # DuckDB type of each column the answer brought that the table does not declare.
    extra_types: dict[str, str] = field(default_factory=dict)


def snake_case(name: str) -> str:
    """`Streams & Downloads` -> `streams_downloads`, `percentile25` -> `percentile_25`."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([A-Za-z])([0-9])", r"\1_\2", name)
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()


def answer_data(body: Any, kind: str) -> dict:
    """The `data` object of an answer, which holds its rows and headers."""
    if not isinstance(body, dict):
        raise AnswerShapeError(kind, f"is a {type(body).__name__}, not a JSON object")
    data = body.get("data")
    if not isinstance(data, dict):
        raise AnswerShapeError(kind, "has no `data` object")
    if not isinstance(data.get("rows"), list):
        raise AnswerShapeError(kind, "has no `data.rows` list")
    return data


def single_values(body: Any, kind: str) -> list:
    """The one value of a single-value answer as a list: `[value]`, or `[]` when it is empty."""
    rows = answer_data(body, kind)["rows"]
    if len(rows) > 1:
        raise AnswerShapeError(kind, f"holds {len(rows)} values where one was expected")
    if rows and isinstance(rows[0], (list, dict)):
        raise AnswerShapeError(kind, f"holds {rows[0]!r} where a single value was expected")
    return rows


def read_rows(body: Any, kind: str, table: str, header_columns: Mapping[str, str]) -> Rows:
    """The rows of a table-shaped answer, each header mapped to a column by its name.

    `header_columns` maps the API's header names (and their past names) to table columns. A
    header it does not know becomes an extra column named after it.
    """
    data = answer_data(body, kind)
    if not data["rows"]:
        return Rows(kind, pd.DataFrame())

    headers = _headers(data, kind)
    names, extra_types = _column_names(headers, kind, table, header_columns)
    _check_rows(data["rows"], len(headers), kind)
    frame = pd.DataFrame(data["rows"], columns=names, dtype=object)
    for name, header in zip(names, headers, strict=True):
        if "labelKey" in header and "name" not in header:
            frame[name] = _resolve_labels(frame[name], data, header["labelKey"], kind)
    return Rows(kind, frame, extra_types)


def records_frame(records: Any, kind: str, part: str, fields: Mapping[str, str]) -> pd.DataFrame:
    """Picks the known fields out of a list of JSON objects; a missing field gives NULL.

    `part` names the list in error messages.
    """
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        raise AnswerShapeError(kind, f"has {part} that are not a list of JSON objects")
    picked = [{column: item.get(key) for key, column in fields.items()} for item in records]
    return pd.DataFrame(picked, columns=list(fields.values()), dtype=object)


def table_frame(rows: Rows, table: str, **constants: Any) -> pd.DataFrame:
    """The rows as the typed frame of `table`, with `constants` filled into every row."""
    return typed_frame(rows.frame.assign(**constants), table, rows.kind, rows.extra_types)


def typed_frame(
    frame: pd.DataFrame, table: str, kind: str, extra_types: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The table's declared columns in order and typed (all NULL when the answer lacks one),
    then any extra columns of the answer, typed after their headers."""
    frame = frame.reset_index(drop=True)
    declared = {column.name: column.type for column in TABLE_SCHEMAS[table].columns}
    columns = {}
    for name, duckdb_type in declared.items():
        values = frame[name] if name in frame else pd.Series(None, frame.index, dtype=object)
        columns[name] = _cast(values, duckdb_type, kind, name)
    for name in [name for name in frame.columns if name not in declared]:
        columns[name] = _cast_extra(frame[name], (extra_types or {}).get(name, "VARCHAR"), kind)
    return pd.DataFrame(columns, index=frame.index)


def _headers(data: dict, kind: str) -> list[dict]:
    headers = data.get("columnHeaders")
    if not isinstance(headers, list) or not all(isinstance(header, dict) for header in headers):
        raise AnswerShapeError(kind, "has rows but no `data.columnHeaders` list of objects")
    return headers


def _column_names(
    headers: list[dict], kind: str, table: str, header_columns: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    known = {snake_case(header): column for header, column in header_columns.items()}
    reserved = {column.name for column in TABLE_SCHEMAS[table].columns}
    names: list[str] = []
    extra_types: dict[str, str] = {}
    for position, header in enumerate(headers, start=1):
        label = header.get("name", header.get("labelKey"))
        if not isinstance(label, str):
            raise AnswerShapeError(kind, f"has a column header without a name: {header!r}")
        column = known.get(snake_case(label))
        if column and column not in names:
            names.append(column)
            continue
        # Kept under its own name, and never under a declared one, so it cannot hide real data.
        name = _unused(snake_case(label) or f"column_{position}", reserved | set(names))
        names.append(name)
        extra_types[name] = "TIMESTAMP" if header.get("isDateTime") else _header_type(header)
    return names, extra_types


def _header_type(header: dict) -> str:
    return HEADER_TYPES.get(header.get("type"), "VARCHAR")


def _unused(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    return candidate


def _check_rows(rows: list, width: int, kind: str) -> None:
    # The quick look first: an episode's performance answer has thousands of rows.
    if all(type(row) is list and len(row) == width for row in rows):
        return
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != width:
            raise AnswerShapeError(
                kind, f"has row {position} = {row!r}, which is not a list of {width} values"
            )


def _resolve_labels(keys: pd.Series, data: dict, label_key: str, kind: str) -> pd.Series:
    # Some answers send an index into `data.labels[labelKey]` instead of the text itself.
    all_labels = data.get("labels")
    labels = all_labels.get(label_key) if isinstance(all_labels, dict) else None
    if not isinstance(labels, dict):
        raise AnswerShapeError(kind, f"has no `data.labels.{label_key}` for its {label_key} column")
    missing = sorted({str(key) for key in keys if str(key) not in labels})
    if missing:
        raise AnswerShapeError(kind, f"has no `data.labels.{label_key}` entry for {missing}")
    return keys.map(lambda key: labels[str(key)])


def _cast(values: pd.Series, duckdb_type: str, kind: str, column: str) -> pd.Series:
    try:
        return cast_values(values, duckdb_type)
    except (TypeError, ValueError, OverflowError) as error:
        raise AnswerShapeError(
            kind, f"has a value in column `{column}` that is not a {duckdb_type} ({error})"
        ) from error


def _cast_extra(values: pd.Series, duckdb_type: str, kind: str) -> pd.Series:
    # A column the project does not know yet must never break a run: if its values do not fit
    # the type its header claims, it is kept as text.
    try:
        return _cast(values, duckdb_type, kind, str(values.name))
    except AnswerShapeError:
        return _cast(values, "VARCHAR", kind, str(values.name))
