"""Measurements for the set-up benchmark.

Warm runs are timed from outside benchlab: llama-server is started through a wrapper
that stamps the wall clock when it execs the real binary, and llama-server's own log
(``LLAMA_ARG_LOG_TIMESTAMPS``) says, relative to its start, when it was listening and
when each request's task began. So "start to first request" is the benchmark's clock
and llama-server's, never benchlab's own account.

The fresh machine is a new venv, an empty benchlab cache, an empty pip cache and a
PATH of links to only the tools a fresh Debian has (fresh_machine.py); every output
line of ``pip install . && benchlab run --quick`` is stamped as it arrives, which also
gives the longest silence in that log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fresh_machine import COMPILED_FROM_SOURCE, fresh_tool_links

# "M.SS.mmm.uuu" since llama-server started (common/log.cpp's timestamp prefix).
_STAMP = re.compile(r"^(\d+)\.(\d{2})\.(\d{3})\.(\d{3}) ")
_TASK_START = re.compile(r"launch_slot_: id +\d+ \| task (\d+) \| processing task")
RUN_TIMEOUT_S = 1800
FRESH_TIMEOUT_S = 3600


class LoadSampler:
    """The 1-minute load average every ``every_s`` while running: the machine is shared."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append(load_average())
            if self._stop.wait(self.every_s):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        values = self.samples or [load_average()]
        return {"min": min(values), "mean": round(sum(values) / len(values), 2), "max": max(values)}


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _seconds(match: re.Match[str]) -> float:
    minutes, seconds, millis, micros = (int(g) for g in match.groups())
    return minutes * 60 + seconds + millis / 1e3 + micros / 1e6


def server_events(log_text: str) -> tuple[float | None, list[float]]:
    """(listening, [task starts]) in seconds since llama-server started, from its timestamped log."""
    listening: float | None = None
    tasks: list[float] = []
    for line in log_text.splitlines():
        stamp = _STAMP.match(line)
        if stamp is None:
            continue
        if listening is None and "listening on http" in line:
            listening = _seconds(stamp)
        elif _TASK_START.search(line):
            tasks.append(_seconds(stamp))
    return listening, tasks


def write_wrapper(folder: Path, real_binary: Path) -> tuple[Path, Path]:
    """A llama-server stand-in that stamps the wall clock, then execs the real one: (wrapper, stamp file)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / "server-exec.stamp"
    wrapper = folder / "llama-server"
    wrapper.write_text(f'#!/bin/sh\ndate +%s.%N > "{stamp}"\nexec "{real_binary}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, stamp


@dataclass
class WarmRun:
    """One ``benchlab run`` with llama-server and the model already cached."""

    slots: int | None
    wall_s: float
    returncode: int
    server_launched_s: float | None = None
    server_ready_s: float | None = None
    first_request_s: float | None = None
    first_scenario_request_s: float | None = None
    requests: int = 0
    scenarios: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    tokens_per_s: float | None = None
    completion_tokens: int = 0
    load: dict[str, float] = field(default_factory=dict)


def warm_run(python: str, real_server: Path, work: Path, select: list[str], slots: int | None = None) -> WarmRun:
    """``benchlab run SELECT`` (the benchlab installed for ``python``) on the embedded default, timed from the server's log."""
    wrapper, stamp = write_wrapper(work / "wrapper", real_server)
    out = work / "results"
    env = {**os.environ, "BENCHLAB_LLAMA_SERVER": str(wrapper), "LLAMA_ARG_LOG_TIMESTAMPS": "1", "LLAMA_ARG_LOG_PREFIX": "1"}
    cmd = [python, "-m", "benchlab", "run", *select, "--out", str(out), "--no-progress"] + (["-o", f"slots={slots}"] if slots else [])
    with LoadSampler() as load, (work / "stdout.txt").open("w") as stdout, (work / "stderr.txt").open("w") as stderr:
        started = time.time()
        code = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, timeout=RUN_TIMEOUT_S).returncode
        wall = time.time() - started
    run = WarmRun(slots=slots, wall_s=round(wall, 2), returncode=code, load=load.summary())
    records = list(out.glob("*/run.json"))
    if code != 0 or not records or not stamp.is_file():
        return run
    record = json.loads(records[0].read_text())
    server_started = float(stamp.read_text().strip())
    listening, tasks = server_events(Path(record["probe"]["extra"]["server_log"]).read_text(errors="replace"))
    since_start = lambda rel: None if rel is None else round(server_started + rel - started, 3)  # noqa: E731
    run.server_launched_s = since_start(0.0)
    run.server_ready_s = since_start(listening)
    run.first_request_s = since_start(tasks[0] if tasks else None)
    # The speed probe is the first request when benchlab sends one; the scenarios follow it.
    probed = record["probe"].get("tokens_per_s") is not None
    run.first_scenario_request_s = since_start(tasks[1 if probed else 0] if len(tasks) > int(probed) else None)
    run.requests = len(tasks)
    run.scenarios = len(record["results"])
    run.outcomes = dict(Counter(r["failure_mode"] or "pass" for r in record["results"]))
    run.tokens_per_s = record["probe"].get("tokens_per_s")
    run.slots = record["probe"].get("concurrency")
    run.completion_tokens = sum(((r.get("response") or {}).get("usage") or {}).get("completion_tokens") or 0 for r in record["results"])
    return run


