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

# Where --in-place journals the new verdicts until every one is judged (then joined to the journal).
RESCORE_SPOOL = "journal.rescore.tmp"


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
    from benchlab.cli.options import JSON_VIEW
    from benchlab.gc_pause import collector_paused, settle_long_lived
    from benchlab.journal import Journal, splice_journal
    from benchlab.records import RUN_RECORD, load_run
    from benchlab.rescore import check_rescorable, rescore
    from benchlab.run import new_run_id, write_run_files
    from benchlab.run_command import check_out_dir
    from benchlab.run_ref import resolve_run

    if output is not None and in_place:
        raise BenchlabError("--output and --in-place exclude each other: give one (or neither, to only see what would change)")
    run_dir = resolve_run(run, out)
    with collector_paused():  # rescore settles the record with the packs it loads
        before = load_run(run_dir)
    if output is not None:
        check_out_dir(output, "--output")
    sandbox_for = _sandbox_for(before.config.sandbox, plugins)
    if output is not None:
        # A new run folder: every result goes into its own journal as it is judged.
        run_id = new_run_id()
        target = output / run_id
        config = attrs.evolve(before.config, out=str(output))
        check_rescorable(before, run_dir)  # before any folder is made
        journal = Journal.create(target, run_id, config, before.started_at)
        try:
            done = rescore(before, run_dir, plugins, sandbox_for, journal=journal, copy_kept=True)
        finally:
            journal.close()
        after = attrs.evolve(done.record, run_id=run_id, config=config,
                             warnings=[*done.record.warnings, f"re-scored from run {before.run_id} ({run_dir})"])
    elif in_place:
        # New verdicts go to a side file first, joined to the journal only once every one is judged:
        # an interrupted rescore leaves the run as it was.
        spool = Journal(run_dir, name=RESCORE_SPOOL)
        try:
            done = rescore(before, run_dir, plugins, sandbox_for, journal=spool)
        except BaseException:
            spool.close()
            (run_dir / RESCORE_SPOOL).unlink(missing_ok=True)
            raise
        spool.close()
        after = done.record
    else:
        done = rescore(before, run_dir, plugins, sandbox_for)
        after = done.record
    settle_long_lived()  # both records stay to the end: the reports' collections need not walk them
    change = diffing.diff_runs(before, after)
    if fmt == JSON_VIEW:
        payload = {**diffing.to_json(change), "not_rescorable": [{**k._asdict(), "why": why} for k, why in done.not_rescorable.items()]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        sys.stdout.write(diffing.render_markdown(change).replace("## benchlab diff", "## benchlab rescore", 1))
        if done.not_rescorable:
            sys.stdout.write(f"\nNot rescorable (kept their verdicts): {len(done.not_rescorable)}\n")
            for key, why in list(done.not_rescorable.items())[:diffing.SHOWN]:
                sys.stdout.write(f"- {key.pack}/{key.scenario_id} (repeat {key.repeat}): {why}\n")
    if output is not None:
        write_run_files(after, target, plugins)
        print(f"benchlab: re-scored run written to {target}/", file=sys.stderr)
    elif in_place:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        shutil.copy2(run_dir / RUN_RECORD, run_dir / f"run.pre-rescore-{stamp}.json")
        base = splice_journal(run_dir / RESCORE_SPOOL, run_dir)
        moved = [r if r.key in done.not_rescorable or r.journal_offset is None else attrs.evolve(r, journal_offset=base + r.journal_offset)
                 for r in after.results]
        write_run_files(attrs.evolve(after, results=moved), run_dir, plugins)
        print(f"benchlab: {run_dir}/run.json re-scored in place (previous record: run.pre-rescore-{stamp}.json)", file=sys.stderr)
    else:
        print("benchlab: nothing written: add --in-place to rewrite this run, or --output DIR for a new run folder", file=sys.stderr)
    return 0
