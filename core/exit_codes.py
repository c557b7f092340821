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


# "\b" keeps click from re-wrapping the table in `benchlab --help`.
HELP_TABLE = """\b
Exit codes (every command):
  0    done; for a run: completed, every selected scenario scored
  1    error: bad input or usage, an endpoint or sandbox that cannot start,
       a negative-control defect, a --strict-thinking violation
  3    a run with scenarios not scored: infrastructure failures, unplayed
       (e.g. --max-total-tokens reached), and with --require-all those
       skipped for want of a sandbox or dataset
  4    the regression gate fired (--fail-on-regression)
  130  interrupted (Ctrl-C)
  When several apply, the first of 130, 1, 4, 3 wins."""
