"""Runs made through the real CLI (replay backend) for the HTML page tests: an ordinary two-pack
run big enough to need lazy rows, and a run whose every string is hostile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import benchlab, exact_scenario, write_pack


def replay_run(tmp: Path, out: Path, packs: list[Path], lines: list[dict[str, Any]], *extra: str) -> Path:
    """One run of ``packs`` answered by ``lines`` (recorded answers); its folder."""
    replay = tmp / f"replay-{len(list(tmp.glob('replay-*')))}.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines))
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    args = ["run", "--replay", str(replay), "--out", str(out), "--no-progress", *extra]
    for pack in packs:
        args += ["--pack", str(pack)]
    proc = benchlab(*args)
    assert proc.returncode in (0, 3), proc.stderr
    [folder] = [p for p in out.iterdir() if p.name not in before and (p / "journal.jsonl").is_file()]
    return folder


def two_pack_run(tmp: Path, out: Path, *, sizes: tuple[int, int] = (150, 100), wrong_every: int = 3, model_note: str = "",
                 model: str | None = None) -> Path:
    """Packs ``alpha-N`` and ``beta-M``: every ``wrong_every``-th answer wrong, the others right."""
    packs, lines = [], []
    for name, size in zip(("alpha", "beta"), sizes):
        pack_id = f"{name}-{size}"
        folder = tmp / "packs" / pack_id
        if not folder.is_dir():
            write_pack(folder, [exact_scenario(f"Q{i:03d}", f"Say word {i}", f"word{i}") for i in range(size)],
                       title=pack_id.title())
        packs.append(folder)
        for i in range(size):
            right = i % wrong_every != 0
            lines.append({"scenario": f"{pack_id}/Q{i:03d}", "content": f"word{i}" if right else f"wrong{i} {model_note}".strip(),
                          "reasoning": f"thinking about word {i}"})
    return replay_run(tmp, out, packs, lines, *(["--model", model] if model else []))


def hostile_strings(port: int) -> list[str]:
    """Text a model, a tool or a pack might send, each trying to run, load or restyle something."""
    origin = f"http://127.0.0.1:{port}"
    return [
        "<script>window.__pwned = 1; alert(1)</script>",
        "</script><script>window.__pwned = 2; alert(2)</script><!--",
        f"<img src=x onerror=\"window.__pwned = 3; alert(3)\"><img src=\"{origin}/img.png\">",
        "<a href=\"javascript:window.__pwned = 4\">click me</a> javascript:alert(4)",
        f"[a markdown link](javascript:alert(5)) ![a markdown image]({origin}/md.png)",
        "<svg onload=\"window.__pwned = 6\"><circle r=\"5\" onmouseover=\"alert(6)\"></circle>"
        f"<image href=\"{origin}/svg.png\"></image></svg>",
        f"<base href=\"{origin}/\"><a href=\"relative\">relative</a>",
        f"<style>@import url(\"{origin}/import.css\"); body {{ display: none }}</style> @import url({origin}/bare.css);",
        f"<link rel=\"stylesheet\" href=\"{origin}/link.css\"><iframe src=\"{origin}/frame\"></iframe>"
        f"<meta http-equiv=\"refresh\" content=\"0; url={origin}/refresh\">",
        "line\u2028separator\u2029paragraph & <!-- comment --> ]]> \"quotes\" 'single' \\u003c",
        "<form action=\"" + origin + "/form\"><button formaction=\"javascript:alert(7)\">x</button></form>",
    ]


BIG = 10 * 1024 * 1024


def hostile_run(tmp: Path, out: Path, port: int) -> tuple[Path, list[dict[str, Any]]]:
    """A run whose prompts, answers, reasoning, tool calls and arguments are all hostile, with
    two 10 MB single lines; its folder and the recorded answers (the originals to compare with)."""
    strings = hostile_strings(port)
    scenarios, lines = [], []
    for i, text in enumerate(strings):
        scenarios.append({"id": f"H{i:02d}", "messages": [{"role": "user", "content": f"prompt {i}: {text}"}],
                          "verifier": {"kind": "exact", "expected": f"safe {i}"}})
        line: dict[str, Any] = {"scenario": f"hostile-x/H{i:02d}", "content": text, "reasoning": f"thinking {i}: {text}"}
        # Every string in a tool call's arguments too (a JSON string, shown as text).
        line["tool_calls"] = [{"id": f"call_{i}", "type": "function",
                               "function": {"name": f"tool_{i}", "arguments": json.dumps({"html": text})}}]
        lines.append(line)
    # 10 MB single lines that end in markup: a cut would lose the end, a parse would run it.
    lines[0]["content"] = "A" * BIG + strings[1]
    lines[1]["reasoning"] = "B" * BIG + strings[2]
    pack = write_pack(tmp / "packs" / "hostile-x", scenarios, title="<script>window.__pwned = 8</script>Hostile")
    return replay_run(tmp, out, [pack], lines), lines
