"""The README's first command, timed: from nothing, and once everything is cached.

1. **Fresh machine** (``--fresh``): a new venv, an empty benchlab cache, an empty pip
   cache and a PATH without cmake or ninja; then ``pip install . && benchlab run
   --quick`` (target: at most 8 minutes on 2 cores, and no silence in its log over 15 s).
2. **Warm**: ``benchlab run --quick`` on the embedded default with llama-server and
   the model cached, R times (targets: at most 90 s, first scenario request within
   3 s of the start, timed from llama-server's own log; see measure.py).
3. **Slots** (``--slots 4,8,16``): the warm run with other slot counts.

Two cores shared with anything else move these numbers a lot: each run records the load.

    python benchmarks/setup/run.py                       # warm, 3 runs (about 3 minutes)
    python benchmarks/setup/run.py --fresh --slots 4,8,16   # everything (about 15 minutes)
    python benchmarks/setup/run.py -r 1 --select "--pack tests/data/packs/smoke-5" --results /tmp/r.md  # a quick check
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from measure import FreshRun, WarmRun, fresh_run, installed_server, warm_run  # noqa: E402 - beside this script
from report import as_json, render_markdown  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-r", "--repeat", type=int, default=3, help="warm runs (default 3)")
    parser.add_argument("--fresh", action="store_true", help="also time a fresh machine from nothing (about 8 minutes)")
    parser.add_argument("--slots", default="", help="comma-separated slot counts to compare, one warm run each")
    parser.add_argument("--select", default="--quick", help="what the runs play (default --quick)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose benchlab the warm runs use")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON")
    parser.add_argument("--keep", type=Path, help="keep the work folders (logs, run folders) here")
    args = parser.parse_args(argv)
    select = shlex.split(args.select)
    slot_counts = [int(s) for s in args.slots.split(",") if s.strip()]

    work_root = args.keep or Path(tempfile.mkdtemp(prefix="benchlab-setup-bench-"))
    work_root.mkdir(parents=True, exist_ok=True)
    fresh: FreshRun | None = None
    if args.fresh:
        print("fresh machine: pip install . && benchlab run (this builds llama-server from nothing)", file=sys.stderr)
        fresh = fresh_run(REPO, work_root / "fresh", args.python, select)
        print(f"  {fresh.total_s:.1f} s (install {fresh.install_s:.1f} s, run {fresh.run_s:.1f} s), "
              f"longest silence {fresh.longest_silence_s:.1f} s", file=sys.stderr)
    server = installed_server(args.python)
    warm: list[WarmRun] = []
    for n in range(args.repeat):
        run = warm_run(args.python, server, work_root / f"warm-{n + 1}", select)
        warm.append(run)
        print(f"warm {n + 1}: {run.wall_s:.1f} s, first scenario request at {run.first_scenario_request_s} s, "
              f"{run.outcomes}, load {run.load}", file=sys.stderr)
    sweep: list[WarmRun] = []
    for slots in slot_counts:
        run = warm_run(args.python, server, work_root / f"slots-{slots}", select, slots=slots)
        sweep.append(run)
        print(f"slots {slots}: {run.wall_s:.1f} s, {run.outcomes}, load {run.load}", file=sys.stderr)

    args.results.write_text(render_markdown(fresh, warm, sweep, argv if argv is not None else sys.argv[1:], select))
    if args.json:
        args.json.write_text(json.dumps(as_json(fresh, warm, sweep), indent=1) + "\n")
    print(f"wrote {args.results}" + (f" (work folders kept in {work_root})" if args.keep else ""), file=sys.stderr)
    if not args.keep:
        import shutil

        shutil.rmtree(work_root, ignore_errors=True)
    failed = [r for r in warm + sweep if r.returncode != 0] or (fresh and (fresh.install_code or fresh.run_code))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
