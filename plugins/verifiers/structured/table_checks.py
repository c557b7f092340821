"""Checks on a parsed table (a header and rows of text cells), shared by the ``csv`` and
``markdown_table`` verifiers.

Params::

    "columns": ["name", "age"],          required: the expected header
    "ordered_columns": true,              the header lists them in this order
    "extra_columns": false,               other columns are allowed
    "ignore_case": false,                 header names, ``where`` keys and cell matchers ignore case
    "rows": 3 | {"min": 1, "max": 5},     the number of data rows (the header is not one)
    "cells": [{"row": 0, "column": "name", "match": "Ada"},
              {"row": "all", "column": "age", "match": {"regex": "^\\d+$"}},
              {"where": {"name": "Ada"}, "column": "age", "match": 36}],
    "expected_rows": [{"name": "Ada", "age": 36}, ...], "rows_ordered": false,
    "order_by": {"column": "age", "descending": false, "numeric": true}

Rows are numbered from 0, after the header. A ``match`` is a matcher of
``benchlab.plugins.verifiers.structured.value_matchers``. A cell is text; when its matcher expects a number
(a bare number, ``eq``/``one_of`` of numbers, ``number``, ``type`` number or integer,
also inside ``any_of``/``all_of``/``not``) and the cell reads as one (``36``, ``36.0``,
``-1.5e3``, ``1,234``), the number is matched, so ``36`` and ``36.0`` both equal 36 and
``thirty-six`` fails. ``where`` finds the one row whose cells equal the given values;
none is a missing row, two are ambiguous. ``expected_rows``: each listed row (column ->
matcher) must be matched by a different row of the table, in order with
``rows_ordered``; rows not listed are allowed unless ``rows`` forbids them.
``order_by``: the column's values never decrease (``descending``: never increase),
compared as numbers with ``numeric``, else as text.

Checks: ``header``, ``row_count``, ``cell[ROW].COLUMN`` (ROW is a number, ``all`` or
``COL=VALUE``), ``expected_rows``, ``order``. ``header`` is structural
(``schema_violation``); a cell of a column the header lacks, or a ``where`` row that is
not there, is ``missing_field``; the rest ``wrong_answer``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import attrs

from benchlab.model import Check
from benchlab.plugins.verifiers.structured.matcher_validation import matcher_field, validate_matcher
from benchlab.plugins.verifiers.structured.value_matchers import describe, match, max_matching, shown
from benchlab.verifier_params import ParamError
from benchlab.param_checks import CountRange

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_GROUPED = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NUMERIC_TYPES = ("number", "integer")


@attrs.frozen
class Table:
    """A parsed table: header cells (None when the data has no header row) and rows."""

    header: list[str] | None
    rows: list[list[str]]


# --- parameters ---------------------------------------------------------------------------


def _row_count(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, int) and value < 0:
        raise ParamError(attribute.name, "must not be negative")


def _row_number(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, int) and value < 0:
        raise ParamError(attribute.name, "a row number from 0, or \"all\"")


@attrs.frozen
class CellSpec:
    """One cell check: a row (a number or ``all``) or a ``where`` lookup, a column, a matcher."""

    column: str
    match: Any = attrs.field(validator=matcher_field)
    row: int | Literal["all"] | None = attrs.field(default=None, validator=_row_number)
    where: dict[str, str | int | float] | None = None

    def __attrs_post_init__(self) -> None:
        if (self.row is None) == (self.where is None):
            raise ParamError("", "give exactly one of row (a number or \"all\") and where")
        if self.where is not None and not self.where:
            raise ParamError("where", "an object of column -> value")


@attrs.frozen
class OrderBy:
    column: str
    descending: bool = False
    numeric: bool = False


def _expected_rows(_: Any, attribute: attrs.Attribute, value: list[dict[str, Any]]) -> None:
    for index, row in enumerate(value):
        if not row:
            raise ParamError(f"{attribute.name}[{index}]", "an object of column -> matcher")
        for column, matcher in row.items():
            validate_matcher(matcher, f"{attribute.name}[{index}].{column}")


@attrs.frozen
class TableParams:
    """The parameters the ``csv`` and ``markdown_table`` verifiers share (documented above)."""

    columns: list[str]
    ordered_columns: bool = True
    extra_columns: bool = False
    ignore_case: bool = False
    rows: int | CountRange | None = attrs.field(default=None, validator=_row_count)
    cells: list[CellSpec] = attrs.field(factory=list)
    expected_rows: list[dict[str, Any]] = attrs.field(factory=list, validator=_expected_rows)
    rows_ordered: bool = False
    order_by: OrderBy | None = None
    strict: bool = True
    fence: bool = True

    def __attrs_post_init__(self) -> None:
        # Column references are checked against the header the scenario declares.
        if not self.columns or not all(c.strip() for c in self.columns):
            raise ParamError("columns", "a non-empty list of column names")
        if len({_fold(c, self) for c in self.columns}) != len(self.columns):
            raise ParamError("columns", "a column is listed twice")
        for index, cell in enumerate(self.cells):
            for column in cell.where or {}:
                self._known_column(column, f"cells[{index}].where.{column}")
            self._known_column(cell.column, f"cells[{index}].column")
        for index, row in enumerate(self.expected_rows):
            for column in row:
                self._known_column(column, f"expected_rows[{index}].{column}")
        if self.order_by is not None:
            self._known_column(self.order_by.column, "order_by.column")

    def _known_column(self, column: str, where: str) -> None:
        if _fold(column, self) not in {_fold(c, self) for c in self.columns}:
            raise ParamError(where, f"{column!r} is not one of the columns ({', '.join(self.columns)})")


# --- evaluation ---------------------------------------------------------------------------


def _fold(text: str, params: TableParams) -> str:
    text = " ".join(text.split())
    return text.casefold() if params.ignore_case else text


def parse_number(text: str) -> int | float | None:
    """The number a cell holds, or None."""
    text = text.strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif not _NUMBER.fullmatch(text):
        return None
    try:
        return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
    except (ValueError, OverflowError):
        return None


def table_checks(params: TableParams, table: Table) -> tuple[list[Check], set[str]]:
    """Every check the params ask for, and the names of those that failed for absence."""
    checks: list[Check] = []
    missing: set[str] = set()
    if table.header is not None:
        checks.append(_header_check(params, table.header))
        names = [_fold(h, params) for h in table.header]
    else:
        names = [_fold(c, params) for c in params.columns]
    index = {name: position for position, name in reversed(list(enumerate(names)))}
    if params.rows is not None:
        checks.append(_row_count_check(params.rows, len(table.rows)))
    for cell in params.cells:
        check, absent = _cell_check(params, cell, table.rows, index)
        checks.append(check)
        if absent:
            missing.add(check.name)
    if params.expected_rows:
        checks.append(_expected_rows_check(params, table.rows, index))
    if params.order_by is not None:
        checks.append(_order_check(params, table.rows, index))
    return checks, missing


def _header_check(params: TableParams, header: list[str]) -> Check:
    actual = [_fold(h, params) for h in header]
    expected = [_fold(c, params) for c in params.columns]
    problems = []
    repeated = sorted({h for h in actual if actual.count(h) > 1})
    if repeated:
        problems.append("repeated: " + ", ".join(map(repr, repeated)))
    lacking = [c for c in expected if c not in actual]
    if lacking:
        problems.append("missing: " + ", ".join(map(repr, lacking)))
    extra = [h for h in actual if h not in expected]
    if extra and not params.extra_columns:
        problems.append("unexpected: " + ", ".join(map(repr, extra)))
    if not problems and params.ordered_columns:
        if [h for h in actual if h in expected] != expected:
            problems.append(f"order: expected {expected}, got {actual}")
    if problems:
        return Check("header", False, "; ".join(problems))
    return Check("header", True)


def _row_count_check(rows: int | CountRange, count: int) -> Check:
    if isinstance(rows, int):
        ok, wanted = count == rows, str(rows)
    else:
        low, high = rows.min or 0, rows.max
        ok = count >= low and (high is None or count <= high)
        wanted = f"{low} to {high}" if high is not None else f"at least {low}"
    return Check("row_count", ok, "" if ok else f"expected {wanted} data row(s), got {count}")


def _wants_number(matcher: Any) -> bool:
    if isinstance(matcher, bool):
        return False
    if isinstance(matcher, (int, float)):
        return True
    if not isinstance(matcher, dict):
        return False
    if "number" in matcher or matcher.get("type") in _NUMERIC_TYPES:
        return True
    if "eq" in matcher:
        return _wants_number(matcher["eq"])
    if "one_of" in matcher:
        return any(_wants_number(v) for v in matcher["one_of"])
    subs = matcher.get("any_of") or matcher.get("all_of") or ([matcher["not"]] if "not" in matcher else [])
    return any(_wants_number(s) for s in subs)


def _casefree(matcher: Any) -> Any:
    """The matcher with case ignored, for a table-wide ``ignore_case``."""
    if isinstance(matcher, str):
        return {"eq": matcher, "ignore_case": True}
    if not isinstance(matcher, dict):
        return matcher
    if any(op in matcher for op in ("eq", "one_of", "contains", "subset")):
        return {**matcher, "ignore_case": True}
    if "regex" in matcher:
        return {**matcher, "flags": "".join(sorted(set(matcher.get("flags", "")) | {"i"}))}
    for op in ("any_of", "all_of"):
        if op in matcher:
            return {**matcher, op: [_casefree(s) for s in matcher[op]]}
    if "not" in matcher:
        return {**matcher, "not": _casefree(matcher["not"])}
    return matcher


def cell_matches(params: TableParams, matcher: Any, text: str) -> tuple[bool, str]:
    """Whether a cell's text satisfies ``matcher`` (numbers read when it wants one)."""
    value: Any = text
    if _wants_number(matcher):
        number = parse_number(text)
        value = number if number is not None else text
    if params.ignore_case:
        matcher = _casefree(matcher)
    result = match(matcher, value)
    return result.ok, result.detail


