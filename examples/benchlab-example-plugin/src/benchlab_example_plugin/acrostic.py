"""The ``acrostic`` verifier: ``{"kind": "acrostic", "word": "RUST", "min_words_per_line": 2}``.

It shows the pattern for a verifier's parameters: a frozen attrs class. benchlab structures
the scenario's ``verifier`` object into it before any request is sent, so a missing or
mistyped field, or an unknown one, is reported as ``PATH:LINE: verifier.FIELD: message``
without a line of checking code here; validators say what the types cannot.
"""

from __future__ import annotations

import re

import attrs

from benchlab.api import Check, ChatResponse, FailureMode, ParamError, Verdict, Verifier, VerifyContext, answer_text, non_negative

_MARKUP = re.compile(r"^[\s>*_#`\-\d.)]*")


def _letters_only(_: object, attribute: attrs.Attribute, value: str) -> None:
    if not value.isalpha():
        raise ParamError(attribute.name, "letters only")


@attrs.frozen
class AcrosticParams:
    """``word``: the word the initials spell; ``min_words_per_line``: optional (0: no minimum)."""

    word: str = attrs.field(validator=_letters_only)
    min_words_per_line: int | None = attrs.field(default=None, validator=non_negative)


class AcrosticVerifier(Verifier):
    """Non-empty lines, one per letter of ``word``, each starting with that letter."""

    params = AcrosticParams

    def verify(self, params: AcrosticParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        word = params.word.upper()
        # Markdown emphasis or list markers in front of a line do not count as its first letter.
        lines = [_MARKUP.sub("", line) for line in answer_text(response).splitlines() if line.strip()]
        initials = "".join(line[:1].upper() for line in lines)
        checks = [
            Check("line_count", len(lines) == len(word), f"{len(lines)} lines for a {len(word)}-letter word"),
            Check("initials", initials == word, f"initials spell {initials!r}, not {word!r}"),
        ]
        minimum = params.min_words_per_line
        if minimum:
            short = [n + 1 for n, line in enumerate(lines) if len(line.split()) < minimum]
            checks.append(Check("words_per_line", not short, f"lines {short} have fewer than {minimum} words"))
        return Verdict.from_checks(checks, FailureMode.WRONG_ANSWER)
