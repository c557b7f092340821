"""`benchlab history` over an --out folder of 1,000 indexed runs: wall time and peak RSS.

Targets (issue 11): `benchlab history` answers in at most 0.3 s, and no history command peaks
above 150 MB. The runs are real: one `benchlab run` on the replay backend writes a record,
and the 1,000 run folders are copies of it with their own ids, times, models and pack
scores (five models, one to three packs each, spread over a year). The index is built by
`benchlab history --reindex`, as a user would after copying runs in.

    python benchmarks/history/run.py                              # 1,000 runs, 7 timings each
    python benchmarks/history/run.py --runs 50 -r 1 --results /tmp/r.md   # a quick check

Wall time is spawn to exit (the whole command: interpreter, imports, query, printing), peak
RSS the child's own (wait4). `benchlab --help` is timed the same way, as the floor any
command pays before it does anything.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "overhead"))
from measure import run_measured  # noqa: E402  (the overhead benchmark's spawn-to-exit, wait4 RSS)
from report import machine_facts  # noqa: E402

WALL_LIMIT_S = 0.3
RSS_LIMIT_MB = 150.0
MODELS = ("qwen3:8b", "qwen3:32b", "llama3.1:8b", "gemma3:12b", "smollm2-135m-instruct")
PACKS = (("toolcall-15", "ToolCall-15", 15), ("instructfollow-15", "InstructFollow-15", 15), ("structoutput-15", "StructOutput-15", 15))


def seed_run(work: Path) -> Path:
    """One real run (replay backend, a 15-scenario pack): the record every copy starts from."""
    pack = work / "seed-pack"
    pack.mkdir(parents=True)
    (pack / "pack.toml").write_text('id = "seed-15"\nversion = "1.0.0"\ntitle = "Seed-15"\ndimension = "bench"\n'
                                    "default_thinking = false\ndefault_max_seconds = 30\n")
    scenarios = [{"id": f"S{n:02d}", "messages": [{"role": "user", "content": f"Say {n}"}],
                  "verifier": {"kind": "exact", "expected": str(n)}} for n in range(15)]
    (pack / "scenarios.jsonl").write_text("".join(json.dumps(s) + "\n" for s in scenarios))
    replay = work / "seed.jsonl"
    replay.write_text("".join(json.dumps({"scenario": f"seed-15/S{n:02d}", "content": str(n if n % 3 else -1)}) + "\n"
                              for n in range(15)))
    out = work / "seed-out"
    measured = run_measured([sys.executable, "-m", "benchlab", "run", "--pack", str(pack), "--replay", str(replay),
                             "--out", str(out), "--no-progress"], work / "logs", "seed")
    if measured.returncode != 0:
        raise SystemExit(f"the seed run failed:\n{measured.tail()}")
    return next(p for p in out.iterdir() if (p / "run.json").is_file())


def make_runs(seed: Path, out: Path, count: int) -> None:
    """``count`` run folders under ``out``: the seed's record with its own id, time, model and packs."""
    record = json.loads((seed / "run.json").read_text())
    journal = (seed / "journal.jsonl").read_bytes()
    rng = random.Random(11)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    out.mkdir(parents=True)
    for n in range(count):
        began = start + timedelta(minutes=n * 525 + rng.randrange(60))  # a year, in order
        run_id = began.strftime("%Y%m%d-%H%M%S-") + f"{n:06x}"
        packs = []
        for pack_id, title, total in PACKS[: 1 + n % 3]:
            passed = rng.randrange(total + 1)
            packs.append({**record["packs"][0], "pack": pack_id, "title": title, "pass_count": passed, "total": total,
                          "score": passed / total, "scenarios": total})
        folder = out / run_id
        folder.mkdir()
        (folder / "journal.jsonl").write_bytes(journal)
        (folder / "run.json").write_text(json.dumps({
            **record, "run_id": run_id, "model": MODELS[n % len(MODELS)], "packs": packs,
            "started_at": began.isoformat(timespec="seconds"),
            "finished_at": (began + timedelta(seconds=60 + rng.randrange(600))).isoformat(timespec="seconds"),
        }))


def timed(command: list[str], name: str, repeats: int, work: Path) -> dict[str, Any]:
    """Median and spread of ``repeats`` spawn-to-exit runs (after one untimed warm-up), and the peak RSS."""
    run_measured(command, work / "logs", f"{name}-warmup")
    walls, cpus, rss = [], [], []
    for n in range(repeats):
        measured = run_measured(command, work / "logs", f"{name}-{n}")
        if measured.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {measured.returncode}:\n{measured.tail()}")
        walls.append(measured.wall_s)
        cpus.append(measured.cpu_s)
        rss.append(measured.maxrss_kb / 1024)
    return {"name": name, "command": " ".join(["benchlab", *command[3:]]), "median_s": statistics.median(walls),
            "min_s": min(walls), "max_s": max(walls), "cpu_s": statistics.median(cpus), "peak_rss_mb": max(rss), "runs": repeats,
            "lines": len((work / "logs" / f"{name}-0.out").read_text().splitlines())}


