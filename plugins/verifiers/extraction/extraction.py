"""Verifier ``extraction``: a JSON object of extracted fields, scored field by field.

Params::

    {"kind": "extraction",
     "expected": {"invoice": {"number": "INV-2024-0042", "total": 1284.5,
                              "issued": "2024-03-07", "po": null},
                  "tags": ["urgent", "paper"]},
     "fields": {"invoice.number": {"strings": "id"},
                "invoice.issued": {"type": "date", "formats": ["iso", "%d/%m/%Y"]},
                "invoice.total": {"tolerance": 0.005}},
     "tolerance": 0, "strings": "text", "ordered": false, "threshold": 1.0,
     "absent_as_null": true, "null_strings": [], "extra_fields": "allow", "strict": false}

The answer: its JSON object is found and parsed as ``benchlab.plugins.verifiers.structured.answer_json``
says (the ``json`` verifier's extraction and RFC 8259 parsing: a fenced block, or the
JSON inside prose; ``strict: true`` requires the answer to be only the JSON, fenced or
not; two different objects in the prose are ambiguous). Checks ``extract``, ``parse``
and ``root_type``; when one fails the score is 0 and the failure mode ``invalid_json``
(``schema_violation`` when the JSON is valid but not an object).

Fields: ``expected`` is flattened to atomic paths: ``invoice.total``, ``items[0].sku``
(keys must not contain ``.``, ``[`` or ``]``). Each atomic field is one check named
``fields.PATH``; an empty list or object in ``expected`` is one atomic field, met only
by an empty list / object. Keys are matched exactly (case-sensitive).

``score`` = correct field checks / all field checks (``extract``, ``parse`` and
``root_type`` are not counted). The scenario passes when ``score >= threshold`` (default 1.0:
every field right). Failure mode: ``missing_field`` when every wrong field is missing
from the answer, else ``wrong_answer``.

How a field is compared, by the expected value's type (or the ``type`` given for it):

``number``
    The answer's value is a JSON number or a string holding exactly one number:
    ``1284.5``, ``"1,284.50"``, ``"$1,284.50"``, ``"1284.50 EUR"`` (a currency symbol or a
    3-letter code), ``"12.5%"`` (only on a field whose ``percent`` option declares a
    percentage: ``"points"``, passes for 12.5; ``"fraction"``, passes for 0.125; on any
    other field a number written with ``%`` is wrong), and, when the field lists
    ``units``, a string ending in one of them (``"2.35 kg"`` with ``"units": ["kg"]``;
    any other trailing word makes it not a number). When the field declares
    ``currency`` (an ISO 4217 code, ``"DKK"``), a string naming another currency is wrong:
    ``"3450000 USD"`` or ``"$3450000"`` for DKK fails; ``3450000``, ``"3450000"`` and
    ``"DKK 3450000"`` pass (``$`` counts for USD, CAD, AUD, NZD, SGD, HKD, MXN, TWD; ``€``
    for EUR; ``£`` for GBP; ``¥`` for JPY, CNY; ``₹`` for INR). ``tolerance`` is a number
    (absolute) or ``{"abs": A, "rel": R}``; default 0, up to float rounding.
``string``
    Compared after normalisation, by ``strings``:
    ``text`` (default): Unicode NFKD, accents (combining marks) dropped, case-folded, every
    punctuation character (Unicode category P*: ``. , ; : ' " - – ( ) # & /`` ...) replaced by
    a space, whitespace runs collapsed and trimmed: "ACME Corp." = "acme corp",
    "Zoë O’Neil" = "Zoe O'Neil", "3.5" ≠ "35". Symbols (``$ + © °``) are kept.
    ``id``: as ``text``, then all whitespace and punctuation removed: "INV-2024-0042" =
    "inv 2024 0042" = "INV20240042" (for codes, references, phone numbers).
    ``casefold``: NFKC, trimmed and case-folded, punctuation kept (e-mail addresses, URLs).
    ``exact``: NFC, trimmed, nothing else (case-sensitive).
    A JSON number in the answer is compared as its JSON text ("10115" = 10115) except
    with ``exact``. ``accept`` lists other values that are also right for this field.
``date`` / ``datetime`` (only when given as ``type``)
    ``expected`` is ISO 8601 (``2024-03-07``; ``2024-03-07T14:05[:SS][Z|+01:00]``). The
    answer's string is read with ``formats``: ``"iso"`` (exactly ``YYYY-MM-DD``, or for a
    datetime ``YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]]`` with an optional ``Z``/offset) and
    ``strptime`` patterns such as ``"%d/%m/%Y"`` or ``"%B %d, %Y"`` (English month names).
    Default ``["iso"]``. Datetimes: when the expected value has an offset the answer must
    give one and denote the same instant; when it has none the answer's offset is ignored.
``boolean``
    A JSON boolean, or the string ``"true"``/``"false"`` (any case). Not "yes"/"no".
``null``
    ``expected: null`` means "not in the document": met by ``null``, by the key being
    absent (unless ``absent_as_null: false``) and by a string listed in ``null_strings``
    (compared as ``text``, e.g. ``["n/a", "none"]``; default none). A null answer for a
    non-null expected value is wrong; a missing key is wrong and counted as missing.
Lists
    Order-insensitive unless ``ordered`` (globally, or for that list in ``fields``): each
    expected item is paired with a different answer item, fully matching pairs first
    (a maximum matching), then the closest remaining item; the paired item's fields are
    checked under the expected index. Answer items left over fail one extra check,
    ``fields.PATH.extra_items``. With ``ordered`` items pair by position.
Objects
    Keys not in ``expected`` are allowed; with ``extra_fields: "forbid"`` they fail one
    extra check, ``extra_fields``, which counts in the score.

``fields`` maps a path pattern (list indices written ``[]``: ``items[].sku``) to options
for the fields under it: ``type`` (auto, number, string, date, datetime, boolean),
``tolerance``, ``units``, ``percent`` and ``currency`` (on a number), ``strings``, ``formats``, ``ordered`` (on a list),
``accept``. The
top-level ``tolerance``, ``strings``, ``ordered`` and ``date_formats`` (the default
``formats``) apply wherever ``fields`` says nothing else.
"""

