"""Verifier ``rubric``: N named rules, each a declarative predicate on the answer.

Params::

    {"kind": "rubric",
     "rules": [
       {"name": "names_the_refund", "contains": ["refund", "order 4471"]},
       {"name": "no_blame", "not_contains": ["your fault", "you should have"]},
       {"name": "offers_next_step", "any_of": [{"contains": "reply"}, {"regex": "call us"}]},
       {"name": "short", "max_words": 120},
       {"name": "status_field", "json_path": "order.status", "matcher": "refunded"},
       {"name": "total", "final_number": 42.5, "tolerance": 0.005}],
     "threshold": 0.8}

Each rule has a ``name`` (unique; it is the check's name) and exactly one predicate.
Every rule becomes one Check; ``score`` = rules met / N; the scenario passes when every
rule is met, or, with ``threshold``, when ``score >= threshold``. Nothing is evaluated as
code: predicates are this fixed set.

The text judged is the answer with reasoning removed, trimmed. String predicates
compare after light normalisation: curly quotes and apostrophes made straight, runs of
whitespace made one space, and, unless ``"ignore_case": false``, case-folded.

Predicates
    ``contains``: a string or a list; every one is a substring of the text.
    ``contains_any``: a list; at least one is a substring.
    ``not_contains``: a string or a list; none is a substring.
    ``equals``: the whole text equals the string.
    ``starts_with`` / ``ends_with``: the text (also tried with markdown ``*``, ``_`` and
    backticks removed) starts / ends with the string.
    ``regex`` / ``not_regex``: the pattern is / is not found (``re.search``; ``flags``: a
    string of i, m, s). Never case-folded by ``ignore_case``; use the ``i`` flag.
    ``min_words`` / ``max_words``: words as the ``instructions`` verifier counts them
    (markdown removed; a word holds a letter or digit).
    ``max_chars``: characters of the text.
    ``line_count``: non-empty lines; a whole number (exactly) or ``{"min": A, "max": B}``.
    ``json_path``: the JSON of the answer (found as ``benchlab.plugins.verifiers.structured.answer_json`` says;
    ``strict`` default false) has a value at this path (``order.items[0].sku``, a leading
    ``$.`` allowed) matching ``matcher`` (a value matcher from
    ``benchlab.plugins.verifiers.structured.value_matchers``; default ``{"present": true}``).
    ``final_number``: the number on the final line, read by the ``numeric_answer``
    convention, equals this within ``tolerance`` (a number or ``{"abs", "rel"}``); an
    ambiguous final line (several candidates, a negated number) fails.
    ``all_of`` / ``any_of``: lists of predicates (objects without ``name``); ``not``: one.

Failure mode: ``invalid_json`` when a failed ``json_path`` rule found no JSON object,
otherwise ``wrong_answer``.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.plugins.verifiers.instructions import text_measures as tm
from benchlab.plugins.verifiers.structured.answer_json import answer_json
from benchlab.plugins.verifiers.extraction.numeric_answer import describe_tolerance, number_matches, read_final_answer
from benchlab.plugins.verifiers.instructions.rubric_predicates import (
    FLAGS, Predicate, RubricRule, parse_path, predicate_value, rule_list, value_at,
)
from benchlab.plugins.verifiers.structured.value_matchers import match, shown
from benchlab.verifier_params import given
from benchlab.param_checks import between
from benchlab.verifiers import Verifier, VerifyContext, answer_text

_NO_JSON = "no JSON: "
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

class _Answer:
    """The answer text and what rules derive from it, computed once per verdict."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._json: dict[bool, Any] = {}

    def json(self, strict: bool) -> Any:
        if strict not in self._json:
            self._json[strict] = answer_json(self.text, strict=strict, want_object=False)
        return self._json[strict]


@attrs.frozen
class RubricParams:
    rules: list[RubricRule] = attrs.field(validator=rule_list)
    threshold: float | None = attrs.field(default=None, validator=between(0, 1, "a fraction in (0, 1]", above_low=True))