@dataclass
class FreshRun:
    """``pip install . && benchlab run --quick`` on a fresh machine, from nothing."""

    install_s: float
    run_s: float
    install_code: int
    run_code: int
    build_seconds: float | None = None
    # The longest wait for an output line during `benchlab run` (benchlab's own set-up work),
    # and during `pip install .` (pip's, for the record).
    longest_silence_s: float = 0.0
    silence_ended_by: str = ""
    install_longest_silence_s: float = 0.0
    lines: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    compiled_from_source: list[str] = field(default_factory=list)
    load: dict[str, float] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return round(self.install_s + self.run_s, 1)


def _stamped(cmd: list[str], env: dict[str, str], cwd: Path, log: Any, gaps: list[tuple[float, str]]) -> tuple[int, float]:
    """Run ``cmd`` with stdout and stderr merged; stamp each line, noting the wait before it; return (exit code, seconds)."""
    started = time.monotonic()
    last = [started]
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.monotonic()
        gaps.append((now - last[0], line.rstrip()))
        last[0] = now
        log.write(f"{now - started:8.1f} {line}")
        log.flush()
    code = proc.wait(timeout=FRESH_TIMEOUT_S)
    gaps.append((time.monotonic() - last[0], "(the command ended)"))
    return code, time.monotonic() - started


def copy_source(repo: Path, dest: Path) -> Path:
    """The repository as a fresh clone has it: no build leftovers, no venvs, no results."""
    ignore = shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", "build", "dist", "results", ".pytest_cache", ".hypothesis")
    shutil.copytree(repo, dest, ignore=ignore)
    return dest


def fresh_run(repo: Path, work: Path, python: str, select: list[str]) -> FreshRun:
    """A new venv, empty caches and a PATH without cmake or ninja; then the README's first command."""
    source = copy_source(repo, work / "src")
    subprocess.run([python, "-m", "venv", str(work / "venv")], check=True)
    missing = fresh_tool_links(work / "bin", python)
    if missing:
        raise SystemExit(f"this machine lacks {', '.join(missing)}: no fresh machine can be staged here")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHLAB_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(PATH=f"{work / 'venv' / 'bin'}{os.pathsep}{work / 'bin'}", BENCHLAB_CACHE_DIR=str(work / "cache"),
               PIP_CACHE_DIR=str(work / "pip-cache"))
    install_gaps: list[tuple[float, str]] = []
    run_gaps: list[tuple[float, str]] = []
    with LoadSampler() as load, (work / "output.txt").open("w") as log:
        install_code, install_s = _stamped(["pip", "install", "."], env, source, log, install_gaps)
        run_code, run_s = (-1, 0.0)
        if install_code == 0:
            run_code, run_s = _stamped(["benchlab", "run", *select, "--out", str(work / "results")], env, source, log, run_gaps)
    run = FreshRun(install_s=round(install_s, 1), run_s=round(run_s, 1), install_code=install_code, run_code=run_code,
                   lines=len(install_gaps) + len(run_gaps), load=load.summary())
    run.install_longest_silence_s = round(max(g for g, _ in install_gaps), 1)
    if run_gaps:
        longest = max(run_gaps, key=lambda g: g[0])
        run.longest_silence_s, run.silence_ended_by = round(longest[0], 1), longest[1][:160]
    info = next((work / "cache").glob("llama-server-*/build-info.json"), None)
    if info is not None:
        run.build_seconds = json.loads(info.read_text()).get("build_seconds")
    build_log = next((work / "cache" / "logs").glob("llama-server-*-build.log"), None) if (work / "cache" / "logs").is_dir() else None
    if build_log is not None:
        lines = build_log.read_text(errors="replace").splitlines()
        run.compiled_from_source = [l.strip()[:160] for l in lines if COMPILED_FROM_SOURCE.search(l)]
    records = list((work / "results").glob("*/run.json"))
    if records:
        results = json.loads(records[0].read_text())["results"]
        run.outcomes = dict(Counter(r["failure_mode"] or "pass" for r in results))
    return run


def installed_server(python: str) -> Path:
    """The cached llama-server of the benchlab beside ``python`` (built first if missing)."""
    done = subprocess.run([python, "-m", "benchlab", "local", "setup", "--json"], capture_output=True, text=True, timeout=FRESH_TIMEOUT_S)
    if done.returncode != 0:
        sys.exit(f"benchlab local setup failed: {done.stderr.strip()[-400:]}")
    return Path(json.loads(done.stdout)["server"])
