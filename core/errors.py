"""Errors a user can cause. The CLI prints them as one line and exits 1."""

from __future__ import annotations

import sys


def warn(text: str) -> None:
    """One ``benchlab: warning:`` line on stderr: something went wrong, and nothing was lost."""
    print(f"benchlab: warning: {text}", file=sys.stderr)


class BenchlabError(Exception):
    """A user-facing error: bad flag, bad pack, unreachable endpoint, missing sandbox."""


class PackError(BenchlabError):
    """A defect in a pack file, located as ``PATH:LINE: field: message``."""

    def __init__(self, path: object, line: int, field: str, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(f"{self.path}:{line}: {field}: {message}")


class RegistryError(BenchlabError):
    """An unknown or clashing plugin-registered name."""


class TransportError(Exception):
    """One failed attempt to get a response from an endpoint.

    ``failure_mode`` is a :class:`benchlab.model.FailureMode`; ``retryable`` says
    whether the runner may try again, after ``retry_after`` seconds when given.
    """

    def __init__(
        self,
        failure_mode: object,
        detail: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        raw: object = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.failure_mode = failure_mode
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after
        self.raw = raw
        self.status_code = status_code
