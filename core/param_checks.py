"""Validators for what a parameter's type cannot say (a range, a regex that compiles, a
non-blank string) and the small shapes many verifiers share. Each raises ``ParamError``
naming the field; the pack loader prepends the path of the enclosing objects."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import attrs

from benchlab.verifier_params import NOT_GIVEN, ParamError


# --- validators for what types cannot say ---------------------------------------------------------


def _fail(attribute: attrs.Attribute, message: str) -> ParamError:
    return ParamError(attribute.name, message)


def non_negative(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A number >= 0 (None passes: an unset optional)."""
    if value is not None and value < 0:
        raise _fail(attribute, "must not be negative")


def positive(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A number > 0 (None passes)."""
    if value is not None and value <= 0:
        raise _fail(attribute, "must be positive")


def between(low: float, high: float, message: str, *, above_low: bool = False) -> Callable[[Any, attrs.Attribute, Any], None]:
    """A validator: ``low <= value <= high`` (``low < value`` with ``above_low``); None passes.
    ``message`` says what the field takes, e.g. "a number of days between 0 and 36500"."""

    def check(_: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value is None:
            return
        if not ((low < value) if above_low else (low <= value)) or value > high:
            raise _fail(attribute, message)

    return check


def fraction(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A number between 0 and 1 (None passes)."""
    if value is not None and not 0 <= value <= 1:
        raise _fail(attribute, "a fraction between 0 and 1")


def finite(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A number that is neither NaN nor infinite (JSON parsers here accept both; None passes)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(attribute, "a finite number")


def not_blank(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A string with something besides whitespace, or a non-empty list of such strings
    (None passes)."""
    if value is None:
        return
    if isinstance(value, str):
        if not value.strip():
            raise _fail(attribute, "must not be empty")
    elif not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(attribute, "a non-empty list of non-empty strings")


def json_value(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A value JSON can write (an ``Any`` field built in code could hold a set)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not NOT_GIVEN and not isinstance(item, (str, int, float, bool, type(None))):
            raise _fail(attribute, f"expected a JSON value, got {type(item).__name__}")


def compiles(_: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A regular expression Python compiles (None passes)."""
    if value is None:
        return
    try:
        re.compile(value)
    except re.error as exc:
        raise _fail(attribute, f"not a valid regular expression: {exc}") from None


# --- shapes many verifiers share -------------------------------------------------------------


@attrs.frozen
class CountRange:
    """``{"min": A, "max": B}``: a range of counts, either bound left out (not both)."""

    min: int | None = attrs.field(default=None, validator=non_negative)
    max: int | None = attrs.field(default=None, validator=non_negative)

    def __attrs_post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ParamError("", "{\"min\": A, \"max\": B} with counts >= 0 (either or both)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ParamError("min", "greater than max")