class RubricVerifier(Verifier):
    """Named declarative rules; score = rules met / rules."""

    params = RubricParams

    def verify(self, params: RubricParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        state = _Answer(answer_text(response))
        checks = []
        for rule in params.rules:
            ok, detail = evaluate(rule, state)
            checks.append(Check(rule.name, ok, detail))
        met = sum(c.ok for c in checks)
        score = met / len(checks)
        passed = score >= params.threshold - 1e-9 if params.threshold is not None else met == len(checks)
        failed = [c for c in checks if not c.ok]
        detail = f"{met}/{len(checks)} rules met"
        if failed:
            detail += ": " + "; ".join(f"{c.name}: {c.detail}" for c in failed)
        unparsed = any(rule.json_path is not None and not c.ok and c.detail.startswith(_NO_JSON) for rule, c in zip(params.rules, checks))
        mode = FailureMode.INVALID_JSON if unparsed else FailureMode.WRONG_ANSWER
        return Verdict(passed, score, None if passed else mode, detail, checks)


def _normal(text: str, ignore_case: bool) -> str:
    text = " ".join(text.translate(_QUOTES).split())
    return text.casefold() if ignore_case else text


def evaluate(predicate: Predicate, state: _Answer) -> tuple[bool, str]:
    """(ok, detail) of a predicate on the answer."""
    return _EVALUATORS[predicate.op](predicate, state)


def _strings(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _contains(p: Predicate, s: _Answer) -> tuple[bool, str]:
    case = p.ignore_case is not False
    text = _normal(s.text, case)
    values = _strings(p.contains or [])
    lost = [v for v in values if _normal(v, case) not in text]
    return not lost, f"missing {', '.join(shown(v) for v in lost)}" if lost else f"contains {', '.join(shown(v) for v in values)}"


def _contains_any(p: Predicate, s: _Answer) -> tuple[bool, str]:
    case = p.ignore_case is not False
    text = _normal(s.text, case)
    values = p.contains_any or []
    hit = next((v for v in values if _normal(v, case) in text), None)
    return hit is not None, f"contains {shown(hit)}" if hit is not None else f"none of {', '.join(shown(v) for v in values)}"


def _not_contains(p: Predicate, s: _Answer) -> tuple[bool, str]:
    case = p.ignore_case is not False
    text = _normal(s.text, case)
    found = [v for v in _strings(p.not_contains or []) if _normal(v, case) in text]
    return not found, f"contains {', '.join(shown(v) for v in found)}" if found else "none present"


def _equals(p: Predicate, s: _Answer) -> tuple[bool, str]:
    case = p.ignore_case is not False
    expected = p.equals or ""
    ok = _normal(s.text, case) == _normal(expected, case)
    return ok, "equal" if ok else f"expected {shown(expected)}, got {shown(s.text)}"


def _affix(p: Predicate, s: _Answer, key: str, test: Callable[[str, str], bool]) -> tuple[bool, str]:
    case = p.ignore_case is not False
    wanted = predicate_value(p, key)
    affix = _normal(wanted, case)
    candidates = [_normal(s.text, case), _normal(re.sub(r"[*_`]", "", s.text), case)]
    if any(test(c, affix) for c in candidates):
        return True, ""
    edge = s.text[:40] if key == "starts_with" else s.text[-40:]
    return False, f"expected {shown(wanted)}, got {shown(edge)}"


def _regex(p: Predicate, s: _Answer, negate: bool = False) -> tuple[bool, str]:
    pattern = (p.not_regex if negate else p.regex) or ""
    flags = 0
    for flag in p.flags or "":
        flags |= FLAGS[flag]
    found = re.search(pattern, s.text, flags)
    if negate:
        return found is None, f"/{pattern}/ found {shown(found.group(0))}" if found else f"/{pattern}/ not found"
    return found is not None, f"/{pattern}/ found {shown(found.group(0))}" if found else f"/{pattern}/ not found"


def _words(p: Predicate, s: _Answer, key: str) -> tuple[bool, str]:
    count = len(tm.words(s.text))
    bound = predicate_value(p, key)
    ok = count >= bound if key == "min_words" else count <= bound
    word = "at least" if key == "min_words" else "at most"
    return ok, f"{count} words" + ("" if ok else f", expected {word} {bound}")


def _max_chars(p: Predicate, s: _Answer) -> tuple[bool, str]:
    limit = p.max_chars or 0
    ok = len(s.text) <= limit
    return ok, f"{len(s.text)} characters" + ("" if ok else f", expected at most {limit}")


def _line_count_ok(p: Predicate, s: _Answer) -> tuple[bool, str]:
    count = sum(1 for line in s.text.splitlines() if line.strip())
    spec = p.line_count
    low, high = (spec, spec) if isinstance(spec, int) else ((spec.min or 0), spec.max) if spec is not None else (0, None)
    ok = count >= low and (high is None or count <= high)
    wanted = f"exactly {low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
    return ok, f"{count} non-empty lines" + ("" if ok else f", expected {wanted}")


def _json_path_ok(p: Predicate, s: _Answer) -> tuple[bool, str]:
    parsed = s.json(bool(p.strict))
    if parsed.value is None and not parsed.ok:
        failed = next(c for c in parsed.checks if not c.ok)
        return False, f"{_NO_JSON}{failed.detail}"
    path = p.json_path or ""
    value = value_at(parsed.value, parse_path(path) or [])
    result = match(p.matcher if given(p.matcher) else {"present": True}, value)
    return result.ok, f"{path} = {shown(value)}" if result.ok else f"{path}: {result.detail}"


def _final_number(p: Predicate, s: _Answer) -> tuple[bool, str]:
    found = read_final_answer(s.text)
    tolerance = p.tolerance or 0
    expected = p.final_number or 0.0
    wanted = f"{expected:g}{describe_tolerance(tolerance)}"
    if found.number is None:
        return False, f"no number on the final line (expected {wanted})"
    if found.ambiguity:
        return False, f"ambiguous final answer: {found.ambiguity} (expected {wanted})"
    ok = number_matches(float(expected), found.number, tolerance)
    return ok, f"{found.number.text}" + ("" if ok else f", expected {wanted}")


def _all_of(p: Predicate, s: _Answer) -> tuple[bool, str]:
    results = [evaluate(sub, s) for sub in p.all_of or []]
    failed = [detail for ok, detail in results if not ok]
    return not failed, "; ".join(failed) if failed else "all met"


def _any_of(p: Predicate, s: _Answer) -> tuple[bool, str]:
    results = [evaluate(sub, s) for sub in p.any_of or []]
    hit = next((detail for ok, detail in results if ok), None)
    return hit is not None, hit if hit is not None else "none met: " + " / ".join(d for _, d in results)


def _not(p: Predicate, s: _Answer) -> tuple[bool, str]:
    assert p.not_ is not None
    ok, detail = evaluate(p.not_, s)
    return not ok, f"not expected: {detail}" if ok else f"as required, not: {detail}"


_EVALUATORS: dict[str, Callable[[Predicate, _Answer], tuple[bool, str]]] = {
    "contains": _contains,
    "contains_any": _contains_any,
    "not_contains": _not_contains,
    "equals": _equals,
    "starts_with": lambda p, s: _affix(p, s, "starts_with", str.startswith),
    "ends_with": lambda p, s: _affix(p, s, "ends_with", str.endswith),
    "regex": _regex,
    "not_regex": lambda p, s: _regex(p, s, negate=True),
    "min_words": lambda p, s: _words(p, s, "min_words"),
    "max_words": lambda p, s: _words(p, s, "max_words"),
    "max_chars": _max_chars,
    "line_count": _line_count_ok,
    "json_path": _json_path_ok,
    "final_number": _final_number,
    "all_of": _all_of,
    "any_of": _any_of,
    "not": _not,
}
