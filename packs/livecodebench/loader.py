"""Pack ``lcb-v6-30``: 30 LiveCodeBench problems of release v6, from the user's copy of its JSONL.

benchlab ships no problem: ``--dataset lcb-v6-30=PATH`` names LiveCodeBench's
``code_generation_lite`` JSONL as distributed (``test6.jsonl`` holds the problems release v6
added; a file holding more, such as several of the release files joined, is fine). Each line
is one problem; the fields read are ``question_id``, ``question_title``, ``question_content``,
``platform``, ``starter_code``, ``public_test_cases`` (a JSON string: a list of ``{"input",
"output", "testtype"}``, ``testtype`` "stdin" or "functional") and ``metadata`` (a JSON
string; ``func_name`` for functional problems). ``private_test_cases`` (a pickled, compressed
blob) is never decoded, unpickled or executed: the pack judges the public tests only, and says
so in its description.

A run plays the problems of ``PROBLEM_IDS`` the file holds (``--full-dataset``: every problem
in it; ``--scenario lcb-v6-30/ID`` adds one). Scenario ids are the ``question_id``s.

- stdin problems (AtCoder, Codeforces): the answer is a Python program, run once per public
  test with the input on stdin (``code_exec``'s stdio mode: output compared line by line after
  trailing whitespace is dropped; ``TEST_TIMEOUT_S`` per test).
- functional problems (LeetCode): the answer completes the starter code's ``class Solution``;
  ``code_exec``'s Python harness calls the method (``metadata.func_name``) with each test's
  arguments (one JSON value per input line) and compares the result with the JSON output.

Both run in the sandbox, like every code pack. LiveCodeBench ships no reference solutions,
so the generated proofs (a cache folder named by their hash) cannot solve the problems: the
gold answer is a program that looks each public test's input up in a table of the expected
outputs, which proves the verifier's plumbing and comparison for every scenario (the
alternative prints with trailing spaces, which must be ignored; the near-miss changes the
last line, which must fail ``tests``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions, Pack, PackManifest, PackSource, Scenario

PACK_ID = "lcb-v6-30"
VERSION = "1.0.0"
TEST_TIMEOUT_S = 10.0
FIELDS = ("question_id", "question_content", "public_test_cases")

# 30 problems from the contests release v6 added (January to April 2025): 20 AtCoder Beginner
# Contest problems (stdin) and 10 LeetCode problems (functional), as the file's question_id
# spells them. The file decides: an id it lacks is named in the pack's dataset line.
PROBLEM_IDS = (
    "abc387_b", "abc387_c", "abc388_b", "abc388_c", "abc389_b", "abc389_c", "abc390_b", "abc390_c", "abc391_b",
    "abc391_c", "abc392_b", "abc392_c", "abc393_b", "abc393_c", "abc394_b", "abc394_c", "abc395_b", "abc395_c",
    "abc396_a", "abc396_b",
    "3411", "3412", "3417", "3418", "3423", "3424", "3427", "3428", "3432", "3433",
)

STDIN_PROMPT = """{title}

{content}

Write a Python 3 program that reads the input from standard input and prints the answer to standard output. Reply with the complete program in a single ```python code block."""

FUNCTIONAL_PROMPT = """{title}

{content}

Complete this Python 3 class (keep its name and the method's signature):

```python
{starter}
```

Reply with the complete class (and any imports it needs) in a single ```python code block."""

# What LeetCode solutions assume is imported (typing names, collections, math ...).
FUNCTIONAL_PRELUDE = """from typing import *
from collections import *
from functools import *
from itertools import *
from heapq import *
from bisect import *
import math
import string
import re
"""

FUNCTIONAL_TESTS = """import json as _json
_CASES = {cases!r}
for _number, (_input, _output) in enumerate(_CASES, start=1):
    _args = [_json.loads(_line) for _line in _input.split("\\n") if _line.strip()]
    _got = _json.loads(_json.dumps(Solution().{func}(*_args)))
    _want = _json.loads(_output)
    assert _got == _want, f"test {{_number}}: expected {{_want!r}}, got {{_got!r}}"
