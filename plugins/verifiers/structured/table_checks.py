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
from typing import Any

import attrs

from benchlab.model import Check
from benchlab.plugins.verifiers.structured.matcher_validation import validate_matcher
from benchlab.plugins.verifiers.structured.value_matchers import describe, match, max_matching, shown
from benchlab.verifiers import ParamError

TABLE_PARAMS: dict[str, Any] = {
    "ordered_columns": bool,
    "extra_columns": bool,
    "ignore_case": bool,
    "rows": (int, dict),
    "cells": list,
    "expected_rows": list,
    "rows_ordered": bool,
    "order_by": dict,
}
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_GROUPED = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NUMERIC_TYPES = ("number", "integer")


@attrs.frozen
class Table:
    """A parsed table: header cells (None when the data has no header row) and rows."""

    header: list[str] | None
    rows: list[list[str]]


# --- validation ---------------------------------------------------------------------------


def validate_table_params(params: dict[str, Any]) -> None:
    columns = params["columns"]
    if not columns or not all(isinstance(c, str) and c.strip() for c in columns):
        raise ParamError("columns", "a non-empty list of column names")
    if len({_fold(c, params) for c in columns}) != len(columns):
        raise ParamError("columns", "a column is listed twice")
    rows = params.get("rows")
    if isinstance(rows, int) and rows < 0:
        raise ParamError("rows", "must not be negative")
    if isinstance(rows, dict):
        if not rows or set(rows) - {"min", "max"} or not all(type(v) is int and v >= 0 for v in rows.values()):
            raise ParamError("rows", "a count, or {\"min\": N, \"max\": M} with counts >= 0")
        if rows.get("min", 0) > rows.get("max", rows.get("min", 0)):
            raise ParamError("rows", "min is larger than max")
    for index, cell in enumerate(params.get("cells", [])):
        _validate_cell(cell, f"cells[{index}]", params)
    for index, row in enumerate(params.get("expected_rows", [])):
        where = f"expected_rows[{index}]"
        if not isinstance(row, dict) or not row:
            raise ParamError(where, "an object of column -> matcher")
        for column, matcher in row.items():
            _known_column(column, f"{where}.{column}", params)
            validate_matcher(matcher, f"{where}.{column}")
    if "order_by" in params:
        order = params["order_by"]
        unknown = sorted(set(order) - {"column", "descending", "numeric"})
        if unknown:
            raise ParamError(f"order_by.{unknown[0]}", "unknown key (known: column, descending, numeric)")
        if not isinstance(order.get("column"), str):
            raise ParamError("order_by.column", "the column name, a string")
        _known_column(order["column"], "order_by.column", params)
        for flag in ("descending", "numeric"):
            if flag in order and not isinstance(order[flag], bool):
                raise ParamError(f"order_by.{flag}", "expected a boolean")


def _validate_cell(cell: Any, where: str, params: dict[str, Any]) -> None:
    if not isinstance(cell, dict):
        raise ParamError(where, "an object with row (or where), column and match")
    unknown = sorted(set(cell) - {"row", "where", "column", "match"})
    if unknown:
        raise ParamError(f"{where}.{unknown[0]}", "unknown key (known: row, where, column, match)")
    if ("row" in cell) == ("where" in cell):
        raise ParamError(where, "give exactly one of row (a number or \"all\") and where")
    row = cell.get("row")
    if "row" in cell and not (row == "all" or (type(row) is int and row >= 0)):
        raise ParamError(f"{where}.row", "a row number from 0, or \"all\"")
    if "where" in cell:
        if not isinstance(cell["where"], dict) or not cell["where"]:
            raise ParamError(f"{where}.where", "an object of column -> value")
        for column, value in cell["where"].items():
            _known_column(column, f"{where}.where.{column}", params)
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ParamError(f"{where}.where.{column}", "a string or a number")
    if not isinstance(cell.get("column"), str):
        raise ParamError(f"{where}.column", "the column name, a string")
    _known_column(cell["column"], f"{where}.column", params)
    if "match" not in cell:
        raise ParamError(f"{where}.match", "required")
    validate_matcher(cell["match"], f"{where}.match")


def _known_column(column: str, where: str, params: dict[str, Any]) -> None:
    if _fold(column, params) not in {_fold(c, params) for c in params["columns"]}:
        raise ParamError(where, f"{column!r} is not one of the columns ({', '.join(params['columns'])})")


# --- evaluation ---------------------------------------------------------------------------


def _fold(text: str, params: dict[str, Any]) -> str:
    text = " ".join(text.split())
    return text.casefold() if params.get("ignore_case") else text


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


def table_checks(params: dict[str, Any], table: Table) -> tuple[list[Check], set[str]]:
    """Every check the params ask for, and the names of those that failed for absence."""
    checks: list[Check] = []
    missing: set[str] = set()
    if table.header is not None:
        checks.append(_header_check(params, table.header))
        names = [_fold(h, params) for h in table.header]
    else:
        names = [_fold(c, params) for c in params["columns"]]
    index = {name: position for position, name in reversed(list(enumerate(names)))}
    if "rows" in params:
        checks.append(_row_count_check(params["rows"], len(table.rows)))
    for cell in params.get("cells", []):
        check, absent = _cell_check(params, cell, table.rows, index)
        checks.append(check)
        if absent:
            missing.add(check.name)
    if params.get("expected_rows"):
        checks.append(_expected_rows_check(params, table.rows, index))
    if "order_by" in params:
        checks.append(_order_check(params, table.rows, index))
    return checks, missing


