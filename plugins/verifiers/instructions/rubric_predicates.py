"""The rubric's rules as typed parameters: exactly one predicate (``contains``, ``regex``,
``json_path``, ``all_of``, ...) with the modifiers it accepts, and the paths ``json_path``
reads. The grammar is documented in ``benchlab.plugins.verifiers.instructions.rubric``."""

from __future__ import annotations

import re
from typing import Any

import attrs

from benchlab.plugins.verifiers.extraction.numeric_answer import AnyTolerance, tolerance_field
from benchlab.plugins.verifiers.structured.matcher_validation import matcher_field
from benchlab.plugins.verifiers.structured.value_matchers import MISSING
from benchlab.verifier_params import NOT_GIVEN, ParamError, given, param_key
from benchlab.param_checks import CountRange, compiles, non_negative, not_blank

FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\[\"([^\"]+)\"\]")

# predicate -> the modifiers it accepts
MODIFIERS: dict[str, tuple[str, ...]] = {
    "contains": ("ignore_case",),
    "contains_any": ("ignore_case",),
    "not_contains": ("ignore_case",),
    "equals": ("ignore_case",),
    "starts_with": ("ignore_case",),
    "ends_with": ("ignore_case",),
    "regex": ("flags",),
    "not_regex": ("flags",),
    "min_words": (),
    "max_words": (),
    "max_chars": (),
    "line_count": (),
    "json_path": ("matcher", "strict"),
    "final_number": ("tolerance",),
    "all_of": (),
    "any_of": (),
    "not": (),
}



def _flags(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and any(f not in FLAGS for f in value):
        raise ParamError(attribute.name, "a string of i, m, s")


def _line_count(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, int) and value < 0:
        raise ParamError(attribute.name, "a whole number >= 0")


def _json_path(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and parse_path(value) is None:
        raise ParamError(attribute.name, "a path such as order.items[0].sku (keys, [index], [\"odd key\"])")


def _predicates(_: Any, attribute: attrs.Attribute, value: list[Any] | None) -> None:
    if value is not None and not value:
        raise ParamError(attribute.name, "a non-empty list of predicates")


def _optional_matcher(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if given(value):
        matcher_field(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Predicate:
    """Exactly one predicate (documented above) and the modifiers it accepts."""

    contains: str | list[str] | None = attrs.field(default=None, validator=not_blank)
    contains_any: list[str] | None = attrs.field(default=None, validator=not_blank)
    not_contains: str | list[str] | None = attrs.field(default=None, validator=not_blank)
    equals: str | None = attrs.field(default=None, validator=not_blank)
    starts_with: str | None = attrs.field(default=None, validator=not_blank)
    ends_with: str | None = attrs.field(default=None, validator=not_blank)
    regex: str | None = attrs.field(default=None, validator=compiles)
    not_regex: str | None = attrs.field(default=None, validator=compiles)
    min_words: int | None = attrs.field(default=None, validator=non_negative)
    max_words: int | None = attrs.field(default=None, validator=non_negative)
    max_chars: int | None = attrs.field(default=None, validator=non_negative)
    line_count: int | CountRange | None = attrs.field(default=None, validator=_line_count)
    json_path: str | None = attrs.field(default=None, validator=_json_path)
    final_number: float | None = None
    all_of: list[Predicate] | None = attrs.field(default=None, validator=_predicates)
    any_of: list[Predicate] | None = attrs.field(default=None, validator=_predicates)
    not_: Predicate | None = attrs.field(default=None, metadata=param_key("not"))
    # modifiers
    ignore_case: bool | None = None
    flags: str | None = attrs.field(default=None, validator=_flags)
    matcher: Any = attrs.field(default=NOT_GIVEN, validator=_optional_matcher)
    strict: bool | None = None
    tolerance: AnyTolerance | None = attrs.field(default=None, validator=tolerance_field)

    def __attrs_post_init__(self) -> None:
        found = [op for op in MODIFIERS if predicate_value(self, op) is not None]
        if len(found) != 1:
            raise ParamError("", f"needs exactly one predicate of {', '.join(MODIFIERS)} (found {', '.join(found) or 'none'})")
        op = found[0]
        for modifier in ("ignore_case", "flags", "matcher", "strict", "tolerance"):
            value = getattr(self, modifier)
            if value is not None and value is not NOT_GIVEN and modifier not in MODIFIERS[op]:
                allowed = ", ".join(MODIFIERS[op]) or "nothing"
                raise ParamError(modifier, f"not allowed with {op!r} (allowed: {allowed})")

    @property
    def op(self) -> str:
        """The predicate's key."""
        return next(op for op in MODIFIERS if predicate_value(self, op) is not None)


def predicate_value(predicate: Predicate, op: str) -> Any:
    return getattr(predicate, "not_" if op == "not" else op)


@attrs.frozen(kw_only=True)
class RubricRule(Predicate):
    """A named predicate: one check of the verdict."""

    name: str = attrs.field(validator=not_blank)


def rule_list(_: Any, attribute: attrs.Attribute, rules: list[RubricRule]) -> None:
    """An attrs validator: at least one rule, names unique (a name is a check's name)."""
    if not rules:
        raise ParamError(attribute.name, "at least one rule")
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.name in seen:
            raise ParamError(f"{attribute.name}[{index}].name", f"two rules are named {rule.name!r}")
        seen.add(rule.name)


def parse_path(path: str) -> list[str | int] | None:
    """``order.items[0].sku`` -> ``["order", "items", 0, "sku"]``; None when malformed."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    if not text:
        return None
    if not text.startswith((".", "[")):
        text = "." + text
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        m = _PATH_STEP.match(text, position)
        if not m:
            return None
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)) if m.group(2) is not None else m.group(3))
        position = m.end()
    return steps


def value_at(value: Any, steps: list[str | int]) -> Any:
    """The value at ``steps`` (from ``parse_path``), or MISSING."""
    for step in steps:
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return MISSING
    return value