from __future__ import annotations

import math
import re
from typing import Any

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.plugins.verifiers.structured.answer_extract import answer
from benchlab.plugins.verifiers.structured.answer_json import answer_json
from benchlab.plugins.verifiers.extraction.extraction_fields import (
    ISO, STRING_MODES, TYPES, Options, Settings, compare, normalise_text, parse_date, pattern_of, walk,
)
from benchlab.plugins.verifiers.extraction.numeric_answer import PERCENT_MODES, validate_tolerance
from benchlab.plugins.verifiers.structured.value_matchers import json_type
from benchlab.verifiers import ParamError, Verifier, VerifyContext

_FIELD_KEYS = ("type", "tolerance", "strings", "formats", "ordered", "accept", "units", "percent", "currency")
_EXTRA_FIELDS = ("allow", "forbid")


class ExtractionVerifier(Verifier):
    """Score a JSON answer against ``expected`` one atomic field at a time."""

    required = {"expected": dict}
    optional = {
        "fields": dict, "tolerance": (int, float, dict), "strings": str, "ordered": bool, "date_formats": list,
        "threshold": (int, float), "absent_as_null": bool, "null_strings": list, "extra_fields": str, "strict": bool,
    }

    def validate(self, params: dict[str, Any]) -> None:
        super().validate(params)
        expected = params["expected"]
        if not expected:
            raise ParamError("expected", "at least one field")
        patterns: dict[str, list[Any]] = {}
        _check_keys(expected, "expected")
        for path, value in walk(expected):
            if isinstance(value, float) and not math.isfinite(value):
                raise ParamError(f"expected.{path}", "a finite number")
            patterns.setdefault(pattern_of(path), []).append(value)
        if "tolerance" in params:
            validate_tolerance(params["tolerance"], "tolerance")
        if params.get("strings", "text") not in STRING_MODES:
            raise ParamError("strings", f"one of {', '.join(STRING_MODES)}")
        if "date_formats" in params:
            _check_formats(params["date_formats"], "date_formats")
        threshold = params.get("threshold", 1.0)
        if not 0 < threshold <= 1:
            raise ParamError("threshold", "a fraction in (0, 1]")
        if params.get("extra_fields", "allow") not in _EXTRA_FIELDS:
            raise ParamError("extra_fields", "one of allow, forbid")
        nulls = params.get("null_strings", [])
        if not all(isinstance(s, str) and normalise_text(s, "text") for s in nulls):
            raise ParamError("null_strings", "a list of strings holding a letter or digit")
        for pattern, options in params.get("fields", {}).items():
            _check_field(pattern, options, patterns)

    def verify(self, params: dict[str, Any], response: ChatResponse, ctx: VerifyContext) -> Verdict:
        parsed = answer_json(answer(response), strict=params.get("strict", False))
        if not parsed.ok:
            mode = FailureMode.SCHEMA_VIOLATION if parsed.wrong_shape else FailureMode.INVALID_JSON
            failed = next(c for c in parsed.checks if not c.ok)
            return Verdict(False, 0.0, mode, f"{failed.name}: {failed.detail}", parsed.checks)
        settings = _settings(params)
        extras: list[str] = []
        results = compare(params["expected"], parsed.value, "", settings, extras)
        scored = [r.check for r in results]
        if settings.extra_fields == "forbid":
            scored.append(Check("extra_fields", not extras, f"unexpected: {', '.join(extras)}" if extras else "none"))
        correct = sum(c.ok for c in scored)
        score = correct / len(scored)
        passed = score >= params.get("threshold", 1.0) - 1e-9
        wrong = [c for c in scored if not c.ok]
        missing = {r.check.name for r in results if r.missing}
        mode = FailureMode.MISSING_FIELD if wrong and all(c.name in missing for c in wrong) else FailureMode.WRONG_ANSWER
        detail = f"{correct}/{len(scored)} fields right"
        if wrong:
            detail += ": " + "; ".join(f"{c.name}: {c.detail}" for c in wrong[:8]) + (" ..." if len(wrong) > 8 else "")
        return Verdict(passed, score, None if passed else mode, detail, parsed.checks + scored)


