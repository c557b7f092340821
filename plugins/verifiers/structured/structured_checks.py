"""Checks on a parsed JSON-like value, shared by the ``json`` and ``yaml`` verifiers:
the root type, JSON Schema, exact equality and per-path matchers.

Paths
    A key of ``paths`` is a JSON pointer (RFC 6901: ``/items/0/name``, ``~1`` for ``/``,
    ``~0`` for ``~``; ``""`` is the whole document) or a dotted path (``items.0.name``,
    also written ``items[0].name``; use a pointer when a key holds ``.`` or ``[``). A
    segment indexes an array when it is a decimal number without leading zeros, and
    is a key of an object otherwise. Its value is a matcher from
    ``benchlab.plugins.verifiers.structured.value_matchers``: a bare value (equality), ``{"one_of": [...]}``,
    ``{"regex": ...}``, ``{"number": N, "tolerance": T}``, ``{"present": true}``,
    ``{"absent": true}`` and the rest of that grammar. Its check is named ``path:KEY``
    (``path:(root)`` for ``""``).

Equality (``exact`` and the ``eq`` matcher)
    Key order is irrelevant; an int equals a float of the same value (``3 == 3.0``);
    strings are compared after trimming surrounding whitespace; a boolean equals only a
    boolean and a string never equals a number (``"3" != 3``); arrays are ordered.

Failure modes (shared with the table verifiers): ``invalid_json`` when the payload
cannot be extracted or parsed; ``schema_violation`` when a structural check fails
(``schema``, ``root_type``, ``documents``...); ``missing_field`` when the only
failures are paths that are absent; ``wrong_answer`` otherwise.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import attrs

from benchlab.model import Check, FailureMode, Verdict
from benchlab.plugins.verifiers.structured.matcher_validation import validate_matcher
from benchlab.plugins.verifiers.structured.value_matchers import MISSING, describe, equal, json_type, match, shown
from benchlab.verifier_params import NOT_GIVEN, ParamError, given
from benchlab.param_checks import json_value
from benchlab.verifiers import VerifyContext

PARSE_CHECKS = frozenset({"extract", "parse"})
_DOTTED = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MAX_ERRORS = 3


# --- paths --------------------------------------------------------------------------------


def parse_path(path: str) -> list[str]:
    """The segments of a JSON pointer or dotted path; ValueError when malformed."""
    if path == "":
        return []
    if path.startswith("/"):
        segments = path[1:].split("/")
        if any(re.search(r"~(?![01])", s) for s in segments):
            raise ValueError("in a JSON pointer '~' must be written ~0 (and '/' inside a key ~1)")
        return [s.replace("~1", "/").replace("~0", "~") for s in segments]
    segments: list[str] = []
    for part in path.split("."):
        if not part:
            raise ValueError("empty segment (use a JSON pointer for keys holding '.')")
        matched = "".join(m.group(0) for m in _DOTTED.finditer(part))
        if matched != part:
            raise ValueError(f"cannot read segment {part!r} (write items[0] or items.0)")
        segments += [m.group(1) if m.group(1) is not None else m.group(2) for m in _DOTTED.finditer(part)]
    return segments


def resolve(value: Any, segments: list[str]) -> tuple[Any, str]:
    """``(found value, "")`` or ``(MISSING, why)``."""
    where = ""
    for segment in segments:
        label = where or "the root"
        if isinstance(value, dict):
            if segment not in value:
                return MISSING, f"{label} has no key {segment!r}"
            value = value[segment]
        elif isinstance(value, list):
            if not re.fullmatch(r"0|[1-9]\d*", segment):
                return MISSING, f"{label} is an array; {segment!r} is not an index"
            if int(segment) >= len(value):
                return MISSING, f"{label} has {len(value)} item(s), no index {segment}"
            value = value[int(segment)]
        else:
            return MISSING, f"{label} is {json_type(value)} {shown(value, 30)}, it has no {segment!r}"
        where += "/" + segment.replace("~", "~0").replace("/", "~1")
    return value, ""


def pointer(parts: list[Any]) -> str:
    """A JSON pointer for display; ``(root)`` for the document itself."""
    if not parts:
        return "(root)"
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# --- parameters ---------------------------------------------------------------------------


def _valid_schema(_: Any, attribute: attrs.Attribute, schema: dict[str, Any] | None) -> None:
    problem = schema_problem(schema) if schema is not None else ""
    if problem:
        raise ParamError(attribute.name, problem)


def _valid_paths(_: Any, attribute: attrs.Attribute, paths: dict[str, Any]) -> None:
    for key, matcher in paths.items():
        try:
            parse_path(key)
        except ValueError as exc:
            raise ParamError(f"{attribute.name}.{key}", str(exc)) from None
        validate_matcher(matcher, f"{attribute.name}.{key}")


@attrs.frozen
class ValueParams:
    """The parameters the ``json`` and ``yaml`` verifiers share: extraction (``strict``,
    ``fence``) and the value checks (``root``, ``schema``, ``exact``, ``paths``)."""

    strict: bool = True
    fence: bool = True
    root: Literal["object", "array", "any"] | None = None  # None: the verifier's own default
    schema: dict[str, Any] | None = attrs.field(default=None, validator=_valid_schema)
    exact: Any = attrs.field(default=NOT_GIVEN, validator=json_value)  # null is a value to expect
    paths: dict[str, Any] = attrs.field(factory=dict, validator=_valid_paths)


def schema_problem(schema: Any) -> str:
    """Why ``schema`` is not a valid JSON Schema ("" when it is)."""
    from jsonschema import SchemaError, validators

    if not isinstance(schema, dict):
        return "a JSON Schema object"
    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        return f"not a valid JSON Schema: {exc.message} (at {pointer(list(exc.absolute_path))})"
    return ""


# --- checks -------------------------------------------------------------------------------


def scenario_schema(ctx: VerifyContext | None) -> dict[str, Any] | None:
    """The schema of the scenario's ``response_format`` (type json_schema), if any."""
    response_format = getattr(getattr(ctx, "scenario", None), "response_format", None)
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    inner = response_format.get("json_schema")
    schema = inner.get("schema") if isinstance(inner, dict) else None
    return schema if isinstance(schema, dict) else None


