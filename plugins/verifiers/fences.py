"""Fenced code blocks in an answer, found one way for every verifier (CommonMark's rules).

A fence opens with three or more backticks or tildes (indented at most three spaces,
a backtick fence's info string holding no backtick) and closes with a line of at least
as many of the same character. A fence that never closes runs to the end of the text.
"""

from __future__ import annotations

import re

import attrs

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")


@attrs.frozen
class Fence:
    """One fenced block: its language tag (lower case, "" when untagged), its body and where
    it sits in the text (``start`` at the opening line, ``end`` after the closing one)."""

    lang: str
    body: str
    start: int
    end: int
    # Line numbers (0-based) of the opening line and the closing one (None: never closed).
    open_line: int = 0
    close_line: int | None = None


def opening(line: str) -> re.Match[str] | None:
    """The fence a line opens, if it opens one."""
    found = _FENCE_OPEN.match(line.rstrip("\r\n"))
    # A backtick fence whose info string holds a backtick is inline code, not a fence.
    if found is None or (found["fence"][0] == "`" and "`" in found["info"]):
        return None
    return found


def scan_fences(text: str) -> tuple[list[Fence], Fence | None]:
    """Every closed fenced block in order, and the unclosed one that runs to the end (if any)."""
    blocks: list[Fence] = []
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    index = 0
    while index < len(lines):
        found = opening(lines[index])
        if found is None:
            index += 1
            continue
        marker = found["fence"]
        words = found["info"].split()
        lang = words[0].lower().strip("{}.") if words else ""
        for close in range(index + 1, len(lines)):
            stripped = lines[close].strip()
            indent = len(lines[close]) - len(lines[close].lstrip(" "))
            if stripped and set(stripped) == {marker[0]} and len(stripped) >= len(marker) and indent <= 3:
                blocks.append(Fence(lang, "".join(lines[index + 1:close]), offsets[index], offsets[close + 1], index, close))
                index = close + 1
                break
        else:
            return blocks, Fence(lang, "".join(lines[index + 1:]), offsets[index], len(text), index, None)
    return blocks, None
