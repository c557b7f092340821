"""Verifiers for simple packs: ``exact``, ``regex`` and ``numeric``."""

from __future__ import annotations

import math
import re

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.verifier_params import ParamError
from benchlab.param_checks import compiles, non_negative
from benchlab.verifiers import Verifier, VerifyContext, answer_text


def _shown(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


@attrs.frozen
class ExactParams:
    expected: str
    case_sensitive: bool = True


class ExactVerifier(Verifier):
    """``{"kind": "exact", "expected": "..."}``: the stripped answer equals ``expected``.

    ``case_sensitive`` (default true) may be turned off.
    """

    params = ExactParams

    def verify(self, params: ExactParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        answer, expected = answer_text(response), params.expected.strip()
        if not params.case_sensitive:
            answer, expected = answer.casefold(), expected.casefold()
        ok = answer == expected
        detail = "" if ok else f"expected {_shown(params.expected.strip())}, got {_shown(answer_text(response))}"
        return Verdict.from_checks([Check("exact", ok, detail)], FailureMode.WRONG_ANSWER)


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _known_flags(_: object, attribute: attrs.Attribute, value: str) -> None:
    for flag in value:
        if flag not in _FLAGS:
            raise ParamError(attribute.name, f"unknown flag {flag!r} (use i, m, s)")


@attrs.frozen
class RegexParams:
    pattern: str = attrs.field(validator=compiles)
    flags: str = attrs.field(default="", validator=_known_flags)
    fullmatch: bool = False


class RegexVerifier(Verifier):
    """``{"kind": "regex", "pattern": "..."}``: the pattern matches somewhere in the answer.

    ``flags`` is a string of ``i`` (ignore case), ``m`` (multiline), ``s`` (dot
    matches newline); ``fullmatch: true`` requires the whole answer to match.
    """

    params = RegexParams

    def verify(self, params: RegexParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        flags = 0
        for flag in params.flags:
            flags |= _FLAGS[flag]
        pattern = re.compile(params.pattern, flags)
        answer = answer_text(response)
        match = pattern.fullmatch(answer) if params.fullmatch else pattern.search(answer)
        detail = "" if match else f"/{params.pattern}/ does not match {_shown(answer)}"
        return Verdict.from_checks([Check("regex", bool(match), detail)], FailureMode.WRONG_ANSWER)


# Comma groups must be whole: "12,3456" is not 12,345 followed by 6.
_NUMBER = re.compile(r"[-+−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+−]?\.\d+")


def last_number(text: str) -> float | None:
    """The last number written in ``text`` (thousands separators and a unicode minus allowed)."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", "").replace("−", "-"))
    except ValueError:
        return None


@attrs.frozen
class NumericParams:
    expected: float
    tolerance: float = attrs.field(default=0.0, validator=non_negative)


class NumericVerifier(Verifier):
    """``{"kind": "numeric", "expected": 42, "tolerance": 0}``: the last number of the
    answer (reasoning removed) is within ``tolerance`` of ``expected``."""

    params = NumericParams

    def verify(self, params: NumericParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        expected, tolerance = params.expected, params.tolerance
        got = last_number(answer_text(response))
        if got is None:
            return Verdict.from_checks([Check("numeric", False, "the answer holds no number")], FailureMode.WRONG_ANSWER)
        ok = math.isfinite(got) and abs(got - expected) <= tolerance + 1e-9 * max(1.0, abs(expected))
        detail = "" if ok else f"expected {expected:g}{f' ±{tolerance:g}' if tolerance else ''}, got {got:g}"
        return Verdict.from_checks([Check("numeric", ok, detail)], FailureMode.WRONG_ANSWER)
