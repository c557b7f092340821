"""Verifier ``instructions``: does the answer obey every stated constraint?

Params: ``{"kind": "instructions", "rules": [RULE, ...]}``. Each rule is an object with a
``rule`` kind, its own keys, and an optional ``name`` (the check's name; by default the
rule kind, with ``#2``, ``#3`` added when a kind repeats). Each rule becomes one Check.
Counted rules take ``min``, ``max``, or ``exact`` (with an optional ``tolerance``).

Rules
    ``word_count``, ``sentence_count``, ``paragraph_count``, ``line_count`` (non-empty
    lines), ``char_count`` (characters of the trimmed answer): counted.
    ``lowercase`` / ``uppercase``: no upper- / lowercase letter anywhere.
    ``title_case``: every word starts with a capital, except a, an, the, and, but, or,
    nor, for, so, yet, as, at, by, in, of, off, on, per, to, up, via, vs inside a line.
    ``required_phrases`` / ``forbidden_phrases`` (``phrases``, ``ignore_case`` default
    true) and ``phrase_count`` (``phrase``, counted): a phrase is found on word boundaries
    ("art" is not found in "start"), any whitespace matching its spaces, curly apostrophes
    matching straight ones.
    ``starts_with`` / ``ends_with`` (the text; ``ignore_case`` default false): compared with
    the trimmed answer, also with ``*``, ``_`` and backticks removed (so ``**In short**,``
    starts with "In short").
    ``bullet_count`` (counted; ``style`` any | unordered | ordered; ``min_words`` and
    ``max_words`` per item).
    ``header_count`` (counted; ``level`` 1-6): ATX markdown headers (``## Title``).
    ``sections`` (``names``, ``ordered`` default true, ``min_words``): each name opens a
    section, in order; with ``min_words`` each named section's own text (up to the next
    section) holds at least that many words, so empty headers fail.
    ``topic`` (``terms``; counted on how many different terms are found, by default at
    least one; ``required``: core terms of which at least one must be found as well):
    is the answer about what was asked? A term is found like a phrase, case
    ignored; a trailing ``*`` lets its last word run on ("recurs*" finds "recursion" and
    "recursive", not "precursor").
    ``placeholders`` (counted): ``[like this]``.
    ``no_commas``: no ``,`` (nor the full-width and Arabic commas).
    ``language`` (``lang``: en, fr, es, de, it, pt).
    ``json`` (``type`` any | object | array; ``fields``: key -> value matcher, see
    ``benchlab.plugins.verifiers.structured.value_matchers``; ``extra_keys`` default true; ``fence`` default true).
    ``quoted``: the whole answer is wrapped in double quotes (straight or curly).
    ``max_line_length`` (``max`` characters per line, trailing spaces ignored).
    ``regex`` (``pattern``, ``flags`` of i/m/s; counted, by default at least one match).

Definitions (they decide pass or fail)
    The answer is the content with reasoning removed, trimmed.
    Markdown markup is removed before counting: header ``#``s, list markers (``-``, ``*``,
    ``+``, ``1.``, ``1)``) and task boxes, quote ``>``, emphasis ``*``/``_``/``~~``,
    backticks, link and image syntax (their text stays), table pipes and rules,
    horizontal rules, code-fence lines (code inside a fence still counts).
    A *word* is a run of characters between whitespace or em/en dashes that holds at
    least one letter or digit: "don't", "e.g.", "3.5", "well-known" and "U.S." are one
    word each; a lone "-" or "&" is none.
    A *sentence* ends at ``.``, ``!`` or ``?`` (closing quotes, brackets or markup may
    follow) before whitespace, and at the end of a paragraph, a header line or a list
    item. "e.g.", "i.e.", "cf.", "vs.", "viz.", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.",
    "approx.", "ca.", "fig." never end one; "etc.", "...", and initials such as "U.S." or
    "p.m." end one only when the next word starts with a capital. Decimals ("3.5") and
    versions ("2.4.0") never split, having no space after the dot.
    A *paragraph* is a block of lines separated from the next by a blank line or a
    horizontal rule (``---``, ``***``), holding at least one letter or digit; a header
    with its own blank lines around it is a paragraph too.
    A *list item* is a line starting (after any indentation) with ``-``, ``*`` or ``+``
    and a space (unordered) or 1-3 digits and ``.`` or ``)`` and a space (ordered); a
    horizontal rule is not one. Lines inside code fences are never items or headers.
    A *section* is opened by a markdown header, a line that is all bold (``**Risks**``),
    or a line starting with a label and a colon (``Risks:``); titles are compared
    case-insensitively after removing markup, a trailing colon and a leading number
    ("2. Risks").
    A *placeholder* is ``[text]`` where text (1-60 characters, one line) holds a letter
    and is not followed by ``(`` (a markdown link) nor preceded by ``!`` (an image);
    task boxes ``[ ]``/``[x]`` and citations like ``[1]`` are not placeholders.
    *Language*: the share of the answer's words that are frequent function words
    (stopwords) of each language, from short fixed lists in ``text_measures.STOPWORDS``.
    The expected language passes when its share is at least 15% and strictly greater
    than every other language's. Deterministic and crude: it tells English, French,
    Spanish, German, Italian and Portuguese apart in answers of a sentence or more, and
    is not meant for single words.

Failure mode: ``invalid_json`` when a ``json`` rule fails because the answer does not
parse; otherwise ``wrong_answer``.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.plugins.verifiers.instructions.instruction_params import InstructionRule
from benchlab.plugins.verifiers.instructions.instruction_rules import run_rule
from benchlab.verifier_params import ParamError
from benchlab.verifiers import Verifier, VerifyContext, answer_text


def check_names(rules: list[InstructionRule]) -> list[str]:
    """Each rule's check name: its ``name``, or its kind numbered when the kind repeats."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for rule in rules:
        base = rule.name or rule.rule
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return names


def _rules(_: Any, attribute: attrs.Attribute, rules: list[InstructionRule]) -> None:
    if not rules:
        raise ParamError(attribute.name, "at least one rule")
    names = [r.name for r in rules if r.name is not None]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ParamError(attribute.name, f"two rules are named {duplicate!r}")


@attrs.frozen
class InstructionsParams:
    rules: list[InstructionRule] = attrs.field(validator=_rules)


class InstructionsVerifier(Verifier):
    """Judge the answer text against a list of hard constraints, one Check per rule."""

    params = InstructionsParams

    def verify(self, params: InstructionsParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        text = answer_text(response)
        checks: list[Check] = []
        unparsed_json = False
        for rule, name in zip(params.rules, check_names(params.rules)):
            check = run_rule(rule, text)
            checks.append(Check(name, check.ok, check.detail))
            unparsed_json = unparsed_json or (rule.rule == "json" and check.detail.startswith("not valid JSON"))
        return Verdict.from_checks(checks, FailureMode.INVALID_JSON if unparsed_json else FailureMode.WRONG_ANSWER)
