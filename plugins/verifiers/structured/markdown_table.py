"""Verifier ``markdown_table``: the answer is a markdown (GFM) table of the asked-for shape.

Params::

    {"kind": "markdown_table", "columns": ["Planet", "Moons"],
     "strict": true, "fence": true,
     ...the table params of benchlab.plugins.verifiers.structured.table_checks (rows, cells, order_by...)}

The table is the first run of consecutive lines holding a ``|`` whose second line is a
delimiter row (cells of ``-`` with optional ``:`` for alignment), or, when no such run
exists, the first run of two or more such lines (so a table without its delimiter row
is found, and fails ``separator``). It ends at a blank line or a line without ``|``.
Outer pipes are optional; ``\\|`` is a pipe inside a cell.

Extraction (``benchlab.plugins.verifiers.structured.answer_extract``): the answer must be the table alone, or
one fenced block (``markdown``, ``md`` or untagged) holding it; with ``strict: false``,
text around the table is allowed. A second table is an error either way.

Cells are normalised before comparison: whitespace runs become one space, the cell is
trimmed, and markup wrapping the whole cell is removed (``**Mars**``, ``__Mars__``,
``*Mars*``, ``_Mars_``, `` `Mars` `` all read ``Mars``). ``ignore_case`` compares header
names and cells case-insensitively.

Checks: ``extract``, ``parse`` (a table is there, and only one), ``separator`` (the second
line is a delimiter row with one cell per header cell), ``column_count`` (every row has
as many cells as the header; GFM would pad or cut them silently), then the table checks
(``header``, ``row_count``, ``cell[...]``, ``expected_rows``, ``order``). Failure modes:
``invalid_json`` (extract or parse: no table to read), ``schema_violation`` (separator,
column_count, header), ``missing_field`` (only missing columns or rows), ``wrong_answer``.
"""

from __future__ import annotations

import re

from benchlab.model import ChatResponse, Check, Verdict
from benchlab.plugins.verifiers.structured.answer_extract import answer, extract
from benchlab.plugins.verifiers.structured.structured_checks import verdict
from benchlab.plugins.verifiers.structured.table_checks import Table, TableParams, table_checks
from benchlab.verifiers import Verifier, VerifyContext

STRUCTURE = frozenset({"separator", "column_count", "header"})
_PIPE = re.compile(r"(?<!\\)\|")
_DELIMITER_CELL = re.compile(r"\s*:?-+:?\s*")
_WRAPPED = re.compile(r"^(\*\*|__|\*|_|`)(.+)\1$", re.DOTALL)


def split_row(line: str) -> list[str]:
    """The raw cells of a table line (outer pipes dropped, escaped pipes kept as ``|``)."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.replace("\\|", "|") for cell in _PIPE.split(text)]


def normalise_cell(cell: str) -> str:
    text = " ".join(cell.split())
    for _ in range(3):  # ***x*** is bold inside italic
        wrapped = _WRAPPED.match(text)
        if not wrapped or not wrapped.group(2).strip():
            break
        text = wrapped.group(2).strip()
    return text


def is_delimiter_row(line: str) -> bool:
    cells = split_row(line)
    return "-" in line and all(_DELIMITER_CELL.fullmatch(cell) for cell in cells)


def table_blocks(text: str) -> list[tuple[int, int, list[str]]]:
    """Every run of consecutive pipe lines: (start offset, end offset, lines)."""
    blocks: list[tuple[int, int, list[str]]] = []
    offset = 0
    current: list[str] = []
    start = 0
    for line in text.splitlines(keepends=True):
        if line.strip() and _PIPE.search(line):
            if not current:
                start = offset
            current.append(line.rstrip("\r\n"))
        elif current:
            blocks.append((start, offset, current))
            current = []
        offset += len(line)
    if current:
        blocks.append((start, offset, current))
    return blocks


def _is_table(block: list[str]) -> bool:
    return len(block) >= 2 and is_delimiter_row(block[1])


def tables(text: str) -> list[tuple[int, int, list[str]]]:
    """The GFM tables of ``text``; when there are none, the runs that look like one."""
    blocks = table_blocks(text)
    found = [b for b in blocks if _is_table(b[2])]
    return found or [b for b in blocks if len(b[2]) >= 2]


def locate_table(text: str) -> tuple[int, int] | None:
    found = tables(text)
    return (found[0][0], found[0][1]) if found else None


class MarkdownTableVerifier(Verifier):
    """Judge a markdown table: separator row, row widths, header, rows, cells, order."""

    params = TableParams

    def verify(self, params: TableParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        text = answer(response)
        got = extract(
            text, what="table", langs=("markdown", "md"),
            strict=params.strict, fence=params.fence, locate=locate_table,
        )
        checks = [got.check]
        if got.payload is None:
            return verdict(checks, structure=STRUCTURE)
        # A located table was cut out of prose: count the tables of the whole answer.
        found = tables(text if got.source == "located" else got.payload)
        if len(found) != 1:
            detail = "no markdown table (a header line, a |---| line, then rows)" if not found else f"{len(found)} tables; expected one"
            checks.append(Check("parse", False, detail))
            return verdict(checks, structure=STRUCTURE)
        lines = found[0][2]
        header = [normalise_cell(c) for c in split_row(lines[0])]
        checks.append(Check("parse", True))
        separated = is_delimiter_row(lines[1])
        if separated and len(split_row(lines[1])) == len(header):
            checks.append(Check("separator", True))
        elif separated:
            checks.append(Check("separator", False, f"the delimiter row has {len(split_row(lines[1]))} cells, the header {len(header)}"))
        else:
            checks.append(Check("separator", False, f"line 2 is not a delimiter row like |---|---|: {lines[1].strip()[:60]!r}"))
        rows = [[normalise_cell(c) for c in split_row(line)] for line in lines[(2 if separated else 1):]]
        bad = [(number, len(row)) for number, row in enumerate(rows) if len(row) != len(header)]
        if bad:
            listed = ", ".join(f"row {n} has {count}" for n, count in bad[:3]) + (f" (+{len(bad) - 3} more)" if len(bad) > 3 else "")
            checks.append(Check("column_count", False, f"expected {len(header)} cells per row: {listed}"))
        else:
            checks.append(Check("column_count", True))
        more, missing = table_checks(params, Table(header, rows))
        return verdict(checks + more, structure=STRUCTURE, missing=missing)