def value_checks(params: ValueParams, value: Any, ctx: VerifyContext | None, default_root: str = "any") -> tuple[list[Check], set[str]]:
    """Every check the params ask for on ``value``, and the names that failed for absence."""
    checks: list[Check] = []
    missing: set[str] = set()
    root = params.root or default_root
    if root != "any":
        ok = json_type(value) == root
        checks.append(Check("root_type", ok, "" if ok else f"expected an {root} at the top, got {json_type(value)} {shown(value, 40)}"))
    schema, origin = params.schema, ""
    if schema is None:
        schema, origin = scenario_schema(ctx), " (the response_format schema)"
    if schema is not None:
        checks.append(schema_check(schema, value, origin))
    if given(params.exact):
        difference = first_difference(params.exact, value, [])
        checks.append(Check("exact", difference is None, difference or ""))
    for key, matcher in params.paths.items():
        name = f"path:{key or '(root)'}"
        found, why = resolve(value, parse_path(key))
        result = match(matcher, found)
        if result.ok:
            checks.append(Check(name, True))
            continue
        detail = f"{why}; expected {describe(matcher)}" if found is MISSING and why else result.detail
        checks.append(Check(name, False, detail))
        if result.missing:
            missing.add(name)
    return checks, missing


def schema_check(schema: dict[str, Any], value: Any, origin: str = "") -> Check:
    """Validate with jsonschema (formats it can check are checked); details name the path."""
    from jsonschema import SchemaError, validators

    try:
        cls = validators.validator_for(schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(value), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    except SchemaError as exc:
        return Check("schema", False, f"the schema{origin} is not valid: {exc.message}")
    except RecursionError:
        return Check("schema", False, "the value is nested too deeply to validate")
    if not errors:
        return Check("schema", True, origin.strip())
    shown_errors = "; ".join(f"at {pointer(list(e.absolute_path))}: {_short(e.message)}" for e in errors[:_MAX_ERRORS])
    more = f" (+{len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
    return Check("schema", False, shown_errors + more)


def _short(message: str, limit: int = 120) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def first_difference(expected: Any, actual: Any, path: list[Any]) -> str | None:
    """Where ``actual`` first differs from ``expected`` (equality as documented), or None."""
    where = pointer(path)
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                return f"{pointer([*path, key])}: missing (expected {shown(expected[key], 40)})"
        for key in actual:
            if key not in expected:
                return f"{pointer([*path, key])}: unexpected key (value {shown(actual[key], 40)})"
        for key in expected:
            found = first_difference(expected[key], actual[key], [*path, key])
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{where}: expected {len(expected)} item(s), got {len(actual)}"
        for index, (e, a) in enumerate(zip(expected, actual)):
            found = first_difference(e, a, [*path, index])
            if found:
                return found
        return None
    if equal(expected, actual):
        return None
    return f"{where}: expected {shown(expected, 40)}, got {json_type(actual)} {shown(actual, 40)}"


# --- verdict --------------------------------------------------------------------------------


def verdict(checks: list[Check], *, structure: frozenset[str], missing: set[str] | frozenset[str] = frozenset()) -> Verdict:
    """The verdict of a structured verifier, with the failure mode policy documented above.

    An answer whose payload cannot be extracted or parsed scores 0: the later checks
    never ran, so a fraction of them would flatter it.
    """
    failed = {c.name for c in checks if not c.ok}
    if failed & PARSE_CHECKS:
        return Verdict.fail(FailureMode.INVALID_JSON, "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok), checks)
    if failed & structure:
        mode = FailureMode.SCHEMA_VIOLATION
    elif failed and failed <= set(missing):
        mode = FailureMode.MISSING_FIELD
    else:
        mode = FailureMode.WRONG_ANSWER
    return Verdict.from_checks(checks, mode)
