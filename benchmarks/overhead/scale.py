"""benchlab at scale: wall time against the ideal loop and peak RSS at 10,000 and 100,000 scenarios.

Targets (issue 10): at 10,000 scenarios, wall <= 1.3x the ideal loop and peak RSS <= 100 MB;
at 100,000, peak RSS <= 250 MB. The workload is run.py's (the benchmark server at L ms,
C slots, exact-match arithmetic), one run per harness and size unless ``-r`` says more; at
sizes given with ``--rss-only`` only benchlab is run (the ideal loop's wall time is not
needed for a memory target, and at 100,000 it costs minutes).

    python benchmarks/overhead/scale.py                          # 10,000 (both harnesses) and 100,000 (benchlab only)
    python benchmarks/overhead/scale.py -n 500 --rss-only 1000 --results /tmp/s.md   # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_pack import write_pack  # noqa: E402
from measure import BenchServer, benchlab_binary  # noqa: E402
from report import machine_facts  # noqa: E402
from run import measure_config, one_benchlab  # noqa: E402

RATIO_LIMIT = 1.3
RSS_LIMITS_MB = {10_000: 100.0, 100_000: 250.0}


def rss_only(binary: str, n: int, concurrency: int, latency_ms: float, work: Path) -> dict[str, Any]:
    pack = work / f"pack-{n}"
    write_pack(pack, n)
    with BenchServer(latency_ms, concurrency) as server:
        run = one_benchlab(binary, pack, server, concurrency, work, f"benchlab-rss-{n}")
    if (run["total"], run["correct"]) != (n, n):
        raise SystemExit(f"benchlab checked {run['correct']}/{run['total']} answers correct at N={n}, expected {n}/{n}")
    print(f"  N={n}: benchlab {run['wall_s']:.1f} s, {run['maxrss_mb']:.0f} MB", file=sys.stderr)
    return {"n": n, "benchlab_wall_s": run["wall_s"], "benchlab_cpu_s": run["cpu_s"], "benchlab_peak_rss_mb": run["maxrss_mb"]}


def render(rows: list[dict[str, Any]], facts: dict[str, str], load: tuple[float, float], args: argparse.Namespace) -> str:
    lines = ["# benchlab at scale", "",
             f"Measured by `python benchmarks/overhead/scale.py` (C={args.concurrency}, L={args.latency_ms:g} ms, "
             f"{args.repeats} run(s) per harness and size, medians; peak RSS is the largest run's, from wait4).", "",
             "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines += [f"- 1-minute load average: {load[0]:.2f} at the start, {load[1]:.2f} at the end", "", "## Results", "",
              "| N | benchlab wall (s) | ideal wall (s) | ratio | CPU: benchlab / ideal (s) | peak RSS: benchlab / ideal (MB) |",
              "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        ran_ideal = row.get("ideal_wall_s") is not None
        ideal_wall = f"{row['ideal_wall_s']:.1f}" if ran_ideal else "not run"
        ratio = f"{row['ratio']:.2f}" if ran_ideal else "-"
        ideal_cpu = f"{row['ideal_cpu_s']:.1f}" if ran_ideal else "-"
        ideal_rss = f"{row['ideal_peak_rss_mb']:.0f}" if ran_ideal else "-"
        lines.append(f"| {row['n']:,} | {row['benchlab_wall_s']:.1f} | {ideal_wall} | {ratio} | "
                     f"{row['benchlab_cpu_s']:.1f} / {ideal_cpu} | {row['benchlab_peak_rss_mb']:.0f} / {ideal_rss} |")
    lines += ["", "## Targets", "", "| target | measured | limit | verdict |", "| --- | --- | --- | --- |"]
    for row in rows:
        if row.get("ideal_wall_s") and row["n"] == 10_000:
            ok = row["ratio"] <= RATIO_LIMIT
            lines.append(f"| N=10,000: benchlab wall / ideal wall | {row['ratio']:.2f}x | {RATIO_LIMIT}x | {'PASS' if ok else 'FAIL'} |")
        limit = RSS_LIMITS_MB.get(row["n"])
        if limit is not None:
            ok = row["benchlab_peak_rss_mb"] <= limit
            lines.append(f"| N={row['n']:,}: benchlab peak RSS | {row['benchlab_peak_rss_mb']:.0f} MB | {limit:g} MB | {'PASS' if ok else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="benchlab at 10,000 and 100,000 scenarios: wall ratio and peak RSS")
    parser.add_argument("-n", type=int, action="append", help="sizes run with both harnesses (default 10,000)")
    parser.add_argument("--rss-only", type=int, action="append", help="sizes run with benchlab alone (default 100,000)")
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("-l", "--latency-ms", type=float, default=0.0)
    parser.add_argument("-r", "--repeats", type=int, default=1)
    parser.add_argument("--benchlab", default=None, help="benchlab executable (default: beside this python)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS-scale.md")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    binary = args.benchlab or benchlab_binary()
    load_start = os.getloadavg()[0]
    facts = machine_facts(binary)  # before the runs: the checkout they run, not what it became meanwhile
    rows = []
    with tempfile.TemporaryDirectory(prefix="benchlab-scale-") as tmp:
        work = Path(tmp)
        for n in args.n or [10_000]:
            pack = work / f"pack-{n}"
            write_pack(pack, n)
            print(f"N={n} C={args.concurrency} L={args.latency_ms:g} ms:", file=sys.stderr)
            row = measure_config(binary, pack, n, args.concurrency, args.latency_ms, args.repeats, 0, work)
            row.pop("runs")
            rows.append(row)
        for n in args.rss_only or [100_000]:
            rows.append(rss_only(binary, n, args.concurrency, args.latency_ms, work))
    text = render(rows, facts, (load_start, os.getloadavg()[0]), args)
    args.results.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
