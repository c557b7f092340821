"""BFCL's AST checking rules, re-implemented: decoded calls against possible answers.

Written from BFCL's documented and observed behaviour (the agreement corpus in
``tests/data/bfcl/`` holds the official checker's verdicts, and the test suite
requires these rules to reach the same verdict on every line). The rules:

- Routing by category name: a category containing ``parallel`` matches calls in any
  order, one containing ``multiple`` checks the single expected call among several
  functions, the rest (simple) expects exactly one call to the one function.
- A call matches an expected call when the names are equal, every ``required``
  parameter of the function doc is given, every given parameter is both in the doc and
  in the possible answer, each value has the doc's type and is one of the possible
  values, and every possible-answer parameter whose options lack ``""`` (the mark of
  an optional parameter) is given.
- Types are exact (``True`` is not an integer) with one allowance: an integer is
  accepted for a ``float`` (``5`` for ``5.0``), never the reverse. A value of the
  possible answers' own type is accepted too (BFCL's "variable" case, where the
  possible answers are strings standing for names). Array items are checked one level
  deep, without the integer-for-float allowance.
- Strings compare after normalisation: spaces and ``,./-_*^`` removed, lower case,
  ``'`` read as ``"``. Lists compare element by element after normalising their top-level
  strings; a ``""`` option accepts an empty list. Dicts compare key by key (each value
  normalised if a string, one of the options listed for that key); lists of dicts
  pair up position by position.
- Order-free matching is greedy, as BFCL's: each expected call, in order, takes the
  first remaining call that matches it.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

PYTHON_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "any": str,
}
_ITEM_TYPED = ("array", "tuple")
_IGNORED = re.compile(r"[ ,./\-_*^]")
OPTIONAL = ""  # in a parameter's possible values: the parameter may be left out


@attrs.frozen
class Problem:
    """One reason a call does not match; ``missing`` when a needed parameter was left out."""

    check: str
    detail: str
    missing: bool = False


def standardize(text: str) -> str:
    return _IGNORED.sub("", text).lower().replace("'", '"')


def route(category: str) -> str:
    """``parallel``, ``multiple`` or ``simple``: which matcher BFCL applies to the category."""
    if "parallel" in category:
        return "parallel"
    if "multiple" in category:
        return "multiple"
    return "simple"


def check_calls(category: str, functions: list[dict[str, Any]], calls: list[tuple[Any, Any]],
                ground_truth: list[dict[str, Any]]) -> list[Problem]:
    """Every problem with ``calls`` (well-formed, names as in the docs); none means a match."""
    kind = route(category)
    if len(calls) != (1 if kind == "simple" else len(ground_truth)):
        wanted = 1 if kind == "simple" else len(ground_truth)
        return [Problem("call_count", f"expected {wanted} call(s), got {len(calls)}")]
    if kind == "parallel":
        return _order_free(functions, calls, ground_truth)
    expected = ground_truth[0]
    doc = (functions[0] if functions else None) if kind == "simple" else find_doc(functions, _expected_name(expected))
    return check_call(doc, calls[0], expected, "calls[0]")


def _expected_name(expected: dict[str, Any]) -> str:
    return next(iter(expected))


def find_doc(functions: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The function doc named ``name`` among ``functions``."""
    return next((f for f in functions if f.get("name") == name), None)


def _order_free(functions: list[dict[str, Any]], calls: list[tuple[Any, Any]], ground_truth: list[dict[str, Any]]) -> list[Problem]:
    taken: set[int] = set()
    problems: list[Problem] = []
    for index, expected in enumerate(ground_truth):
        doc = find_doc(functions, _expected_name(expected))
        label = f"calls[{index}]"
        misses: list[str] = []
        for position, call in enumerate(calls):
            if position in taken:
                continue
            found = check_call(doc, call, expected, label)
            if not found:
                taken.add(position)
                break
            misses.append(f"call {position + 1}: " + "; ".join(p.detail for p in found[:2]))
        else:
            wanted = _expected_name(expected)
            problems.append(Problem(label, f"no call matches {wanted}(...)" + (": " + " | ".join(misses[:3]) if misses else "")))
    return problems


