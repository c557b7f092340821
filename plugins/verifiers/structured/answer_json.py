"""The JSON value of an answer, for verifiers that read fields out of it (``extraction``,
``rubric``'s ``json_path``).

Finding and parsing are the ``json`` verifier's: the payload is found by
``benchlab.plugins.verifiers.structured.answer_extract`` with ``json_verifier.locate_json`` (a whole-answer
fence; or, when not strict, one fenced block inside prose, or else the first JSON value
written in the prose) and parsed by ``json_verifier.parse_json`` (RFC 8259: no NaN, no
trailing commas, no key twice).

One addition: when the JSON was located inside prose, the prose must not hold a second,
different top-level JSON object. An answer that offers two candidates ("either {...} or
{...}") is ambiguous and fails ``parse``, so it cannot hedge. The same object repeated is
fine.

Checks: ``extract``, ``parse`` and, when an object is wanted, ``root_type``.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from benchlab.model import Check
from benchlab.plugins.verifiers.structured.answer_extract import extract
from benchlab.plugins.verifiers.structured.json_verifier import locate_json, parse_json
from benchlab.plugins.verifiers.structured.value_matchers import json_type

LANGS = ("json", "jsonc", "json5")
# Each "{" costs one decode attempt; a pathological answer full of braces is cut off here.
MAX_ATTEMPTS = 200


@attrs.frozen
class ParsedJson:
    """The parsed value (None when there is none), the checks that got there, and the outcome."""

    ok: bool
    value: Any
    checks: list[Check]
    wrong_shape: bool = False  # valid JSON, but not the object asked for


def top_level_objects(text: str) -> list[Any]:
    """The JSON objects written in ``text`` outside one another, in order."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    position = 0
    for _ in range(MAX_ATTEMPTS):
        start = text.find("{", position)
        if start < 0:
            break
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        found.append(value)
        position = end
    return found


def _distinct(values: list[Any]) -> int:
    """How many different values; objects too deep to compare count as different."""
    try:
        return len({json.dumps(v, sort_keys=True) for v in values})
    except (RecursionError, ValueError, TypeError):
        return len(values)


def answer_json(text: str, *, strict: bool = False, want_object: bool = True) -> ParsedJson:
    """Extract and parse the JSON of an answer text (reasoning already removed)."""
    extracted = extract(text, what="JSON", langs=LANGS, strict=strict, locate=locate_json)
    checks = [extracted.check]
    if extracted.payload is None:
        return ParsedJson(False, None, checks)
    if extracted.source == "located":
        count = _distinct(top_level_objects(text))
        if count > 1:
            checks.append(Check("parse", False, f"{count} different JSON objects in the answer; expected one"))
            return ParsedJson(False, None, checks)
    value, parsed = parse_json(extracted.payload)
    checks.append(parsed)
    if not parsed.ok:
        return ParsedJson(False, None, checks)
    if want_object:
        if not isinstance(value, dict):
            checks.append(Check("root_type", False, f"expected a JSON object, got {json_type(value)}"))
            return ParsedJson(False, value, checks, wrong_shape=True)
        checks.append(Check("root_type", True, "object"))
    return ParsedJson(True, value, checks)
