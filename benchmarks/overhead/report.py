"""The overhead benchmark's targets, machine facts, table and RESULTS.md."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Results:
    """Everything one invocation of run.py measured."""

    configs: list[dict[str, Any]]
    help: dict[str, Any]
    binary: str
    argv: list[str]
    load: tuple[float, float] = (0.0, 0.0)
    nice: int = 0
    when: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

    def config(self, latency_ms: float) -> dict[str, Any] | None:
        return next((c for c in self.configs if c["latency_ms"] == latency_ms), None)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "machine": machine_facts(self.binary), "targets": [t._asdict() for t in evaluate(self)]}


class Target:
    """A measured number against its limit; ``ok`` is None when not measured."""

    def __init__(self, name: str, measured: float | None, limit: float, unit: str, ok: bool | None = None) -> None:
        self.name, self.measured, self.limit, self.unit = name, measured, limit, unit
        self.ok = ok if ok is not None or measured is None else measured <= limit

    def _asdict(self) -> dict[str, Any]:
        return {"name": self.name, "measured": self.measured, "limit": self.limit, "unit": self.unit, "ok": self.ok}

    @property
    def verdict(self) -> str:
        return "not measured" if self.ok is None else ("PASS" if self.ok else "FAIL")

    def shown(self, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.2f}{self.unit}" if self.unit == "x" else f"{value:.3g} {self.unit}".rstrip()


def _pick(results: Results, latency: float, key: str) -> float | None:
    config = results.config(latency)
    return None if config is None else config[key]


def evaluate(results: Results) -> list[Target]:
    forbidden = results.help["forbidden_imported"]
    get: Callable[[float, str], float | None] = lambda latency, key: _pick(results, latency, key)  # noqa: E731
    return [
        Target("L=50 ms: benchlab wall / ideal wall", get(50.0, "ratio"), 1.3, "x"),
        Target("L=0: benchlab wall / ideal wall", get(0.0, "ratio"), 2.0, "x"),
        Target("L=0: harness overhead per scenario", get(0.0, "overhead_ms_per_scenario"), 1.5, "ms"),
        Target("L=0: spawn to first scenario request", get(0.0, "benchlab_first_question_s"), 0.5, "s"),
        Target("L=0: benchlab peak RSS", get(0.0, "benchlab_peak_rss_mb"), 120.0, "MB"),
        Target("`benchlab --help` wall time", results.help["median_s"], 0.3, "s"),
        Target("`benchlab --help` imports none of " + ", ".join(("httpx", "docker")),
               float(len([m for m in forbidden if m in ("httpx", "docker")])), 0.0, "",
               ok=not any(m in ("httpx", "docker") for m in forbidden)),
    ]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def benchlab_under_test(binary: str) -> str:
    """Which benchlab the binary runs: this checkout (with its commit) or an installed copy."""
    python = Path(binary).parent / "python"
    code = "import benchlab, importlib.metadata as m; print(m.version('benchlab')); print(benchlab.__file__)"
    try:
        out = subprocess.run([str(python) if python.exists() else sys.executable, "-c", code],
                             capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return f"unknown ({binary})"
    version, location = out[0], Path(out[1]).resolve()
    if REPO not in location.parents:
        return f"{version} installed at {location.parent} (not this checkout)"
    dirty = _git("status", "--porcelain", "--", "core", "plugins", "packs", "pyproject.toml")
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{version}, this checkout at {commit}" + (" with uncommitted changes in core/plugins/packs" if dirty else "")


def machine_facts(binary: str) -> dict[str, str]:
    cpu = "unknown"
    memory = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return {
        "cores": f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable)",
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "benchlab": benchlab_under_test(binary),
        "httpx": _version("httpx"),
    }


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _config_rows(results: Results) -> list[str]:
    rows = [
        _row(["N", "C", "L (ms)", "benchlab wall (s)", "ideal wall (s)", "ratio", "overhead / scenario (ms)",
              "CPU: benchlab / ideal (s)", "CPU overhead / scenario (ms)", "spawn to 1st scenario request (s)", "peak RSS: benchlab / ideal (MB)"]),
        _row(["---"] * 11),
    ]
    for c in results.configs:
        rows.append(_row([
            str(c["n"]), str(c["concurrency"]), f"{c['latency_ms']:g}", f"{c['benchlab_wall_s']:.3f}",
            f"{c['ideal_wall_s']:.3f}", f"{c['ratio']:.2f}", f"{c['overhead_ms_per_scenario']:.2f}",
            f"{c['benchlab_cpu_s']:.3f} / {c['ideal_cpu_s']:.3f}", f"{c['cpu_overhead_ms_per_scenario']:.2f}",
            f"{c['benchlab_first_question_s']:.3f}",
            f"{c['benchlab_peak_rss_mb']:.0f} / {c['ideal_peak_rss_mb']:.0f}",
        ]))
    return rows


def _phase_rows(results: Results) -> list[str]:
    rows = [_row(["L (ms)", "harness", "start-up (s)", "own probes (s)", "questions (s)", "finish (s)"]),
            _row(["---"] * 6)]
    for c in results.configs:
        for name, phases in c["phases"].items():
            rows.append(_row([f"{c['latency_ms']:g}", name, *(f"{phases[p]:.3f}" for p in ("start", "probes", "play", "finish"))]))
    return rows


def _target_rows(results: Results) -> list[str]:
    rows = [_row(["target", "measured", "limit", "verdict"]), _row(["---"] * 4)]
    for t in evaluate(results):
        if t.unit == "":
            measured = ", ".join(results.help["forbidden_imported"]) or "none imported"
            rows.append(_row([t.name, measured, "none", t.verdict]))
        else:
            rows.append(_row([t.name, t.shown(t.measured), t.shown(t.limit).replace(".00x", ".0x"), t.verdict]))
    return rows


def render_table(results: Results) -> str:
    lines = _config_rows(results) + [""] + _phase_rows(results) + [""]
    h = results.help
    lines.append(f"benchlab --help: median {h['median_s']:.3f} s of {len(h['runs'])} "
                 f"(python -c pass: {h['python_startup_s']:.3f} s); heavy imports on that path: "
                 f"{', '.join(h['forbidden_imported']) or 'none'}")
    lines += [""] + _target_rows(results)
    return "\n".join(lines)


def render_markdown(results: Results) -> str:
    facts = machine_facts(results.binary)
    first = results.configs[0] if results.configs else {"n": "?", "concurrency": "?", "repeats": "?"}
    h = results.help
    probe = [f"L={c['latency_ms']:g} ms: {c['benchlab_first_request_s']:.3f} s" for c in results.configs]
    speed = [f"L={c['latency_ms']:g} ms: {c['benchlab_first_chat_s']:.3f} s" for c in results.configs]
    extra = max((c["benchlab_own_requests"] for c in results.configs), default=0)
    lines = [
        "# benchlab overhead benchmark",
        "",
        f"Measured {results.when} by `python benchmarks/overhead/run.py{' ' + ' '.join(results.argv) if results.argv else ''}`.",
        "",
        "Workload: N exact-match arithmetic questions against `server.py`, a local OpenAI-compatible server that",
        "answers after L ms and serves at most C requests at once. Each harness is a fresh process, timed from",
        f"spawn to exit; every number is the median of {first['repeats']} runs (after one untimed warm-up),",
        "and every run had all N answers checked correct. Peak RSS is the largest of those runs (wait4 rusage).",
        "Children run with a bytecode cache (PYTHONPYCACHEPREFIX in the work folder, PYTHONDONTWRITEBYTECODE",
        "removed), as an installed benchlab has; the warm-up run fills it.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in facts.items()],
        f"- 1-minute load average: {results.load[0]:.2f} at the start, {results.load[1]:.2f} at the end"
        + (f"; the benchmark ran at nice {results.nice}" if results.nice else ""),
        "",
        "## Commands",
        "",
        "```",
        f"python benchmarks/overhead/server.py --port 0 --latency-ms L --concurrency {first['concurrency']}",
        f"{results.binary} run --pack PACK --endpoint URL --concurrency {first['concurrency']} --no-progress --out TMP",
        f"{sys.executable} benchmarks/overhead/ideal_loop.py --pack PACK --endpoint URL --concurrency {first['concurrency']}",
        f"{results.binary} --help",
        "```",
        "",
        "`ideal_loop.py` is the floor: one httpx.AsyncClient limited to C connections, a Semaphore(C), the same",
        "request bodies, exact-match checks, nothing written to disk.",
        "",
        "## Results",
        "",
        *_config_rows(results),
        "",
        "Where the time goes (medians, from the server's timestamps): start-up is spawn to the first request",
        "of any kind; own probes is from there to the first question; questions is first question to last",
        "answer; finish is last answer to exit (record, reports, interpreter shut-down).",
        "",
        *_phase_rows(results),
        "",
        f"- benchlab sends {extra} request(s) of its own before the scenarios (backend detection, the",
        "  `/v1/models` probe, the speed probe's chat request), one after the other; the ideal loop sends none.",
        f"  Spawn to its first request of any kind: {', '.join(probe)}; to its first chat request: {', '.join(speed)}.",
        "- Fastest run of each (the least disturbed by other work on the machine): "
        + "; ".join(f"L={c['latency_ms']:g} ms: benchlab {c['benchlab_best_wall_s']:.3f} s, ideal {c['ideal_best_wall_s']:.3f} s "
                    f"({c['benchlab_best_wall_s'] / c['ideal_best_wall_s']:.2f}x)" for c in results.configs) + ".",
        f"- `benchlab --help`: median {h['median_s']:.3f} s of {len(h['runs'])} runs; `python -c pass` takes "
        f"{h['python_startup_s']:.3f} s here. Heavy modules imported on that path: {', '.join(h['forbidden_imported']) or 'none'}.",
        "- Overhead per scenario is (benchlab wall - ideal wall) / N: it includes benchlab's fixed start-up",
        "  and shut-down cost spread over N, not only the cost per request. The CPU columns (user + system",
        "  time of the process, from wait4) say the same in CPU time, which a busy machine disturbs far less.",
        "",
        "## Targets",
        "",
        *_target_rows(results),
        "",
    ]
    return "\n".join(lines)
