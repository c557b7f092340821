"""benchlab's own overhead against an ideal client loop, on one local server.

One invocation starts ``server.py`` for each latency, then alternates, R times,
``benchlab run`` and ``ideal_loop.py`` (each a fresh process, timed spawn to exit)
on the same N exact-match questions at concurrency C. It also times
``benchlab --help`` and checks which modules that path imports. A run whose answers
do not all check out is an error: its timings would not measure the same work.

    python benchmarks/overhead/run.py                # N=200, C=8, L=50 and 0 ms, R=5
    python benchmarks/overhead/run.py -n 10 -r 1 --results /tmp/r.md   # a smoke run

Prints a table and writes RESULTS.md (see ``report.py`` for the targets).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from make_pack import write_pack
from measure import BenchServer, Measured, benchlab_binary, child_env, interpreter_of, median, run_measured
from report import Results, render_markdown, render_table

HERE = Path(__file__).resolve().parent
FORBIDDEN_ON_HELP = ("httpx", "docker", "rich", "jsonschema", "yaml")


def benchlab_cmd(binary: str, pack: Path, url: str, concurrency: int, out: Path) -> list[str]:
    return [binary, "run", "--pack", str(pack), "--endpoint", url, "--concurrency", str(concurrency),
            "--no-progress", "--out", str(out)]


def ideal_cmd(pack: Path, url: str, concurrency: int) -> list[str]:
    return [sys.executable, str(HERE / "ideal_loop.py"), "--pack", str(pack), "--endpoint", url,
            "--concurrency", str(concurrency)]


PHASES = ("start", "probes", "play", "finish")


def timeline(m: Measured, stats: dict[str, Any]) -> dict[str, float]:
    """Spawn to exit in four phases, from the server's timestamps: start-up (to the first
    request of any kind), the harness's own probes (to the first question), playing the
    questions (to the last answer), and finishing (reports, shut-down, to exit)."""
    first_any, first_q, last = stats["first_any"], stats["first_question"], stats["last_chat_done"]
    if None in (first_any, first_q, last):
        raise SystemExit(f"the server saw no question from {m.stdout.stem}:\n{m.tail()}")
    return {"start": first_any - m.spawned, "probes": first_q - first_any,
            "play": last - first_q, "finish": m.exited - last}


def one_run(kind: str, cmd: list[str], server: BenchServer, work: Path, tag: str) -> tuple[Measured, dict[str, Any]]:
    server.reset()
    m = run_measured(cmd, work / "logs", tag)
    stats = server.stats()
    if m.returncode != 0:
        raise SystemExit(f"{kind} exited {m.returncode} ({tag}):\n{m.tail()}")
    return m, {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "maxrss_mb": m.maxrss_kb / 1024, **timeline(m, stats),
               "first_chat_s": stats["first_chat"] - m.spawned, "server": stats}


def one_benchlab(binary: str, pack: Path, server: BenchServer, concurrency: int, work: Path, tag: str) -> dict[str, Any]:
    out = work / "out" / tag
    _m, run = one_run("benchlab", benchlab_cmd(binary, pack, server.url, concurrency, out), server, work, tag)
    folders = [p for p in out.iterdir() if (p / "run.json").is_file()]
    if len(folders) != 1:
        raise SystemExit(f"expected one run folder under {out}, found {len(folders)}")
    results = json.loads((folders[0] / "run.json").read_text())["results"]
    return {**run, "total": len(results), "correct": sum(1 for r in results if r["passed"])}


def one_ideal(pack: Path, server: BenchServer, concurrency: int, work: Path, tag: str) -> dict[str, Any]:
    m, run = one_run("the ideal loop", ideal_cmd(pack, server.url, concurrency), server, work, tag)
    counts = json.loads(m.stdout.read_text())
    return {**run, "total": counts["total"], "correct": counts["correct"]}


def measure_config(binary: str, pack: Path, n: int, concurrency: int, latency_ms: float,
                   repeats: int, warmup: int, work: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"benchlab": [], "ideal": []}
    with BenchServer(latency_ms, concurrency) as server:
        for i in range(warmup + repeats):
            # Alternate the two so that drift on the machine hits both alike.
            tag = f"L{latency_ms:g}-{i}"
            bl = one_benchlab(binary, pack, server, concurrency, work, f"benchlab-{tag}")
            ideal = one_ideal(pack, server, concurrency, work, f"ideal-{tag}")
            for name, run in (("benchlab", bl), ("ideal", ideal)):
                if run["correct"] != n or run["total"] != n:
                    raise SystemExit(f"{name} ({tag}) checked {run['correct']}/{run['total']} answers correct, expected {n}/{n}")
                if i >= warmup:
                    runs[name].append(run)
            label = "warm-up" if i < warmup else f"run {i - warmup + 1}/{repeats}"
            print(f"  L={latency_ms:g} ms {label}: benchlab {bl['wall_s']:.3f} s, ideal {ideal['wall_s']:.3f} s", file=sys.stderr)
    bl_wall = median([r["wall_s"] for r in runs["benchlab"]])
    ideal_wall = median([r["wall_s"] for r in runs["ideal"]])
    own = [r["server"]["model_requests"] + r["server"]["other_requests"] + r["server"]["chat_requests"]
           - r["server"]["question_requests"] for r in runs["benchlab"]]
    return {
        "n": n, "concurrency": concurrency, "latency_ms": latency_ms, "repeats": repeats,
        "benchlab_wall_s": bl_wall,
        "ideal_wall_s": ideal_wall,
        "ratio": bl_wall / ideal_wall,
        # The fastest run is the least disturbed by other work on the machine.
        "benchlab_best_wall_s": min(r["wall_s"] for r in runs["benchlab"]),
        "ideal_best_wall_s": min(r["wall_s"] for r in runs["ideal"]),
        "overhead_ms_per_scenario": (bl_wall - ideal_wall) / n * 1000,
        # CPU time (user + system) moves far less than wall time when the machine is busy.
        "benchlab_cpu_s": median([r["cpu_s"] for r in runs["benchlab"]]),
        "ideal_cpu_s": median([r["cpu_s"] for r in runs["ideal"]]),
        "cpu_overhead_ms_per_scenario": (median([r["cpu_s"] for r in runs["benchlab"]])
                                         - median([r["cpu_s"] for r in runs["ideal"]])) / n * 1000,
        # Medians of each phase; they need not add up to the median wall time.
        "phases": {name: {ph: median([r[ph] for r in rs]) for ph in PHASES} for name, rs in runs.items()},
        "benchlab_first_request_s": median([r["start"] for r in runs["benchlab"]]),
        "benchlab_first_chat_s": median([r["first_chat_s"] for r in runs["benchlab"]]),
        "benchlab_first_question_s": median([r["start"] + r["probes"] for r in runs["benchlab"]]),
        "benchlab_peak_rss_mb": max(r["maxrss_mb"] for r in runs["benchlab"]),
        "ideal_peak_rss_mb": max(r["maxrss_mb"] for r in runs["ideal"]),
        "benchlab_own_requests": max(own),
        "runs": runs,
    }


def measure_help(binary: str, repeats: int, work: Path) -> dict[str, Any]:
    walls = []
    for i in range(repeats + 1):
        m = run_measured([binary, "--help"], work / "logs", f"help-{i}")
        if m.returncode != 0:
            raise SystemExit(f"benchlab --help exited {m.returncode}:\n{m.tail()}")
        if i:  # the first run warms the page cache and the bytecode cache
            walls.append(m.wall_s)
    trace = subprocess.run([interpreter_of(binary), "-X", "importtime", binary, "--help"], capture_output=True,
                           text=True, check=True, env=child_env(work / "pycache")).stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in trace.splitlines() if line.startswith("import time:")}
    base = [run_measured([sys.executable, "-c", "pass"], work / "logs", f"python-{i}").wall_s for i in range(repeats)]
    return {"median_s": median(walls), "runs": walls, "python_startup_s": median(base),
            "forbidden_imported": sorted(m for m in FORBIDDEN_ON_HELP if m in imported)}


def main() -> int:
    parser = argparse.ArgumentParser(description="benchlab overhead against an ideal asyncio+httpx loop")
    parser.add_argument("-n", type=int, default=200, help="questions (default 200)")
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("-l", "--latency-ms", type=float, action="append", help="server latency (repeatable; default 50 and 0)")
    parser.add_argument("-r", "--repeats", type=int, default=5, help="timed runs per configuration (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    parser.add_argument("--help-repeats", type=int, default=10)
    parser.add_argument("--benchlab", default=None, help="benchlab executable (default: beside this python)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="where to write the markdown report")
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement as JSON here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the pack, logs and run folders here")
    parser.add_argument("--nice", type=int, default=0,
                        help="change this process's (and so every child's) scheduling priority; -10 needs root")
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)  # children inherit it: server and both harnesses alike
    load_before = os.getloadavg()[0]
    latencies = args.latency_ms or [50.0, 0.0]
    binary = args.benchlab or benchlab_binary()

    with tempfile.TemporaryDirectory(prefix="benchlab-overhead-") as tmp:
        work = args.keep or Path(tmp)
        pack = write_pack(work / "pack", args.n)
        configs = []
        for latency in latencies:
            print(f"N={args.n} C={args.concurrency} L={latency:g} ms, {args.repeats} runs each:", file=sys.stderr)
            configs.append(measure_config(binary, pack, args.n, args.concurrency, latency,
                                          args.repeats, args.warmup, work))
        help_stats = measure_help(binary, args.help_repeats, work)
    results = Results(configs=configs, help=help_stats, binary=binary, argv=sys.argv[1:],
                      load=(load_before, os.getloadavg()[0]), nice=os.nice(0))
    print(render_table(results))
    args.results.write_text(render_markdown(results), encoding="utf-8")
    print(f"wrote {args.results}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results.as_dict(), indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
