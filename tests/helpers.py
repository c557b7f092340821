"""Small helpers shared by benchlab's own tests (no fixtures: see conftest.py for those)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def write_pack(folder: Path, scenarios: list[dict[str, Any]], **manifest: Any) -> Path:
    """A pack folder with a pack.toml built from ``manifest`` (defaults filled in)."""
    folder.mkdir(parents=True, exist_ok=True)
    fields = {
        "id": folder.name,
        "version": "1.0.0",
        "title": folder.name.title(),
        "dimension": "test",
        "default_thinking": False,
        "default_max_seconds": 30,
        **manifest,
    }
    lines = []
    for key, value in fields.items():
        if value is None:
            continue
        lines.append(f"{key} = {json.dumps(value) if not isinstance(value, bool) else str(value).lower()}")
    (folder / "pack.toml").write_text("\n".join(lines) + "\n")
    (folder / "scenarios.jsonl").write_text("".join(json.dumps(s) + "\n" for s in scenarios))
    return folder


def exact_scenario(scenario_id: str, question: str, expected: str) -> dict[str, Any]:
    return {
        "id": scenario_id,
        "messages": [{"role": "user", "content": question}],
        "verifier": {"kind": "exact", "expected": expected},
    }


def write_replay(path: Path, answers: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"scenario": k, "content": v}) + "\n" for k, v in answers.items()))
    return path


def benchlab(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "benchlab", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def only_run_dir(out: Path) -> Path:
    """The only run folder under ``out`` (``--out`` also holds ``index.sqlite``)."""
    runs = [p for p in out.iterdir() if (p / "journal.jsonl").is_file()]
    assert len(runs) == 1, f"expected one run folder under {out}, found {runs}"
    return runs[0]


def run_record(out: Path) -> dict[str, Any]:
    """The run.json of the only run under ``out``, each result joined with its journal line (the
    request, response and turns, which run.json leaves to the journal): the whole run, as
    ``inspect --full`` shows it."""
    return joined_record(_only_recorded_run(out))


def full_results(out: Path) -> list[dict[str, Any]]:
    """The only run under ``out``: each result of its run.json with its raw exchange (request,
    response, turns), read from the journal line its ``journal_offset`` names."""
    return joined_record(_only_recorded_run(out))["results"]


def _only_recorded_run(out: Path) -> Path:
    """The only run folder under ``out`` with a run.json (a negative control's has no journal)."""
    runs = [p for p in out.iterdir() if (p / "run.json").is_file()]
    assert len(runs) == 1, f"expected one run under {out}, found {runs}"
    return runs[0]


def joined_record(run_dir: Path) -> dict[str, Any]:
    """``run_dir``'s run.json with each result joined with its journal line (by ``journal_offset``)."""
    record = json.loads((run_dir / "run.json").read_text())
    journal = (run_dir / "journal.jsonl").read_bytes() if (run_dir / "journal.jsonl").is_file() else b""
    full = []
    for result in record["results"]:
        if result.get("journal_offset") is None:  # a record no journal line backs (a negative control's)
            full.append(result)
            continue
        line = json.loads(journal[result["journal_offset"]:].split(b"\n", 1)[0])
        assert (line["pack"], line["scenario_id"], line["repeat"]) == (result["pack"], result["scenario_id"], result["repeat"])
        full.append({**result, **line})
    record["results"] = full
    return record


def ask(prompt: str, **kwargs: Any) -> Any:
    """A one-message ChatRequest, as the runner would build it."""
    from benchlab.model import ChatRequest

    return ChatRequest(scenario="pack/case", messages=[{"role": "user", "content": prompt}], **kwargs)


def play_backend(backend: Any, requests: list[Any]) -> tuple[Any, dict[str, Any], list[Any]]:
    """Start ``backend``, send ``requests`` in order, close it: (backend, probe facts, responses)."""
    import asyncio

    async def go() -> tuple[Any, dict[str, Any], list[Any]]:
        try:
            facts = await backend.start()
            return backend, facts, [await backend.chat(r) for r in requests]
        finally:
            await backend.aclose()

    return asyncio.run(go())


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one ``benchlab: error:`` line on stderr and no traceback."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("benchlab: error: "), proc.stderr
    return lines[0]
