"""Field-by-field comparison for the ``extraction`` verifier: flattening the expected object
into atomic paths, normalising strings, reading numbers and dates, pairing list items.

The rules are documented in ``benchlab.plugins.verifiers.extraction.extraction`` (they decide pass or fail).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any, Iterator

import attrs

from benchlab.model import Check
from benchlab.plugins.verifiers.extraction.numeric_answer import (
    NumberToken, describe_tolerance, number_matches, parse_number_token, percent_problem,
)
from benchlab.plugins.verifiers.structured.value_matchers import MISSING, max_matching, shown

STRING_MODES = ("text", "id", "casefold", "exact")
TYPES = ("auto", "number", "string", "date", "datetime", "boolean")
ISO = "iso"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_CURRENCY_CODE = re.compile(r"^\s*(?P<ca>[A-Z]{3})\s+(?P<a>.+)$|^(?P<b>.+?)\s+(?P<cb>[A-Z]{3})\s*$")
# The ISO 4217 codes a currency symbol can stand for (a field's ``currency`` must be one).
_SYMBOL_CODES = {
    "$": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD"},
    "€": {"EUR"},
    "£": {"GBP"},
    "¥": {"JPY", "CNY"},
    "₹": {"INR"},
}
# An actual list longer than this is judged on its first items only (the rest count as extra).
MAX_ITEMS = 100


@attrs.frozen
class FieldCheck:
    """One scored check; ``missing`` marks a field the answer left out."""

    check: Check
    missing: bool = False


@attrs.frozen
class Options:
    """The comparison settings in force for one field (globals overridden by ``fields``)."""

    type: str = "auto"
    tolerance: Any = 0
    strings: str = "text"
    formats: tuple[str, ...] = (ISO,)
    ordered: bool = False
    accept: tuple[Any, ...] = ()
    units: tuple[str, ...] = ()
    percent: str | None = None
    currency: str | None = None


@attrs.frozen
class Settings:
    """Everything the comparison needs besides the two values."""

    defaults: Options
    fields: dict[str, dict[str, Any]]
    absent_as_null: bool = True
    null_strings: frozenset[str] = frozenset()
    extra_fields: str = "allow"


def pattern_of(path: str) -> str:
    """``items[2].sku`` -> ``items[].sku``: the key ``fields`` options are given under."""
    return re.sub(r"\[\d+\]", "[]", path)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) in an expected object, containers included, depth first."""
    if path:
        yield path, value
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from walk(sub, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from walk(sub, f"{path}[{index}]")


def options_for(settings: Settings, path: str) -> Options:
    override = settings.fields.get(pattern_of(path), {})
    if not override:
        return settings.defaults
    changes = {k: (tuple(v) if isinstance(v, list) else v) for k, v in override.items()}
    return attrs.evolve(settings.defaults, **changes)


# --- normalisation -------------------------------------------------------------------------


def normalise_text(value: str, mode: str) -> str:
    """``text``: compatibility-decomposed (NFKD), accents dropped, case-folded, every
    punctuation character made a space, whitespace collapsed. ``id``: the same with
    whitespace and punctuation removed. ``casefold``: NFKC, trimmed, case-folded.
    ``exact``: NFC, trimmed, nothing else."""
    if mode == "exact":
        return unicodedata.normalize("NFC", value).strip()
    if mode == "casefold":
        return unicodedata.normalize("NFKC", value).strip().casefold()
    decomposed = unicodedata.normalize("NFKD", value)
    kept = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category == "Mn":
            continue
        kept.append(" " if category.startswith("P") else ch)
    folded = "".join(kept).casefold()
    if mode == "id":
        return "".join(folded.split())
    return " ".join(folded.split())


def read_number(value: Any, units: tuple[str, ...] = ()) -> NumberToken | None:
    """A JSON number, or a string holding one number ("$1,284.50", "EUR 12", "12.5%"),
    optionally followed by one of ``units`` ("2.35 kg")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return NumberToken(float(value), False, json.dumps(value), 0)
    if not isinstance(value, str) or len(value) > 200:
        return None
    text = value.strip()
    for unit in sorted(units, key=len, reverse=True):
        if text.casefold().endswith(unit.casefold()) and len(text) > len(unit):
            text = text[: len(text) - len(unit)].strip()
            break
    token = parse_number_token(text)
    if token is None:
        coded = _CURRENCY_CODE.match(text)
        if coded:
            token = parse_number_token(coded.group("a") or coded.group("b"))
    return token


def parse_date(value: str, formats: tuple[str, ...], with_time: bool) -> dt.datetime | dt.date | None:
    """``value`` read with the first format that fits it entirely; None when none does."""
    value = value.strip()
    for fmt in formats:
        try:
            if fmt == ISO:
                if with_time and _ISO_DATETIME.fullmatch(value):
                    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                if not with_time and _ISO_DATE.fullmatch(value):
                    return dt.date.fromisoformat(value)
                continue
            parsed = dt.datetime.strptime(value, fmt)
        except (ValueError, OverflowError):
            continue
        return parsed if with_time else parsed.date()
    return None


def same_instant(expected: dt.datetime, got: dt.datetime) -> tuple[bool, str]:
    if expected.tzinfo is not None:
        if got.tzinfo is None:
            return False, "no UTC offset given"
        return expected == got, ""
    return expected == got.replace(tzinfo=None), ""


# --- comparison -----------------------------------------------------------------------------


def compare(expected: Any, actual: Any, path: str, settings: Settings, extras: list[str]) -> list[FieldCheck]:
    """The checks of every atomic field under ``path``; unexpected keys go to ``extras``."""
    if isinstance(expected, dict) and expected:
        return _compare_object(expected, actual, path, settings, extras)
    if isinstance(expected, list) and expected:
        return _compare_list(expected, actual, path, settings, extras)
    return [_compare_leaf(expected, actual, path, settings)]


def leaves(expected: Any, path: str) -> list[str]:
    if isinstance(expected, dict) and expected:
        return [leaf for key, sub in expected.items() for leaf in leaves(sub, _join(path, key))]
    if isinstance(expected, list) and expected:
        return [leaf for index, sub in enumerate(expected) for leaf in leaves(sub, f"{path}[{index}]")]
    return [path]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _all_fail(expected: Any, path: str, detail: str, missing: bool) -> list[FieldCheck]:
    return [FieldCheck(Check(f"fields.{leaf}", False, detail), missing) for leaf in leaves(expected, path)]


def _absent(actual: Any) -> bool:
    return actual is MISSING or actual is None


def _compare_object(expected: dict[str, Any], actual: Any, path: str, settings: Settings, extras: list[str]) -> list[FieldCheck]:
    if _absent(actual):
        return _all_fail(expected, path, "missing" if actual is MISSING else "the object is null", actual is MISSING)
    if not isinstance(actual, dict):
        return _all_fail(expected, path, f"expected an object at {path or 'the top'}, got {shown(actual)}", False)
    checks = []
    for key, sub in expected.items():
        checks += compare(sub, actual.get(key, MISSING), _join(path, key), settings, extras)
    extras += [_join(path, key) for key in actual if key not in expected]
    return checks


def _compare_list(expected: list[Any], actual: Any, path: str, settings: Settings, extras: list[str]) -> list[FieldCheck]:
    if _absent(actual):
        return _all_fail(expected, path, "missing" if actual is MISSING else "the list is null", actual is MISSING)
    if not isinstance(actual, list):
        return _all_fail(expected, path, f"expected a list, got {shown(actual)}", False)
    considered = actual[:MAX_ITEMS]
    if options_for(settings, path).ordered:
        pairs = {i: i for i in range(min(len(expected), len(considered)))}
    else:
        pairs = _pair_items(expected, considered, path, settings)
    checks: list[FieldCheck] = []
    for index, sub in enumerate(expected):
        item_path = f"{path}[{index}]"
        if index in pairs:
            checks += compare(sub, considered[pairs[index]], item_path, settings, extras)
        else:
            checks += _all_fail(sub, item_path, f"no item of the {len(actual)} in the answer is left to match {shown(sub)}", True)
    unpaired = [item for j, item in enumerate(actual) if j not in set(pairs.values())]
    if unpaired:
        checks.append(FieldCheck(Check(f"fields.{path}.extra_items", False, f"{len(unpaired)} unexpected item(s): {shown(unpaired)}")))
    return checks


def _pair_items(expected: list[Any], actual: list[Any], path: str, settings: Settings) -> dict[int, int]:
    """Expected index -> actual index: every fully matching pair first, then the closest rest."""
    scores = [[_score(compare(sub, item, f"{path}[{i}]", settings, [])) for item in actual] for i, sub in enumerate(expected)]
    full = [[ok == total for ok, total in row] for row in scores]
    pairs = max_matching(full)
    used = set(pairs.values())
    leftovers = sorted(
        ((scores[i][j][0], -i, -j, i, j) for i in range(len(expected)) if i not in pairs
         for j in range(len(actual)) if j not in used and scores[i][j][0] > 0),
        reverse=True,
    )
    for _, _, _, i, j in leftovers:
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def _score(checks: list[FieldCheck]) -> tuple[int, int]:
    return sum(c.check.ok for c in checks), len(checks)


def _compare_leaf(expected: Any, actual: Any, path: str, settings: Settings) -> FieldCheck:
    name = f"fields.{path}"
    options = options_for(settings, path)
    if actual is MISSING:
        if expected is None and settings.absent_as_null:
            return FieldCheck(Check(name, True, "absent, as null"))
        return FieldCheck(Check(name, False, f"missing (expected {shown(expected)})"), missing=True)
    if expected is None:
        if actual is None:
            return FieldCheck(Check(name, True, "null"))
        if isinstance(actual, str) and normalise_text(actual, "text") in settings.null_strings:
            return FieldCheck(Check(name, True, f"{shown(actual)}, as null"))
        return FieldCheck(Check(name, False, f"expected null (not in the document), got {shown(actual)}"))
    if actual is None:
        return FieldCheck(Check(name, False, f"expected {shown(expected)}, got null"))
    candidates = (expected, *options.accept)
    results = [_compare_value(candidate, actual, options) for candidate in candidates]
    ok = next((r for r in results if r[0]), None)
    if ok:
        return FieldCheck(Check(name, True, ok[1]))
    return FieldCheck(Check(name, False, results[0][1]))


def _compare_value(expected: Any, actual: Any, options: Options) -> tuple[bool, str]:
    kind = options.type
    if kind == "auto":
        kind = ("boolean" if isinstance(expected, bool) else "number" if isinstance(expected, (int, float))
                else "string" if isinstance(expected, str) else "json")
    if kind == "number":
        return _compare_number(float(expected), actual, options)
    if kind == "boolean":
        return _compare_bool(expected, actual)
    if kind in ("date", "datetime"):
        return _compare_date(expected, actual, options, kind == "datetime")
    if kind == "string":
        return _compare_string(expected, actual, options.strings)
    # an empty list or object, compared as a whole
    ok = actual == expected and type(actual) is type(expected)
    return ok, shown(actual) if ok else f"expected {shown(expected)}, got {shown(actual)}"


def _compare_number(expected: float, actual: Any, options: Options) -> tuple[bool, str]:
    tolerance = options.tolerance
    wanted = f"{expected:g}{describe_tolerance(tolerance)}"
    token = read_number(actual, options.units)
    if token is None:
        return False, f"expected {wanted}, got {shown(actual)} (not a number)"
    wrong_currency = currency_problem(actual, options.currency)
    if wrong_currency:
        return False, f"expected {wanted}, got {shown(actual)} ({wrong_currency})"
    if number_matches(expected, token, tolerance, options.percent):
        return True, token.text
    return False, f"expected {wanted}, got {token.text}{percent_problem(token, options.percent)}"


def currency_problem(actual: Any, currency: str | None) -> str:
    """Why a number string written in another currency than ``currency`` is wrong; empty
    when it names none ("3450000") or the right one ("DKK 3450000"; "$12" for USD)."""
    if currency is None or not isinstance(actual, str):
        return ""
    coded = _CURRENCY_CODE.match(actual.strip())
    code = coded and (coded.group("ca") or coded.group("cb"))
    if code and code != currency.upper():
        return f"written in {code}, but the amount is in {currency.upper()}"
    symbol = next((ch for ch in actual if ch in _SYMBOL_CODES), None)
    if symbol and currency.upper() not in _SYMBOL_CODES[symbol]:
        return f"written with {symbol}, but the amount is in {currency.upper()}"
    return ""


def _compare_bool(expected: bool, actual: Any) -> tuple[bool, str]:
    got = actual
    if isinstance(actual, str) and actual.strip().casefold() in ("true", "false"):
        got = actual.strip().casefold() == "true"
    if isinstance(got, bool) and got == expected:
        return True, shown(actual)
    return False, f"expected {json.dumps(expected)}, got {shown(actual)}"


def _compare_date(expected: str, actual: Any, options: Options, with_time: bool) -> tuple[bool, str]:
    wanted = parse_date(expected, (ISO,), with_time)
    if not isinstance(actual, str):
        return False, f"expected {expected!r}, got {shown(actual)} (not a string)"
    got = parse_date(actual, options.formats, with_time)
    if got is None or wanted is None:
        allowed = ", ".join("ISO 8601" if f == ISO else f for f in options.formats)
        return False, f"expected {expected!r}, got {shown(actual)} (not a date in {allowed})"
    if with_time:
        ok, why = same_instant(wanted, got)  # type: ignore[arg-type]
    else:
        ok, why = wanted == got, ""
    if ok:
        return True, actual
    return False, f"expected {expected!r}, got {actual!r}" + (f" ({why})" if why else "")


def _compare_string(expected: str, actual: Any, mode: str) -> tuple[bool, str]:
    if isinstance(actual, (int, float)) and not isinstance(actual, bool) and mode != "exact":
        actual_text = json.dumps(actual)
    elif isinstance(actual, str):
        actual_text = actual
    else:
        return False, f"expected {expected!r}, got {shown(actual)}"
    if normalise_text(expected, mode) == normalise_text(actual_text, mode):
        return True, shown(actual)
    return False, f"expected {expected!r}, got {shown(actual)}"