def check_call(doc: dict[str, Any] | None, call: tuple[Any, Any], expected: dict[str, Any], label: str) -> list[Problem]:
    """The problems of one call against one expected ``{name: {param: options}}``."""
    name, arguments = call
    wanted = _expected_name(expected)
    if doc is None:
        return [Problem(f"{label}.name", f"{wanted} has no function doc")]
    if name != doc["name"]:
        return [Problem(f"{label}.name", f"expected {doc['name']}, got {name!r}")]
    possible: dict[str, Any] = expected[wanted]
    parameters = doc.get("parameters") or {}
    details: dict[str, Any] = parameters.get("properties") or {}
    problems = [Problem(f"{label}.arguments.{p}", "required parameter missing", missing=True)
                for p in parameters.get("required", []) if p not in arguments]
    for param, value in arguments.items():
        where = f"{label}.arguments.{param}"
        if param not in details or param not in possible:
            why = "not a parameter of the function" if param not in details else "not expected here"
            problems.append(Problem(where, why))
            continue
        problem = _check_value(details[param], value, possible[param])
        if problem:
            problems.append(Problem(where, problem))
    for param, options in possible.items():
        if param not in arguments and OPTIONAL not in options:
            problems.append(Problem(f"{label}.arguments.{param}", f"missing (expected one of {_shown(options)})", missing=True))
    return problems


def _check_value(detail: dict[str, Any], value: Any, options: list[Any]) -> str:
    """Why ``value`` is not acceptable for a parameter described by ``detail``; "" when it is."""
    declared = detail.get("type")
    expected = PYTHON_TYPES.get(declared) if isinstance(declared, str) else None
    if expected is None:
        return f"the doc's type {declared!r} is not one BFCL's Python checker knows"
    item_type = None
    if declared in _ITEM_TYPED:
        item_type = PYTHON_TYPES.get(((detail.get("items") or {}).get("type")))
    if declared == "tuple" and type(value) is tuple:
        value = list(value)
    if declared == "float" and type(value) is int:
        value = float(value)  # Python's own int-to-float promotion, which BFCL allows
    typed, is_variable = _type_check(value, options, expected, item_type)
    if not typed:
        return f"expected type {declared}, got {type(value).__name__} {_shown(value)}"
    if not is_variable:
        if expected is dict:
            return "" if _dict_matches(value, options) else f"{_shown(value)} is not one of {_shown(options)}"
        if expected is list and item_type is dict:
            return "" if _dicts_match(value, options) else f"{_shown(value)} is not one of {_shown(options)}"
        if expected is str:
            strings = [standardize(o) for o in options if type(o) is str]
            return "" if standardize(value) in strings else f"{_shown(value)} is not one of {_shown(options)} (case and punctuation aside)"
        if expected is list:
            return "" if _list_matches(value, options) else f"{_shown(value)} is not one of {_shown(options)}"
    return "" if value in options else f"{_shown(value)} is not one of {_shown(options)}"


def _answer_type(options: Any) -> type | None:
    """The type of the first possible value that is not the optional mark."""
    for option in options:
        if option != OPTIONAL:
            return type(option)
    return None


def _type_check(value: Any, options: Any, expected: type, item_type: type | None) -> tuple[bool, bool]:
    """(the type is acceptable, the possible answers stand for a variable of another type)."""
    answer_type = _answer_type(options)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        if item_type is None:
            return True, is_variable
        for option in options:
            if type(option) is list and not all(_type_check(item, option, item_type, None)[0] for item in value):
                continue
            return True, is_variable
        return False, is_variable
    if answer_type is not None and type(value) is answer_type:
        return True, True
    return False, False


def _normalised(values: Any) -> list[Any]:
    return [standardize(v) if type(v) is str else v for v in values]


def _iterable_option(option: Any) -> bool:
    return isinstance(option, (list, tuple, str))


def _list_matches(value: list[Any], options: list[Any]) -> bool:
    # A "" option normalises to an empty list: it accepts [] as well as a missing parameter.
    candidates = [_normalised(option) for option in options if _iterable_option(option)]
    return _normalised(value) in candidates


def _dict_matches(value: Any, options: list[Any]) -> bool:
    for option in options:
        if option == OPTIONAL or not isinstance(option, dict) or not isinstance(value, dict):
            continue
        if _dict_fits(value, option):
            return True
    return False


def _dict_fits(value: dict[Any, Any], option: dict[str, Any]) -> bool:
    for key, item in value.items():
        if key not in option or not _iterable_option(option[key]):
            return False
        if (standardize(item) if type(item) is str else item) not in _normalised(option[key]):
            return False
    return all(key in value or OPTIONAL in choices for key, choices in option.items())


def _dicts_match(value: list[Any], options: list[Any]) -> bool:
    for option in options:
        if not _iterable_option(option) or isinstance(option, str) and option:
            continue
        if len(value) != len(option):
            continue
        if all(_dict_matches(item, [expected]) for item, expected in zip(value, option)):
            return True
    return False


def _shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
