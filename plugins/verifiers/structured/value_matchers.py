"""Value matchers: the small grammar the ``tool_call`` and ``instructions`` verifiers use
to say what a JSON value (a tool argument, a field of a JSON answer, the answer text)
must look like.

A matcher is either a bare JSON scalar or list, meaning ``{"eq": value}``, or an object
with exactly one operator key:

``{"eq": V}``
    Deep equality after normalisation: strings are trimmed (and case-folded with
    ``"ignore_case": true``); int and float compare by value (``3 == 3.0``); a boolean
    only equals a boolean and a string never equals a number (``"3" != 3``); objects
    compare key by key (key order is irrelevant), lists element by element.
``{"one_of": [V, ...]}``
    Equal (as ``eq``, ``ignore_case`` allowed) to one of the values.
``{"regex": "...", "flags": "ims"}``
    The value is a string and the pattern is found in it (``re.search``; anchor with
    ``^...$`` to match the whole string).
``{"number": N, "tolerance": T}``
    The value is a JSON number (not a string, not a boolean) within ``T`` (default 0) of ``N``.
``{"type": "string" | "number" | "integer" | "boolean" | "array" | "object" | "null"}``
    Only the JSON type is checked; ``integer`` accepts ``4.0``, unless ``"strict": true``:
    then only a number written without a fraction or exponent (``4``, not ``4.0``) is an
    integer, for a consumer that reads ``4.0`` as a float.
``{"contains": V | [V, ...]}``
    A list holds an item equal to each V; a string holds each V as a substring
    (``ignore_case`` allowed).
``{"subset": {"key": V, ...}}``
    An object holds at least these keys, with equal values.
``{"fields": {"key": MATCHER, ...}, "extra": true}``
    An object whose listed keys match their matchers; a missing key fails unless its
    matcher is ``absent`` or ``optional``; ``"extra": false`` rejects other keys.
``{"items": [MATCHER, ...], "ordered": false, "extra": false}``
    A list in which each matcher is satisfied by a different item (in this order when
    ``ordered``); ``"extra": false`` also requires the list to hold nothing else.
``{"every": MATCHER}``
    A list (possibly empty) whose every item matches.
``{"present": true}`` / ``{"absent": true}``
    The key exists with any value / the key is missing or null (used under ``args`` and
    ``fields``, where "missing" has a meaning).
``{"any_of": [MATCHER, ...]}``, ``{"all_of": [MATCHER, ...]}``, ``{"not": MATCHER}``
    Combinations.

Every object matcher may also carry ``"optional": true``: a missing key is then fine,
but a present one must match.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import attrs



class _Missing:
    """The value of a key that is not there (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()

FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
# operator -> modifiers it accepts besides "optional"
OPERATORS: dict[str, tuple[str, ...]] = {
    "eq": ("ignore_case",),
    "one_of": ("ignore_case",),
    "regex": ("flags",),
    "number": ("tolerance",),
    "type": ("strict",),
    "contains": ("ignore_case",),
    "subset": ("ignore_case",),
    "fields": ("extra",),
    "items": ("ordered", "extra"),
    "every": (),
    "present": (),
    "absent": (),
    "any_of": (),
    "all_of": (),
    "not": (),
}


@attrs.frozen
class Match:
    """The outcome of one matcher on one value; ``missing`` marks a required key that is absent."""

    ok: bool
    detail: str = ""
    missing: bool = False


def shown(value: Any, limit: int = 60) -> str:
    """A short, readable rendering of a value for check details."""
    if value is MISSING:
        return "nothing"
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError, RecursionError):
            text = f"<{json_type(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_float(value: int | float) -> float:
    """A JSON number as a float; integers too large for a float become infinite, not an error."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def is_optional(matcher: Any) -> bool:
    return isinstance(matcher, dict) and (matcher.get("optional") is True or "absent" in matcher)


# --- evaluation ---------------------------------------------------------------------------


def equal(a: Any, b: Any, ignore_case: bool = False) -> bool:
    """Deep equality with the normalisation documented above (``a`` is the expected side)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) or is_number(b):
        if not (is_number(a) and is_number(b)):
            return False
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(_as_float(a), _as_float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, str) or isinstance(b, str):
        if not (isinstance(a, str) and isinstance(b, str)):
            return False
        a, b = a.strip(), b.strip()
        return a.casefold() == b.casefold() if ignore_case else a == b
    if isinstance(a, list) or isinstance(b, list):
        return (
            isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
            and all(equal(x, y, ignore_case) for x, y in zip(a, b))
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
            and all(equal(a[k], b[k], ignore_case) for k in a)
        )
    return a is None and b is None


