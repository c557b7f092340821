"""``--resume``: which results are final, which flags may change, and the command that resumes.

A result is final when it judged the model (a pass, a content or a runaway failure).
Everything else - an infrastructure failure, a scenario never played, one skipped for
want of a sandbox or dataset - is played again; earlier lines stay in the journal and
the record keeps the latest.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.model import ScenarioResult

DEFAULT_OUT = "results"

# `benchlab run` parameters that may differ on --resume, and the RunConfig field each one sets
# (None: not recorded - a presentation choice, the secret key, or --resume itself).
RESUMABLE: dict[str, str | None] = {
    "concurrency": "concurrency",
    "timeout_per_case": "timeout_per_case_s",
    "measured_tps": "measured_tps",
    "reference_tps": "reference_tps",
    "timeout_ceiling_s": "timeout_ceiling_s",
    "retries": "retries",
    "retry_on_timeout": "retry_on_timeout",
    "request_delay": "request_delay_s",
    "max_total_tokens": "max_total_tokens",
    "out": "out",
    "endpoint": "endpoint",
    "api_key": None,
    "no_progress": None,
    "fmt": None,
    "require_all": None,
    "plugin": None,
    "resume": None,
}


def is_final(result: ScenarioResult) -> bool:
    """Whether ``--resume`` keeps this result instead of playing its scenario again."""
    return result.failure_mode is None or result.failure_mode.is_scored


def check_resume_flags(given: dict[str, str]) -> None:
    """``given`` maps the parameters set on the command line to their flag; refuse the fixed ones."""
    fixed = [flag for name, flag in given.items() if name not in RESUMABLE]
    if fixed:
        allowed = "--concurrency, timeouts, --retries, --request-delay, --max-total-tokens, --no-progress, --format, --out, --endpoint (same model and server version), --api-key"
        raise BenchlabError(
            f"{', '.join(fixed)} cannot change on --resume: the run keeps what it recorded "
            f"(flags that may change: {allowed}); start a new run to change {'them' if len(fixed) > 1 else 'it'}"
        )


def config_changes(given: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    """The RunConfig fields the resumable flags on the command line set, with their new values."""
    return {RESUMABLE[name]: values[name] for name in given if RESUMABLE.get(name)}  # type: ignore[misc]


def resume_command(run_id: str, out: str | Path) -> str:
    """The command that finishes a run, exactly as it must be typed (``--out`` when not the default)."""
    words = ["benchlab", "run", "--resume", run_id]
    if Path(out) != Path(DEFAULT_OUT):
        words += ["--out", str(out)]
    return shlex.join(words)


def same_server(recorded: dict[str, Any] | None, now: dict[str, Any]) -> str | None:
    """Why a resume against another endpoint cannot be accepted (None: the same model and version)."""
    if recorded is None:
        return "the run holds no server facts to compare with (it was recorded by an older benchlab)"
    mismatches = [
        f"{what} {now.get(key)!r} (recorded: {recorded.get(key)!r})"
        for key, what in (("model", "model"), ("version", "server version"))
        if recorded.get(key) != now.get(key)
    ]
    return "; ".join(mismatches) or None
