"""Separating reasoning from the answer, whatever convention the server uses."""

from __future__ import annotations

import re

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_LEADING_CLOSE = re.compile(r"^(.*?)</think>", re.DOTALL | re.IGNORECASE)


def split_think(content: str) -> tuple[str, str | None]:
    """Return ``(answer, reasoning)`` for text that may hold ``<think>`` blocks.

    An unclosed ``<think>`` (the answer was cut) makes the rest reasoning. A lone
    ``</think>`` at the top, as templates that open the block in the prompt
    produce, closes reasoning that started before the text.
    """
    if not content:
        return content, None
    parts: list[str] = []
    if "<think>" not in content.lower():
        if "</" not in content:  # no closing tag can match (the case-blind scan for one costs as much as the verifier)
            return content, None
        match = _LEADING_CLOSE.match(content)
        if not match:
            return content, None
        parts.append(match.group(1).strip())
        content = content[match.end():]
    else:
        parts.extend(m.group(1).strip() for m in _THINK.finditer(content))
        content = _THINK.sub("", content)
    reasoning = "\n\n".join(p for p in parts if p)
    return content.strip(), reasoning or None
