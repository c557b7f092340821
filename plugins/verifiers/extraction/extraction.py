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
from typing import Any, Literal

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.plugins.verifiers.structured.answer_extract import answer
from benchlab.plugins.verifiers.structured.answer_json import answer_json
from benchlab.plugins.verifiers.extraction.extraction_fields import (
    ISO, Options, Settings, compare, normalise_text, parse_date, pattern_of, walk,
)
from benchlab.plugins.verifiers.extraction.numeric_answer import AnyTolerance, PercentMode, tolerance_field
from benchlab.plugins.verifiers.structured.value_matchers import json_type
from benchlab.verifier_params import ParamError
from benchlab.param_checks import between, not_blank
from benchlab.verifiers import Verifier, VerifyContext

StringMode = Literal["text", "id", "casefold", "exact"]
FieldType = Literal["auto", "number", "string", "date", "datetime", "boolean"]


def _formats(_: Any, attribute: attrs.Attribute, formats: list[str] | None) -> None:
    if formats is None:
        return
    if not formats or not all(f.strip() for f in formats):
        raise ParamError(attribute.name, "a non-empty list of \"iso\" or strptime patterns")
    for fmt in formats:
        if fmt != ISO and "%" not in fmt:
            raise ParamError(attribute.name, f"{fmt!r} is neither \"iso\" nor a strptime pattern")


def _currency(_: Any, attribute: attrs.Attribute, code: str | None) -> None:
    if code is not None and not re.fullmatch(r"[A-Za-z]{3}", code):
        raise ParamError(attribute.name, "a 3-letter ISO 4217 code such as \"EUR\"")


def _accept(_: Any, attribute: attrs.Attribute, values: list[Any] | None) -> None:
    if values is not None and not values:
        raise ParamError(attribute.name, "a non-empty list of alternative values (strings, numbers, booleans)")


@attrs.frozen
class FieldOptions:
    """Options for the fields under one path pattern; None: the top-level setting holds."""

    type: FieldType | None = None
    tolerance: AnyTolerance | None = attrs.field(default=None, validator=tolerance_field)
    strings: StringMode | None = None
    formats: list[str] | None = attrs.field(default=None, validator=_formats)
    ordered: bool | None = None
    accept: list[str | int | float | bool] | None = attrs.field(default=None, validator=_accept)
    units: list[str] | None = attrs.field(default=None, validator=not_blank)
    percent: PercentMode | None = None
    currency: str | None = attrs.field(default=None, validator=_currency)

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in attrs.fields(FieldOptions) if getattr(self, f.name) is not None}

    def __attrs_post_init__(self) -> None:
        if not self.given():
            raise ParamError("", f"an object of options ({', '.join(f.name for f in attrs.fields(FieldOptions))})")


def _null_strings(_: Any, attribute: attrs.Attribute, values: list[str]) -> None:
    if not all(normalise_text(s, "text") for s in values):
        raise ParamError(attribute.name, "a list of strings holding a letter or digit")


@attrs.frozen
class ExtractionParams:
    expected: dict[str, Any]
    fields: dict[str, FieldOptions] = attrs.field(factory=dict)
    tolerance: AnyTolerance = attrs.field(default=0.0, validator=tolerance_field)
    strings: StringMode = "text"
    ordered: bool = False
    date_formats: list[str] = attrs.field(factory=lambda: [ISO], validator=_formats)
    threshold: float = attrs.field(default=1.0, validator=between(0, 1, "a fraction in (0, 1]", above_low=True))
    absent_as_null: bool = True
    null_strings: list[str] = attrs.field(factory=list, validator=_null_strings)
    extra_fields: Literal["allow", "forbid"] = "allow"
    strict: bool = False

    def __attrs_post_init__(self) -> None:
        # What types cannot say: addressable keys, finite numbers, options that fit the field.
        if not self.expected:
            raise ParamError("expected", "at least one field")
        _check_keys(self.expected, "expected")
        patterns: dict[str, list[Any]] = {}
        for path, value in walk(self.expected):
            if isinstance(value, float) and not math.isfinite(value):
                raise ParamError(f"expected.{path}", "a finite number")
            patterns.setdefault(pattern_of(path), []).append(value)
        for pattern, options in self.fields.items():
            _check_field(pattern, options, patterns)


class ExtractionVerifier(Verifier):
    """Score a JSON answer against ``expected`` one atomic field at a time."""

    params = ExtractionParams

    def verify(self, params: ExtractionParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        parsed = answer_json(answer(response), strict=params.strict)
        if not parsed.ok:
            mode = FailureMode.SCHEMA_VIOLATION if parsed.wrong_shape else FailureMode.INVALID_JSON
            failed = next(c for c in parsed.checks if not c.ok)
            return Verdict(False, 0.0, mode, f"{failed.name}: {failed.detail}", parsed.checks)
        settings = _settings(params)
        extras: list[str] = []
        results = compare(params.expected, parsed.value, "", settings, extras)
        scored = [r.check for r in results]
        if settings.extra_fields == "forbid":
            scored.append(Check("extra_fields", not extras, f"unexpected: {', '.join(extras)}" if extras else "none"))
        correct = sum(c.ok for c in scored)
        score = correct / len(scored)
        passed = score >= params.threshold - 1e-9
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


def _check_field(pattern: str, options: FieldOptions, patterns: dict[str, list[Any]]) -> None:
    where = f"fields.{pattern}"
    if pattern not in patterns:
        known = ", ".join(sorted(patterns)[:12])
        raise ParamError(where, f"no such field in expected (paths: {known}{' ...' if len(patterns) > 12 else ''})")
    values = [v for v in patterns[pattern] if v is not None]
    kinds = {json_type(v) for v in values}
    kind = options.type or "auto"
    if kind in ("date", "datetime"):
        for value in values:
            if not isinstance(value, str) or parse_date(value, (ISO,), kind == "datetime") is None:
                raise ParamError(f"{where}.type", f"expected value {value!r} is not an ISO 8601 {kind}")
    elif kind != "auto" and kinds - {kind}:
        raise ParamError(f"{where}.type", f"the expected value is a {'/'.join(sorted(kinds))}, not a {kind}")
    if options.formats is not None and kind not in ("date", "datetime"):
        raise ParamError(f"{where}.formats", "only with type date or datetime")
    for option in ("tolerance", "units", "percent", "currency"):
        if getattr(options, option) is not None and kinds != {"number"}:
            raise ParamError(f"{where}.{option}", "only on a number field")
    if options.strings is not None and (kinds != {"string"} or kind != "auto" and kind != "string"):
        raise ParamError(f"{where}.strings", "only on a string field")
    if options.ordered is not None and kinds != {"array"}:
        raise ParamError(f"{where}.ordered", "a boolean, on a list field")


def _settings(params: ExtractionParams) -> Settings:
    defaults = Options(
        tolerance=params.tolerance,
        strings=params.strings,
        formats=tuple(params.date_formats),
        ordered=params.ordered,
    )
    return Settings(
        defaults=defaults,
        fields={pattern: options.given() for pattern, options in params.fields.items()},
        absent_as_null=params.absent_as_null,
        null_strings=frozenset(normalise_text(s, "text") for s in params.null_strings),
        extra_fields=params.extra_fields,
    )