def _check_keys(value: Any, where: str) -> None:
    """Keys at any depth, including inside lists, must be addressable by a path."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if not key or any(ch in key for ch in ".[]"):
                raise ParamError(f"{where}.{key}", "keys must be non-empty and hold no '.', '[' or ']'")
            _check_keys(sub, f"{where}.{key}")
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            _check_keys(sub, f"{where}[{index}]")


def _check_formats(formats: Any, where: str) -> None:
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and f.strip() for f in formats):
        raise ParamError(where, "a non-empty list of \"iso\" or strptime patterns")
    for fmt in formats:
        if fmt != ISO and "%" not in fmt:
            raise ParamError(where, f"{fmt!r} is neither \"iso\" nor a strptime pattern")


def _check_field(pattern: str, options: Any, patterns: dict[str, list[Any]]) -> None:
    where = f"fields.{pattern}"
    if pattern not in patterns:
        known = ", ".join(sorted(patterns)[:12])
        raise ParamError(where, f"no such field in expected (paths: {known}{' ...' if len(patterns) > 12 else ''})")
    if not isinstance(options, dict) or not options:
        raise ParamError(where, f"an object of options ({', '.join(_FIELD_KEYS)})")
    for key in options:
        if key not in _FIELD_KEYS:
            raise ParamError(f"{where}.{key}", f"unknown option (known: {', '.join(_FIELD_KEYS)})")
    values = [v for v in patterns[pattern] if v is not None]
    kinds = {json_type(v) for v in values}
    kind = options.get("type", "auto")
    if kind not in TYPES:
        raise ParamError(f"{where}.type", f"one of {', '.join(TYPES)}")
    if kind in ("date", "datetime"):
        for value in values:
            if not isinstance(value, str) or parse_date(value, (ISO,), kind == "datetime") is None:
                raise ParamError(f"{where}.type", f"expected value {value!r} is not an ISO 8601 {kind}")
    elif kind != "auto" and kinds - {kind}:
        raise ParamError(f"{where}.type", f"the expected value is a {'/'.join(sorted(kinds))}, not a {kind}")
    if "formats" in options:
        if kind not in ("date", "datetime"):
            raise ParamError(f"{where}.formats", "only with type date or datetime")
        _check_formats(options["formats"], f"{where}.formats")
    if "tolerance" in options:
        if kinds != {"number"}:
            raise ParamError(f"{where}.tolerance", "only on a number field")
        validate_tolerance(options["tolerance"], f"{where}.tolerance")
    if "units" in options:
        units = options["units"]
        if kinds != {"number"}:
            raise ParamError(f"{where}.units", "only on a number field")
        if not isinstance(units, list) or not units or not all(isinstance(u, str) and u.strip() for u in units):
            raise ParamError(f"{where}.units", "a non-empty list of unit strings")
    if "percent" in options:
        if kinds != {"number"}:
            raise ParamError(f"{where}.percent", "only on a number field")
        if options["percent"] not in PERCENT_MODES:
            raise ParamError(f"{where}.percent", f"one of {', '.join(PERCENT_MODES)}")
    if "currency" in options:
        if kinds != {"number"}:
            raise ParamError(f"{where}.currency", "only on a number field")
        if not isinstance(options["currency"], str) or not re.fullmatch(r"[A-Za-z]{3}", options["currency"]):
            raise ParamError(f"{where}.currency", "a 3-letter ISO 4217 code such as \"EUR\"")
    if "strings" in options:
        if options["strings"] not in STRING_MODES:
            raise ParamError(f"{where}.strings", f"one of {', '.join(STRING_MODES)}")
        if kinds != {"string"} or kind != "auto" and kind != "string":
            raise ParamError(f"{where}.strings", "only on a string field")
    if "ordered" in options and (not isinstance(options["ordered"], bool) or kinds != {"array"}):
        raise ParamError(f"{where}.ordered", "a boolean, on a list field")
    if "accept" in options:
        accept = options["accept"]
        if not isinstance(accept, list) or not accept or any(isinstance(a, (dict, list)) or a is None for a in accept):
            raise ParamError(f"{where}.accept", "a non-empty list of alternative values (strings, numbers, booleans)")


def _settings(params: dict[str, Any]) -> Settings:
    defaults = Options(
        tolerance=params.get("tolerance", 0),
        strings=params.get("strings", "text"),
        formats=tuple(params.get("date_formats", [ISO])),
        ordered=params.get("ordered", False),
    )
    return Settings(
        defaults=defaults,
        fields=params.get("fields", {}),
        absent_as_null=params.get("absent_as_null", True),
        null_strings=frozenset(normalise_text(s, "text") for s in params.get("null_strings", [])),
        extra_fields=params.get("extra_fields", "allow"),
    )