def _cell(row: list[str], position: int | None) -> str | None:
    if position is None or position >= len(row):
        return None
    return row[position]


def _cell_check(params: TableParams, cell: CellSpec, rows: list[list[str]], index: dict[str, int]) -> tuple[Check, bool]:
    column = cell.column
    position = index.get(_fold(column, params))
    if cell.where is not None:
        label = ",".join(f"{k}={v}" for k, v in cell.where.items())
    else:
        label = str(cell.row)
    name = f"cell[{label}].{column}"
    if position is None:
        return Check(name, False, f"the table has no column {column!r}"), True
    if cell.where is not None:
        found = [i for i, row in enumerate(rows) if _row_matches(params, cell.where, row, index)]
        if not found:
            return Check(name, False, f"no row where {label}"), True
        if len(found) > 1:
            return Check(name, False, f"{len(found)} rows where {label} (rows {', '.join(map(str, found))}); expected one"), False
        targets = found
    elif cell.row == "all":
        targets = list(range(len(rows)))
        if not targets:
            return Check(name, False, "the table has no data rows"), True
    else:
        assert isinstance(cell.row, int)
        if cell.row >= len(rows):
            return Check(name, False, f"the table has {len(rows)} data row(s), no row {cell.row}"), True
        targets = [cell.row]
    for target in targets:
        text = _cell(rows[target], position)
        if text is None:
            return Check(name, False, f"row {target} has no {column!r} cell (only {len(rows[target])} cells)"), True
        ok, detail = cell_matches(params, cell.match, text)
        if not ok:
            return Check(name, False, f"row {target}: {detail}"), False
    return Check(name, True), False


