"""Verifier ``json``: the answer is JSON, of the right shape, with the right values.

Params (all optional)::

    {"kind": "json",
     "strict": true, "fence": true,
     "root": "object",
     "schema": {...JSON Schema...},
     "exact": {...expected value...},
     "paths": {"/user/name": "Ada", "items.0.price": {"number": 9.5, "tolerance": 0.01},
               "/debug": {"absent": true}}}

Extraction (``benchlab.plugins.verifiers.structured.answer_extract``): the answer, reasoning removed, must be
the JSON itself or one fenced block (```` ```json ```` or untagged) and nothing else.
``fence: false`` requires it bare (as ``response_format`` promises). ``strict: false``
accepts prose around it: then a single fenced block is taken, or else the first JSON
object or array written in the text.

Parsing is RFC 8259 JSON: ``NaN``/``Infinity``, trailing commas, comments and single
quotes are invalid; so is an object with the same key twice (a consumer would silently
keep one of them).

``schema`` is a JSON Schema (its ``$schema`` picks the draft, 2020-12 by default) checked
with the ``jsonschema`` library, including the ``format`` values it can check
(``date``, ``email``, ``ipv4``, ``uuid``...). Without ``schema``, a scenario whose
``response_format`` is ``json_schema`` is checked against that schema. ``exact`` and
``paths`` compare values as ``benchlab.plugins.verifiers.structured.structured_checks`` documents (key order
irrelevant, ``3 == 3.0``, strings trimmed). ``root`` (object | array | any, default
any) checks the top-level type.

Checks: ``extract``, ``parse``, ``root_type``, ``schema``, ``exact``, ``path:KEY`` (one per
path). Failure modes: ``invalid_json`` (extract or parse), ``schema_violation``
(schema, root_type), ``missing_field`` (only absent paths), ``wrong_answer``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from benchlab.model import ChatResponse, Check, Verdict
from benchlab.plugins.verifiers.structured.answer_extract import answer, extract
from benchlab.plugins.verifiers.structured.structured_checks import ValueParams, value_checks, verdict
from benchlab.verifiers import Verifier, VerifyContext

STRUCTURE = frozenset({"root_type", "schema"})
_OPENER = re.compile(r"[\[{]")


class _Rejected(ValueError):
    """Valid to Python's json module but not to RFC 8259 (or ambiguous): refused."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Rejected(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _constant(name: str) -> Any:
    raise _Rejected(f"{name} is not JSON")


def parse_json(payload: str) -> tuple[Any, Check]:
    """The parsed value (None on failure) and the ``parse`` check."""
    try:
        value = json.loads(payload, object_pairs_hook=_pairs, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        return None, Check("parse", False, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    except _Rejected as exc:
        return None, Check("parse", False, f"not valid JSON: {exc}")
    except RecursionError:
        return None, Check("parse", False, "not usable JSON: nested too deeply")
    except ValueError as exc:  # e.g. an integer longer than Python converts
        return None, Check("parse", False, f"not usable JSON: {exc}")
    return value, Check("parse", True)


def locate_json(text: str) -> tuple[int, int] | None:
    """The whole text when it parses; else the span of the first JSON object or array
    written in it. Bracket groups are tried in order and skipped whole when they are
    not JSON (so an array inside a broken object is never taken for the answer); the
    search stops at a bracket that never closes. Linear in the length of the text."""
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        pass
    else:
        return 0, len(text)
    decoder = json.JSONDecoder()
    index = 0
    while True:
        opener = _OPENER.search(text, index)
        if opener is None:
            return None
        start = opener.start()
        close = _closing(text, start)
        try:
            _, end = decoder.raw_decode(text[start:close + 1] if close is not None else text[start:])
        except (ValueError, RecursionError):
            if close is None:
                return None
            index = close + 1
        else:
            return start, start + end


def _closing(text: str, start: int) -> int | None:
    """The index of the bracket closing the one at ``start``, skipping JSON strings."""
    depth = 0
    in_string = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index
    return None


class JsonVerifier(Verifier):
    """Judge a JSON answer: extraction, parsing, schema, exact value, per-path matchers."""

    params = ValueParams

    def verify(self, params: ValueParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        got = extract(
            answer(response), what="JSON", langs=("json",),
            strict=params.strict, fence=params.fence, locate=locate_json,
        )
        checks = [got.check]
        if got.payload is None:
            return verdict(checks, structure=STRUCTURE)
        value, parsed = parse_json(got.payload)
        checks.append(parsed)
        if not parsed.ok:
            return verdict(checks, structure=STRUCTURE)
        more, missing = value_checks(params, value, ctx)
        return verdict(checks + more, structure=STRUCTURE, missing=missing)
