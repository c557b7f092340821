"""``benchlab inspect`` of a ladder run: the ladder's table, then every attempt of each scenario
(model, verdict, the failed checks with their details); with ``--scenario PACK/ID`` also each
attempt's raw answer, fenced so that nothing a model wrote passes for report text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchlab.codec import structure, unstructure, with_version
from benchlab.errors import BenchlabError
from benchlab.inspect_run import fence
from benchlab.ladder import ScenarioLadder, attempt_folder, read_attempts, read_ladder, table_markdown


def ladder_inspect(run_dir: Path, *, fmt: str, scenario: str | None = None) -> str:
    data = read_ladder(run_dir)
    rows = [structure(r, ScenarioLadder) for r in data.get("scenarios", [])]
    if scenario is not None:
        rows = [r for r in rows if f"{r.pack}/{r.scenario_id}" == scenario]
        if not rows:
            raise BenchlabError(f"--scenario {scenario!r}: ladder run {run_dir.name} has no such scenario")
    attempts = {(r.pack, r.scenario_id): read_attempts(attempt_folder(run_dir, r.pack, r.scenario_id)) for r in rows}
    from benchlab.cli.options import JSON_VIEW

    if fmt == JSON_VIEW:
        shown: dict[str, Any] = {**data, "scenarios": [
            {**unstructure(r), "attempt_records": [unstructure(a) for a in attempts[(r.pack, r.scenario_id)]]} for r in rows]}
        return json.dumps(with_version(shown), ensure_ascii=False, indent=1) + "\n"
    config = data.get("config", {})
    models = " → ".join(m.get("name", "?") for m in config.get("models", []))
    lines = [f"# Ladder {data.get('run_id', run_dir.name)}", "",
             f"Models, cheapest first: {models}; at most {config.get('max_attempts')} attempts, "
             f"{config.get('per_model')} per model; learning context {'on' if config.get('learning') else 'off'}.", "",
             table_markdown(rows)]
    for row in rows:
        folder = attempt_folder(run_dir, row.pack, row.scenario_id)
        lines.append(f"## {row.pack}/{row.scenario_id}")
        lines.append("")
        for attempt in attempts[(row.pack, row.scenario_id)]:
            verdict = "accepted" if attempt.passed else attempt.error or f"{attempt.checks_passed} checks passed"
            lines.append(f"- attempt {attempt.number} ({attempt.model}): {verdict}"
                         + (", with learning context" if attempt.learning_context else ""))
            lines += [f"  - {c.name}: {c.detail}" for c in attempt.checks if not c.ok]
            if scenario is not None:
                answer = folder / f"attempt_{attempt.number}.txt"
                lines += ["", *fence(answer.read_text(encoding="utf-8") if answer.is_file() else ""), ""]
        lines.append("")
    return "\n".join(lines)
