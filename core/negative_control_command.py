"""``benchlab run --negative-control``: report and record which junk, if any, passed."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import attrs

from benchlab import __version__
from benchlab.aggregate import summarize
from benchlab.codec import write_json
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.model import RunRecord
from benchlab.plugin_manager import Plugins
from benchlab.run import RUN_RECORD, new_run_id
from benchlab.run_command import RunFlags, selected_packs
from benchlab.runner import now_iso
from benchlab.selection import split_scenario_ref


def negative_control_command(flags: RunFlags, *, fmt: str, plugins: Plugins) -> int:
    from benchlab.negative_control import run_negative_control

    refs, mode, packs = selected_packs(flags, plugins)
    wanted: dict[str, set[str]] = defaultdict(set)
    for ref in flags.scenarios:
        pack_id, scenario_id = split_scenario_ref(ref)
        wanted[pack_id].add(scenario_id)
    started_at = now_iso()
    sandbox = None
    if any(p.needs_sandbox for p in packs):
        from benchlab.sandbox_choice import choose_for_run

        setup = choose_for_run(plugins, flags.sandbox, flags.unsafe_local, 2)
        if setup.provider is None:
            raise BenchlabError(f"the selected packs run code, and {setup.unavailable}")
        sandbox = setup.provider
    try:
        results = run_negative_control(packs, dict(wanted) or None, plugins, sandbox)
    finally:
        if sandbox is not None:
            sandbox.close()
    run_id = new_run_id()
    run_dir = Path(flags.out) / run_id
    config = RunConfig(backend="none", endpoint=None, model=None, packs=refs, mode=f"--negative-control {mode}", scenarios=list(flags.scenarios), out=str(flags.out))
    passes = [r for r in results if r.passed]
    record = RunRecord(
        run_id=run_id,
        benchlab_version=__version__,
        started_at=started_at,
        finished_at=now_iso(),
        backend="none",
        endpoint=None,
        model=None,
        mode=config.mode,
        config=attrs.asdict(config),
        probe={},
        packs=[summarize(p, [r for r in results if r.pack == p.id]) for p in packs],
        results=results,
        warnings=[f"junk passed: {r.pack} {r.scenario_id} ({r.variant})" for r in passes],
    )
    write_json(run_dir / RUN_RECORD, record)
    if fmt == "json":
        sys.stdout.write(plugins.reporters.get("json").render(record))
    else:
        print(f"## benchlab negative control {mode}\n")
        print("| Pack | Junk answers | Passed (must be 0) | Status |")
        print("| --- | --- | --- | --- |")
        for pack in packs:
            mine = [r for r in results if r.pack == pack.id]
            bad = sum(r.passed for r in mine)
            print(f"| {pack.manifest.title} | {len(mine)} | {bad} | {'✅' if not bad else '❌ verifier defect'} |")
        if passes:
            print("\nJunk that passed (each one is a verifier defect):")
            for r in passes:
                print(f"- {r.pack} {r.scenario_id}: {r.variant}")
    print(f"benchlab: negative control saved to {run_dir}/", file=sys.stderr)
    return 1 if passes else 0