def _header_check(params: dict[str, Any], header: list[str]) -> Check:
    actual = [_fold(h, params) for h in header]
    expected = [_fold(c, params) for c in params["columns"]]
    problems = []
    repeated = sorted({h for h in actual if actual.count(h) > 1})
    if repeated:
        problems.append("repeated: " + ", ".join(map(repr, repeated)))
    lacking = [c for c in expected if c not in actual]
    if lacking:
        problems.append("missing: " + ", ".join(map(repr, lacking)))
    extra = [h for h in actual if h not in expected]
    if extra and not params.get("extra_columns", False):
        problems.append("unexpected: " + ", ".join(map(repr, extra)))
    if not problems and params.get("ordered_columns", True):
        if [h for h in actual if h in expected] != expected:
            problems.append(f"order: expected {expected}, got {actual}")
    if problems:
        return Check("header", False, "; ".join(problems))
    return Check("header", True)


def _row_count_check(rows: int | dict[str, int], count: int) -> Check:
    if isinstance(rows, int):
        ok, wanted = count == rows, str(rows)
    else:
        low, high = rows.get("min", 0), rows.get("max")
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


def cell_matches(params: dict[str, Any], matcher: Any, text: str) -> tuple[bool, str]:
    """Whether a cell's text satisfies ``matcher`` (numbers read when it wants one)."""
    value: Any = text
    if _wants_number(matcher):
        number = parse_number(text)
        value = number if number is not None else text
    if params.get("ignore_case"):
        matcher = _casefree(matcher)
    result = match(matcher, value)
    return result.ok, result.detail


def _cell(row: list[str], position: int | None) -> str | None:
    if position is None or position >= len(row):
        return None
    return row[position]


def _cell_check(params: dict[str, Any], cell: dict[str, Any], rows: list[list[str]], index: dict[str, int]) -> tuple[Check, bool]:
    column = cell["column"]
    position = index.get(_fold(column, params))
    if "where" in cell:
        label = ",".join(f"{k}={v}" for k, v in cell["where"].items())
    else:
        label = str(cell["row"])
    name = f"cell[{label}].{column}"
    if position is None:
        return Check(name, False, f"the table has no column {column!r}"), True
    if "where" in cell:
        found = [i for i, row in enumerate(rows) if _row_matches(params, cell["where"], row, index)]
        if not found:
            return Check(name, False, f"no row where {label}"), True
        if len(found) > 1:
            return Check(name, False, f"{len(found)} rows where {label} (rows {', '.join(map(str, found))}); expected one"), False
        targets = found
    elif cell["row"] == "all":
        targets = list(range(len(rows)))
        if not targets:
            return Check(name, False, "the table has no data rows"), True
    else:
        if cell["row"] >= len(rows):
            return Check(name, False, f"the table has {len(rows)} data row(s), no row {cell['row']}"), True
        targets = [cell["row"]]
    for target in targets:
        text = _cell(rows[target], position)
        if text is None:
            return Check(name, False, f"row {target} has no {column!r} cell (only {len(rows[target])} cells)"), True
        ok, detail = cell_matches(params, cell["match"], text)
        if not ok:
            return Check(name, False, f"row {target}: {detail}"), False
    return Check(name, True), False


def _row_matches(params: dict[str, Any], spec: dict[str, Any], row: list[str], index: dict[str, int]) -> bool:
    for column, matcher in spec.items():
        text = _cell(row, index.get(_fold(column, params)))
        if text is None or not cell_matches(params, matcher, text)[0]:
            return False
    return True


def _expected_rows_check(params: dict[str, Any], rows: list[list[str]], index: dict[str, int]) -> Check:
    specs = params["expected_rows"]
    table = [[_row_matches(params, spec, row, index) for row in rows] for spec in specs]
    paired = in_order(table) if params.get("rows_ordered", False) else max_matching(table)
    lost = [i for i in range(len(specs)) if i not in paired]
    if not lost:
        return Check("expected_rows", True)
    how = " in order" if params.get("rows_ordered") else ""
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


def _order_check(params: dict[str, Any], rows: list[list[str]], index: dict[str, int]) -> Check:
    order = params["order_by"]
    column = order["column"]
    position = index.get(_fold(column, params))
    if position is None:
        return Check("order", False, f"the table has no column {column!r}")
    keys: list[Any] = []
    for number, row in enumerate(rows):
        text = _cell(row, position)
        if text is None:
            return Check("order", False, f"row {number} has no {column!r} cell")
        if order.get("numeric"):
            value = parse_number(text)
            if value is None:
                return Check("order", False, f"row {number}: {shown(text)} is not a number")
            keys.append(value)
        else:
            keys.append(_fold(text, params))
    descending = order.get("descending", False)
    for number in range(1, len(keys)):
        before, after = keys[number - 1], keys[number]
        if (after > before) if descending else (after < before):
            direction = "descending" if descending else "ascending"
            return Check("order", False, f"row {number} ({shown(after)}) after row {number - 1} ({shown(before)}): expected {direction} by {column}")
    return Check("order", True)