def _row_matches(params: TableParams, spec: dict[str, Any], row: list[str], index: dict[str, int]) -> bool:
    for column, matcher in spec.items():
        text = _cell(row, index.get(_fold(column, params)))
        if text is None or not cell_matches(params, matcher, text)[0]:
            return False
    return True


def _expected_rows_check(params: TableParams, rows: list[list[str]], index: dict[str, int]) -> Check:
    specs = params.expected_rows
    table = [[_row_matches(params, spec, row, index) for row in rows] for spec in specs]
    paired = in_order(table) if params.rows_ordered else max_matching(table)
    lost = [i for i in range(len(specs)) if i not in paired]
    if not lost:
        return Check("expected_rows", True)
    how = " in order" if params.rows_ordered else ""
    listed = "; ".join(f"[{i}] {_describe_row(specs[i])}" for i in lost[:3])
    return Check("expected_rows", False, f"no row{how} matches {listed}" + (f" (+{len(lost) - 3} more)" if len(lost) > 3 else ""))


def in_order(table: list[list[bool]]) -> dict[int, int]:
    """The largest pairing of expected rows to table rows that keeps both in order (an LCS)."""
    rows, cols = len(table), len(table[0]) if table else 0
    best = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + 1 if table[i][j] else 0)
    pairs: dict[int, int] = {}
    i = j = 0
    while i < rows and j < cols:
        if table[i][j] and best[i][j] == best[i + 1][j + 1] + 1:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i + 1][j] > best[i][j + 1]:  # on a tie keep the earlier expected row
            i += 1
        else:
            j += 1
    return pairs


def _describe_row(spec: dict[str, Any]) -> str:
    return ", ".join(f"{column}={describe(matcher)}" for column, matcher in spec.items())


def _order_check(params: TableParams, rows: list[list[str]], index: dict[str, int]) -> Check:
    order = params.order_by
    assert order is not None
    column = order.column
    position = index.get(_fold(column, params))
    if position is None:
        return Check("order", False, f"the table has no column {column!r}")
    keys: list[Any] = []
    for number, row in enumerate(rows):
        text = _cell(row, position)
        if text is None:
            return Check("order", False, f"row {number} has no {column!r} cell")
        if order.numeric:
            value = parse_number(text)
            if value is None:
                return Check("order", False, f"row {number}: {shown(text)} is not a number")
            keys.append(value)
        else:
            keys.append(_fold(text, params))
    descending = order.descending
    for number in range(1, len(keys)):
        before, after = keys[number - 1], keys[number]
        if (after > before) if descending else (after < before):
            direction = "descending" if descending else "ascending"
            return Check("order", False, f"row {number} ({shown(after)}) after row {number - 1} ({shown(before)}): expected {direction} by {column}")
    return Check("order", True)
