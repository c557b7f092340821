"""Where benchlab's time goes on the overhead workload: imports, functions, phases.

Starts ``server.py`` (L=0 by default), then runs ``benchlab run`` three times on the
generated pack: plain (phases from the server's timestamps), under
``python -X importtime`` (import cost by top-level package, and which packages each
of benchlab's own top-level imports drags in) and under cProfile (benchlab's own
functions by cumulative time, every function by own time).

    python benchmarks/overhead/profile_benchlab.py [-n 200] [-l 0] [--out DIR]

The cProfile and importtime numbers are inflated by the instrumentation: compare
them with each other, not with run.py's wall times.
"""

from __future__ import annotations

import argparse
import io
import pstats
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from make_pack import write_pack
from measure import BenchServer, benchlab_binary, interpreter_of, run_measured
from run import benchlab_cmd, timeline

REPO = Path(__file__).resolve().parents[2]
OWN = (str(REPO / "core"), str(REPO / "plugins"), str(REPO / "packs"), "/benchlab/")


def import_tree(trace: str) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Cumulative ms per top-level import, and for each top-level ``benchlab*`` import
    the self ms of every package imported beneath it."""
    top: Counter[str] = Counter()
    beneath: dict[str, Counter[str]] = defaultdict(Counter)
    pending: list[tuple[str, int]] = []
    for line in trace.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, cum_us, raw = re.split(r"[:|]", line, maxsplit=3)
        depth = (len(raw) - len(raw.lstrip())) // 2
        name = raw.strip()
        if depth:
            pending.append((name, int(self_us)))
            continue
        # importtime prints a module after everything it imported
        top[name] += int(cum_us)
        for child, us in [*pending, (name, int(self_us))]:
            beneath[name][child if child.startswith("benchlab") else child.split(".")[0]] += us
        pending = []
    return top, beneath


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def profile_text(path: Path, limit: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    rows = [(key, value) for key, value in stats.stats.items() if any(k in key[0] for k in OWN)]  # type: ignore[attr-defined]
    rows.sort(key=lambda kv: -kv[1][3])
    out.write(f"benchlab's own functions by cumulative time (top {limit}):\n")
    out.write(f"{'calls':>7} {'own ms':>8} {'cum ms':>8}  function\n")
    for (file, line, func), (_cc, calls, own, cum, _callers) in rows[:limit]:
        short = file.replace(str(REPO) + "/", "")
        out.write(f"{calls:>7} {own * 1000:>8.1f} {cum * 1000:>8.1f}  {short}:{line}({func})\n")
    out.write(f"\nevery function by own time (top {limit}):\n")
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("-l", "--latency-ms", type=float, default=0.0)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--benchlab", default=None)
    parser.add_argument("--out", type=Path, default=None, help="keep the .prof file and the logs here")
    args = parser.parse_args()
    binary = args.benchlab or benchlab_binary()
    with tempfile.TemporaryDirectory(prefix="benchlab-profile-") as tmp:
        work = args.out or Path(tmp)
        pack = write_pack(work / "pack", args.n)
        report: list[str] = []
        with BenchServer(args.latency_ms, args.concurrency) as server:
            def run(prefix: list[str], tag: str) -> str:
                server.reset()
                cmd = prefix + benchlab_cmd(binary, pack, server.url, args.concurrency, work / "out" / tag)
                m = run_measured(cmd, work / "logs", tag)
                if m.returncode != 0:
                    raise SystemExit(f"benchlab exited {m.returncode} ({tag}):\n{m.tail()}")
                phases = timeline(m, server.stats())
                report.append(f"{tag}: wall {m.wall_s:.3f} s = " + ", ".join(f"{k} {v:.3f}" for k, v in phases.items()))
                return m.stderr.read_text(errors="replace")

            run([], "plain")
            run([], "plain-again")
            python = interpreter_of(binary)
            trace = run([python, "-X", "importtime"], "importtime")
            prof = work / "benchlab.prof"
            run([python, "-m", "cProfile", "-o", str(prof)], "cprofile")
            top, beneath = import_tree(trace)
            report.append(f"\nimports: {ms(sum(top.values()))} ms in all; by top-level import (cumulative ms):")
            report.append("  " + ", ".join(f"{name} {ms(us)}" for name, us in top.most_common(25)))
            report.append("\nwhat benchlab's own top-level imports pull in (self ms by package):")
            for name, us in top.most_common():
                if name.startswith("benchlab") and us >= 1000:
                    parts = ", ".join(f"{k} {ms(v)}" for k, v in beneath[name].most_common(8) if v >= 300)
                    report.append(f"  {name} ({ms(us)}): {parts}")
            report.append("\n" + profile_text(prof, args.top))
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
