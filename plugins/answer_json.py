"""The JSON value of an answer, for verifiers that read fields out of it (``extraction``,
``rubric``'s ``json_path``).

The payload is found by ``benchlab.plugins.answer_extract`` (a whole-answer fence, or,
when not strict, one fenced block inside prose, or a JSON object located in the prose);
this module adds the locator and the parse. The locator scans the prose for top-level
JSON objects (each ``{`` where a complete object decodes, skipping what it consumed).
One object, or the same object repeated, is the payload; two different objects are
ambiguous and fail, so an answer cannot hedge between two candidates.

Parsing is standard JSON (``json.loads``) with ``NaN`` and ``Infinity`` refused; a
document nested too deeply to parse is refused too.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from benchlab.model import Check
from benchlab.plugins.answer_extract import extract

LANGS = ("json", "jsonc", "json5")
# Each "{" costs one decode attempt; a pathological answer full of braces is cut off here.
MAX_ATTEMPTS = 200


@attrs.frozen
class ParsedJson:
    """The parsed value (None when ``ok`` is false), the checks that got there, and why not."""

    ok: bool
    value: Any
    checks: list[Check]
    source: str = ""
    wrong_shape: bool = False  # valid JSON, but not the object asked for


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """``json.loads`` refusing NaN/Infinity; raises ValueError (or RecursionError)."""
    return json.loads(text, parse_constant=_refuse_constant)


def json_objects(text: str) -> list[tuple[int, int, Any]]:
    """Top-level JSON objects written in ``text``: (start, end, value), in order."""
    decoder = json.JSONDecoder(parse_constant=_refuse_constant)
    found: list[tuple[int, int, Any]] = []
    position, attempts = 0, 0
    while attempts < MAX_ATTEMPTS:
        start = text.find("{", position)
        if start < 0:
            break
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        found.append((start, end, value))
        position = end
    return found


def locate_object(text: str) -> tuple[int, int] | None:
    """The span of the one JSON object in the prose (the first, if it is repeated)."""
    found = json_objects(text)
    if not found:
        return None
    return found[0][0], found[0][1]


def answer_json(text: str, *, strict: bool = False, want_object: bool = True) -> ParsedJson:
    """Extract and parse the JSON of an answer text (reasoning already removed).

    Checks: ``extract`` (from answer_extract) and ``json`` (it parses, is unambiguous
    and, with ``want_object``, is an object).
    """
    extracted = extract(text, what="JSON", langs=LANGS, strict=strict, locate=locate_object)
    checks = [extracted.check]
    if extracted.payload is None:
        return ParsedJson(False, None, checks + [Check("json", False, "no JSON to parse")])
    if extracted.source == "located":
        distinct = {json.dumps(v, sort_keys=True) for _, _, v in json_objects(text)}
        if len(distinct) > 1:
            checks.append(Check("json", False, f"{len(distinct)} different JSON objects in the answer; expected one"))
            return ParsedJson(False, None, checks, extracted.source)
    try:
        value = loads(extracted.payload)
    except ValueError as exc:
        reason = getattr(exc, "msg", None) or str(exc)
        where = f" (line {exc.lineno} column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        checks.append(Check("json", False, f"not valid JSON: {reason}{where}"))
        return ParsedJson(False, None, checks, extracted.source)
    except RecursionError:
        checks.append(Check("json", False, "not valid JSON: nested too deeply"))
        return ParsedJson(False, None, checks, extracted.source)
    if want_object and not isinstance(value, dict):
        kind = "array" if isinstance(value, list) else type(value).__name__ if value is not None else "null"
        checks.append(Check("json", False, f"expected a JSON object, got {'an' if kind[0] in 'aeiou' else 'a'} {kind}"))
        return ParsedJson(False, value, checks, extracted.source, wrong_shape=True)
    checks.append(Check("json", True, "an object" if isinstance(value, dict) else "parsed"))
    return ParsedJson(True, value, checks, extracted.source)
