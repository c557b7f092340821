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

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.plugins.verifiers.instructions import text_measures as tm
from benchlab.plugins.verifiers.structured.answer_json import answer_json
from benchlab.plugins.verifiers.extraction.numeric_answer import describe_tolerance, number_matches, read_final_answer, validate_tolerance
from benchlab.plugins.verifiers.structured.matcher_validation import validate_matcher
from benchlab.plugins.verifiers.structured.value_matchers import MISSING, match, shown
from benchlab.verifiers import ParamError, Verifier, VerifyContext, answer_text

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\[\"([^\"]+)\"\]")
_NO_JSON = "no JSON: "
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

# predicate -> (type of its argument, modifiers it accepts)
_PREDICATES: dict[str, tuple[tuple[type, ...], tuple[str, ...]]] = {
    "contains": ((str, list), ("ignore_case",)),
    "contains_any": ((list,), ("ignore_case",)),
    "not_contains": ((str, list), ("ignore_case",)),
    "equals": ((str,), ("ignore_case",)),
    "starts_with": ((str,), ("ignore_case",)),
    "ends_with": ((str,), ("ignore_case",)),
    "regex": ((str,), ("flags",)),
    "not_regex": ((str,), ("flags",)),
    "min_words": ((int,), ()),
    "max_words": ((int,), ()),
    "max_chars": ((int,), ()),
    "line_count": ((int, dict), ()),
    "json_path": ((str,), ("matcher", "strict")),
    "final_number": ((int, float), ("tolerance",)),
    "all_of": ((list,), ()),
    "any_of": ((list,), ()),
    "not": ((dict,), ()),
}


