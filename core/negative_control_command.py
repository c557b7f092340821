"""``benchlab run --negative-control``: report and record which junk, if any, was not rejected."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from benchlab import __version__, exit_codes
from benchlab.codec import unstructure, write_json
from benchlab.config import RunConfig, Target
from benchlab.errors import BenchlabError
from benchlab.model import Pack, PackSummary, ProbeFacts, RunRecord, SandboxFacts, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.records import RUN_RECORD
from benchlab.run import new_run_id
from benchlab.run_command import RunRequest, check_out_dir, print_rendered, stdout_reporter
from benchlab.runner import now_iso
from benchlab.sandbox_choice import choose_for_run, sandbox_lines
from benchlab.selection import plan_run


# What a negative control uses: the selection, the sandbox, where and how to show it. Every other
# flag of `run` is about a model or a run it would not make, and is refused rather than ignored.
USED = {"negative_control", "quick", "medium", "full", "reasoning", "pack", "scenario", "scenarios_file", "no_sandboxed", "sandboxed_only",
        "full_dataset", "sandbox", "unsafe_local", "out", "fmt", "no_progress", "plugin", "require_all"}


def refuse_model_flags(given: dict[str, str]) -> None:
    """``given``: the parameters set on the command line, each with its flag."""
    unused = [flag for name, flag in given.items() if name not in USED and not name.startswith("run_option__")]
    if unused:
        raise BenchlabError(f"{', '.join(unused)}: --negative-control plays no model and makes no run to resume; "
                            "it takes the selection, sandbox and output flags only")


def negative_control_command(request: RunRequest, *, plugins: Plugins) -> int:
    from benchlab.negative_control import defect, run_negative_control

    # The same selection rules and errors as a normal run, before any work.
    reporter = stdout_reporter(plugins, request.output.format) if request.output.format else None
    plan = plan_run(request.selection, plugins)
    items = plan.items
    out = Path(request.output.out)
    check_out_dir(out)
    if not items:
        raise BenchlabError("the selection has no scenario to feed junk to")
    packs = [p for p in plan.packs if any(item.pack is p for item in items)]
    started_at = now_iso()
    sandbox = None
    sandbox_facts: SandboxFacts | None = None
    unchecked: list[Pack] = []  # code packs no sandbox could run
    no_sandbox = ""
    if any(p.needs_sandbox for p in packs):
        setup = choose_for_run(plugins, request.sandbox.name, request.sandbox.unsafe_local, 2)
        sandbox_facts = setup.facts
        if setup.provider is None:
            # Check every verifier that needs no sandbox; the code packs are reported, not failed.
            unchecked = [p for p in packs if p.needs_sandbox]
            no_sandbox = setup.unavailable or "no sandbox can run here"
        sandbox = setup.provider
    selected = Counter(i.pack.id for i in items)
    items = [i for i in items if i.pack not in unchecked]
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
    run_dir = out / run_id
    mode = f"--negative-control {plan.selection.mode}"
    config = RunConfig(target=Target(backend="none"), selection=plan.selection, sandbox=request.sandbox, out=str(out))
    record = RunRecord(
        run_id=run_id,
        benchlab_version=__version__,
        started_at=started_at,
        finished_at=now_iso(),
        backend="none",
        endpoint=None,
        model=None,
        mode=mode,
        config=config,
        probe=ProbeFacts(sandbox=sandbox_facts),
        packs=[_not_checked(p, selected[p.id], sandbox_facts) if p in unchecked
               else _summary(p, [r for r in results if r.pack == p.id]) for p in packs],
        results=results,
        warnings=[f"junk {why}: {r.pack} {r.scenario_id} ({r.junk_kind})" for r, why in defects]
        + [f"no junk answer for {ref}" for ref in untested]
        + _left_out_lines(left_out)
        + ([f"not checked: {', '.join(p.id for p in unchecked)}: {no_sandbox}"] if unchecked else []),
    )
    # No journal here (not a model run), so run.json keeps the junk answers whole: a summary
    # reads back from it all the same (the extra keys are the exchange).
    write_json(run_dir / RUN_RECORD, {**unstructure(record), "results": [unstructure(r) for r in results]})
    if reporter is not None:  # a reporter asked for by name renders the record
        print_rendered(reporter, record)
    else:
        print(f"## benchlab negative control {plan.selection.mode}\n")
        print("| Pack | Junk answers | Passed (must be 0) | Not judged (must be 0) | Status |")
        print("| --- | --- | --- | --- | --- |")
        for pack, summary in zip(packs, record.packs):
            print(f"| {pack.manifest.title} | {summary.total} | {summary.pass_count} | {summary.infrastructure_failures} | {summary.status} |")
        if defects:
            print("\nJunk that was not rejected (each one is a verifier or pack defect):")
            for r, why in defects:
                print(f"- {r.pack} {r.scenario_id}: {r.junk_kind}: {why}")
        if untested:
            print("\nSelected scenarios that got no junk answer: " + ", ".join(untested))
        for line in _left_out_lines(left_out):
            print(f"\n{line}")
        if unchecked:
            print("\nNot checked, for want of a sandbox: " + ", ".join(p.manifest.title for p in unchecked))
            for line in sandbox_lines(sandbox_facts)[1:]:
                print(f"- {line}")
    if unchecked:
        print(f"benchlab: warning: {record.warnings[-1]}", file=sys.stderr)
    print(f"benchlab: negative control saved to {run_dir}/", file=sys.stderr)
    # A defect is an error; packs left unchecked count only under --require-all, or when nothing
    # at all could be checked (a 0 would then vouch for verifiers no junk reached).
    nothing_checked = len(unchecked) == len(packs)
    return exit_codes.combine(exit_codes.ERROR if defects or untested else exit_codes.OK,
                              exit_codes.NOT_SCORED if unchecked and (request.require_all or nothing_checked) else exit_codes.OK)


def _not_checked(pack: Pack, scenarios: int, sandbox_facts: SandboxFacts | None) -> PackSummary:
    """A code pack's line when no sandbox could run its verifiers: no junk played, none judged.
    The status names each provider and why it cannot run (the fixes are in the warnings)."""
    candidates = sandbox_facts.not_chosen if sandbox_facts else []
    reasons = [f"{c.provider}: {c.reason}" for c in candidates if not c.available]
    reason = "; ".join(reasons) or "no sandbox provider is installed"
    return PackSummary(
        pack=pack.id, title=pack.manifest.title, version=pack.manifest.version,
        pass_count=0, total=0, score=None, p50_s=None, p95_s=None, status=f"⚠️ not checked (no sandbox: {reason})",
        floor=None, not_scored=scenarios, scenarios=scenarios,
    )


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
