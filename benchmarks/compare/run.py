"""`benchlab compare` of two models against each one's solo run: the models must play side by side.

Target (issue 13): two models on two servers that each take L = 200 ms per request; `compare`
finishes in at most 1.15x the time of the slower model's solo `benchlab run`.

The servers are the overhead benchmark's (benchmarks/overhead/server.py: an OpenAI-compatible
server in its own process, answering after --latency-ms with C slots); the pack is the first N
questions of its arithmetic pack. Each timing is spawn to exit of the whole command, the solo
runs and the comparison alternating, R times each (medians). The comparison plays the same
scenarios with the same flags as the solo runs, so the ratio is what playing two models at once
costs over playing the slower one alone.

    python benchmarks/compare/run.py                                   # N=40, C=2, L=200 ms, 3 repeats
    python benchmarks/compare/run.py -n 4 -r 1 --results /tmp/r.md     # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "overhead"))
from measure import BenchServer, median, run_measured  # noqa: E402  (the overhead benchmark's server and spawn-to-exit timing)
from report import machine_facts  # noqa: E402

RATIO_LIMIT = 1.15
LATENCY_MS = 200.0
SOURCE_PACK = HERE.parent / "overhead" / "pack"


def sub_pack(work: Path, count: int) -> Path:
    """The first ``count`` questions of the overhead pack, as a pack of their own."""
    pack = work / "compare-arith"
    pack.mkdir(parents=True)
    manifest = (SOURCE_PACK / "pack.toml").read_text().replace('id = "overhead-arith"', 'id = "compare-arith"')
    (pack / "pack.toml").write_text(manifest)
    lines = (SOURCE_PACK / "scenarios.jsonl").read_text().splitlines()[:count]
    (pack / "scenarios.jsonl").write_text("\n".join(lines) + "\n")
    return pack


def solo(url: str, pack: Path, out: Path, concurrency: int, logs: Path, name: str) -> Any:
    return run_measured([sys.executable, "-m", "benchlab", "run", "--backend", "openai", "--endpoint", url, "--concurrency",
                         str(concurrency), "--pack", str(pack), "--out", str(out), "--no-progress"], logs, name)


def compare(models: Path, pack: Path, out: Path, logs: Path, name: str) -> Any:
    return run_measured([sys.executable, "-m", "benchlab", "compare", "--models", str(models), "--pack", str(pack),
                         "--out", str(out), "--no-progress", "--format", "json"], logs, name)


def measure(count: int, concurrency: int, repeats: int, work: Path) -> dict[str, Any]:
    pack = sub_pack(work, count)
    logs = work / "logs"
    walls: dict[str, list[float]] = {"a": [], "b": [], "compare": []}
    cpu: dict[str, list[float]] = {"a": [], "b": [], "compare": []}
    with BenchServer(LATENCY_MS, concurrency) as a, BenchServer(LATENCY_MS, concurrency) as b:
        models = work / "models.toml"
        models.write_text("".join(f'[[model]]\nname = "{name}"\nbackend = "openai"\nendpoint = "{server.url}"\n'
                                  f"concurrency = {concurrency}\n\n" for name, server in (("a", a), ("b", b))))
        # Untimed: the first command compiles benchlab's bytecode into the private cache.
        solo(a.url, pack, work / "out", concurrency, logs, "warm-up")
        for repeat in range(repeats):
            for name, server in (("a", a), ("b", b)):
                done = solo(server.url, pack, work / "out", concurrency, logs, f"solo-{name}-{repeat}")
                if done.returncode != 0:
                    raise SystemExit(f"the solo run of {name} failed:\n{done.tail()}")
                walls[name].append(done.wall_s)
                cpu[name].append(done.cpu_s)
            done = compare(models, pack, work / "out", logs, f"compare-{repeat}")
            if done.returncode != 0:
                raise SystemExit(f"the comparison failed:\n{done.tail()}")
            report = json.loads(done.stdout.read_text())
            if report["unavailable_cells"] or len(report["rows"]) != count:
                raise SystemExit(f"the comparison did not score every scenario: {report['unavailable_cells']} UNAVAILABLE")
            walls["compare"].append(done.wall_s)
            cpu["compare"].append(done.cpu_s)
    slower = max(median(walls["a"]), median(walls["b"]))
    ratio = median(walls["compare"]) / slower
    return {"n": count, "concurrency": concurrency, "latency_ms": LATENCY_MS, "repeats": repeats, "walls": walls, "cpu": cpu,
            "slower_solo_s": slower, "compare_s": median(walls["compare"]), "ratio": ratio, "ok": ratio <= RATIO_LIMIT,
            # What the servers alone need: N requests at L each, C at a time.
            "floor_s": count * LATENCY_MS / 1000 / concurrency}


def write_results(path: Path, facts: dict[str, Any], argv: list[str], load: tuple[float, float]) -> None:
    m = facts["measured"]
    verdict = "PASS" if m["ok"] else "FAIL"
    lines = [
        "# benchmarks/compare: results", "",
        f"`python benchmarks/compare/run.py {' '.join(argv)}` on {facts['when']}.", "",
        f"Target: `benchlab compare` of two models, on two servers that each take L = {m['latency_ms']:.0f} ms per request, "
        f"finishes in at most {RATIO_LIMIT}x the time of the slower model's solo `benchlab run`.", "",
        "| command | N | C | median wall (s) | min / max (s) | median CPU (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, label in (("a", "`benchlab run` of model a alone"), ("b", "`benchlab run` of model b alone"),
                        ("compare", "`benchlab compare` of a and b")):
        walls = m["walls"][name]
        lines.append(f"| {label} | {m['n']} | {m['concurrency']} | {median(walls):.3f} | {min(walls):.3f} / {max(walls):.3f} | "
                     f"{median(m['cpu'][name]):.3f} |")
    lines += [
        "",
        f"- compare / slower solo run: **{m['ratio']:.3f}** (limit {RATIO_LIMIT}): **{verdict}**.",
        f"- The servers alone need {m['floor_s']:.1f} s per model ({m['n']} requests at {m['latency_ms']:.0f} ms, "
        f"{m['concurrency']} at a time); the rest of each wall time is start-up (interpreter, imports, packs, the speed probe) "
        "and writing the run.",
        f"- Load average (1 min): {load[0]:.2f} before, {load[1]:.2f} after, on {os.cpu_count()} cores.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine_facts(sys.executable).items()) + ".",
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=40, help="scenarios per model")
    parser.add_argument("-c", "--concurrency", type=int, default=2, help="each server's slots, and each model's concurrency")
    parser.add_argument("-r", "--repeats", type=int, default=3, help="timed runs of each command (median)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="where to write the markdown report")
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement as JSON here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="benchlab-compare-bench-"))
    try:
        before = os.getloadavg()[0]
        measured = measure(args.n, args.concurrency, args.repeats, work)
        load = (before, os.getloadavg()[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    facts = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "measured": measured, "load": load}
    write_results(args.results, facts, sys.argv[1:], load)
    if args.json:
        args.json.write_text(json.dumps(facts, indent=1))
    print(args.results.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