"""


def manifest(dataset: str | None) -> PackManifest:
    return PackManifest(
        id=PACK_ID,
        version=VERSION,
        title="LCB-v6-30",
        dimension="competitive programming (LiveCodeBench v6), judged on the public tests",
        default_thinking=False,
        default_max_seconds=300.0,
        description=(
            "30 LiveCodeBench problems from the contests its release v6 added (AtCoder stdin/stdout programs and "
            "LeetCode functions), from your copy of its JSONL. Judged in the sandbox on the public tests only: "
            "the private tests are never unpickled or run, so a pass here is weaker than LiveCodeBench's own."
        ),
        dataset=dataset,
    )


def read_problems(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, problem) for every line of the JSONL; a malformed line is one error."""
    from benchlab.text_files import read_text

    problems = []
    for number, line in enumerate(read_text(path, "--dataset lcb-v6-30").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            problem = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchlabError(f"{path}:{number}: not JSON ({exc.msg}): is this LiveCodeBench's JSONL?") from None
        if not isinstance(problem, dict) or any(not isinstance(problem.get(f), str) for f in FIELDS):
            raise BenchlabError(f"{path}:{number}: not a LiveCodeBench problem (needs string fields {', '.join(FIELDS)})")
        problems.append((number, problem))
    return problems


def public_tests(path: Path, number: int, problem: dict[str, Any]) -> list[dict[str, str]]:
    try:
        tests = json.loads(problem["public_test_cases"])
    except json.JSONDecodeError:
        raise BenchlabError(f"{path}:{number}: public_test_cases: not a JSON string") from None
    if not isinstance(tests, list) or not tests or not all(
        isinstance(t, dict) and isinstance(t.get("input"), str) and isinstance(t.get("output"), str)
        and t.get("testtype") in ("stdin", "functional") for t in tests
    ):
        raise BenchlabError(f"{path}:{number}: public_test_cases: expected a list of "
                            '{"input", "output", "testtype": "stdin" or "functional"}')
    if len({t["testtype"] for t in tests}) > 1:
        raise BenchlabError(f"{path}:{number}: public_test_cases: stdin and functional tests mixed")
    return tests


def func_name(path: Path, number: int, problem: dict[str, Any]) -> str:
    try:
        metadata = json.loads(problem.get("metadata") or "{}")
    except json.JSONDecodeError:
        raise BenchlabError(f"{path}:{number}: metadata: not a JSON string") from None
    name = metadata.get("func_name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name.isidentifier():
        raise BenchlabError(f"{path}:{number}: metadata.func_name: a functional problem needs its method's name")
    return name


def scenario_data(path: Path, number: int, problem: dict[str, Any]) -> dict[str, Any]:
    tests = public_tests(path, number, problem)
    title = problem.get("question_title") or problem["question_id"]
    tags = ["livecodebench", str(problem.get("platform") or "unknown"), str(problem.get("difficulty") or "unknown")]
    if tests[0]["testtype"] == "stdin":
        verifier = {"kind": "code_exec", "language": "python", "timeout_s": TEST_TIMEOUT_S,
                    "stdio": [{"input": t["input"], "output": t["output"]} for t in tests]}
        prompt = STDIN_PROMPT.format(title=title, content=problem["question_content"].strip())
    else:
        func = func_name(path, number, problem)
        cases = [(t["input"], t["output"]) for t in tests]
        verifier = {"kind": "code_exec", "language": "python", "prelude": FUNCTIONAL_PRELUDE, "defines": "Solution",
                    "tests": FUNCTIONAL_TESTS.format(cases=cases, func=func),
                    "timeout_s": min(TEST_TIMEOUT_S * len(tests), 300.0)}
        prompt = FUNCTIONAL_PROMPT.format(title=title, content=problem["question_content"].strip(),
                                          starter=(problem.get("starter_code") or "").rstrip())
    return {"id": problem["question_id"], "messages": [{"role": "user", "content": prompt}], "verifier": verifier,
            "tags": tags}


def proof_cases(path: Path, number: int, problem: dict[str, Any]) -> list[dict[str, Any]]:
    """Lookup programs over the public tests (LiveCodeBench ships no solutions): see the module docstring."""
    sid = problem["question_id"]
    tests = public_tests(path, number, problem)
    if tests[0]["testtype"] == "stdin":
        table = {t["input"]: t["output"] for t in tests}
        padded = {t["input"].strip(): [line + "  " for line in t["output"].rstrip("\n").split("\n")] for t in tests}
        wrong = {t["input"]: t["output"].rstrip("\n") + " 0\n" for t in tests}
        gold = f"import sys\nANSWERS = {table!r}\nsys.stdout.write(ANSWERS[sys.stdin.read()])\n"
        alternative = f"import sys\n\nLINES = {padded!r}\nfor line in LINES[sys.stdin.read().strip()]:\n    print(line)\nprint()\n"
        near = f"import sys\nANSWERS = {wrong!r}\nsys.stdout.write(ANSWERS[sys.stdin.read()])\n"
    else:
        func = func_name(path, number, problem)
        table = {json.dumps([json.loads(x) for x in t["input"].split("\n") if x.strip()]): json.loads(t["output"]) for t in tests}
        gold = (f"import json\n\nclass Solution:\n    def {func}(self, *args):\n        return {table!r}[json.dumps(list(args))]\n")
        alternative = (f"import json\n\nANSWERS = {table!r}\n\n\nclass Solution:\n    def {func}(self, *args):\n"
                       f"        key = json.dumps(list(args))\n        return ANSWERS[key]\n")
        near = (f"import json\n\nclass Solution:\n    def {func}(self, *args):\n        return [{table!r}[json.dumps(list(args))]]\n")
    fenced = "```python\n{}```"
    return [
        {"scenario": sid, "kind": "gold", "content": fenced.format(gold)},
        {"scenario": sid, "kind": "alternative", "content": "Here is my program:\n\n" + fenced.format(alternative)},
        {"scenario": sid, "kind": "near_miss", "content": fenced.format(near), "fails_check": "tests",
         "why": "the expected output with its last line changed"},
    ]


def load(source: PackSource, verifiers: Any, drivers: Any, options: LoadOptions) -> Pack:
    """The pack (``register_packs`` loader): the listed problems of ``--dataset lcb-v6-30=PATH``, or unavailable."""
    from benchlab.pack_loader import parse_scenario
    from benchlab.packs.datasets import dataset_path, sha256_of, unavailable_line
    from benchlab.proofs import cached_proofs_folder

    path = dataset_path(options, PACK_ID)
    if path is None:
        return Pack(manifest(None), [], None, needs_sandbox=True, unavailable=unavailable_line(PACK_ID))
    problems = read_problems(path)
    named = {ref.partition("/")[2] for ref in options.scenario_ids if ref.partition("/")[0] == PACK_ID}
    wanted = set(PROBLEM_IDS) | named
    chosen = [(n, p) for n, p in problems if options.full_dataset or p["question_id"] in wanted]
    seen: set[str] = set()
    for number, problem in chosen:
        if problem["question_id"] in seen:
            raise BenchlabError(f"{path}:{number}: question_id {problem['question_id']!r} appears more than once")
        seen.add(problem["question_id"])
    digest = sha256_of(path)
    if not chosen:
        return Pack(manifest(f"{path} (sha256 {digest})"), [], None, needs_sandbox=True,
                    unavailable=f"{path} holds none of the {len(PROBLEM_IDS)} problems of {PACK_ID}: is it release v6's test6.jsonl?")
    scenarios: list[Scenario] = [parse_scenario(path, n, scenario_data(path, n, p), verifiers, drivers) for n, p in chosen]
    missing = [i for i in PROBLEM_IDS if i not in seen]
    found = f"all {len(problems)} problems" if options.full_dataset else f"{len(PROBLEM_IDS) - len(missing)} of the {len(PROBLEM_IDS)} listed problems"
    lacking = f"; not in the file: {', '.join(missing)}" if missing and not options.full_dataset else ""
    dataset = f"{path} (sha256 {digest}): {found}, public tests only{lacking}"
    folder = cached_proofs_folder("lcb-v6-30-proofs", [case for n, p in chosen for case in proof_cases(path, n, p)])
    return Pack(manifest(dataset), scenarios, folder, needs_sandbox=True)
