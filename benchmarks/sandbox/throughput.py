"""Sandbox throughput: executions per second of each provider, one at a time and several at once.

Measures the sandbox's own cost (``true``) and a typical short program
(``python3 -c pass``). The root filesystem and images are built before timing
starts. ``run.py`` uses these measurements for its throughput section; run alone,
this writes ``THROUGHPUT.md`` beside this file (or ``--results PATH``).

Run: ``python benchmarks/sandbox/throughput.py`` (about a minute once the image exists);
``python benchmarks/sandbox/throughput.py -n 3 --concurrency 2 --results /tmp/r.md`` for a quick check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchlab.sandbox import ExecRequest, Limits, Sandbox
from benchlab.sandbox_selection import choose_sandbox

HERE = Path(__file__).resolve().parent
WORKLOADS = {"true": ["true"], "python3 -c pass": ["python3", "-c", "pass"]}
SANDBOXES = ("bwrap: each execution gets a fresh namespace set, cgroup and work dir. docker: warm hardened containers, "
             "one per slot, started before timing; after each execution everything it started is killed, its files, "
             "/tmp, /dev/shm and IPC wiped and checked from outside, and the container is replaced after any stop "
             "(sandboxes/docker_pool.py).")


def _provider(name: str, concurrency: int) -> Sandbox:
    from benchlab.plugin_manager import load_plugins

    return choose_sandbox(load_plugins().sandboxes, name, max_concurrency=concurrency).provider  # type: ignore[return-value]


def _checked(result: Any) -> None:
    if result.sandbox_failure is not None or result.exit_code != 0:
        raise SystemExit(f"a benchmark run failed: {result.sandbox_failure} {result.detail} exit {result.exit_code} {result.stderr[-300:]}")


def sequential(provider: Sandbox, argv: list[str], runs: int) -> dict[str, float]:
    latencies = []
    started = time.monotonic()
    for _ in range(runs):
        begin = time.monotonic()
        _checked(provider.run_sync(ExecRequest(argv, limits=Limits(wall_seconds=30))))
        latencies.append(time.monotonic() - begin)
    total = time.monotonic() - started
    latencies.sort()
    return {"execs_per_s": runs / total, "p50_s": statistics.median(latencies),
            "p95_s": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]}


def warm_up(provider: Sandbox, argv: list[str], level: int) -> None:
    """Warm caches, and start every sandbox a level uses (docker keeps one container per slot)."""
    sequential(provider, argv, 3)
    if level > 1:
        concurrent(provider, argv, level * 2)


def concurrent(provider: Sandbox, argv: list[str], runs: int) -> dict[str, float]:
    async def all_runs() -> list[Any]:
        return await asyncio.gather(*(provider.run(ExecRequest(argv, limits=Limits(wall_seconds=30))) for _ in range(runs)))

    started = time.monotonic()
    for result in asyncio.run(all_runs()):
        _checked(result)
    return {"execs_per_s": runs / (time.monotonic() - started)}


def machine() -> dict[str, str]:
    facts = {"cpus": str(os.cpu_count()), "kernel": platform.release(), "python": platform.python_version()}
    try:
        import docker

        info = docker.from_env(timeout=5).info()
        facts["docker"] = f"{info.get('ServerVersion')} ({info.get('Driver')}, cgroup v{info.get('CgroupVersion')})"
    except Exception as exc:
        facts["docker"] = f"unavailable ({type(exc).__name__})"
    try:
        facts["bwrap"] = subprocess.run(["bwrap", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        facts["bwrap"] = "not installed"
    return facts


def report(rows: list[dict[str, Any]], facts: dict[str, str], runs: int) -> str:
    lines = [
        "# Sandbox throughput", "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/sandbox/throughput.py -n {runs}`. " + SANDBOXES, "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()), "",
        "| provider | workload | at once | execs/s | p50 latency | p95 latency |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        p50 = f"{row['p50_s'] * 1000:.0f} ms" if "p50_s" in row else "-"
        p95 = f"{row['p95_s'] * 1000:.0f} ms" if "p95_s" in row else "-"
        lines.append(f"| {row['provider']} | `{row['workload']}` | {row['concurrency']} | {row['execs_per_s']:.1f} | {p50} | {p95} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=40, help="executions per measurement")
    parser.add_argument("--providers", default="docker,bwrap")
    parser.add_argument("--concurrency", default="2,4", help="comma-separated levels measured besides 1")
    parser.add_argument("--results", type=Path, default=HERE / "THROUGHPUT.md")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c]
    rows: list[dict[str, Any]] = []
    for name in args.providers.split(","):
        for workload, argv in WORKLOADS.items():
            for level in [1, *levels]:
                # max_concurrency bounds the provider's own pool, so each level gets its own provider.
                provider = _provider(name, level)
                provider.prepare()
                warm_up(provider, argv, level)
                measured = sequential(provider, argv, args.runs) if level == 1 else concurrent(provider, argv, args.runs)
                provider.close()
                rows.append({"provider": name, "workload": workload, "concurrency": level, **measured})
                print(json.dumps(rows[-1]), file=sys.stderr)
    text = report(rows, machine(), args.runs)
    args.results.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(text)


if __name__ == "__main__":
    main()
