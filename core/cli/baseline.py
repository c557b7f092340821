"""``benchlab baseline capture|list|show|check``: keep what a model scored, gate later runs against it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from benchlab.cli.options import JSON_VIEW, PLUGIN, RUNS_OUT, VIEW_FORMAT, Opt, OptionGroup, with_options

BASELINES_HELP = "Folder of baseline files (default: $BENCHLAB_BASELINES, else benchlab-baselines/ here)."

# The gate's options, shared by `run` and `baseline check`.
GATE = OptionGroup("gate", (
    Opt("baseline", Optional[str], typer.Option(None, "--baseline", help="After the run, compare it with this baseline (see `benchlab baseline`).")),
    Opt("baselines", Optional[Path], typer.Option(None, "--baselines", help=BASELINES_HELP)),
    Opt("fail_on_regression", bool, typer.Option(False, "--fail-on-regression", help="Exit 4 when the gate finds a regression.")),
    Opt("allow_mismatch", bool, typer.Option(False, "--allow-mismatch", help="Compare even when sampling, thinking arms or pack versions differ from the baseline's.")),
), lambda v: dict(v))


def gate_run(gate: dict[str, Any], record: Any, *, to_stderr: bool) -> int:
    """Compare a finished run with ``gate["baseline"]``; print the evidence; 4 when it regressed and
    ``--fail-on-regression`` asks for it, else 0."""
    from benchlab import baselines, exit_codes, gate_text

    folder = baselines.baselines_dir(gate["baselines"])
    baseline = baselines.load(folder, gate["baseline"])
    report = baselines.gate(baseline, record, allow_mismatch=gate["allow_mismatch"])
    print(gate_text.render(report, baseline, record.run_id), file=sys.stderr if to_stderr else sys.stdout, end="")
    return exit_codes.REGRESSION if report.decision.fired and gate["fail_on_regression"] else exit_codes.OK


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    baseline_app = typer.Typer(help="Baselines: capture what a model scored; gate later runs against it.", no_args_is_help=True)
    app.add_typer(baseline_app, name="baseline")

    @baseline_app.command("capture")
    @with_options(RUNS_OUT, PLUGIN)
    def capture(
        out: Any,
        plugin: Any,
        name: str = typer.Argument(..., help="The baseline's name (its file: NAME.json)."),
        runs: List[str] = typer.Option(..., "--from", help="A finished run (id under --out, or folder path); at least 3 runs, or runs with --repeat 3."),
        folder: Optional[Path] = typer.Option(None, "--baselines", help=BASELINES_HELP),
    ) -> None:
        """Store a baseline: per scenario the pass counts of the runs, and how they were made."""
        from benchlab import baselines
        from benchlab.errors import BenchlabError
        from benchlab.records import load_run
        from benchlab.run_ref import resolve_run

        records = [load_run(resolve_run(run, out)) for run in runs]
        for record in records:
            if not record.complete:
                raise BenchlabError(f"run {record.run_id} did not finish: finish it (benchlab run --resume {record.run_id}) before capturing")
        baseline = baselines.capture(name, records)
        path = baselines.save(baselines.baselines_dir(folder), baseline)
        scenarios = len(baseline.scenarios)
        print(f"baseline {name}: {scenarios} scenarios from {len(records)} run(s), saved to {path} (commit it with your code)")

    @baseline_app.command("list")
    @with_options(PLUGIN)
    def list_(plugin: Any, folder: Optional[Path] = typer.Option(None, "--baselines", help=BASELINES_HELP)) -> None:
        """The baselines in the folder: name, runs, packs, when captured."""
        from benchlab import baselines
        from benchlab.errors import BenchlabError

        where = baselines.baselines_dir(folder)
        found = baselines.names(where)
        if not found:
            print(f"no baselines in {where}/")
        for name in found:
            try:
                b = baselines.load(where, name)
            except BenchlabError as exc:  # one bad file hides none of the others
                print(f"{name}  unreadable: {exc}")
                continue
            print(f"{name}  {len(b.runs)} runs  {', '.join(f'{p} {v}' for p, v in b.packs.items())}  captured {b.created_at}")

    @baseline_app.command("show")
    @with_options(PLUGIN)
    def show(
        plugin: Any,
        name: str = typer.Argument(..., help="A baseline's name."),
        folder: Optional[Path] = typer.Option(None, "--baselines", help=BASELINES_HELP),
    ) -> None:
        """A baseline: how its runs were made and each scenario's pass count."""
        from benchlab import baselines

        b = baselines.load(baselines.baselines_dir(folder), name)
        print(f"baseline {b.name}: captured {b.created_at} by benchlab {b.benchlab_version} from runs {', '.join(b.runs)}")
        print(f"packs: {', '.join(f'{p} {v}' for p, v in b.packs.items())}; sampling {b.sampling}; thinking arms {', '.join(b.thinking_arms)}")
        print(f"server: {b.server.kind or '?'} {b.server.version or ''}, model {b.server.model or '?'}")
        if b.config:
            target, selection = b.config.get("target") or {}, b.config.get("selection") or {}
            print(f"config: backend {target.get('backend')}, endpoint {target.get('endpoint')}, model {target.get('model')}, "
                  f"mode {selection.get('mode')}, --repeat {selection.get('repeat')}")
        for s in b.scenarios:
            extra = f" [{s.prompt_variant}, thinking {s.thinking}]" if s.prompt_variant != "default" or s.thinking != "off" else ""
            print(f"  {s.pack}/{s.scenario_id}{extra}: {s.passes}/{s.repeats}")

    @baseline_app.command("check")
    @with_options(GATE, RUNS_OUT, VIEW_FORMAT, PLUGIN)
    def check_(
        gate: Any,
        out: Any,
        fmt: Any,
        plugin: Any,
        name: str = typer.Argument(..., help="A baseline's name."),
        run: str = typer.Argument(..., help="A run: an id under --out, or its folder's path."),
    ) -> None:
        """Compare a run with a baseline: which packs and scenarios regressed, with the evidence."""
        from benchlab import baselines, exit_codes, gate_text
        from benchlab.errors import BenchlabError
        from benchlab.records import load_run
        from benchlab.run_ref import resolve_run

        if gate["baseline"] is not None:
            raise BenchlabError("baseline check takes the baseline's name as its first argument, not --baseline")
        record = load_run(resolve_run(run, out))
        baseline = baselines.load(baselines.baselines_dir(gate["baselines"]), name)
        report = baselines.gate(baseline, record, allow_mismatch=gate["allow_mismatch"])
        if fmt == JSON_VIEW:
            sys.stdout.write(json.dumps(gate_text.to_json(report, baseline, record.run_id), indent=1) + "\n")
        else:
            sys.stdout.write(gate_text.render(report, baseline, record.run_id))
        raise typer.Exit(exit_codes.REGRESSION if report.decision.fired and gate["fail_on_regression"] else exit_codes.OK)