def in_process_query(out: Path, repeats: int) -> float:
    """The index's share: open, sync with the folders and list every run, in this process (median seconds)."""
    from benchlab.history import open_index
    from benchlab.history_query import Filters, list_runs

    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        db = open_index(out)
        list_runs(db, out, Filters())
        db.close()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def render(rows: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    lines = [
        "# benchmarks/history: results", "",
        f"`python benchmarks/history/run.py {' '.join(facts['argv'])}` on {facts['when']}.", "",
        f"Targets: `benchlab history` at most {WALL_LIMIT_S} s (median, spawn to exit) over {facts['runs']} indexed runs; "
        f"peak RSS of every history command at most {RSS_LIMIT_MB:.0f} MB.", "",
        "| command | output lines | median wall (s) | min / max (s) | median CPU (s) | peak RSS (MB) | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        wall_ok = row["median_s"] <= WALL_LIMIT_S if row["name"] == "history" else None
        rss_ok = row["peak_rss_mb"] <= RSS_LIMIT_MB if row["name"] != "help" else None
        checks = [ok for ok in (wall_ok, rss_ok) if ok is not None]
        verdict = "-" if not checks else ("PASS" if all(checks) else "FAIL")
        lines.append(f"| `{row['command']}` | {row['lines']} | {row['median_s']:.3f} | {row['min_s']:.3f} / {row['max_s']:.3f} | "
                     f"{row['cpu_s']:.3f} | {row['peak_rss_mb']:.1f} | {verdict} |")
    lines += [
        "", f"- Building the index from the {facts['runs']} run folders (`history --reindex`, once): {facts['reindex_s']:.2f} s.",
        f"- Inside the process, opening the index, checking it against the folders and listing every run: "
        f"{facts['query_s'] * 1000:.1f} ms (median); the rest of the wall time is the interpreter, imports and printing "
        "(`benchlab --help` builds every command and loads the plugins; `history` builds itself alone, so it starts faster).",
        f"- Load average (1 min): {facts['load'][0]:.2f} before, {facts['load'][1]:.2f} after, on {os.cpu_count()} cores. "
        "On a shared machine the wall time waits for the CPU: the CPU time (user + system) and the minimum are "
        "the numbers least moved by other work.",
        "", "Machine: " + ", ".join(f"{k} {v}" for k, v in facts["machine"].items()) + ".", "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="indexed runs to build")
    parser.add_argument("-r", "--repeats", type=int, default=7, help="timed runs per command (median)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="where to write the markdown report")
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement as JSON here")
    parser.add_argument("--keep", type=Path, default=None, help="build the runs here and keep them")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="benchlab-history-") as tmp:
        work = args.keep or Path(tmp)
        out = work / "results"
        if out.exists():
            shutil.rmtree(out)
        print(f"building {args.runs} runs in {out}", file=sys.stderr)
        make_runs(seed_run(work), out, args.runs)
        benchlab = [sys.executable, "-m", "benchlab"]
        reindex = run_measured([*benchlab, "history", "--reindex", "--out", str(out)], work / "logs", "reindex")
        if reindex.returncode != 0:
            raise SystemExit(f"--reindex failed:\n{reindex.tail()}")
        commands = {
            "help": [*benchlab, "--help"],
            "history": [*benchlab, "history", "--out", str(out)],
            "history-json": [*benchlab, "history", "--out", str(out), "--format", "json"],
            "history-csv": [*benchlab, "history", "--out", str(out), "--format", "csv"],
            "history-filtered": [*benchlab, "history", "--out", str(out), "--model", MODELS[1], "--pack", PACKS[1][0]],
            "trend": [*benchlab, "history", "--out", str(out), "--trend", "--pack", PACKS[0][0], "--model", MODELS[0]],
        }
        rows = []
        for name, command in commands.items():
            print(f"timing {name}", file=sys.stderr)
            rows.append(timed(command, name, args.repeats, work))
        facts = {"runs": args.runs, "argv": sys.argv[1:], "reindex_s": reindex.wall_s, "query_s": in_process_query(out, args.repeats),
                 "load": (load_before, os.getloadavg()[0]), "machine": machine_facts(sys.executable),
                 "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    text = render([{**row, "command": row["command"].replace(str(out), "OUT")} for row in rows], facts)
    print(text)
    args.results.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **facts}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