def match(matcher: Any, value: Any) -> Match:
    """Judge ``value`` (``MISSING`` when the key is absent) against a validated matcher."""
    if not isinstance(matcher, dict):
        matcher = {"eq": matcher}
    op = next(key for key in matcher if key in OPERATORS)
    if value is MISSING:
        if op == "absent" or matcher.get("optional") is True:
            return Match(True, "absent")
        if op not in ("any_of", "all_of", "not"):
            return Match(False, f"missing (expected {describe(matcher)})", missing=True)
    return _OPS[op](matcher, value)


def describe(matcher: Any) -> str:
    """What a matcher expects, in a few words."""
    if not isinstance(matcher, dict):
        return shown(matcher)
    op = next((key for key in matcher if key in OPERATORS), None)
    arg = matcher.get(op) if op else None
    if op == "eq":
        return shown(arg) + (" (any case)" if matcher.get("ignore_case") else "")
    if op == "one_of":
        return "one of " + ", ".join(shown(v) for v in arg)
    if op == "regex":
        return f"a string matching /{arg}/{matcher.get('flags', '')}"
    if op == "number":
        tolerance = matcher.get("tolerance", 0)
        return f"the number {arg:g}" + (f" ±{tolerance:g}" if tolerance else "")
    if op == "type":
        return f"a value of type {arg}" + (" (strict)" if matcher.get("strict") else "")
    if op == "contains":
        return f"a value containing {shown(arg)}"
    if op == "subset":
        return f"an object with {shown(arg)}"
    if op == "fields":
        return "an object with " + ", ".join(f"{k} {describe(v)}" for k, v in arg.items()) if arg else "an object"
    if op == "items":
        return f"a list of {len(arg)} matching item(s)"
    if op == "every":
        return f"a list of items each {describe(arg)}"
    if op == "present":
        return "any value"
    if op == "absent":
        return "no value"
    if op == "not":
        return f"not {describe(arg)}"
    return f"{op} of {len(arg)} matchers"


def _eq(m: dict[str, Any], value: Any) -> Match:
    if equal(m["eq"], value, m.get("ignore_case", False)):
        return Match(True)
    return Match(False, f"expected {describe(m)}, got {shown(value)}")


def _one_of(m: dict[str, Any], value: Any) -> Match:
    if any(equal(option, value, m.get("ignore_case", False)) for option in m["one_of"]):
        return Match(True)
    return Match(False, f"expected {describe(m)}, got {shown(value)}")


def _regex(m: dict[str, Any], value: Any) -> Match:
    if not isinstance(value, str):
        return Match(False, f"expected a string, got {json_type(value)} {shown(value)}")
    flags = 0
    for flag in m.get("flags", ""):
        flags |= FLAGS[flag]
    if re.search(m["regex"], value, flags):
        return Match(True)
    return Match(False, f"expected {describe(m)}, got {shown(value)}")


def _number(m: dict[str, Any], value: Any) -> Match:
    if not is_number(value):
        return Match(False, f"expected {describe(m)}, got {json_type(value)} {shown(value)}")
    number = _as_float(value)
    if math.isfinite(number) and abs(number - m["number"]) <= m.get("tolerance", 0) + 1e-9 * max(1.0, abs(m["number"])):
        return Match(True)
    return Match(False, f"expected {describe(m)}, got {shown(value)}")


def _type(m: dict[str, Any], value: Any) -> Match:
    actual = json_type(value)
    wanted = m["type"]
    whole = isinstance(value, int) or (not m.get("strict") and value.is_integer()) if is_number(value) else False
    ok = actual == wanted or (wanted == "integer" and whole)
    if ok:
        return Match(True)
    written = " (a float: write it without the fraction)" if wanted == "integer" and is_number(value) and float(value).is_integer() else ""
    return Match(False, f"expected a value of type {wanted}, got {actual} {shown(value)}{written}")


def _contains(m: dict[str, Any], value: Any) -> Match:
    needles = m["contains"] if isinstance(m["contains"], list) else [m["contains"]]
    ignore_case = m.get("ignore_case", False)
    if isinstance(value, list):
        lost = [n for n in needles if not any(equal(n, item, ignore_case) for item in value)]
    elif isinstance(value, str):
        haystack = value.casefold() if ignore_case else value
        lost = [n for n in needles if not isinstance(n, str) or (n.casefold() if ignore_case else n) not in haystack]
    else:
        return Match(False, f"expected a list or a string, got {json_type(value)} {shown(value)}")
    if not lost:
        return Match(True)
    return Match(False, f"lacks {', '.join(shown(n) for n in lost)} in {shown(value)}")


