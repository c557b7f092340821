"""Two real benchlab runs of N scenarios with realistic answers, for the reading benchmark.

The pack mixes three verifiers that need no sandbox (``numeric_answer``, ``regex``,
``instructions``); every answer carries about 2 KB of content and 4 KB of reasoning, as a
thinking model's would. Both runs are played by ``benchlab run`` on the replay backend (so
their journals and records are exactly what benchlab writes); run B answers about one
scenario in ten differently from run A, so a diff has regressions and fixes to list.

    python benchmarks/reading/make_runs.py --scenarios 10000 --out /tmp/reading
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

PACK_ID = "reading"
CONTENT_BYTES = 2000
REASONING_BYTES = 4000
WORDS = ("the", "value", "of", "each", "term", "is", "added", "to", "running", "total", "so", "we", "carry", "over",
         "remaining", "digits", "check", "against", "first", "estimate", "and", "then", "confirm", "result")


def prose(rng: random.Random, size: int) -> str:
    """About ``size`` bytes of plain words in sentences (what a model's explanation looks like to a parser)."""
    words: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(8, 16))).capitalize() + "."
        words.append(sentence)
        length += len(sentence) + 1
    return " ".join(words)


def scenario(n: int) -> dict:
    """Scenario ``n``: its verifier cycles through the three kinds."""
    kind = n % 3
    question = f"Question {n}: add {n} and {n * 7 % 1000}, explain each step, then give the total on the last line."
    messages = [{"role": "system", "content": "You are a careful assistant."}, {"role": "user", "content": question}]
    if kind == 0:
        verifier = {"kind": "numeric_answer", "expected": n + n * 7 % 1000}
    elif kind == 1:
        verifier = {"kind": "regex", "pattern": rf"Total: {n + n * 7 % 1000}\b"}
    else:
        verifier = {"kind": "instructions", "rules": [{"rule": "word_count", "max": 450},
                                                      {"rule": "ends_with", "ends_with": f"Total: {n + n * 7 % 1000}"}]}
    return {"id": f"Q{n:06d}", "messages": messages, "verifier": verifier}


def answer(n: int, rng: random.Random, right: bool) -> dict:
    total = n + n * 7 % 1000
    shown = total if right else total + 1
    body = prose(rng, CONTENT_BYTES)
    return {"scenario": f"{PACK_ID}/Q{n:06d}", "content": f"{body}\nTotal: {shown}", "reasoning": prose(rng, REASONING_BYTES)}


def write_pack(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(
        f'id = "{PACK_ID}"\nversion = "1.0.0"\ntitle = "Reading-{count}"\ndimension = "bench"\n'
        "default_thinking = false\ndefault_max_seconds = 30\n"
    )
    with (folder / "scenarios.jsonl").open("w") as handle:
        for n in range(count):
            handle.write(json.dumps(scenario(n)) + "\n")


def write_answers(path: Path, count: int, seed: int, flip: float) -> None:
    """One replay line per scenario: 70% right; with ``flip`` > 0, that share turned the other way."""
    rng = random.Random(seed)
    base = random.Random(1)
    with path.open("w") as handle:
        for n in range(count):
            right = base.random() < 0.7
            if rng.random() < flip:
                right = not right
            handle.write(json.dumps(answer(n, rng, right)) + "\n")


def play(benchlab: list[str], pack: Path, answers: Path, out: Path) -> Path:
    """``benchlab run`` on the replay backend; the run folder it wrote."""
    before = set(out.iterdir()) if out.is_dir() else set()
    proc = subprocess.run([*benchlab, "run", "--pack", str(pack), "--replay", str(answers), "--out", str(out),
                           "--no-progress", "--concurrency", "8"], capture_output=True, text=True)
    if proc.returncode not in (0, 3):  # 3: some scenario below its pack floor, still a complete run
        raise SystemExit(f"benchlab run exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    [made] = [p for p in out.iterdir() if p not in before and (p / "journal.jsonl").is_file()]
    return made


def make_runs(work: Path, count: int, benchlab: list[str]) -> tuple[Path, Path]:
    """Runs A and B of ``count`` scenarios under ``work/out``."""
    pack = work / "pack"
    write_pack(pack, count)
    write_answers(work / "answers-a.jsonl", count, seed=2, flip=0.0)
    write_answers(work / "answers-b.jsonl", count, seed=3, flip=0.1)
    out = work / "out"
    run_a = play(benchlab, pack, work / "answers-a.jsonl", out)
    run_b = play(benchlab, pack, work / "answers-b.jsonl", out)
    return run_a, run_b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True, help="work folder (the pack, the answers, out/ with both runs)")
    args = parser.parse_args()
    run_a, run_b = make_runs(args.out, args.scenarios, [sys.executable, "-m", "benchlab"])
    print(run_a)
    print(run_b)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
