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

import attrs

from benchlab.errors import BenchlabError
from benchlab.model import ScenarioResult
from benchlab.redact import redact_url

DEFAULT_OUT = "results"

# `benchlab run` parameters that may differ on --resume, and the RunConfig field each one sets
# (None: not recorded - a presentation choice, the secret key, or --resume itself).
RESUMABLE: dict[str, str | None] = {
    "concurrency": "target.concurrency",
    "timeout_per_case": "budgets.timeout_per_case_s",
    "measured_tps": "budgets.measured_tps",
    "reference_tps": "budgets.reference_tps",
    "timeout_ceiling_s": "budgets.timeout_ceiling_s",
    "retries": "budgets.retries",
    "retry_on_timeout": "budgets.retry_on_timeout",
    "request_delay": "budgets.request_delay_s",
    "max_total_tokens": "budgets.max_total_tokens",
    "out": "out",
    "endpoint": "target.endpoint",
    # --variants on a resume adds the prompt variants to a run that played the default prompts only.
    "variants": "selection.variants",
    "api_key": None,
    "no_progress": None,
    "fmt": None,
    "require_all": None,
    "plugin": None,
    "resume": None,
    "baseline": None,
    "baselines": None,
    "fail_on_regression": None,
    "allow_mismatch": None,
}


def is_final(result: ScenarioResult) -> bool:
    """Whether ``--resume`` keeps this result instead of playing its scenario again."""
    return result.failure_mode is None or result.failure_mode.is_scored


def check_resume_flags(given: dict[str, str]) -> None:
    """``given`` maps the parameters set on the command line to their flag; refuse the fixed ones."""
    fixed = [flag for name, flag in given.items() if name not in RESUMABLE]
    if fixed:
        allowed = ("--concurrency, timeouts, --retries, --request-delay, --max-total-tokens, --no-progress, --format, --out, --variants, "
                   "--endpoint (same model and server version), --api-key, --require-all, --plugin (the files the run recorded), "
                   "--baseline, --baselines, --fail-on-regression, --allow-mismatch")
        raise BenchlabError(
            f"{', '.join(fixed)} cannot change on --resume: the run keeps what it recorded "
            f"(flags that may change: {allowed}); start a new run to change {'them' if len(fixed) > 1 else 'it'}"
        )


def prepare_resume(request: Any, run_id: str, given: dict[str, str]) -> tuple[Any, Path, dict[str, Any]]:
    """The journal of run ``run_id`` under ``--out``, its folder, and the config changes the
    resumable flags on the command line make (dotted paths, journaled and recorded).

    ``request`` is the ``RunRequest``; ``given`` maps the parameters set on the command line
    to their flags. A flag that may not change, or other plugin files, is one error line.
    """
    from benchlab.config import config_value
    from benchlab.run import load_resume

    check_resume_flags(given)
    contents, run_dir = load_resume(Path(request.output.out), run_id)
    if "plugin" in given and [str(Path(p).resolve()) for p in request.plugin_files] != contents.config.plugins:
        raise BenchlabError("--plugin cannot change on --resume: the run reloads the plugins it recorded; leave --plugin out")
    target, budgets = request.target, request.budgets
    values = {
        "target.concurrency": target.concurrency,
        "target.endpoint": redact_url(target.endpoint) if target.endpoint else None,
        "out": str(request.output.out),
        "selection.variants": request.selection.variants,
        **{f"budgets.{field.name}": getattr(budgets, field.name) for field in attrs.fields(type(budgets))},
    }
    wanted = {RESUMABLE[name] for name in given if RESUMABLE.get(name)}
    changes = {path: values[path] for path in sorted(wanted) if config_value(contents.config, path) != values[path]}
    if changes.get("selection.variants"):
        from benchlab.selection import VARIANTS_LABEL

        changes["selection.mode"] = f"{contents.config.selection.mode} {VARIANTS_LABEL}".strip()
    if changes:
        from benchlab.config import with_changes

        contents.config = with_changes(contents.config, changes)
    return contents, run_dir, changes


def resume_command(run_id: str, out: str | Path, extra: list[str] | tuple[str, ...] = ()) -> str:
    """The command that finishes a run, exactly as it must be typed: ``--out`` (absolute, so it
    works from any folder) when the run does not live under ``results/`` here, then ``extra``."""
    words = ["benchlab", "run", "--resume", run_id]
    folder = Path(out).expanduser().resolve()
    if folder != Path(DEFAULT_OUT).resolve():
        words += ["--out", str(folder)]
    return shlex.join([*words, *extra])


def same_server(recorded: dict[str, Any] | None, now: dict[str, Any]) -> str | None:
    """Why a resume against another endpoint cannot be accepted (None: the same model and version)."""
    if recorded is None:
        return "the run holds no server facts to compare with (it was recorded by an older benchlab)"
    mismatches = [
        f"{what} {now.get(key)!r} (recorded: {recorded.get(key)!r})"
        for key, what in (("model", "model"), ("version", "server version"), ("model_digest", "model digest"))
        # A digest is compared only when the run recorded one (older runs and most servers have none):
        # the same tag pulled again may name other weights.
        if recorded.get(key) != now.get(key) and (key != "model_digest" or recorded.get(key) is not None)
    ]
    return "; ".join(mismatches) or None


def changed_datasets(recorded: list[dict[str, Any]] | None, packs: list[Any]) -> str | None:
    """One line naming the packs whose data differ from what the run recorded (its journal's
    ``packs`` line: a dataset file's sha256, an instance seed), or None. A resume must judge the
    same questions; a journal that recorded no ``dataset`` for a pack is not checked."""
    before = {p["id"]: p.get("dataset") for p in recorded or [] if p.get("dataset")}
    changed = [f"{pack.id} (recorded: {before[pack.id]}; now: {pack.manifest.dataset or pack.unavailable})"
               for pack in packs if pack.id in before and pack.manifest.dataset != before[pack.id]]
    if not changed:
        return None
    return ("the data of " + "; ".join(changed) + " changed since the run began: resume with the same files, "
            "or start a new run")
