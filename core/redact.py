"""Keep secrets out of records, logs and error messages."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_QUERY_KEYS = re.compile(r"(key|token|secret|password|auth|sig)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """Drop user:password and secret-looking query parameters from a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username or parts.password:
        netloc = f"***@{netloc}"
    query = urlencode(
        [(k, "***" if _SECRET_QUERY_KEYS.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def has_userinfo(url: str | None) -> bool:
    """Whether ``url`` holds ``user:password@`` (HTTP clients send it as Basic auth)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    return bool(parts.username or parts.password)


def was_redacted(url: str | None) -> bool:
    """Whether ``url`` is one ``redact_url`` took credentials out of: it no longer reaches its server."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.netloc.startswith("***@") or any(v == "***" for _, v in parse_qsl(parts.query, keep_blank_values=True))


def scrub(text: str, secrets: list[str | None]) -> str:
    """Replace every occurrence of a known secret in ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
