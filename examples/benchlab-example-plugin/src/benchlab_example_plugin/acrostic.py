"""The ``acrostic`` verifier: ``{"kind": "acrostic", "word": "RUST", "min_words_per_line": 2}``."""

from __future__ import annotations

import re
from typing import Any

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.verifiers import ParamError, Verifier, VerifyContext, answer_text

_MARKUP = re.compile(r"^[\s>*_#`\-\d.)]*")


class AcrosticVerifier(Verifier):
    """Non-empty lines, one per letter of ``word``, each starting with that letter."""

    required = {"word": str}
    optional = {"min_words_per_line": int}

    def validate(self, params: dict[str, Any]) -> None:
        super().validate(params)
        if not params["word"].isalpha():
            raise ParamError("word", "letters only")

    def verify(self, params: dict[str, Any], response: ChatResponse, ctx: VerifyContext) -> Verdict:
        word = params["word"].upper()
        # Markdown emphasis or list markers in front of a line do not count as its first letter.
        lines = [_MARKUP.sub("", line) for line in answer_text(response).splitlines() if line.strip()]
        initials = "".join(line[:1].upper() for line in lines)
        checks = [
            Check("line_count", len(lines) == len(word), f"{len(lines)} lines for a {len(word)}-letter word"),
            Check("initials", initials == word, f"initials spell {initials!r}, not {word!r}"),
        ]
        minimum = params.get("min_words_per_line")
        if minimum:
            short = [n + 1 for n, line in enumerate(lines) if len(line.split()) < minimum]
            checks.append(Check("words_per_line", not short, f"lines {short} have fewer than {minimum} words"))
        return Verdict.from_checks(checks, FailureMode.WRONG_ANSWER)
