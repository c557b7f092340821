"""Agreement of benchlab's BFCL verifier with BFCL's official checker, measured and kept.

    python benchmarks/bfcl/run.py --setup       # once: the official checker's venv (see README.md)
    python benchmarks/bfcl/run.py               # corpus + RESULTS.md (the default 50 entries per category)
    python benchmarks/bfcl/run.py --full        # every entry of every category (RESULTS.md only)

Run with benchlab's Python (bfcl-eval installed there with --no-deps, for the data). For
each category, entry and mode it builds candidate answers (``variants.py``), has the
official checker judge them in its own venv (``official_judge.py``, a subprocess: benchlab
never imports bfcl_eval), judges them with benchlab's ``bfcl`` verifier, and writes:

- ``tests/data/bfcl/entries.jsonl.gz`` and ``corpus.jsonl.gz`` (gzipped JSON lines, 11 MB
  as text): the entries and every candidate with the official verdict, the agreement
  test's input (not with --full);
- ``RESULTS.md`` (``RESULTS-full.md`` with --full): agreement per category and per variant,
  and every disagreement.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from variants import candidates  # noqa: E402

from benchlab.packs.bfcl import data as bfcl_data  # noqa: E402

OFFICIAL_VENV = Path("/work/venvs/bfcl-official")
# The package's own pins for what its checker imports (torch, faiss and sentence-transformers are never imported).
OFFICIAL_DEPENDENCIES = [
    "numpy==1.26.4", "pandas<3", "tree_sitter==0.21.3", "tree-sitter-java==0.21.0", "tree-sitter-javascript==0.21.4",
    "mpmath==1.3.0", "mistralai==1.7.0", "cohere==5.18.0", "filelock==3.20.0", "datamodel-code-generator==0.25.7",
    "networkx==3.3", "rank_bm25==0.2.2", "anthropic", "openai", "google-genai", "boto3", "qwen-agent", "soundfile",
    "writer-sdk", "tenacity", "overrides", "typer", "tabulate", "pydantic", "python-dotenv", "requests", "tqdm",
    "html2text", "beautifulsoup4", "google-search-results",
]
MODES = ("fc", "prompt")


def setup(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["--no-deps", f"bfcl-eval=={bfcl_data.PINNED_VERSION}"], check=True)
    subprocess.run(pip + OFFICIAL_DEPENDENCIES, check=True)


def build(per_category: int | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(entries, candidates): every category's first ``per_category`` entries (all when None)."""
    folder = bfcl_data.data_dir()
    if folder is None:
        sys.exit(f"bfcl-eval is not installed here: {bfcl_data.INSTALL_COMMAND}")
    entries: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for category in bfcl_data.CATEGORIES:
        answers = bfcl_data.read_possible_answers(folder, category)
        chosen = bfcl_data.read_entries(folder, category)
        for entry in chosen[:per_category] if per_category else chosen:
            truth = answers.get(entry["id"])
            record = {"category": category, "id": entry["id"], "question": entry["question"], "function": entry["function"]}
            if truth is not None:
                record["ground_truth"] = truth
            entries.append(record)
            for mode in MODES:
                for candidate in candidates(category, mode, entry, truth):
                    lines.append({"category": category, "id": entry["id"], "mode": mode, **candidate})
    return entries, lines


def official(lines: list[dict[str, Any]], python: Path) -> list[dict[str, Any]]:
    text = "".join(json.dumps({k: line[k] for k in ("category", "id", "mode", "spelling", "answer")}) + "\n" for line in lines)
    done = subprocess.run([str(python), str(HERE / "official_judge.py")], input=text, capture_output=True, text=True, cwd="/tmp")
    if done.returncode != 0:
        sys.exit(f"the official checker failed:\n{done.stderr[-4000:]}")
    verdicts = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(verdicts) != len(lines):
        sys.exit(f"the official checker answered {len(verdicts)} of {len(lines)} candidates:\n{done.stderr[-4000:]}")
    return verdicts


