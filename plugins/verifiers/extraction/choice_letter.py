"""Verifier ``choice_letter``: a multiple-choice answer, given as a letter, committed to.

Params::

    {"kind": "choice_letter", "expected": "C", "letters": "ABCD"}

The answer is the content with reasoning removed. Its *stated choices* are:

- a letter after the word ``answer`` (``Answer: C``, ``The answer is (C)``, ``**Final
  answer:** C``, ``answer = [C]``);
- the letter in ``\\boxed{C}`` (also ``\\boxed{\\text{C}}``);
- a final line that is nothing but the letter (``C``, ``(C)``, ``**C.**``).

Only letters of ``letters`` count (``Answer: X`` states nothing when the choices are A-D).
The *last* stated choice is the answer: a model that changes its mind ends with its final
word. The ``stated`` check fails when there is none; no other guess is made (a letter
merely mentioned, such as "option B is wrong", is no answer).

The ``committed`` check fails a hedge: the line of the last stated choice offers another
choice beside it (``C or D``, ``C/D``, ``C, maybe B``, ``A and C``), or says it is unsure
(``maybe``, ``perhaps``, ``possibly``, ``probably``, ``not sure``, ``unsure``, ``either``).
A parenthesised aside after the letter (``C (not A: that one is acidic)``) is ignored.
``value`` compares the letter with ``expected``. Failure mode: ``wrong_answer``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.verifier_params import ParamError
from benchlab.verifiers import Verifier, VerifyContext, answer_text

_ALNUM = re.compile(r"[^\W_]")
_HEDGE_WORDS = re.compile(r"\b(?:maybe|perhaps|possibly|probably|not sure|unsure|either)\b", re.IGNORECASE)
_ASIDE = re.compile(r"\((?:[^()]{2,})\)")


def _letters(_: Any, attribute: attrs.Attribute, value: str) -> None:
    if not re.fullmatch(r"[A-Z]{2,26}", value) or len(set(value)) != len(value):
        raise ParamError(attribute.name, "two or more distinct capital letters, e.g. ABCD")


@attrs.frozen
class ChoiceLetterParams:
    expected: str
    letters: str = attrs.field(default="ABCD", validator=_letters)

    def __attrs_post_init__(self) -> None:
        if len(self.expected) != 1 or self.expected not in self.letters:
            raise ParamError("expected", f"one of the letters {self.letters}")


@attrs.frozen
class Stated:
    letter: str
    line: str  # the whole line it was stated on
    after: str  # the rest of that line after the letter
    how: str


def _patterns(letters: str) -> list[tuple[str, re.Pattern[str]]]:
    choice = f"[{letters}]"
    return [
        ("after 'answer'", re.compile(
            rf"\banswer\b\**\s*(?:is\b|:|=|-)?\**\s*(?:is\b)?\s*:?\s*(?:(?:maybe|perhaps|possibly|probably)\s+)?(?:option\s+|choice\s+)?[(\[*\"'`]*\s*({choice})(?![A-Za-z0-9])",
            re.IGNORECASE)),
        ("in \\boxed{}", re.compile(rf"\\boxed\{{\s*(?:\\text(?:bf)?\{{\s*)?\(?({choice})\)?\s*\}}")),
    ]


def stated_choices(text: str, letters: str) -> list[Stated]:
    """Every stated choice in ``text``, in order."""
    found: list[tuple[int, Stated]] = []
    for how, pattern in _patterns(letters):
        for match in pattern.finditer(text):
            if how.startswith("after") and match.group(1) not in letters:
                continue  # the IGNORECASE above is for the word, never the letter
            start = text.rfind("\n", 0, match.start(1)) + 1
            end = text.find("\n", match.end(1))
            end = len(text) if end < 0 else end
            found.append((match.start(1), Stated(match.group(1), text[start:end], text[match.end(1):end], how)))
    lines = [line for line in text.splitlines() if _ALNUM.search(line)]
    if lines:
        bare = re.fullmatch(rf"[\s*_`>#(\[]*({'|'.join(letters)})[\s*_`)\].:]*", lines[-1])
        if bare:
            position = text.rfind(lines[-1])
            found.append((position + bare.start(1), Stated(bare.group(1), lines[-1], "", "the final line alone")))
    found.sort(key=lambda item: item[0])
    return [stated for _, stated in found]


def hedge(stated: Stated, letters: str) -> str | None:
    """Why the statement is a hedge (None: it commits to one choice)."""
    line = stated.line
    word = _HEDGE_WORDS.search(line)
    if word:
        return f"{word.group(0)!r} in {line.strip()!r}"
    others = [c for c in letters if c != stated.letter]
    offered = re.compile(
        rf"(?:\bor\b|\band\b|/|,|&)\s*(?:option\s+|choice\s+)?[(\[*]*\s*([{''.join(others)}])(?![A-Za-z0-9])", re.IGNORECASE)
    for text in (_ASIDE.sub(" ", stated.after), line[: max(line.find(stated.after), 0)] if stated.after else line):
        match = offered.search(text)
        if match and match.group(1) in others:
            return f"{match.group(1)} offered beside {stated.letter} in {line.strip()!r}"
    return None


class ChoiceLetterVerifier(Verifier):
    """The last stated choice is ``expected``, stated without a hedge; see the module docstring."""

    params = ChoiceLetterParams

    def verify(self, params: ChoiceLetterParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        text = answer_text(response)
        statements = stated_choices(text, params.letters)
        if not statements:
            return Verdict.from_checks([Check("stated", False, "no stated choice (e.g. a last line 'Answer: C')")],
                                       FailureMode.WRONG_ANSWER)
        last = statements[-1]
        checks = [Check("stated", True, f"{last.letter} ({last.how})")]
        hedged = hedge(last, params.letters)
        checks.append(Check("committed", hedged is None, f"a hedge: {hedged}" if hedged else ""))
        if hedged is None:
            ok = last.letter == params.expected
            checks.append(Check("value", ok, "" if ok else f"expected {params.expected}, got {last.letter}"))
        return Verdict.from_checks(checks, FailureMode.WRONG_ANSWER)

    def extra_junk(self, params: ChoiceLetterParams) -> list[tuple[str, dict[str, Any]]]:
        other = next(c for c in params.letters if c != params.expected)
        return [
            ("hedge", {"content": f"Answer: {params.expected} or {other}"}),
            ("every_letter", {"content": "Answer: " + ", ".join(params.letters)}),
            ("changed_mind", {"content": f"Answer: {params.expected}\n\nOn reflection, the answer is {other}."}),
        ]
