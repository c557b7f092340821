"""Data embedded in a page as ``<script type="application/json">``, safe whatever the text.

Model output may hold ``</script>``, ``<!--`` or U+2028: escaped as JSON ``\\u`` sequences, none
of ``<``, ``>`` or ``&`` reaches the HTML parser, so nothing can end the block or open markup,
and ``JSON.parse`` gives back the original strings exactly. Lone surrogates (valid JSON, not
encodable as UTF-8) stay ``\\uXXXX`` escapes, as in ``run.json``.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from benchlab.codec import json_text

# (str.replace in a chain is about three times faster than str.translate on long text.)
_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def safe_json(data: Any) -> str:
    """``data`` as JSON text that can sit inside a ``<script type="application/json">``."""
    text = json_text(data)
    for raw, escaped in _ESCAPES:
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def safe_json_array(items: Iterable[Any]) -> Iterator[str]:
    """A JSON array written item by item (a run's 10,000 transcripts never as one string)."""
    yield "["
    for number, item in enumerate(items):
        yield ("," if number else "") + safe_json(item)
    yield "]"