def benchlab_verdicts(entries: list[dict[str, Any]], lines: list[dict[str, Any]]) -> list[bool]:
    sys.path.insert(0, str(ROOT / "tests"))
    from bfcl_corpus import judge_all

    return judge_all(entries, lines)


def report(lines: list[dict[str, Any]], mine: list[bool], seconds: float, full: bool) -> str:
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    disagreements = []
    crashed = [line for line in lines if line["official"]["valid"] is None]
    for line, verdict in zip(lines, mine):
        official_valid = line["official"]["valid"]
        agree = verdict == official_valid
        for table, key in ((per_category, line["category"]), (per_variant, f"{line['mode']} {line['variant']}")):
            table[key][0] += 1
            table[key][1] += agree
            table[key][2] += bool(official_valid)
        if not agree:
            disagreements.append(line)
    total = len(lines)
    agreed = total - len(disagreements)
    out = [
        "# BFCL: benchlab's verifier against BFCL's official checker",
        "",
        f"bfcl-eval {bfcl_data.installed_version()} (pinned {bfcl_data.PINNED_VERSION}); "
        f"{'every entry of' if full else 'the first 50 entries (the default subset) of'} each of the "
        f"{len(bfcl_data.CATEGORIES)} categories, both modes; {total} candidate answers; built and judged in "
        f"{seconds:.0f} s on {platform.machine()} / Python {platform.python_version()}.",
        "",
        f"**Agreement: {agreed}/{total} ({agreed / total:.2%})**; official checker crashes: {len(crashed)}.",
        "",
        "Target: 100%, no exclusions (the test suite requires it on the committed corpus).",
        "",
        "## Per category",
        "",
        "| category | candidates | agree | officially valid |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| {k} | {v[0]} | {v[1]} | {v[2]} |" for k, v in per_category.items()]
    out += ["", "## Per mode and variant", "", "| mode variant | candidates | agree | officially valid |", "| --- | --- | --- | --- |"]
    out += [f"| {k} | {v[0]} | {v[1]} | {v[2]} |" for k, v in sorted(per_variant.items())]
    out += ["", "## Disagreements", ""]
    out += [f"- {d['category']} {d['id']} {d['mode']} {d['variant']}: official {d['official']}" for d in disagreements[:200]] or ["none"]
    return "\n".join(out) + "\n"


def write_gzip_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Gzipped JSON lines, byte-identical for the same rows (no timestamp in the header)."""
    import gzip

    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help=f"create the official checker's venv ({OFFICIAL_VENV}) and exit")
    parser.add_argument("--venv", type=Path, default=OFFICIAL_VENV, help="the official checker's venv")
    parser.add_argument("--full", action="store_true", help="every entry (writes RESULTS.md only, not the corpus)")
    parser.add_argument("--per-category", type=int, default=bfcl_data.DEFAULT_SUBSET)
    parser.add_argument("--results", type=Path, help="default: RESULTS.md, or RESULTS-full.md with --full")
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "data" / "bfcl")
    args = parser.parse_args()
    if args.setup:
        setup(args.venv)
        return
    results = args.results or HERE / ("RESULTS-full.md" if args.full else "RESULTS.md")
    started = time.perf_counter()
    entries, lines = build(None if args.full else args.per_category)
    for line, verdict in zip(lines, official(lines, args.venv / "bin" / "python")):
        line["official"] = verdict
    mine = benchlab_verdicts(entries, lines)
    results.write_text(report(lines, mine, time.perf_counter() - started, args.full), encoding="utf-8")
    if not args.full:
        args.corpus.mkdir(parents=True, exist_ok=True)
        write_gzip_jsonl(args.corpus / "entries.jsonl.gz", entries)
        write_gzip_jsonl(args.corpus / "corpus.jsonl.gz", lines)
    agreed = sum(m == line["official"]["valid"] for m, line in zip(mine, lines))
    print(f"{agreed}/{len(lines)} agree; results in {results}")


if __name__ == "__main__":
    main()
