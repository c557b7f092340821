"""``benchlab run --negative-control``: report and record which junk, if any, was not rejected."""

from __future__ import annotations

import sys
from pathlib import Path

import attrs

from benchlab import __version__
from benchlab.codec import write_json
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.model import Pack, PackSummary, RunRecord, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.run import RUN_RECORD, new_run_id
from benchlab.run_command import RunFlags, check_out_dir, selected_packs
from benchlab.runner import now_iso
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
    if any(p.needs_sandbox for p in packs):
        from benchlab.sandbox_choice import choose_for_run

        setup = choose_for_run(plugins, flags.sandbox, flags.unsafe_local, 2)
        if setup.provider is None:
            raise BenchlabError(f"the selected packs run code, and {setup.unavailable}")
        sandbox = setup.provider
        probe["sandbox"] = setup.facts
    left_out: list[tuple[str, str, str]] = []
    try:
        results = run_negative_control(items, plugins, sandbox, left_out)
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
        packs=[_summary(p, [r for r in results if r.pack == p.id]) for p in packs],
        results=results,
        warnings=[f"junk {why}: {r.pack} {r.scenario_id} ({r.variant})" for r, why in defects]
        + [f"no junk answer for {ref}" for ref in untested]
        + _left_out_lines(left_out),
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
        for line in _left_out_lines(left_out):
            print(f"\n{line}")
    print(f"benchlab: negative control saved to {run_dir}/", file=sys.stderr)
    return 1 if defects or untested else 0


def _left_out_lines(left_out: list[tuple[str, str, str]]) -> list[str]:
    """One line per pack: junk not fed because its verifier calls it a correct answer there."""
    by_pack: dict[str, dict[str, int]] = {}
    for pack_id, _, kind in left_out:
        counts = by_pack.setdefault(pack_id, {})
        base = kind.split(":", 1)[0]
        counts[base] = counts.get(base, 0) + 1
    return [
        f"{pack_id}: {sum(counts.values())} junk answers not fed, being correct answers there by the verifier's "
        f"definition ({', '.join(f'{kind} x{n}' for kind, n in counts.items())})"
        for pack_id, counts in by_pack.items()
    ]


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
