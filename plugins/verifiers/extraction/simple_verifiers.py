"""Verifiers for simple packs: ``exact``, ``regex`` and ``numeric``."""

from __future__ import annotations

import math
import re
from typing import Any

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.verifiers import ParamError, Verifier, VerifyContext, answer_text


def _shown(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class ExactVerifier(Verifier):
    """``{"kind": "exact", "expected": "..."}``: the stripped answer equals ``expected``.

    ``case_sensitive`` (default true) may be turned off.
    """

    required = {"expected": str}
    optional = {"case_sensitive": bool}

    def verify(self, params: dict[str, Any], response: ChatResponse, ctx: VerifyContext) -> Verdict:
        answer, expected = answer_text(response), params["expected"].strip()
        if not params.get("case_sensitive", True):
            answer, expected = answer.casefold(), expected.casefold()
        ok = answer == expected
        detail = "" if ok else f"expected {_shown(params['expected'].strip())}, got {_shown(answer_text(response))}"
        return Verdict.from_checks([Check("exact", ok, detail)], FailureMode.WRONG_ANSWER)


class RegexVerifier(Verifier):
    """``{"kind": "regex", "pattern": "..."}``: the pattern matches somewhere in the answer.

    ``flags`` is a string of ``i`` (ignore case), ``m`` (multiline), ``s`` (dot
    matches newline); ``fullmatch: true`` requires the whole answer to match.
    """

    required = {"pattern": str}
    optional = {"flags": str, "fullmatch": bool}
    _FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}

    def validate(self, params: dict[str, Any]) -> None:
        super().validate(params)
        for flag in params.get("flags", ""):
            if flag not in self._FLAGS:
                raise ParamError("flags", f"unknown flag {flag!r} (use i, m, s)")
        try:
            re.compile(params["pattern"])
        except re.error as exc:
            raise ParamError("pattern", f"not a valid regular expression: {exc}") from None

    def verify(self, params: dict[str, Any], response: ChatResponse, ctx: VerifyContext) -> Verdict:
        flags = 0
        for flag in params.get("flags", ""):
            flags |= self._FLAGS[flag]
        pattern = re.compile(params["pattern"], flags)
        answer = answer_text(response)
        match = pattern.fullmatch(answer) if params.get("fullmatch") else pattern.search(answer)
        detail = "" if match else f"/{params['pattern']}/ does not match {_shown(answer)}"
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


class NumericVerifier(Verifier):
    """``{"kind": "numeric", "expected": 42, "tolerance": 0}``: the last number of the
    answer (reasoning removed) is within ``tolerance`` of ``expected``."""

    required = {"expected": (int, float)}
    optional = {"tolerance": (int, float)}

    def validate(self, params: dict[str, Any]) -> None:
        super().validate(params)
        if params.get("tolerance", 0) < 0:
            raise ParamError("tolerance", "must not be negative")

    def verify(self, params: dict[str, Any], response: ChatResponse, ctx: VerifyContext) -> Verdict:
        expected, tolerance = float(params["expected"]), float(params.get("tolerance", 0))
        got = last_number(answer_text(response))
        if got is None:
            return Verdict.from_checks([Check("numeric", False, "the answer holds no number")], FailureMode.WRONG_ANSWER)
        ok = math.isfinite(got) and abs(got - expected) <= tolerance + 1e-9 * max(1.0, abs(expected))
        detail = "" if ok else f"expected {params['expected']:g}{f' ±{tolerance:g}' if tolerance else ''}, got {got:g}"
        return Verdict.from_checks([Check("numeric", ok, detail)], FailureMode.WRONG_ANSWER)
