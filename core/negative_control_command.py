"""``benchlab run --negative-control``: report and record which junk, if any, was not rejected."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import attrs

from benchlab import __version__, exit_codes
from benchlab.codec import write_json
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.model import Pack, PackSummary, RunRecord, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.run import RUN_RECORD, new_run_id
from benchlab.run_command import RunFlags, check_out_dir, selected_packs
from benchlab.runner import now_iso
from benchlab.sandbox_choice import choose_for_run, sandbox_lines
from benchlab.selection import work_items


def negative_control_command(flags: RunFlags, *, fmt: str, plugins: Plugins) -> int:
    from benchlab.negative_control import defect, run_negative_control

    # The same selection rules and errors as a normal run, before any work.
    refs, mode, packs = selected_packs(flags, plugins)
    items = work_items(packs, flags.scenarios)
    check_out_dir(flags.out)
    if not items:
        raise BenchlabError("the selection has no scenario to feed junk to")
    packs = [p for p in packs if any(item.pack is p for item in items)]
    started_at = now_iso()
    sandbox = None
    probe: dict = {}
    unchecked: list[Pack] = []  # code packs no sandbox could run
    no_sandbox = ""
    if any(p.needs_sandbox for p in packs):
        setup = choose_for_run(plugins, flags.sandbox, flags.unsafe_local, 2)
        probe["sandbox"] = setup.facts
        if setup.provider is None:
            # Check every verifier that needs no sandbox; the code packs are reported, not failed.
            unchecked = [p for p in packs if p.needs_sandbox]
            no_sandbox = setup.unavailable or "no sandbox can run here"
        sandbox = setup.provider
    selected = Counter(i.pack.id for i in items)
    items = [i for i in items if i.pack not in unchecked]
    try:
        results = run_negative_control(items, plugins, sandbox)
    finally:
        if sandbox is not None:
            sandbox.close()
    played = {(r.pack, r.scenario_id) for r in results}
    untested = [f"{i.pack.id}/{i.scenario.id}" for i in items if (i.pack.id, i.scenario.id) not in played]
    defects = [(r, why) for r in results if (why := defect(r)) is not None]
    run_id = new_run_id()
    run_dir = Path(flags.out) / run_id
    config = RunConfig(backend="none", endpoint=None, model=None, packs=refs, mode=f"--negative-control {mode}", scenarios=list(flags.scenarios), out=str(flags.out))
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
        probe=probe,
        packs=[_not_checked(p, selected[p.id], probe["sandbox"]) if p in unchecked
               else _summary(p, [r for r in results if r.pack == p.id]) for p in packs],
        results=results,
        warnings=[f"junk {why}: {r.pack} {r.scenario_id} ({r.variant})" for r, why in defects]
        + [f"no junk answer for {ref}" for ref in untested]
        + ([f"not checked: {', '.join(p.id for p in unchecked)}: {no_sandbox}"] if unchecked else []),
    )
    write_json(run_dir / RUN_RECORD, record)
    if fmt == "json":
        sys.stdout.write(plugins.reporters.get("json").render(record))
    else:
        print(f"## benchlab negative control {mode}\n")
        print("| Pack | Junk answers | Passed (must be 0) | Not judged (must be 0) | Status |")
        print("| --- | --- | --- | --- | --- |")
        for pack, summary in zip(packs, record.packs):
            print(f"| {pack.manifest.title} | {summary.total} | {summary.pass_count} | {summary.infrastructure_failures} | {summary.status} |")
        if defects:
            print("\nJunk that was not rejected (each one is a verifier or pack defect):")
            for r, why in defects:
                print(f"- {r.pack} {r.scenario_id}: {r.variant}: {why}")
        if untested:
            print("\nSelected scenarios that got no junk answer: " + ", ".join(untested))
        if unchecked:
            print("\nNot checked, for want of a sandbox: " + ", ".join(p.manifest.title for p in unchecked))
            for line in sandbox_lines(probe["sandbox"])[1:]:
                print(f"- {line}")
    if unchecked:
        print(f"benchlab: warning: {record.warnings[-1]}", file=sys.stderr)
    print(f"benchlab: negative control saved to {run_dir}/", file=sys.stderr)
    # A defect is an error; packs left unchecked fail the run only under --require-all.
    return exit_codes.combine(exit_codes.ERROR if defects or untested else exit_codes.OK,
                              exit_codes.NOT_SCORED if unchecked and flags.require_all else exit_codes.OK)


def _not_checked(pack: Pack, scenarios: int, sandbox_facts: dict) -> PackSummary:
    """A code pack's line when no sandbox could run its verifiers: no junk played, none judged.
    The status names each provider and why it cannot run (the fixes are in the warnings)."""
    reasons = [f"{c['provider']}: {c['reason']}" for c in sandbox_facts.get("not_chosen") or [] if not c.get("available")]
    reason = "; ".join(reasons) or "no sandbox provider is installed"
    return PackSummary(
        pack=pack.id, title=pack.manifest.title, version=pack.manifest.version,
        pass_count=0, total=0, score=None, p50_s=None, p95_s=None, status=f"⚠️ not checked (no sandbox: {reason})",
        floor=None, not_scored=scenarios, scenarios=scenarios,
    )


def _summary(pack: Pack, results: list[ScenarioResult]) -> PackSummary:
    """A pack's line in a negative-control record: junk counts, not a model score.

    ``total`` is the junk answers played, ``pass_count`` the junk that passed and
    ``infrastructure_failures`` the junk never judged on its content (both must be 0);
    ``score`` and ``floor`` are null, since no model was measured.
    """
    from benchlab.negative_control import defect

    passed = sum(r.passed for r in results)
    unjudged = sum(1 for r in results if not r.passed and defect(r) is not None)
    if passed or unjudged:
        status = "❌ verifier defect"
    else:
        status = "✅ no junk passed" if results else "❌ no junk played"
    return PackSummary(
        pack=pack.id, title=pack.manifest.title, version=pack.manifest.version,
        pass_count=passed, total=len(results), score=None, p50_s=None, p95_s=None, status=status,
        floor=None, infrastructure_failures=unjudged, scenarios=len({r.scenario_id for r in results}),
    )
