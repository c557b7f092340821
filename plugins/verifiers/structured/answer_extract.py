"""Pulling a structured payload (JSON, YAML, CSV, a markdown table) out of an answer.

Used by every structured-output verifier, so they agree on what "the payload" is.

The answer is the content with reasoning removed (``answer_text``: ``<think>`` blocks
and a leading lone ``</think>``), trimmed, without a byte-order mark. Then:

* If the whole answer is one fenced code block (```` ``` ```` or ``~~~``, three or
  more, optional info string), the payload is its body, provided ``fence`` is allowed
  and the block's language (the first word of the info string, any case) is one the
  verifier accepts or is empty. A block tagged with another language is refused.
* Otherwise, with ``strict`` (the default), the payload is the whole answer: any
  prose before or after the data is part of it and, as a consumer's parser would,
  makes it fail. When the verifier can locate its data inside the text (JSON, a
  table), prose around it is reported by the ``extract`` check itself.
* Without ``strict``: exactly one fenced block of an accepted language is the
  payload (two or more are ambiguous and fail); with no such block, the verifier's
  locator picks the data out of the prose (the first JSON object or array, the
  table, the CSV starting at its header line); without a locator, the whole answer.
"""

from __future__ import annotations

import re
from typing import Callable

import attrs

from benchlab.model import ChatResponse, Check
from benchlab.plugins.verifiers.fences import Fence, opening, scan_fences
from benchlab.verifiers import answer_text


# A locator returns the (start, end) offsets of the data inside the text, or None.
Locator = Callable[[str], "tuple[int, int] | None"]


@attrs.frozen
class Extracted:
    """The payload (None when there is none to parse) and the ``extract`` check."""

    payload: str | None
    check: Check
    source: str = "bare"  # bare | fence | located


def answer(response: ChatResponse) -> str:
    """The answer text the structured verifiers look at."""
    return answer_text(response).lstrip("\ufeff").strip()


def fences(text: str) -> list[Fence]:
    """Every closed fenced block, in order (an unclosed fence is not a block)."""
    return scan_fences(text)[0]


def extract(
    text: str,
    *,
    what: str,
    langs: tuple[str, ...],
    strict: bool = True,
    fence: bool = True,
    locate: Locator | None = None,
) -> Extracted:
    """The payload of ``text`` following the rules in the module docstring.

    ``what`` names the data in details ("JSON"); ``langs`` are the accepted fence tags.
    """
    if not text.strip():
        return Extracted(None, Check("extract", False, "the answer is empty"))
    blocks, unclosed = scan_fences(text)
    if unclosed is not None and unclosed.start == 0:
        marker = opening(text.splitlines()[0])
        return Extracted(None, Check("extract", False, f"the answer opens a {marker['fence'] if marker else '```'} block that is never closed (cut off?)"))
    whole = blocks[0] if len(blocks) == 1 and not text[: blocks[0].start].strip() and not text[blocks[0].end:].strip() else None
    if whole is not None:
        if not fence:
            return Extracted(None, Check("extract", False, f"the {what} is in a fenced block; this scenario wants it bare"))
        if whole.lang and whole.lang not in langs:
            return Extracted(None, Check("extract", False, f"a ```{whole.lang} block; expected {what} (```{langs[0]} or bare)"))
        return Extracted(whole.body, Check("extract", True, f"fenced ```{whole.lang}"), "fence")
    ours = [b for b in blocks if not b.lang or b.lang in langs]
    if strict:
        if ours:
            return Extracted(None, Check("extract", False, f"prose around the fenced {what} block (strict: the answer must be only the {what})"))
        span = locate(text) if locate else None
        if span is not None and (text[: span[0]].strip() or text[span[1]:].strip()):
            before, after = text[: span[0]].strip(), text[span[1]:].strip()
            where = " and ".join(w for w, t in (("before", before), ("after", after)) if t)
            return Extracted(None, Check("extract", False, f"text {where} the {what} (strict: the answer must be only the {what}): {_snippet(before or after)}"))
        return Extracted(text, Check("extract", True, "bare"))
    if len(ours) > 1:
        return Extracted(None, Check("extract", False, f"{len(ours)} fenced blocks that could hold the {what}; expected one"))
    if ours:
        if not fence:
            return Extracted(None, Check("extract", False, f"the {what} is in a fenced block; this scenario wants it bare"))
        return Extracted(ours[0].body, Check("extract", True, f"fenced ```{ours[0].lang} inside prose"), "fence")
    if locate is not None:
        span = locate(text)
        if span is None:
            return Extracted(text, Check("extract", True, f"no {what} found inside the prose; parsing the whole answer"))
        return Extracted(text[span[0]:span[1]], Check("extract", True, f"located at characters {span[0]}-{span[1]}"), "located")
    return Extracted(text, Check("extract", True, "bare"))


def _snippet(text: str, limit: int = 40) -> str:
    one_line = " ".join(text.split())
    return repr(one_line if len(one_line) <= limit else one_line[: limit - 3] + "...")
