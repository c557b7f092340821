"""Verifier ``csv``: the answer is CSV with the asked-for columns, rows and cells.

Params::

    {"kind": "csv", "columns": ["sku", "qty", "price"],
     "header": true, "delimiter": ",", "strict": true, "fence": true,
     ...the table params of benchlab.plugins.verifiers.structured.table_checks (rows, cells, order_by...)}

Extraction (``benchlab.plugins.verifiers.structured.answer_extract``): the answer, or one fenced block tagged
``csv``, ``text``, ``txt``, ``plaintext`` or untagged. With ``strict: false``, prose
around it is allowed: a single fenced block is taken, or else the lines from the first
one that holds every expected column name to the last one that reads as a row (with one
column: to the next blank line).

Parsing: Python's ``csv`` module with the given ``delimiter`` (one character, default
``,``), ``"`` quoting with doubled ``""`` inside quotes (so ``"Smith, Jr."`` is one cell
and quoting every field or only those that need it are equivalent), spaces after a
delimiter skipped, blank lines ignored, and an unterminated quote an error. Cells are
compared trimmed. ``header: false`` means the data has no header row; ``columns`` then
names the columns by position.

Checks: ``extract``, ``parse``, ``delimiter`` (fails when the header row is one cell that
another common delimiter, ``;`` tab ``|`` or ``,``, would split into the expected
columns), ``column_count`` (every row has as many cells as the header), then the table
checks (``header``, ``row_count``, ``cell[...]``, ``expected_rows``, ``order``).
Failure modes: ``invalid_json`` (extract or parse: the payload is not readable CSV),
``schema_violation`` (delimiter, column_count, header), ``missing_field`` (only
missing columns or rows), ``wrong_answer``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, Verdict
from benchlab.plugins.verifiers.structured.answer_extract import answer, extract
from benchlab.plugins.verifiers.structured.structured_checks import verdict
from benchlab.plugins.verifiers.structured.table_checks import Table, TableParams, table_checks
from benchlab.verifier_params import ParamError
from benchlab.verifiers import Verifier, VerifyContext

STRUCTURE = frozenset({"delimiter", "column_count", "header"})
_OTHER_DELIMITERS = (";", "\t", "|", ",")


def read_rows(payload: str, delimiter: str) -> list[list[str]]:
    """Non-blank rows, cells trimmed; csv.Error when the text is not readable CSV."""
    reader = csv.reader(io.StringIO(payload, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, skipinitialspace=True, strict=True)
    return [[cell.strip() for cell in row] for row in reader if row and any(cell.strip() for cell in row)]


def _split_line(line: str, delimiter: str) -> list[str]:
    try:
        rows = read_rows(line, delimiter)
    except csv.Error:
        return []
    return rows[0] if rows else []


def _one_delimiter(_: Any, attribute: attrs.Attribute, value: str) -> None:
    if len(value) != 1 or value in "\"\r\n" or value.isalnum():
        raise ParamError(attribute.name, "one character, not a letter, digit, quote or newline")


@attrs.frozen
class CsvParams(TableParams):
    header: bool = True
    delimiter: str = attrs.field(default=",", validator=_one_delimiter)


def _locator(params: CsvParams) -> Any:
    if not params.header:
        return None
    fold = (lambda s: s.casefold()) if params.ignore_case else (lambda s: s)
    wanted = {fold(" ".join(c.split())) for c in params.columns}
    delimiter = params.delimiter

    def locate(text: str) -> tuple[int, int] | None:
        lines = io.StringIO(text, newline="").readlines()  # the csv module's own line ends
        offset = 0
        for number, line in enumerate(lines):
            cells = {fold(" ".join(c.split())) for c in _split_line(line, delimiter)}
            if wanted <= cells:
                return offset, offset + len("".join(_rows_from(lines[number:], delimiter, len(params.columns))))
            offset += len(line)
        return None

    return locate


def _rows_from(lines: list[str], delimiter: str, width: int) -> list[str]:
    """The header line and the lines after it that read as records (quoted fields may
    span lines; blank lines inside are kept). With several columns the records end
    before the first one the delimiter does not split (prose); with one column, at the
    first blank line. Text that is not CSV is all kept, for the parser to report."""
    reader = csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delimiter, quotechar='"', skipinitialspace=True, strict=True)
    kept = 0
    try:
        for record in reader:
            if not record or not any(cell.strip() for cell in record):
                if width < 2:
                    break
                continue
            if kept and width >= 2 and len(record) < 2:
                break
            kept = reader.line_num
    except csv.Error:
        return lines
    return lines[:kept]


class CsvVerifier(Verifier):
    """Judge a CSV answer: extraction, parsing, delimiter, row widths, header, rows, cells."""

    params = CsvParams

    def verify(self, params: CsvParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        got = extract(
            answer(response), what="CSV", langs=("csv", "text", "txt", "plaintext"),
            strict=params.strict, fence=params.fence, locate=_locator(params),
        )
        checks = [got.check]
        if got.payload is None:
            return verdict(checks, structure=STRUCTURE)
        delimiter = params.delimiter
        try:
            rows = read_rows(got.payload, delimiter)
        except csv.Error as exc:
            checks.append(Check("parse", False, f"not readable CSV: {exc}"))
            return verdict(checks, structure=STRUCTURE)
        if not rows:
            checks.append(Check("parse", False, "no CSV rows"))
            return verdict(checks, structure=STRUCTURE)
        checks.append(Check("parse", True, f"{len(rows)} row(s)"))
        has_header = params.header
        width = len(rows[0]) if has_header else len(params.columns)
        checks.append(_delimiter_check(got.payload, rows[0], params, delimiter))
        checks.append(_width_check(rows, width, has_header))
        table = Table(rows[0], rows[1:]) if has_header else Table(None, rows)
        more, missing = table_checks(params, table)
        return verdict(checks + more, structure=STRUCTURE, missing=missing)


def _delimiter_check(payload: str, first: list[str], params: CsvParams, delimiter: str) -> Check:
    expected = len(params.columns)
    if len(first) != 1 or expected < 2:
        return Check("delimiter", True)
    line = next((l for l in payload.splitlines() if l.strip()), "")
    for other in _OTHER_DELIMITERS:
        if other != delimiter and len(_split_line(line, other)) >= expected:
            return Check("delimiter", False, f"the rows look {other!r}-separated; expected {delimiter!r}")
    return Check("delimiter", True)


def _width_check(rows: list[list[str]], width: int, has_header: bool) -> Check:
    first_data = 1 if has_header else 0
    bad = [(number, len(row)) for number, row in enumerate(rows[first_data:]) if len(row) != width]
    if not bad:
        return Check("column_count", True)
    listed = ", ".join(f"row {n} has {count}" for n, count in bad[:3]) + (f" (+{len(bad) - 3} more)" if len(bad) > 3 else "")
    return Check("column_count", False, f"expected {width} cells per row: {listed}")
