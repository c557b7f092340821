"""Validating value matchers (the grammar is documented in ``benchlab.plugins.verifiers.structured.value_matchers``)
before any request is sent, so a bad matcher in a pack is reported with its field path."""

from __future__ import annotations

import math
import re
from typing import Any

import attrs

from benchlab.plugins.verifiers.structured.value_matchers import FLAGS, OPERATORS, TYPES, is_number, shown
from benchlab.verifier_params import ParamError


def matcher_field(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """An attrs validator: the field holds a well-formed matcher."""
    validate_matcher(value, attribute.name)


def matcher_map_field(_: Any, attribute: attrs.Attribute, value: dict[str, Any] | None) -> None:
    """An attrs validator: every value of the field (key -> matcher) is a well-formed matcher."""
    for key, matcher in (value or {}).items():
        validate_matcher(matcher, f"{attribute.name}.{key}")


def validate_matcher(matcher: Any, field: str) -> None:
    """Raise ParamError (naming ``field``) unless ``matcher`` is a well-formed matcher."""
    if not isinstance(matcher, dict):
        if isinstance(matcher, (str, int, float, bool, list)) or matcher is None:
            return
        raise ParamError(field, f"not a matcher: {shown(matcher)}")
    operators = [key for key in matcher if key in OPERATORS]
    if len(operators) != 1:
        found = ", ".join(operators) or "none"
        raise ParamError(field, f"a matcher needs exactly one of {', '.join(OPERATORS)} (found {found}); "
                         "compare a whole object with {\"eq\": {...}}")
    op = operators[0]
    allowed = {op, "optional", *OPERATORS[op]}
    for key in matcher:
        if key not in allowed:
            raise ParamError(f"{field}.{key}", f"not allowed with {op!r} (allowed: {', '.join(sorted(allowed))})")
    for flag in ("optional", "ignore_case", "ordered", "extra", "strict"):
        if flag in matcher and not isinstance(matcher[flag], bool):
            raise ParamError(f"{field}.{flag}", "expected a boolean")
    arg = matcher[op]
    where = f"{field}.{op}"
    if op == "one_of" and (not isinstance(arg, list) or not arg):
        raise ParamError(where, "a non-empty list of values")
    elif op == "regex":
        if not isinstance(arg, str):
            raise ParamError(where, "expected a string")
        flags = matcher.get("flags", "")
        if not isinstance(flags, str) or any(f not in FLAGS for f in flags):
            raise ParamError(f"{field}.flags", "a string of i, m, s")
        try:
            re.compile(arg)
        except re.error as exc:
            raise ParamError(where, f"not a valid regular expression: {exc}") from None
    elif op == "number":
        if not is_number(arg) or not math.isfinite(arg):
            raise ParamError(where, "expected a finite number")
        tolerance = matcher.get("tolerance", 0)
        if not is_number(tolerance) or tolerance < 0:
            raise ParamError(f"{field}.tolerance", "a number >= 0")
    elif op == "type" and arg not in TYPES:
        raise ParamError(where, f"one of {', '.join(TYPES)}")
    elif op == "contains" and not isinstance(arg, (str, list)):
        raise ParamError(where, "a string or a list of values")
    elif op == "subset" and not isinstance(arg, dict):
        raise ParamError(where, "expected an object")
    elif op == "fields":
        if not isinstance(arg, dict):
            raise ParamError(where, "an object of key -> matcher")
        for key, sub in arg.items():
            validate_matcher(sub, f"{where}.{key}")
    elif op in ("items", "any_of", "all_of"):
        if not isinstance(arg, list) or (op != "items" and not arg):
            raise ParamError(where, "a non-empty list of matchers" if op != "items" else "a list of matchers")
        for index, sub in enumerate(arg):
            validate_matcher(sub, f"{where}[{index}]")
    elif op in ("not", "every"):
        validate_matcher(arg, where)
    elif op in ("present", "absent") and arg is not True:
        raise ParamError(where, "write it as true")