class _Answer:
    """The answer text and what rules derive from it, computed once per verdict."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._json: dict[bool, Any] = {}

    def json(self, strict: bool) -> Any:
        if strict not in self._json:
            self._json[strict] = answer_json(self.text, strict=strict, want_object=False)
        return self._json[strict]


class RubricVerifier(Verifier):
    """Named declarative rules; score = rules met / rules."""

    required = {"rules": list}
    optional = {"threshold": (int, float)}

    def validate(self, params: dict[str, Any]) -> None:
        super().validate(params)
        rules = params["rules"]
        if not rules:
            raise ParamError("rules", "at least one rule")
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            where = f"rules[{index}]"
            if not isinstance(rule, dict):
                raise ParamError(where, "a rule object such as {\"name\": \"polite\", \"contains\": \"please\"}")
            name = rule.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ParamError(f"{where}.name", "every rule needs a name (a non-empty string)")
            if name in seen:
                raise ParamError(f"{where}.name", f"two rules are named {name!r}")
            seen.add(name)
            validate_predicate({k: v for k, v in rule.items() if k != "name"}, where)
        if "threshold" in params and not 0 < params["threshold"] <= 1:
            raise ParamError("threshold", "a fraction in (0, 1]")

    def verify(self, params: dict[str, Any], response: ChatResponse, ctx: VerifyContext) -> Verdict:
        state = _Answer(answer_text(response))
        checks = []
        for rule in params["rules"]:
            ok, detail = evaluate(rule, state)
            checks.append(Check(rule["name"], ok, detail))
        met = sum(c.ok for c in checks)
        score = met / len(checks)
        passed = score >= params["threshold"] - 1e-9 if "threshold" in params else met == len(checks)
        failed = [c for c in checks if not c.ok]
        detail = f"{met}/{len(checks)} rules met"
        if failed:
            detail += ": " + "; ".join(f"{c.name}: {c.detail}" for c in failed)
        unparsed = any("json_path" in rule and not c.ok and c.detail.startswith(_NO_JSON) for rule, c in zip(params["rules"], checks))
        mode = FailureMode.INVALID_JSON if unparsed else FailureMode.WRONG_ANSWER
        return Verdict(passed, score, None if passed else mode, detail, checks)


def validate_predicate(predicate: dict[str, Any], where: str) -> None:
    """Raise ParamError unless ``predicate`` holds exactly one known predicate and its modifiers."""
    found = [key for key in predicate if key in _PREDICATES]
    if len(found) != 1:
        raise ParamError(where, f"needs exactly one predicate of {', '.join(_PREDICATES)} (found {', '.join(found) or 'none'})")
    op = found[0]
    types, modifiers = _PREDICATES[op]
    for key in predicate:
        if key != op and key not in modifiers:
            raise ParamError(f"{where}.{key}", f"not allowed with {op!r} (allowed: {', '.join(modifiers) or 'nothing'})")
    arg, at = predicate[op], f"{where}.{op}"
    if isinstance(arg, bool) or not isinstance(arg, types):
        raise ParamError(at, f"expected {' or '.join(t.__name__ for t in types)}")
    for flag in ("ignore_case", "strict"):
        if flag in predicate and not isinstance(predicate[flag], bool):
            raise ParamError(f"{where}.{flag}", "expected a boolean")
    if op in ("contains", "contains_any", "not_contains", "equals", "starts_with", "ends_with"):
        values = arg if isinstance(arg, list) else [arg]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise ParamError(at, "non-empty strings")
    elif op in ("regex", "not_regex"):
        flags = predicate.get("flags", "")
        if not isinstance(flags, str) or any(f not in _FLAGS for f in flags):
            raise ParamError(f"{where}.flags", "a string of i, m, s")
        try:
            re.compile(arg)
        except re.error as exc:
            raise ParamError(at, f"not a valid regular expression: {exc}") from None
    elif op in ("min_words", "max_words", "max_chars") and arg < 0:
        raise ParamError(at, "a whole number >= 0")
    elif op == "line_count":
        _validate_range(arg, at)
    elif op == "json_path":
        if parse_path(arg) is None:
            raise ParamError(at, "a path such as order.items[0].sku (keys, [index], [\"odd key\"])")
        validate_matcher(predicate.get("matcher", {"present": True}), f"{where}.matcher")
    elif op == "final_number":
        validate_tolerance(predicate.get("tolerance", 0), f"{where}.tolerance")
    elif op in ("all_of", "any_of"):
        if not arg:
            raise ParamError(at, "a non-empty list of predicates")
        for index, sub in enumerate(arg):
            if not isinstance(sub, dict):
                raise ParamError(f"{at}[{index}]", "a predicate object")
            validate_predicate(sub, f"{at}[{index}]")
    elif op == "not":
        validate_predicate(arg, at)


def _validate_range(arg: Any, at: str) -> None:
    if isinstance(arg, int):
        if arg < 0:
            raise ParamError(at, "a whole number >= 0")
        return
    if not arg or set(arg) - {"min", "max"}:
        raise ParamError(at, "{\"min\": A, \"max\": B} (either or both)")
    for key, value in arg.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParamError(f"{at}.{key}", "a whole number >= 0")
    if arg.get("min", 0) > arg.get("max", arg.get("min", 0)):
        raise ParamError(f"{at}.min", "greater than max")


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


def _normal(text: str, ignore_case: bool) -> str:
    text = " ".join(text.translate(_QUOTES).split())
    return text.casefold() if ignore_case else text


def evaluate(predicate: dict[str, Any], state: _Answer) -> tuple[bool, str]:
    """(ok, detail) of a validated predicate on the answer."""
    op = next(key for key in predicate if key in _PREDICATES)
    return _EVALUATORS[op](predicate, state)


def _contains(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    case = p.get("ignore_case", True)
    text = _normal(s.text, case)
    values = p["contains"] if isinstance(p["contains"], list) else [p["contains"]]
    lost = [v for v in values if _normal(v, case) not in text]
    return not lost, f"missing {', '.join(shown(v) for v in lost)}" if lost else f"contains {', '.join(shown(v) for v in values)}"


def _contains_any(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    case = p.get("ignore_case", True)
    text = _normal(s.text, case)
    hit = next((v for v in p["contains_any"] if _normal(v, case) in text), None)
    return hit is not None, f"contains {shown(hit)}" if hit is not None else f"none of {', '.join(shown(v) for v in p['contains_any'])}"


def _not_contains(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    case = p.get("ignore_case", True)
    text = _normal(s.text, case)
    values = p["not_contains"] if isinstance(p["not_contains"], list) else [p["not_contains"]]
    found = [v for v in values if _normal(v, case) in text]
    return not found, f"contains {', '.join(shown(v) for v in found)}" if found else "none present"


def _equals(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    case = p.get("ignore_case", True)
    ok = _normal(s.text, case) == _normal(p["equals"], case)
    return ok, "equal" if ok else f"expected {shown(p['equals'])}, got {shown(s.text)}"


def _affix(p: dict[str, Any], s: _Answer, key: str, test: Callable[[str, str], bool]) -> tuple[bool, str]:
    case = p.get("ignore_case", True)
    affix = _normal(p[key], case)
    candidates = [_normal(s.text, case), _normal(re.sub(r"[*_`]", "", s.text), case)]
    if any(test(c, affix) for c in candidates):
        return True, ""
    edge = s.text[:40] if key == "starts_with" else s.text[-40:]
    return False, f"expected {shown(p[key])}, got {shown(edge)}"


def _regex(p: dict[str, Any], s: _Answer, negate: bool = False) -> tuple[bool, str]:
    key = "not_regex" if negate else "regex"
    flags = 0
    for flag in p.get("flags", ""):
        flags |= _FLAGS[flag]
    found = re.search(p[key], s.text, flags)
    if negate:
        return found is None, f"/{p[key]}/ found {shown(found.group(0))}" if found else f"/{p[key]}/ not found"
    return found is not None, f"/{p[key]}/ found {shown(found.group(0))}" if found else f"/{p[key]}/ not found"


def _words(p: dict[str, Any], s: _Answer, key: str) -> tuple[bool, str]:
    count = len(tm.words(s.text))
    ok = count >= p[key] if key == "min_words" else count <= p[key]
    bound = "at least" if key == "min_words" else "at most"
    return ok, f"{count} words" + ("" if ok else f", expected {bound} {p[key]}")


def _max_chars(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    ok = len(s.text) <= p["max_chars"]
    return ok, f"{len(s.text)} characters" + ("" if ok else f", expected at most {p['max_chars']}")


def _line_count(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    count = sum(1 for line in s.text.splitlines() if line.strip())
    spec = p["line_count"]
    low, high = (spec, spec) if isinstance(spec, int) else (spec.get("min", 0), spec.get("max"))
    ok = count >= low and (high is None or count <= high)
    wanted = f"exactly {low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
    return ok, f"{count} non-empty lines" + ("" if ok else f", expected {wanted}")


def _json_path(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    parsed = s.json(p.get("strict", False))
    if parsed.value is None and not parsed.ok:
        failed = next(c for c in parsed.checks if not c.ok)
        return False, f"{_NO_JSON}{failed.detail}"
    value = value_at(parsed.value, parse_path(p["json_path"]) or [])
    result = match(p.get("matcher", {"present": True}), value)
    return result.ok, f"{p['json_path']} = {shown(value)}" if result.ok else f"{p['json_path']}: {result.detail}"


def _final_number(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    found = read_final_answer(s.text)
    tolerance = p.get("tolerance", 0)
    wanted = f"{p['final_number']:g}{describe_tolerance(tolerance)}"
    if found.number is None:
        return False, f"no number on the final line (expected {wanted})"
    if found.ambiguity:
        return False, f"ambiguous final answer: {found.ambiguity} (expected {wanted})"
    ok = number_matches(float(p["final_number"]), found.number, tolerance)
    return ok, f"{found.number.text}" + ("" if ok else f", expected {wanted}")


def _all_of(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    results = [evaluate(sub, s) for sub in p["all_of"]]
    failed = [detail for ok, detail in results if not ok]
    return not failed, "; ".join(failed) if failed else "all met"


def _any_of(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    results = [evaluate(sub, s) for sub in p["any_of"]]
    hit = next((detail for ok, detail in results if ok), None)
    return hit is not None, hit if hit is not None else "none met: " + " / ".join(d for _, d in results)


def _not(p: dict[str, Any], s: _Answer) -> tuple[bool, str]:
    ok, detail = evaluate(p["not"], s)
    return not ok, f"not expected: {detail}" if ok else f"as required, not: {detail}"


_EVALUATORS: dict[str, Callable[[dict[str, Any], _Answer], tuple[bool, str]]] = {
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
    "line_count": _line_count,
    "json_path": _json_path,
    "final_number": _final_number,
    "all_of": _all_of,
    "any_of": _any_of,
    "not": _not,
}
