"""``benchlab rescore``: re-judge, print what changed, and write it where asked (or nowhere)."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab.errors import BenchlabError
from benchlab.plugin_manager import Plugins


def _sandbox_for(request: Any, plugins: Plugins) -> Any:
    def choose(packs: list[Any]) -> Any:
        from benchlab.sandbox_choice import choose_for_run

        setup = choose_for_run(plugins, request.name, request.unsafe_local, 2)
        if setup.provider is None:
            print(f"benchlab: warning: code packs keep their verdicts: {setup.unavailable}", file=sys.stderr)
            return None
        setup.provider.prepare(lambda line: print(f"benchlab: sandbox: {line}", file=sys.stderr))
        return setup.provider

    return choose


def rescore_command(run: str, out: Path, *, output: Path | None, in_place: bool, fmt: str, plugins: Plugins) -> int:
    from benchlab import diff as diffing
    from benchlab.journal import Journal
    from benchlab.records import RUN_RECORD, load_run
    from benchlab.rescore import rescore
    from benchlab.run import new_run_id, write_run_files
    from benchlab.run_command import check_out_dir
    from benchlab.run_ref import resolve_run

    if output is not None and in_place:
        raise BenchlabError("--output and --in-place exclude each other: give one (or neither, to only see what would change)")
    run_dir = resolve_run(run, out)
    before = load_run(run_dir)
    if output is not None:
        check_out_dir(output)
    done = rescore(before, plugins, _sandbox_for(before.config.sandbox, plugins))
    after = done.record
    change = diffing.diff_runs(before, after)
    if fmt == "json":
        payload = {**diffing.to_json(change), "not_rescorable": [{**k._asdict(), "why": why} for k, why in done.not_rescorable.items()]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        sys.stdout.write(diffing.render_markdown(change).replace("## benchlab diff", "## benchlab rescore", 1))
        if done.not_rescorable:
            sys.stdout.write(f"\nNot rescorable (kept their verdicts): {len(done.not_rescorable)}\n")
            for key, why in list(done.not_rescorable.items())[:diffing.SHOWN]:
                sys.stdout.write(f"- {key.pack}/{key.scenario_id} (repeat {key.repeat}): {why}\n")
    if output is not None:
        run_id = new_run_id()
        target = output / run_id
        rewritten = attrs.evolve(after, run_id=run_id, config=attrs.evolve(after.config, out=str(output)),
                                 warnings=[*after.warnings, f"re-scored from run {before.run_id} ({run_dir})"])
        journal = Journal.create(target, run_id, rewritten.config, rewritten.started_at)
        try:
            for result in rewritten.results:
                journal.append(result)
        finally:
            journal.close()
        write_run_files(rewritten, target, plugins)
        print(f"benchlab: re-scored run written to {target}/", file=sys.stderr)
    elif in_place:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        shutil.copy2(run_dir / RUN_RECORD, run_dir / f"run.pre-rescore-{stamp}.json")
        journal = Journal(run_dir)
        try:
            for result in after.results:
                if result.key not in done.not_rescorable:
                    journal.append(result)
        finally:
            journal.close()
        write_run_files(after, run_dir, plugins)
        print(f"benchlab: {run_dir}/run.json re-scored in place (previous record: run.pre-rescore-{stamp}.json)", file=sys.stderr)
    else:
        print("benchlab: nothing written: add --in-place to rewrite this run, or --output DIR for a new run folder", file=sys.stderr)
    return 0
