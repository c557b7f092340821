"""The rules of the ``instructions`` verifier: each judges the answer text (reasoning
removed) into one Check. Their parameters are typed in ``instruction_params``; both are
documented in ``benchlab.plugins.verifiers.instructions.instructions``."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import attrs

from benchlab.model import Check
from benchlab.plugins.verifiers.fences import scan_fences
from benchlab.plugins.verifiers.instructions import text_measures as tm
from benchlab.plugins.verifiers.instructions.instruction_params import (
    RULE_PARAMS, BulletCountRule, CountedRule, EndsWithRule, HeaderCountRule, InstructionRule, JsonRule, LanguageRule,
    MaxLineLengthRule, PhraseCountRule, PhrasesRule, RegexRule, SectionsRule, StartsWithRule, TopicRule,
)
from benchlab.plugins.verifiers.structured.value_matchers import json_type, match, shown
from benchlab.verifier_params import register_tagged_union

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_MINOR_WORDS = frozenset("a an the and but or nor for so yet as at by in of off on per to up via vs".split())

register_tagged_union(InstructionRule, "rule", RULE_PARAMS)


def _count_ok(rule: CountedRule, count: int, unit: str, sample: list[str] | None = None) -> tuple[bool, str]:
    if rule.exact is not None:
        low = rule.exact - (rule.tolerance or 0)
        high = rule.exact + (rule.tolerance or 0)
        wanted = f"exactly {rule.exact}" + (f" (±{rule.tolerance})" if rule.tolerance else "")
    else:
        low, high = rule.min or 0, rule.max
        wanted = (f"{low} to {high}" if rule.min is not None and high is not None
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


# --- the checks: (rule params, answer text) -> (ok, detail) ---------------------------------


def _word_count(rule: Any, text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(tm.words(text)), "words")


def _sentence_count(rule: Any, text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(tm.sentences(text)), "sentences")


def _paragraph_count(rule: Any, text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(tm.paragraphs(text)), "paragraphs")


def _line_count(rule: Any, text: str) -> tuple[bool, str]:
    return _count_ok(rule, sum(1 for line in text.splitlines() if line.strip()), "non-empty lines")


def _char_count(rule: Any, text: str) -> tuple[bool, str]:
    return _count_ok(rule, len(text), "characters")


def _lowercase(rule: Any, text: str) -> tuple[bool, str]:
    upper = [w for w in text.split() if any(ch.isupper() for ch in w)]
    return not upper, f"capitals in {', '.join(shown(w, 20) for w in upper[:5])}" if upper else "all lowercase"


def _uppercase(rule: Any, text: str) -> tuple[bool, str]:
    lower = [w for w in text.split() if any(ch.islower() for ch in w)]
    return not lower, f"lowercase in {', '.join(shown(w, 20) for w in lower[:5])}" if lower else "all uppercase"


def _title_case(rule: Any, text: str) -> tuple[bool, str]:
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


def _required_phrases(rule: PhrasesRule, text: str) -> tuple[bool, str]:
    lost = [p for p in rule.phrases if not _find_all(p, text, rule.ignore_case)]
    return not lost, f"missing {', '.join(shown(p) for p in lost)}" if lost else "all present"


def _forbidden_phrases(rule: PhrasesRule, text: str) -> tuple[bool, str]:
    found = [p for p in rule.phrases if _find_all(p, text, rule.ignore_case)]
    return not found, f"found {', '.join(shown(p) for p in found)}" if found else "none found"


def _phrase_count(rule: PhraseCountRule, text: str) -> tuple[bool, str]:
    return _count_ok(rule, _find_all(rule.phrase, text, rule.ignore_case), f"× {shown(rule.phrase)}")


def _unmarked(text: str) -> str:
    return re.sub(r"[*_`]", "", text)


def _starts_with(rule: StartsWithRule, text: str) -> tuple[bool, str]:
    return _affix(rule.starts_with, rule.ignore_case, text, "starts_with", lambda t, a: t.startswith(a))


def _ends_with(rule: EndsWithRule, text: str) -> tuple[bool, str]:
    return _affix(rule.ends_with, rule.ignore_case, text, "ends_with", lambda t, a: t.endswith(a))


def _affix(wanted: str, ignore_case: bool, text: str, key: str, test: Callable[[str, str], bool]) -> tuple[bool, str]:
    affix = wanted.strip()
    candidates = [text.strip(), _unmarked(text).strip()]
    if ignore_case:
        affix, candidates = affix.casefold(), [c.casefold() for c in candidates]
    if any(test(c, affix) for c in candidates):
        return True, ""
    edge = text.strip()[:40] if key == "starts_with" else text.strip()[-40:]
    return False, f"expected {shown(wanted)}, got {shown(edge)}"


def _bullet_count(rule: BulletCountRule, text: str) -> tuple[bool, str]:
    style = rule.style
    items = [t for kind, t in tm.bullets(text) if style in ("any", kind)]
    ok, detail = _count_ok(rule, len(items), "list items" if style == "any" else f"{style} list items")
    if ok and rule.max_words is not None:
        long = [t for t in items if len(tm.words(t)) > rule.max_words]
        if long:
            return False, f"{len(long)} item(s) over {rule.max_words} words: {shown(long[0])}"
    if ok and rule.min_words is not None:
        short = [t for t in items if len(tm.words(t)) < rule.min_words]
        if short:
            return False, f"{len(short)} item(s) under {rule.min_words} words: {shown(short[0])}"
    return ok, detail


def _header_count(rule: HeaderCountRule, text: str) -> tuple[bool, str]:
    level = rule.level
    found = [h for h in tm.headers(text) if level is None or h[0] == level]
    return _count_ok(rule, len(found), "headers" + (f" of level {level}" if level else ""))


def _sections(rule: SectionsRule, text: str) -> tuple[bool, str]:
    titles = tm.section_titles(text)
    wanted = [tm.normalise_heading(n) for n in rule.names]
    positions = [titles.index(w) if w in titles else None for w in wanted]
    lost = [n for n, p in zip(rule.names, positions) if p is None]
    if lost:
        return False, f"missing section(s) {', '.join(shown(n) for n in lost)} (found: {', '.join(titles[:8]) or 'none'})"
    if rule.ordered and positions != sorted(positions):
        order = [n for _, n in sorted(zip(positions, rule.names))]
        return False, f"sections out of order: {' / '.join(order)}"
    if rule.min_words is not None:
        bodies = dict(reversed(tm.sections(text)))  # a title's first section wins
        thin = [n for n, w in zip(rule.names, wanted) if len(tm.words(bodies[w])) < rule.min_words]
        if thin:
            return False, f"section(s) {', '.join(shown(n) for n in thin)} hold fewer than {rule.min_words} words"
    return True, ""


def _topic(rule: TopicRule, text: str) -> tuple[bool, str]:
    # Loose terms alone pass generic words ("Good Morning Everyone" for remote teams), so
    # a rule may name core terms of which at least one must be there.
    if rule.required is not None and not any(_term_found(t, text) for t in rule.required):
        return False, f"none of the core term(s) {', '.join(shown(t) for t in rule.required[:8])}"
    found = [t for t in rule.terms if _term_found(t, text)]
    if not rule.has_bound:
        rule = attrs.evolve(rule, min=1)
    ok, detail = _count_ok(rule, len(found), "topic term(s)")
    return ok, detail + (f": {', '.join(shown(t) for t in found[:8])}" if found else f" of {', '.join(shown(t) for t in rule.terms[:8])}")


def _placeholders(rule: Any, text: str) -> tuple[bool, str]:
    found = tm.placeholders(text)
    ok, detail = _count_ok(rule, len(found), "placeholders")
    return ok, detail + (f" ({', '.join('[' + p + ']' for p in found[:6])})" if found else "")


def _no_commas(rule: Any, text: str) -> tuple[bool, str]:
    count = sum(text.count(c) for c in ",\uff0c\u060c")
    return count == 0, f"{count} comma(s)" if count else ""


def _language(rule: LanguageRule, text: str) -> tuple[bool, str]:
    total, scores = tm.language_scores(text)
    want = rule.lang
    if total == 0:
        return False, "no words"
    best = max(scores, key=lambda lang: scores[lang])
    others = max(s for lang, s in scores.items() if lang != want)
    ok = scores[want] >= tm.MIN_STOPWORD_SHARE and scores[want] > others
    summary = ", ".join(f"{lang} {scores[lang]:.0%}" for lang in sorted(scores, key=scores.get, reverse=True)[:3])
    return ok, f"stopword shares: {summary}" + ("" if ok else f"; expected {tm.LANGUAGE_NAMES[want]}, looks like {tm.LANGUAGE_NAMES[best]}")


def _whole_fence(text: str) -> str | None:
    """The body when the whole text is one closed fenced block tagged json or untagged (the one
    fence parser's rules: backticks or tildes, three or more), else None."""
    blocks, unclosed = scan_fences(text)
    if unclosed is None and len(blocks) == 1 and blocks[0].lang in ("", "json") \
            and not text[:blocks[0].start].strip() and not text[blocks[0].end:].strip():
        return blocks[0].body
    return None


def _json(rule: JsonRule, text: str) -> tuple[bool, str]:
    body = text.strip()
    fenced = _whole_fence(body)
    if fenced is not None and rule.fence:
        body = fenced.strip()
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as exc:
        return False, f"not valid JSON: {getattr(exc, 'msg', 'too deeply nested')}"
    wanted = rule.type
    if wanted != "any" and json_type(value) != wanted:
        return False, f"expected a JSON {wanted}, got a {json_type(value)}"
    if rule.fields is not None:
        result = match({"fields": rule.fields, "extra": rule.extra_keys}, value)
        if not result.ok:
            return False, result.detail
    return True, ""


def _quoted(rule: Any, text: str) -> tuple[bool, str]:
    body = text.strip()
    ok = len(body) >= 2 and body[0] in "\"\u201c" and body[-1] in "\"\u201d"
    return ok, "" if ok else f"not wrapped in double quotes: {shown(body[:20])}...{shown(body[-20:])}"


def _max_line_length(rule: MaxLineLengthRule, text: str) -> tuple[bool, str]:
    longest = max((len(line.rstrip()) for line in text.splitlines()), default=0)
    ok = longest <= rule.max
    return ok, f"longest line {longest} characters" + ("" if ok else f", expected at most {rule.max}")


def _regex(rule: RegexRule, text: str) -> tuple[bool, str]:
    flags = 0
    for flag in rule.flags:
        flags |= _FLAGS[flag]
    count = sum(1 for _ in re.finditer(rule.pattern, text, flags))
    if not rule.has_bound:
        return count >= 1, f"/{rule.pattern}/ matches {count} time(s)"
    return _count_ok(rule, count, f"matches of /{rule.pattern}/")


_CHECKS: dict[str, Callable[[Any, str], tuple[bool, str]]] = {
    "word_count": _word_count,
    "sentence_count": _sentence_count,
    "paragraph_count": _paragraph_count,
    "line_count": _line_count,
    "char_count": _char_count,
    "lowercase": _lowercase,
    "uppercase": _uppercase,
    "title_case": _title_case,
    "required_phrases": _required_phrases,
    "forbidden_phrases": _forbidden_phrases,
    "phrase_count": _phrase_count,
    "starts_with": _starts_with,
    "ends_with": _ends_with,
    "bullet_count": _bullet_count,
    "header_count": _header_count,
    "sections": _sections,
    "topic": _topic,
    "placeholders": _placeholders,
    "no_commas": _no_commas,
    "language": _language,
    "json": _json,
    "quoted": _quoted,
    "max_line_length": _max_line_length,
    "regex": _regex,
}


def run_rule(rule: InstructionRule, text: str) -> Check:
    ok, detail = _CHECKS[rule.rule](rule, text)
    return Check(rule.name or rule.rule, ok, detail)
