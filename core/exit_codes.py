"""The exit-code contract every command follows (README "Exit codes", ``benchlab --help``).

When several apply, the first of INTERRUPTED, ERROR, REGRESSION, NOT_SCORED wins.
"""

from __future__ import annotations

OK = 0  # the command did what it was asked; for a run: completed, every selected scenario scored
ERROR = 1  # bad input or usage, an endpoint or sandbox that cannot start, a defect, --strict-thinking
NOT_SCORED = 3  # a run completed or stopped with scenarios not scored (infra, unplayed, --require-all skips)
REGRESSION = 4  # the regression gate fired (--fail-on-regression)
INTERRUPTED = 130  # Ctrl-C

PRECEDENCE = (INTERRUPTED, ERROR, REGRESSION, NOT_SCORED)


def combine(*codes: int) -> int:
    """The code that wins when several apply (OK when none does)."""
    present = set(codes)
    return next((code for code in PRECEDENCE if code in present), OK)


HELP_TABLE = (
    "Exit codes: 0 done (a run: every selected scenario scored); 1 error (bad input, an endpoint or "
    "sandbox that cannot start, a negative-control defect, --strict-thinking); 3 a run with scenarios "
    "not scored (infrastructure failures, unplayed, or with --require-all skipped for want of a sandbox "
    "or dataset); 4 a regression (--fail-on-regression); 130 interrupted. When several apply: 130, 1, 4, 3."
)
