"""Reading a large run back: `inspect --failed`, `diff` and `rescore` on 10,000 realistic results.

Targets (issue 11): `inspect --failed` and `diff` each finish in at most 1 s, spawn to exit;
`rescore` of verifiers that need no sandbox handles at least 2,000 results/s; none of the
three peaks above 150 MB. The runs are real (`make_runs.py`: two `benchlab run`s on the
replay backend, about 2 KB of content and 4 KB of reasoning per answer).

    python benchmarks/reading/run.py                                   # 10,000 results, 5 timings each
    python benchmarks/reading/run.py --scenarios 300 -r 1 --results /tmp/r.md   # a quick check

Wall time is spawn to exit, CPU time user + system and peak RSS the child's own (wait4,
through `overhead/measure.py`). Rescore is timed with `--output DIR` (a new run folder:
journal, run.json and reports written), so results/s counts everything a user waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "overhead"))
sys.path.insert(0, str(HERE))
from make_runs import make_runs  # noqa: E402
from measure import run_measured  # noqa: E402  (spawn-to-exit wall, wait4 CPU and RSS)
from report import machine_facts  # noqa: E402

WALL_LIMIT_S = 1.0
RESCORE_LIMIT_PER_S = 2000.0
RSS_LIMIT_MB = 150.0


def timed(command: list[str], name: str, repeats: int, work: Path, fresh: Path | None = None) -> dict[str, Any]:
    """Median and spread of ``repeats`` spawn-to-exit runs (after one untimed warm-up), and the peak RSS.
    ``fresh``: a folder emptied before each run (rescore's --output)."""
    walls, cpus, rss = [], [], []
    for n in range(repeats + 1):
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        measured = run_measured(command, work / "logs", f"{name}-{n}")
        if measured.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {measured.returncode}:\n{measured.tail()}")
        if n == 0:
            continue  # the warm-up: the journal into the page cache, bytecode compiled
        walls.append(measured.wall_s)
        cpus.append(measured.cpu_s)
        rss.append(measured.maxrss_kb / 1024)
    return {"name": name, "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "cpu_s": statistics.median(cpus), "min_cpu_s": min(cpus), "peak_rss_mb": max(rss), "runs": repeats}


def targets(rows: dict[str, dict[str, Any]], results: int) -> list[dict[str, Any]]:
    out = []
    for name in ("inspect --failed", "diff"):
        out.append({"target": f"`{name}` wall time", "measured": f"{rows[name]['median_s']:.2f} s", "limit": f"{WALL_LIMIT_S:g} s",
                    "ok": rows[name]["median_s"] <= WALL_LIMIT_S})
    rate = results / rows["rescore"]["median_s"]
    out.append({"target": "`rescore` results/s (wall)", "measured": f"{rate:,.0f}/s", "limit": f">= {RESCORE_LIMIT_PER_S:,.0f}/s",
                "ok": rate >= RESCORE_LIMIT_PER_S})
    for name, row in rows.items():
        out.append({"target": f"`{name}` peak RSS", "measured": f"{row['peak_rss_mb']:.0f} MB", "limit": f"{RSS_LIMIT_MB:g} MB",
                    "ok": row["peak_rss_mb"] <= RSS_LIMIT_MB})
    return out


def render(rows: dict[str, dict[str, Any]], checks: list[dict[str, Any]], facts: dict[str, str], extra: dict[str, Any]) -> str:
    lines = ["# benchlab reading benchmark", "",
             f"Measured by `python benchmarks/reading/run.py` on {extra['results']:,} results per run "
             f"(journal {extra['journal_mb']:.0f} MB, run.json {extra['record_mb']:.1f} MB), "
             f"{extra['repeats']} timed runs per command after one warm-up (medians).", "",
             "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines += [f"- 1-minute load average: {extra['load_start']:.2f} at the start, {extra['load_end']:.2f} at the end", "",
              "## Results", "",
              "| command | wall median (s) | wall min / max (s) | CPU median (s) | CPU min (s) | peak RSS (MB) |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name, row in rows.items():
        lines.append(f"| `benchlab {name}` | {row['median_s']:.2f} | {row['min_s']:.2f} / {row['max_s']:.2f} | "
                     f"{row['cpu_s']:.2f} | {row['min_cpu_s']:.2f} | {row['peak_rss_mb']:.0f} |")
    lines += ["", f"- `benchlab --help` (the start-up floor every command pays): {rows_help(extra)}",
              f"- rescore, from CPU time: {extra['results'] / rows['rescore']['cpu_s']:,.0f} results/s",
              "", "## Targets", "", "| target | measured | limit | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {c['target']} | {c['measured']} | {c['limit']} | {'PASS' if c['ok'] else 'FAIL'} |" for c in checks]
    return "\n".join(lines) + "\n"


def rows_help(extra: dict[str, Any]) -> str:
    row = extra["help"]
    return f"wall {row['median_s']:.2f} s, CPU {row['cpu_s']:.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description="inspect, diff and rescore on a large realistic run")
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("-r", "--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement as JSON here")
    parser.add_argument("--keep", type=Path, default=None, help="work here (and keep it) instead of a temporary folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="benchlab-reading-"))
    benchlab = [sys.executable, "-m", "benchlab"]
    try:
        load_start = os.getloadavg()[0]
        facts = machine_facts(benchlab[0])  # before the runs: the checkout they run
        run_a, run_b = make_runs(work, args.scenarios, benchlab)
        rows = {
            "inspect --failed": timed([*benchlab, "inspect", "--failed", str(run_a)], "inspect", args.repeats, work),
            "diff": timed([*benchlab, "diff", str(run_a), str(run_b)], "diff", args.repeats, work),
            "rescore": timed([*benchlab, "rescore", str(run_a), "--output", str(work / "rescored")], "rescore", args.repeats, work,
                             fresh=work / "rescored"),
        }
        help_row = timed([*benchlab, "--help"], "help", args.repeats, work)
        extra = {"results": args.scenarios, "repeats": args.repeats, "help": help_row, "load_start": load_start,
                 "load_end": os.getloadavg()[0], "journal_mb": (run_a / "journal.jsonl").stat().st_size / 1e6,
                 "record_mb": (run_a / "run.json").stat().st_size / 1e6}
        checks = targets(rows, args.scenarios)
        args.results.write_text(render(rows, checks, facts, extra))
        if args.json:
            args.json.write_text(json.dumps({"rows": rows, "targets": checks, **extra}, indent=1))
        for c in checks:
            print(f"{'PASS' if c['ok'] else 'FAIL'} {c['target']}: {c['measured']} (limit {c['limit']})")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
