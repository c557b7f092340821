"""Text matchers of the ``shell_task`` verifier: one vocabulary for stdout, stderr and file contents.

A matcher is an object; every key present must hold. Text is decoded as UTF-8 (bad
bytes replaced). "Normalised" text has CRLF and CR turned into LF, each line's runs
of spaces and tabs collapsed into one space and stripped at both ends, and blank
lines at the start and the end dropped. "Lines" are the non-blank normalised lines.

==================  ========================  ==============================================
key                 value                     holds when
==================  ========================  ==============================================
``equals``          string                    the raw bytes equal it (after UTF-8 encoding)
``normalized``      string                    normalised text equals normalised value
``regex``           string (Python ``re``)    it matches the whole normalised text
``contains``        string or list            each string occurs in the raw text
``not_contains``    string or list            none occurs in the raw text
``contains_lines``  list of strings           each (normalised) is one of the lines
``excludes_lines``  list of strings           none (normalised) is one of the lines
``unordered_lines`` list of strings           the lines equal these, in any order (a multiset)
``line_count``      integer                   there are that many lines
``empty``           boolean                   the text is (true) / is not (false) blank
``json``            any JSON value            the text parses as JSON equal to it
==================  ========================  ==============================================
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from benchlab.verifier_params import NOT_GIVEN, ParamError, given
from benchlab.param_checks import compiles, non_negative

SHOW = 160  # characters of a value shown in a check's detail


def _strings_given(_: Any, attribute: attrs.Attribute, value: str | list[str] | None) -> None:
    if isinstance(value, list) and not value:
        raise ParamError(attribute.name, "must not be empty")


def _lines(_: Any, attribute: attrs.Attribute, value: list[str] | None) -> None:
    if value is None:
        return
    if attribute.name != "unordered_lines" and not value:
        raise ParamError(attribute.name, "must not be empty")
    if any("\n" in normalise(item) or not normalise(item) for item in value):
        raise ParamError(attribute.name, "each item is one non-blank line")


@attrs.frozen(kw_only=True)
class TextMatcher:
    """The text matchers of the table above; None (``json``: NOT_GIVEN) where not given."""

    equals: str | None = None
    normalized: str | None = None
    regex: str | None = attrs.field(default=None, validator=compiles)
    contains: str | list[str] | None = attrs.field(default=None, validator=_strings_given)
    not_contains: str | list[str] | None = attrs.field(default=None, validator=_strings_given)
    contains_lines: list[str] | None = attrs.field(default=None, validator=_lines)
    excludes_lines: list[str] | None = attrs.field(default=None, validator=_lines)
    unordered_lines: list[str] | None = attrs.field(default=None, validator=_lines)
    line_count: int | None = attrs.field(default=None, validator=non_negative)
    empty: bool | None = None
    json: Any = NOT_GIVEN  # null is a value to expect

    def text_matchers(self) -> dict[str, Any]:
        """The matchers given, by key, in the order of the table (the first that fails is reported)."""
        return {key: value for key in TEXT_KEYS if _given(value := getattr(self, key))}


TEXT_KEYS = ("equals", "normalized", "regex", "contains", "not_contains", "contains_lines", "excludes_lines",
             "unordered_lines", "line_count", "empty", "json")


def _given(value: Any) -> bool:
    return value is not None and given(value)


def normalise(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def lines_of(text: str) -> list[str]:
    return [line for line in normalise(text).split("\n") if line]


def show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return repr(text) if len(text) <= SHOW else repr(text[: SHOW - 3] + "...")


def _strings(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def match_text(spec: dict[str, Any], data: bytes) -> str | None:
    """None when every text matcher in ``spec`` holds, else why the first one does not."""
    text = data.decode("utf-8", "replace")
    for key, expected in spec.items():
        problem = _one(key, expected, data, text)
        if problem:
            return problem
    return None


def _one(key: str, expected: Any, data: bytes, text: str) -> str | None:
    if key not in TEXT_KEYS:
        return None  # a key of the enclosing expectation (a file's mode, say), not a text matcher
    if key == "equals":
        return None if data == expected.encode() else f"equals: got {show(text)}, expected {show(expected)}"
    if key == "normalized":
        got, want = normalise(text), normalise(expected)
        return None if got == want else f"normalized: got {show(got)}, expected {show(want)}"
    if key == "regex":
        got = normalise(text)
        return None if re.fullmatch(expected, got) else f"regex: {show(got)} does not match {expected!r}"
    if key == "contains":
        missing = [s for s in _strings(expected) if s not in text]
        return f"contains: {show(missing[0])} is not in it" if missing else None
    if key == "not_contains":
        present = [s for s in _strings(expected) if s in text]
        return f"not_contains: {show(present[0])} is in it" if present else None
    lines = lines_of(text)
    if key == "contains_lines":
        have = set(lines)
        missing = [s for s in expected if normalise(s) not in have]
        return f"contains_lines: no line {show(missing[0])} (got {len(lines)} lines)" if missing else None
    if key == "excludes_lines":
        have = set(lines)
        present = [s for s in expected if normalise(s) in have]
        return f"excludes_lines: the line {show(present[0])} is there" if present else None
    if key == "unordered_lines":
        want = sorted(normalise(s) for s in expected)
        if sorted(lines) == want:
            return None
        extra = sorted(set(lines) - set(want))
        missing = sorted(set(want) - set(lines))
        if extra or missing:
            parts = ([f"unexpected {show(extra[0])}"] if extra else []) + ([f"missing {show(missing[0])}"] if missing else [])
            return f"unordered_lines: {', '.join(parts)} ({len(lines)} lines, expected {len(want)})"
        return f"unordered_lines: the same lines but repeated differently ({len(lines)} lines, expected {len(want)})"
    if key == "line_count":
        return None if len(lines) == expected else f"line_count: {len(lines)} lines, expected {expected}"
    if key == "empty":
        blank = not text.strip()
        if blank == expected:
            return None
        return "empty: expected no output, got " + show(text) if expected else "empty: expected some text, got none"
    # json
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return f"json: not valid JSON: {show(text)}"
    return None if _json_equal(value, expected) else f"json: got {show(value)}, expected {show(expected)}"


def _json_equal(got: Any, want: Any) -> bool:
    """Equality where 3 == 3.0 but True != 1 (booleans are not numbers)."""
    if isinstance(got, bool) or isinstance(want, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return got == want
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_json_equal(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_json_equal(a, b) for a, b in zip(got, want))
    return type(got) is type(want) and got == want
