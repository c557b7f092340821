"""The set-up benchmark's targets, machine facts and RESULTS.md."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from measure import FreshRun, WarmRun

FRESH_LIMIT_S = 8 * 60
WARM_LIMIT_S = 90.0
FIRST_REQUEST_LIMIT_S = 3.0
SILENCE_LIMIT_S = 15.0


def machine_facts() -> str:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, {pages / 2**30:.0f} GiB, Python {platform.python_version()}"


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def _verdict(measured: float | None, limit: float) -> str:
    return "not measured" if measured is None else ("PASS" if measured <= limit else "FAIL")


def targets(fresh: FreshRun | None, warm: list[WarmRun]) -> list[tuple[str, float | None, float, str]]:
    """(target, measured, limit, unit) rows."""
    default = [r for r in warm if r.returncode == 0]
    fresh_total = fresh.total_s if fresh and fresh.install_code == 0 and fresh.run_code == 0 else None
    return [
        ("fresh machine: `pip install . && benchlab run --quick`", fresh_total, FRESH_LIMIT_S, "s"),
        ("fresh machine: longest silence in that log", fresh.longest_silence_s if fresh else None, SILENCE_LIMIT_S, "s"),
        ("warm: `benchlab run --quick` wall time (median)", _median([r.wall_s for r in default]), WARM_LIMIT_S, "s"),
        ("warm: start to first scenario request (median)", _median([r.first_scenario_request_s for r in default]),
         FIRST_REQUEST_LIMIT_S, "s"),
    ]


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _warm_rows(runs: list[WarmRun]) -> list[str]:
    rows = [
        "| run | slots | wall (s) | server launched (s) | server ready (s) | 1st request (s) | 1st scenario request (s) | requests | outcomes | probe tokens/s | answer tokens | load (min/mean/max) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for n, r in enumerate(runs, start=1):
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())) or f"exit {r.returncode}"
        load = f"{r.load.get('min', 0):.1f} / {r.load.get('mean', 0):.1f} / {r.load.get('max', 0):.1f}"
        rows.append(
            f"| {n} | {r.slots or '-'} | {r.wall_s:.1f} | {_shown(r.server_launched_s)} | {_shown(r.server_ready_s)} | "
            f"{_shown(r.first_request_s)} | {_shown(r.first_scenario_request_s)} | {r.requests} | {outcomes} | "
            f"{r.tokens_per_s or '-'} | {r.completion_tokens} | {load} |"
        )
    return rows


def render_markdown(fresh: FreshRun | None, warm: list[WarmRun], sweep: list[WarmRun], argv: list[str], select: list[str]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Set-up benchmark: latest results",
        "",
        f"Taken {when} with `python benchmarks/setup/run.py {' '.join(argv)}`; the runs play `benchlab run {' '.join(select)}`.",
        "",
        f"- {machine_facts()}",
        "- The machine is shared with other work: each run lists the 1-minute load average sampled every 5 s while it ran.",
        "",
        "## Targets",
        "",
        "| target | measured | limit | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for name, measured, limit, unit in targets(fresh, warm):
        shown = "-" if measured is None else f"{measured:.1f} {unit}"
        lines.append(f"| {name} | {shown} | {limit:g} {unit} | {_verdict(measured, limit)} |")
    if fresh is not None:
        lines += [
            "",
            "## Fresh machine",
            "",
            "A new venv, an empty `BENCHLAB_CACHE_DIR`, an empty pip cache and a PATH of links to only python3,",
            "cc/c++/gcc/g++, make, as/ld/ar and tar (no cmake, no ninja); then `pip install .` and `benchlab run`",
            "in a copy of the repository, every output line stamped as it arrived.",
            "",
            "| step | seconds | exit |",
            "| --- | ---: | ---: |",
            f"| `pip install .` | {fresh.install_s:.1f} | {fresh.install_code} |",
            f"| `benchlab run` (fetch and build llama-server, fetch the model, run) | {fresh.run_s:.1f} | {fresh.run_code} |",
            f"| of which building llama-server (build-info.json) | {fresh.build_seconds if fresh.build_seconds is not None else '-'} | |",
            f"| total | {fresh.total_s:.1f} | |",
            "",
            f"- Output lines: {fresh.lines}; the longest silence was {fresh.longest_silence_s:.1f} s, ended by `{fresh.silence_ended_by}`.",
            f"- The first run's outcomes: {', '.join(f'{k} {v}' for k, v in sorted(fresh.outcomes.items())) or '-'}.",
            "- Build requirements compiled from source (pip's log): "
            + ("none." if not fresh.compiled_from_source else "; ".join(f"`{l}`" for l in fresh.compiled_from_source)),
            f"- Load average while it ran (min/mean/max): {fresh.load.get('min', 0):.1f} / {fresh.load.get('mean', 0):.1f} / {fresh.load.get('max', 0):.1f}.",
        ]
    if warm:
        lines += [
            "",
            "## Warm: llama-server and the model already cached",
            "",
            "Times are from the start of `benchlab run` and come from llama-server's own timestamped log",
            "(a wrapper stamps the wall clock when it execs the server): when it listened, when its first",
            "task began (benchlab's speed probe) and when the second did (the first scenario).",
            "",
            *_warm_rows(warm),
        ]
    if sweep:
        lines += [
            "",
            "## Slots: the same run with other slot counts (`-o slots=N`)",
            "",
            "What picked the local backend's default. One run each, in the order shown; greedy answers",
            "differ a little between slot counts (batching changes the arithmetic), so the answer tokens differ too.",
            "",
            *_warm_rows(sweep),
        ]
    return "\n".join(lines) + "\n"


def as_json(fresh: FreshRun | None, warm: list[WarmRun], sweep: list[WarmRun]) -> dict[str, Any]:
    return {
        "machine": machine_facts(),
        "fresh": asdict(fresh) if fresh else None,
        "warm": [asdict(r) for r in warm],
        "sweep": [asdict(r) for r in sweep],
        "targets": [{"name": n, "measured": m, "limit": l, "unit": u} for n, m, l, u in targets(fresh, warm)],
    }
