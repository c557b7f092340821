"""The rules of the ``instructions`` verifier: each validates its own params and judges
the answer text (reasoning removed) into one Check. Documented in
``benchlab.plugins.verifiers.instructions.instructions``."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from benchlab.model import Check
from benchlab.plugins.verifiers.instructions import text_measures as tm
from benchlab.plugins.verifiers.structured.matcher_validation import validate_matcher
from benchlab.plugins.verifiers.structured.value_matchers import json_type, match, shown
from benchlab.verifiers import ParamError

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_COUNT_KEYS = ("min", "max", "exact", "tolerance")
_MINOR_WORDS = frozenset("a an the and but or nor for so yet as at by in of off on per to up via vs".split())
_FENCED_JSON = re.compile(r"^```[ \t]*(?:json|JSON)?[ \t]*\n(?P<body>.*)\n```$", re.DOTALL)


class Rule:
    """One kind of rule: its parameters (name -> types, required or not) and its check."""

    def __init__(self, params: dict[str, tuple[Any, bool]], check: Callable[[dict[str, Any], str], tuple[bool, str]],
                 counted: bool = False, extra_validate: Callable[[dict[str, Any], str], None] | None = None,
                 bound_required: bool = True) -> None:
        self.params = params
        self.check = check
        self.counted = counted  # takes min / max / exact / tolerance
        self.bound_required = bound_required  # one of min / max / exact must be given
        self.extra_validate = extra_validate

    def validate(self, rule: dict[str, Any], where: str) -> None:
        allowed = {"rule", "name", *self.params, *(_COUNT_KEYS if self.counted else ())}
        for key in rule:
            if key not in allowed:
                raise ParamError(f"{where}.{key}", f"unknown key for {rule['rule']!r} (known: {', '.join(sorted(allowed - {'rule'}))})")
        for key, (types, required) in self.params.items():
            if key not in rule:
                if required:
                    raise ParamError(f"{where}.{key}", "required")
                continue
            value = rule[key]
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                raise ParamError(f"{where}.{key}", f"expected {' or '.join(t.__name__ for t in types)}")
        if self.counted and (self.bound_required or any(k in rule for k in _COUNT_KEYS)):
            _validate_count(rule, where)
        if self.extra_validate:
            self.extra_validate(rule, where)


def _validate_count(rule: dict[str, Any], where: str) -> None:
    for key in _COUNT_KEYS:
        if key in rule and (isinstance(rule[key], bool) or not isinstance(rule[key], int) or rule[key] < 0):
            raise ParamError(f"{where}.{key}", "a whole number >= 0")
    if not any(k in rule for k in ("min", "max", "exact")):
        raise ParamError(where, "give min, max or exact")
    if "exact" in rule and ("min" in rule or "max" in rule):
        raise ParamError(f"{where}.exact", "use exact alone, or min/max")
    if "tolerance" in rule and "exact" not in rule:
        raise ParamError(f"{where}.tolerance", "only with exact")
    if "min" in rule and "max" in rule and rule["min"] > rule["max"]:
        raise ParamError(f"{where}.min", f"greater than max ({rule['max']})")


def _count_ok(rule: dict[str, Any], count: int, unit: str, sample: list[str] | None = None) -> tuple[bool, str]:
    if "exact" in rule:
        low = rule["exact"] - rule.get("tolerance", 0)
        high = rule["exact"] + rule.get("tolerance", 0)
        wanted = f"exactly {rule['exact']}" + (f" (±{rule['tolerance']})" if rule.get("tolerance") else "")
    else:
        low, high = rule.get("min", 0), rule.get("max")
        wanted = (f"{low} to {high}" if "min" in rule and high is not None
                  else f"at least {low}" if high is None else f"at most {high}")
    ok = low <= count and (high is None or count <= high)
    detail = f"{count} {unit}" + ("" if ok else f", expected {wanted}")
    return ok, detail


def _phrase_pattern(phrase: str, ignore_case: bool) -> re.Pattern[str]:
    """A phrase found on word boundaries, any run of whitespace matching its spaces."""
    phrase = phrase.strip().replace("\u2019", "'")
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    start = r"(?<!\w)" if phrase[:1].isalnum() or phrase[:1] == "_" else ""
    end = r"(?!\w)" if phrase[-1:].isalnum() or phrase[-1:] == "_" else ""
    return re.compile(start + body + end, re.IGNORECASE if ignore_case else 0)


def _find_all(phrase: str, text: str, ignore_case: bool) -> int:
    return len(_phrase_pattern(phrase, ignore_case).findall(text.replace("\u2019", "'")))


def _term_found(term: str, text: str) -> bool:
    """A topic term, case-insensitive; a trailing ``*`` lets the last word run on
    ("recurs*" finds "recursion" and "recursive")."""
    if not term.endswith("*"):
        return _find_all(term, text, True) > 0
    stem = _phrase_pattern(term[:-1], True).pattern.removesuffix(r"(?!\w)")
    return re.search(stem + r"\w*", text.replace("\u2019", "'"), re.IGNORECASE) is not None


def _non_empty_strings(key: str) -> Callable[[dict[str, Any], str], None]:
    def check(rule: dict[str, Any], where: str) -> None:
        values = rule[key] if isinstance(rule[key], list) else [rule[key]]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise ParamError(f"{where}.{key}", "non-empty strings")
    return check


# --- the checks: (rule params, answer text) -> (ok, detail) ---------------------------------


def _word_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(tm.words(text)), "words")


def _sentence_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(tm.sentences(text)), "sentences")


def _paragraph_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(tm.paragraphs(text)), "paragraphs")


def _line_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _count_ok(rule, sum(1 for line in text.splitlines() if line.strip()), "non-empty lines")


def _char_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(text), "characters")


def _lowercase(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    upper = [w for w in text.split() if any(ch.isupper() for ch in w)]
    return not upper, f"capitals in {', '.join(shown(w, 20) for w in upper[:5])}" if upper else "all lowercase"


def _uppercase(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    lower = [w for w in text.split() if any(ch.islower() for ch in w)]
    return not lower, f"lowercase in {', '.join(shown(w, 20) for w in lower[:5])}" if lower else "all uppercase"


def _title_case(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    wrong = []
    for line in tm.strip_markdown(text).splitlines():
        tokens = [t for t in line.split() if t[:1].isalpha() or t.lstrip(_OPEN)[:1].isalpha()]
        for index, token in enumerate(tokens):
            first = token.lstrip(_OPEN)[:1]
            minor = token.lower().strip(_OPEN + ".,;:!?") in _MINOR_WORDS and 0 < index < len(tokens) - 1
            if first.islower() and not minor:
                wrong.append(token)
    return not wrong, f"not capitalised: {', '.join(shown(w, 20) for w in wrong[:5])}" if wrong else "title case"


_OPEN = "\"'(\u201c\u2018\u00ab"


def _required_phrases(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    lost = [p for p in rule["phrases"] if not _find_all(p, text, rule.get("ignore_case", True))]
    return not lost, f"missing {', '.join(shown(p) for p in lost)}" if lost else "all present"


def _forbidden_phrases(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    found = [p for p in rule["phrases"] if _find_all(p, text, rule.get("ignore_case", True))]
    return not found, f"found {', '.join(shown(p) for p in found)}" if found else "none found"


def _phrase_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _count_ok(rule, _find_all(rule["phrase"], text, rule.get("ignore_case", True)), f"× {shown(rule['phrase'])}")


def _unmarked(text: str) -> str:
    return re.sub(r"[*_`]", "", text)


def _starts_with(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _affix(rule, text, "starts_with", lambda t, a: t.startswith(a))


def _ends_with(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    return _affix(rule, text, "ends_with", lambda t, a: t.endswith(a))


def _affix(rule: dict[str, Any], text: str, key: str, test: Callable[[str, str], bool]) -> tuple[bool, str]:
    affix = rule[key].strip()
    candidates = [text.strip(), _unmarked(text).strip()]
    if rule.get("ignore_case", False):
        affix, candidates = affix.casefold(), [c.casefold() for c in candidates]
    if any(test(c, affix) for c in candidates):
        return True, ""
    edge = text.strip()[:40] if key == "starts_with" else text.strip()[-40:]
    return False, f"expected {shown(rule[key])}, got {shown(edge)}"


def _bullet_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    style = rule.get("style", "any")
    items = [t for kind, t in tm.bullets(text) if style in ("any", kind)]
    ok, detail = _count_ok(rule, len(items), "list items" if style == "any" else f"{style} list items")
    if ok and "max_words" in rule:
        long = [t for t in items if len(tm.words(t)) > rule["max_words"]]
        if long:
            return False, f"{len(long)} item(s) over {rule['max_words']} words: {shown(long[0])}"
    if ok and "min_words" in rule:
        short = [t for t in items if len(tm.words(t)) < rule["min_words"]]
        if short:
            return False, f"{len(short)} item(s) under {rule['min_words']} words: {shown(short[0])}"
    return ok, detail


def _header_count(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    level = rule.get("level")
    found = [h for h in tm.headers(text) if level is None or h[0] == level]
    return _count_ok(rule, len(found), "headers" + (f" of level {level}" if level else ""))


def _sections(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    titles = tm.section_titles(text)
    wanted = [tm.normalise_heading(n) for n in rule["names"]]
    positions = [titles.index(w) if w in titles else None for w in wanted]
    lost = [n for n, p in zip(rule["names"], positions) if p is None]
    if lost:
        return False, f"missing section(s) {', '.join(shown(n) for n in lost)} (found: {', '.join(titles[:8]) or 'none'})"
    if rule.get("ordered", True) and positions != sorted(positions):
        order = [n for _, n in sorted(zip(positions, rule["names"]))]
        return False, f"sections out of order: {' / '.join(order)}"
    if "min_words" in rule:
        bodies = dict(reversed(tm.sections(text)))  # a title's first section wins
        thin = [n for n, w in zip(rule["names"], wanted) if len(tm.words(bodies[w])) < rule["min_words"]]
        if thin:
            return False, f"section(s) {', '.join(shown(n) for n in thin)} hold fewer than {rule['min_words']} words"
    return True, ""


def _topic(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    # Loose terms alone pass generic words ("Good Morning Everyone" for remote teams), so
    # a rule may name core terms of which at least one must be there.
    if "required" in rule and not any(_term_found(t, text) for t in rule["required"]):
        return False, f"none of the core term(s) {', '.join(shown(t) for t in rule['required'][:8])}"
    found = [t for t in rule["terms"] if _term_found(t, text)]
    if not any(k in rule for k in ("min", "max", "exact")):
        rule = {**rule, "min": 1}
    ok, detail = _count_ok(rule, len(found), "topic term(s)")
    return ok, detail + (f": {', '.join(shown(t) for t in found[:8])}" if found else f" of {', '.join(shown(t) for t in rule['terms'][:8])}")


def _placeholders(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    found = tm.placeholders(text)
    ok, detail = _count_ok(rule, len(found), "placeholders")
    return ok, detail + (f" ({', '.join('[' + p + ']' for p in found[:6])})" if found else "")


def _no_commas(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    count = sum(text.count(c) for c in ",\uff0c\u060c")
    return count == 0, f"{count} comma(s)" if count else ""


def _language(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    total, scores = tm.language_scores(text)
    want = rule["lang"]
    if total == 0:
        return False, "no words"
    best = max(scores, key=lambda lang: scores[lang])
    others = max(s for lang, s in scores.items() if lang != want)
    ok = scores[want] >= tm.MIN_STOPWORD_SHARE and scores[want] > others
    summary = ", ".join(f"{lang} {scores[lang]:.0%}" for lang in sorted(scores, key=scores.get, reverse=True)[:3])
    return ok, f"stopword shares: {summary}" + ("" if ok else f"; expected {tm.LANGUAGE_NAMES[want]}, looks like {tm.LANGUAGE_NAMES[best]}")


def _json(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    body = text.strip()
    fenced = _FENCED_JSON.match(body)
    if fenced and rule.get("fence", True):
        body = fenced.group("body").strip()
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as exc:
        return False, f"not valid JSON: {getattr(exc, 'msg', 'too deeply nested')}"
    wanted = rule.get("type", "any")
    if wanted != "any" and json_type(value) != wanted:
        return False, f"expected a JSON {wanted}, got a {json_type(value)}"
    if "fields" in rule:
        result = match({"fields": rule["fields"], "extra": rule.get("extra_keys", True)}, value)
        if not result.ok:
            return False, result.detail
    return True, ""


def _quoted(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    body = text.strip()
    ok = len(body) >= 2 and body[0] in "\"\u201c" and body[-1] in "\"\u201d"
    return ok, "" if ok else f"not wrapped in double quotes: {shown(body[:20])}...{shown(body[-20:])}"


def _max_line_length(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    longest = max((len(line.rstrip()) for line in text.splitlines()), default=0)
    ok = longest <= rule["max"]
    return ok, f"longest line {longest} characters" + ("" if ok else f", expected at most {rule['max']}")


def _regex(rule: dict[str, Any], text: str) -> tuple[bool, str]:
    flags = 0
    for flag in rule.get("flags", ""):
        flags |= _FLAGS[flag]
    count = sum(1 for _ in re.finditer(rule["pattern"], text, flags))
    if not any(k in rule for k in ("min", "max", "exact")):
        return count >= 1, f"/{rule['pattern']}/ matches {count} time(s)"
    return _count_ok(rule, count, f"matches of /{rule['pattern']}/")


# --- extra validation ----------------------------------------------------------------------


def _validate_regex(rule: dict[str, Any], where: str) -> None:
    if any(f not in _FLAGS for f in rule.get("flags", "")):
        raise ParamError(f"{where}.flags", "a string of i, m, s")
    try:
        re.compile(rule["pattern"])
    except re.error as exc:
        raise ParamError(f"{where}.pattern", f"not a valid regular expression: {exc}") from None


def _validate_json(rule: dict[str, Any], where: str) -> None:
    if rule.get("type", "any") not in ("any", "object", "array"):
        raise ParamError(f"{where}.type", "one of any, object, array")
    for key, sub in rule.get("fields", {}).items():
        validate_matcher(sub, f"{where}.fields.{key}")


def _validate_choice(key: str, choices: tuple[Any, ...]) -> Callable[[dict[str, Any], str], None]:
    def check(rule: dict[str, Any], where: str) -> None:
        if key in rule and rule[key] not in choices:
            raise ParamError(f"{where}.{key}", f"one of {', '.join(map(str, choices))}")
    return check


def _validate_bullets(rule: dict[str, Any], where: str) -> None:
    _validate_choice("style", ("any", "ordered", "unordered"))(rule, where)
    for key in ("min_words", "max_words"):
        if key in rule and rule[key] < 1:
            raise ParamError(f"{where}.{key}", "at least 1")
    if rule.get("min_words", 1) > rule.get("max_words", rule.get("min_words", 1)):
        raise ParamError(f"{where}.min_words", f"greater than max_words ({rule['max_words']})")


def _validate_sections(rule: dict[str, Any], where: str) -> None:
    _non_empty_strings("names")(rule, where)
    if "min_words" in rule and rule["min_words"] < 1:
        raise ParamError(f"{where}.min_words", "at least 1")


def _validate_topic(rule: dict[str, Any], where: str) -> None:
    for key in ("terms", "required"):
        if key not in rule:
            continue
        _non_empty_strings(key)(rule, where)
        if any(t.strip() == "*" or "*" in t.strip()[:-1] for t in rule[key]):
            raise ParamError(f"{where}.{key}", "'*' only at the end of a term, after at least one character")
    if rule.get("min", 0) > len(rule["terms"]) or rule.get("exact", 0) > len(rule["terms"]):
        raise ParamError(f"{where}.min", f"more than the {len(rule['terms'])} terms listed")


def _validate_positive(key: str) -> Callable[[dict[str, Any], str], None]:
    def check(rule: dict[str, Any], where: str) -> None:
        if rule[key] < 1:
            raise ParamError(f"{where}.{key}", "at least 1")
    return check


_CASE = {"ignore_case": ((bool,), False)}
RULES: dict[str, Rule] = {
    "word_count": Rule({}, _word_count, counted=True),
    "sentence_count": Rule({}, _sentence_count, counted=True),
    "paragraph_count": Rule({}, _paragraph_count, counted=True),
    "line_count": Rule({}, _line_count, counted=True),
    "char_count": Rule({}, _char_count, counted=True),
    "lowercase": Rule({}, _lowercase),
    "uppercase": Rule({}, _uppercase),
    "title_case": Rule({}, _title_case),
    "required_phrases": Rule({"phrases": ((list,), True), **_CASE}, _required_phrases, extra_validate=_non_empty_strings("phrases")),
    "forbidden_phrases": Rule({"phrases": ((list,), True), **_CASE}, _forbidden_phrases, extra_validate=_non_empty_strings("phrases")),
    "phrase_count": Rule({"phrase": ((str,), True), **_CASE}, _phrase_count, counted=True, extra_validate=_non_empty_strings("phrase")),
    "starts_with": Rule({"starts_with": ((str,), True), **_CASE}, _starts_with, extra_validate=_non_empty_strings("starts_with")),
    "ends_with": Rule({"ends_with": ((str,), True), **_CASE}, _ends_with, extra_validate=_non_empty_strings("ends_with")),
    "bullet_count": Rule({"style": ((str,), False), "min_words": ((int,), False), "max_words": ((int,), False)}, _bullet_count,
                         counted=True, extra_validate=_validate_bullets),
    "header_count": Rule({"level": ((int,), False)}, _header_count, counted=True, extra_validate=_validate_choice("level", (1, 2, 3, 4, 5, 6))),
    "sections": Rule({"names": ((list,), True), "ordered": ((bool,), False), "min_words": ((int,), False)}, _sections,
                     extra_validate=_validate_sections),
    "topic": Rule({"terms": ((list,), True), "required": ((list,), False)}, _topic, counted=True, extra_validate=_validate_topic, bound_required=False),
    "placeholders": Rule({}, _placeholders, counted=True),
    "no_commas": Rule({}, _no_commas),
    "language": Rule({"lang": ((str,), True)}, _language, extra_validate=_validate_choice("lang", tuple(tm.STOPWORDS))),
    "json": Rule({"type": ((str,), False), "fields": ((dict,), False), "extra_keys": ((bool,), False), "fence": ((bool,), False)}, _json, extra_validate=_validate_json),
    "quoted": Rule({}, _quoted),
    "max_line_length": Rule({"max": ((int,), True)}, _max_line_length, extra_validate=_validate_positive("max")),
    "regex": Rule({"pattern": ((str,), True), "flags": ((str,), False)}, _regex, counted=True, extra_validate=_validate_regex,
                  bound_required=False),
}


def validate_rule(rule: Any, where: str) -> None:
    if not isinstance(rule, dict) or not isinstance(rule.get("rule"), str):
        raise ParamError(where, "a rule object such as {\"rule\": \"word_count\", \"max\": 50}")
    if rule["rule"] not in RULES:
        raise ParamError(f"{where}.rule", f"unknown rule {rule['rule']!r} (known: {', '.join(sorted(RULES))})")
    if "name" in rule and (not isinstance(rule["name"], str) or not rule["name"].strip()):
        raise ParamError(f"{where}.name", "a non-empty string")
    RULES[rule["rule"]].validate(rule, where)


def run_rule(rule: dict[str, Any], text: str) -> Check:
    ok, detail = RULES[rule["rule"]].check(rule, text)
    return Check(rule.get("name", rule["rule"]), ok, detail)