def _subset(m: dict[str, Any], value: Any) -> Match:
    if not isinstance(value, dict):
        return Match(False, f"expected an object, got {json_type(value)} {shown(value)}")
    wrong = [k for k, v in m["subset"].items() if k not in value or not equal(v, value[k], m.get("ignore_case", False))]
    if not wrong:
        return Match(True)
    return Match(False, "; ".join(f"{k}: expected {shown(m['subset'][k])}, got {shown(value.get(k, MISSING))}" for k in wrong))


def _fields(m: dict[str, Any], value: Any) -> Match:
    if not isinstance(value, dict):
        return Match(False, f"expected an object, got {json_type(value)} {shown(value)}")
    problems = []
    missing = False
    for key, sub in m["fields"].items():
        result = match(sub, value.get(key, MISSING))
        if not result.ok:
            problems.append(f"{key}: {result.detail}")
            missing = missing or result.missing
    if m.get("extra", True) is False:
        problems += [f"{key}: unexpected key" for key in value if key not in m["fields"]]
    if not problems:
        return Match(True)
    return Match(False, "; ".join(problems), missing=missing)


def _items(m: dict[str, Any], value: Any) -> Match:
    if not isinstance(value, list):
        return Match(False, f"expected a list, got {json_type(value)} {shown(value)}")
    matchers = m["items"]
    if not m.get("extra", False) and len(value) != len(matchers):
        return Match(False, f"expected {len(matchers)} item(s), got {len(value)}: {shown(value)}")
    if m.get("ordered", False):
        return _items_ordered(matchers, value)
    table = [[match(sub, item).ok for item in value] for sub in matchers]
    pairs = max_matching(table)
    unmatched = [i for i in range(len(matchers)) if i not in pairs]
    if not unmatched:
        return Match(True)
    return Match(False, "no item matches " + "; ".join(f"[{i}] {describe(matchers[i])}" for i in unmatched)
                 + f" in {shown(value)}")


def _items_ordered(matchers: list[Any], value: list[Any]) -> Match:
    position = 0
    for index, sub in enumerate(matchers):
        while position < len(value) and not match(sub, value[position]).ok:
            position += 1
        if position == len(value):
            return Match(False, f"no item matches [{index}] {describe(sub)} in order in {shown(value)}")
        position += 1
    return Match(True)


def _every(m: dict[str, Any], value: Any) -> Match:
    if not isinstance(value, list):
        return Match(False, f"expected a list, got {json_type(value)} {shown(value)}")
    for index, item in enumerate(value):
        result = match(m["every"], item)
        if not result.ok:
            return Match(False, f"item [{index}]: {result.detail}")
    return Match(True)


def _present(m: dict[str, Any], value: Any) -> Match:
    return Match(True)


def _absent(m: dict[str, Any], value: Any) -> Match:
    if value is None:
        return Match(True, "null")
    return Match(False, f"expected no value, got {shown(value)}")


def _any_of(m: dict[str, Any], value: Any) -> Match:
    results = [match(sub, value) for sub in m["any_of"]]
    if any(r.ok for r in results):
        return Match(True)
    return Match(False, " / ".join(r.detail for r in results))


def _all_of(m: dict[str, Any], value: Any) -> Match:
    failed = [r for r in (match(sub, value) for sub in m["all_of"]) if not r.ok]
    if not failed:
        return Match(True)
    return Match(False, "; ".join(r.detail for r in failed), missing=any(r.missing for r in failed))


def _not(m: dict[str, Any], value: Any) -> Match:
    if match(m["not"], value).ok:
        if value is MISSING:
            return Match(False, f"expected {describe(m)}, got nothing", missing=True)
        return Match(False, f"expected {describe(m)}, got {shown(value)}")
    return Match(True)


_OPS = {
    "eq": _eq,
    "one_of": _one_of,
    "regex": _regex,
    "number": _number,
    "type": _type,
    "contains": _contains,
    "subset": _subset,
    "fields": _fields,
    "items": _items,
    "every": _every,
    "present": _present,
    "absent": _absent,
    "any_of": _any_of,
    "all_of": _all_of,
    "not": _not,
}


def max_matching(table: list[list[bool]]) -> dict[int, int]:
    """A maximum matching of rows to columns where ``table[row][col]`` (Kuhn's augmenting paths)."""
    owner: dict[int, int] = {}

    def augment(row: int, seen: set[int]) -> bool:
        for col, ok in enumerate(table[row]):
            if ok and col not in seen:
                seen.add(col)
                if col not in owner or augment(owner[col], seen):
                    owner[col] = row
                    return True
        return False

    for row in range(len(table)):
        augment(row, set())
    return {row: col for col, row in owner.items()}
