"""The code_exec verifier against a real sandbox (the one a run would choose), per language.

For every language the same function ``add`` is judged in seven forms: correct,
wrong, not compiling/parsing, exiting with status 0 before the tests finish, printing
a forged success line, looping forever, and allocating without bound. Then the
extraction rules, the no-bug expectation, the parameters, and the mapping of a
sandbox's own failure. Only that last one uses a stand-in sandbox (a real provider
cannot be made to fail on demand); it says so in its docstring.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings, strategies as st

from code_exec_helpers import best_sandbox, scenario_for, verify, verify_many

from benchlab.model import ChatResponse, FailureMode
from benchlab.pack_loader import verifier_instance
from benchlab.plugins.verifiers.code.code_exec import COMPILE_ALLOWANCE_S, CodeExecVerifier, claims_no_bug
from benchlab.plugins.verifiers.code.code_extract import extract_code
from benchlab.verifiers import ParamError, VerifyContext

FAKE = "benchlab-done-" + "0" * 32  # looks like a sentinel, but never the run's own

# language -> (tests, {form: code})
LANGS: dict[str, tuple[str, dict[str, str]]] = {
    "python": (
        "assert add(2, 3) == 5\nassert add(-4, 4) == 0\n",
        {
            "good": "def add(a, b):\n    return a + b\n",
            "wrong": "def add(a, b):\n    return a - b\n",
            "broken": "def add(a, b)\n    return a + b\n",
            "early_exit": "import sys\n\ndef add(a, b):\n    return a + b\n\nsys.exit(0)\n",
            "fake": f"def add(a, b):\n    print('{FAKE}')\n    print('all tests passed', flush=True)\n    import os\n    os._exit(0)\n",
            "loop": "def add(a, b):\n    while True:\n        pass\n",
            "memory": "def add(a, b):\n    hog = 'x' * (2 ** 32)\n    return a + b\n",
        },
    ),
    "javascript": (
        "const { test } = require('node:test');\nconst assert = require('node:assert');\n"
        "test('adds', () => { assert.strictEqual(add(2, 3), 5); assert.strictEqual(add(-4, 4), 0); });\n",
        {
            "good": "const assert = require('assert');\nfunction add(a, b) { return a + b; }\nmodule.exports = { add };\n",
            "wrong": "function add(a, b) { return a - b; }\n",
            "broken": "function add(a, b) { return a + b;\n",
            "early_exit": "function add(a, b) { return a + b; }\nprocess.exit(0);\n",
            "fake": f"function add(a, b) {{ console.log('{FAKE}'); console.log('# pass 1'); process.exit(0); }}\n",
            "loop": "function add(a, b) { for (;;) {} }\n",
            "memory": "function add(a, b) { const hog = []; for (;;) hog.push(new Array(1e6).fill(7)); }\n",
        },
    ),
    "c": (
        "void run_tests(void) { assert(add(2, 3) == 5); assert(add(-4, 4) == 0); }\n",
        {
            "good": "int add(int a, int b) { return a + b; }\nint main(void) { return 3; }\n",
            "wrong": "int add(int a, int b) { return a - b; }\n",
            "broken": "int add(int a, int b) { return a + b }\n",
            "early_exit": "#include <stdlib.h>\nint add(int a, int b) { exit(0); }\n",
            "fake": f'#include <stdio.h>\n#include <stdlib.h>\nint add(int a, int b) {{ puts("{FAKE}"); exit(0); }}\n',
            "loop": "int add(int a, int b) { volatile int x = 0; for (;;) x++; return x; }\n",
            "memory": "#include <stdlib.h>\n#include <string.h>\nint add(int a, int b) { for (;;) { char *p = malloc(1 << 24); memset(p, 1, 1 << 24); } }\n",
        },
    ),
    "cpp": (
        "void run_tests() { assert(add(2, 3) == 5); assert(add(-4, 4) == 0); }\n",
        {
            "good": "#include <vector>\nint add(int a, int b) { std::vector<int> v{a, b}; return v[0] + v[1]; }\n",
            "wrong": "int add(int a, int b) { return a - b; }\n",
            "broken": "int add(int a, int b) { return a + b; \n",
            "early_exit": "#include <cstdlib>\nint add(int a, int b) { std::exit(0); }\n",
            "fake": f'#include <iostream>\n#include <cstdlib>\nint add(int a, int b) {{ std::cout << "{FAKE}" << std::endl; std::exit(0); }}\n',
            "loop": "int add(int a, int b) { volatile int x = 0; for (;;) x++; return x; }\n",
            "memory": "#include <vector>\nint add(int a, int b) { std::vector<std::vector<char>> hog; for (;;) hog.emplace_back(1 << 24, 'x'); }\n",
        },
    ),
    "java": (
        "class Tests {\n  static void run() {\n    assert Solution.add(2, 3) == 5;\n    if (Solution.add(-4, 4) != 0) throw new AssertionError(\"add(-4, 4)\");\n  }\n}\n",
        {
            "good": "import java.util.*;\n\npublic class Solution {\n  public static int add(int a, int b) { return a + b; }\n  public static void main(String[] args) { System.exit(3); }\n}\n",
            "wrong": "public class Solution {\n  public static int add(int a, int b) { return a - b; }\n}\n",
            "broken": "public class Solution {\n  public static int add(int a, int b) { return a + b }\n}\n",
            "early_exit": "public class Solution {\n  public static int add(int a, int b) { System.exit(0); return 0; }\n}\n",
            "fake": f"public class Solution {{\n  public static int add(int a, int b) {{ System.out.println(\"{FAKE}\"); System.exit(0); return 0; }}\n}}\n",
            "loop": "public class Solution {\n  public static int add(int a, int b) { while (true) { } }\n}\n",
            "memory": "import java.util.*;\npublic class Solution {\n  public static int add(int a, int b) { List<long[]> hog = new ArrayList<>(); while (true) hog.add(new long[1 << 20]); }\n}\n",
        },
    ),
    "rust": (
        "fn run_tests() { assert_eq!(add(2, 3), 5); assert_eq!(add(-4, 4), 0); }\n",
        {
            "good": "use std::collections::HashMap;\n\nfn add(a: i32, b: i32) -> i32 { a + b }\n\nfn main() { std::process::exit(3); }\n",
            "wrong": "fn add(a: i32, b: i32) -> i32 { a - b }\n",
            "broken": "fn add(a: i32, b: i32) -> i32 { a + b\n",
            "early_exit": "fn add(a: i32, b: i32) -> i32 { std::process::exit(0) }\n",
            "fake": f'fn add(a: i32, b: i32) -> i32 {{ println!("{FAKE}"); std::process::exit(0) }}\n',
            "loop": "fn add(a: i32, b: i32) -> i32 { loop {} }\n",
            "memory": "fn add(a: i32, b: i32) -> i32 { let mut hog = Vec::new(); loop { hog.push(vec![7u8; 1 << 24]); } }\n",
        },
    ),
    "go": (
        'import "fmt"\n\nfunc runTests() {\n\tif add(2, 3) != 5 || add(-4, 4) != 0 {\n\t\tpanic(fmt.Sprint("add gave ", add(2, 3)))\n\t}\n}\n',
        {
            "good": 'package main\n\nimport (\n\t"fmt"\n)\n\nfunc add(a, b int) int { return a + b }\n\nfunc main() { fmt.Println(add(1, 2)) }\n',
            "wrong": "package main\n\nfunc add(a, b int) int { return a - b }\n",
            "broken": "package main\n\nfunc add(a, b int) int { return a + }\n",
            "early_exit": 'package main\n\nimport "os"\n\nfunc add(a, b int) int { os.Exit(0); return 0 }\n',
            "fake": f'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc add(a, b int) int {{ fmt.Println("{FAKE}"); os.Exit(0); return 0 }}\n',
            "loop": "package main\n\nfunc add(a, b int) int { for { a++ } }\n",
            "memory": "package main\n\nfunc add(a, b int) int {\n\thog := [][]byte{}\n\tfor {\n\t\tchunk := make([]byte, 1<<24)\n\t\tfor i := range chunk { chunk[i] = 1 }\n\t\thog = append(hog, chunk)\n\t}\n}\n",
        },
    ),
    "shell": (
        'source ./solution.sh\n[ "$(add 2 3)" = 5 ] || exit 1\n[ "$(add -4 4)" = 0 ] || exit 1\n',
        {
            "good": "#!/bin/bash\nadd() {\n  echo $(( $1 + $2 ))\n}\n",
            "wrong": "add() {\n  echo $(( $1 - $2 ))\n}\n",
            "broken": "add() {\n  echo $(( $1 + $2 ))\n",
            "early_exit": "add() {\n  echo $(( $1 + $2 ))\n}\nexit 0\n",
            "fake": f"add() {{\n  echo $(( $1 + $2 ))\n}}\necho {FAKE}\nexit 0\n",
            "loop": "add() {\n  while :; do :; done\n}\n",
            "memory": "add() {\n  hog=$(head -c 3000000000 /dev/zero | tr '\\0' x)\n  echo 0\n}\n",
        },
    ),
}
LANGUAGES = list(LANGS)


@pytest.fixture(scope="module")
def sandbox():
    return best_sandbox()


def answer(language: str, code: str) -> str:
    return f"Here is the function.\n\n```{language}\n{code}```\n\nIt handles every case."


def params(language: str, **extra: object) -> dict[str, object]:
    return {"language": language, "tests": LANGS[language][0], **extra}


def test_each_language_passes_with_a_correct_program(sandbox) -> None:
    cases = [(params(lang), answer(lang, LANGS[lang][1]["good"])) for lang in LANGUAGES]
    verdicts = asyncio.run(verify_many(cases, sandbox))
    for lang, verdict in zip(LANGUAGES, verdicts):
        assert verdict.passed, f"{lang}: {verdict.detail} {verdict.artifacts}"
        assert verdict.score == 1.0 and verdict.failure_mode is None
        assert [c.name for c in verdict.checks] == ["extract", "tests"]
        assert verdict.artifacts["provider"] == sandbox.name
        assert verdict.artifacts["exit_code"] == 0 and verdict.artifacts["finished"] is True


@pytest.mark.parametrize("language", LANGUAGES)
def test_wrong_program_fails_the_tests(sandbox, language: str) -> None:
    verdict = verify(params(language), answer(language, LANGS[language][1]["wrong"]), sandbox)
    assert not verdict.passed and verdict.score == 0.0
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.detail.startswith("tests: a test failed"), verdict.detail
    assert verdict.artifacts["loaded"] is True and verdict.artifacts["finished"] is False
    assert verdict.artifacts["exit_code"] != 0
    assert verdict.detail.split(": ", 2)[-1], verdict.detail  # says something about what failed


@pytest.mark.parametrize("language", LANGUAGES)
def test_program_that_does_not_compile_or_parse_fails(sandbox, language: str) -> None:
    verdict = verify(params(language), answer(language, LANGS[language][1]["broken"]), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    if language == "shell":
        # bash reads a sourced file as it runs it: the error shows up during the tests.
        assert "syntax error" in verdict.detail or "unexpected end of file" in verdict.detail, verdict.detail
    else:
        expected = "did not compile" if language in ("c", "cpp", "java", "rust", "go") else "failed while loading"
        assert expected in verdict.detail, verdict.detail
        assert verdict.artifacts["loaded"] is False


@pytest.mark.parametrize("language", LANGUAGES)
def test_program_exiting_with_status_zero_before_the_tests_end_fails(sandbox, language: str) -> None:
    verdict = verify(params(language), answer(language, LANGS[language][1]["early_exit"]), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.artifacts["exit_code"] == 0, verdict.artifacts
    assert "exited (status 0) before the tests" in verdict.detail, verdict.detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_program_printing_a_forged_sentinel_fails(sandbox, language: str) -> None:
    verdict = verify(params(language), answer(language, LANGS[language][1]["fake"]), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert FAKE in verdict.artifacts["stdout"]
    assert verdict.artifacts["exit_code"] == 0
    assert "before the tests" in verdict.detail, verdict.detail


def test_infinite_loop_is_a_timeout(sandbox) -> None:
    # All at once: compiled languages wait out their compile allowance on top of the 2 s.
    cases = [(params(lang, timeout_s=2), answer(lang, LANGS[lang][1]["loop"])) for lang in LANGUAGES]
    verdicts = asyncio.run(verify_many(cases, sandbox))
    for lang, verdict in zip(LANGUAGES, verdicts):
        assert verdict.failure_mode == FailureMode.TIMEOUT, (lang, verdict.detail)
        assert "ran past its 2 s time limit" in verdict.detail
        assert verdict.artifacts["killed"] == "timeout"
        if lang in COMPILE_ALLOWANCE_S:
            # The allowance covered compiling: the program started, and its loop used up the 2 s.
            assert verdict.artifacts["loaded"] is True, lang


@pytest.mark.parametrize("language", LANGUAGES)
def test_memory_bomb_is_a_wrong_answer(sandbox, language: str) -> None:
    verdict = verify(params(language, memory_mb=256, timeout_s=20), answer(language, LANGS[language][1]["memory"]), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER, verdict.detail
    # Killed by the kernel at the cgroup limit, or stopped by the runtime's own heap limit first.
    stopped_by_runtime = any(word in verdict.detail for word in ("MemoryError", "OutOfMemoryError", "heap out of memory", "memory allocation"))
    assert verdict.artifacts["killed"] == "oom" or stopped_by_runtime, (verdict.detail, verdict.artifacts)


def test_no_sandbox_is_sandbox_unavailable() -> None:
    p = params("python")
    verdict = asyncio.run(CodeExecVerifier().verify(CodeExecVerifier().parse_params(p), ChatResponse(content=answer("python", LANGS["python"][1]["good"])),
                                                    VerifyContext(scenario=scenario_for(p), sandbox=None)))
    assert verdict.failure_mode == FailureMode.SANDBOX_UNAVAILABLE
    assert not verdict.passed and not verdict.failure_mode.is_scored


def test_a_sandbox_failure_is_never_the_models_fault() -> None:
    """Stand-in sandbox: a real provider cannot be made to fail on demand. It answers as a
    provider does when its engine breaks (``ExecResult.failure``)."""
    from benchlab.sandbox import ExecResult, SandboxFailure

    class Broken:
        name = "broken"

        def __init__(self, failure: SandboxFailure) -> None:
            self.failure = failure
            self.requests = []

        async def run(self, request):
            self.requests.append(request)
            return ExecResult.failure(self.name, self.failure, "engine went away")

    p = params("python")
    content = answer("python", LANGS["python"][1]["good"])
    expected = {SandboxFailure.ERROR: FailureMode.SANDBOX_ERROR, SandboxFailure.TIMEOUT: FailureMode.SANDBOX_TIMEOUT,
                SandboxFailure.UNAVAILABLE: FailureMode.SANDBOX_UNAVAILABLE}
    for failure, mode in expected.items():
        box = Broken(failure)
        verdict = asyncio.run(CodeExecVerifier().verify(CodeExecVerifier().parse_params(p), ChatResponse(content=content), VerifyContext(scenario=scenario_for(p), sandbox=box)))
        assert verdict.failure_mode == mode and "engine went away" in verdict.detail
        assert verdict.artifacts["sandbox_failure"] == failure.value
        assert len(box.requests) == 1 and box.requests[0].toolchains == frozenset({"python"})


# -- what the model's program can and cannot reach -----------------------------------------------------


def test_the_sentinel_file_is_gone_before_the_models_code_runs(sandbox) -> None:
    code = ("import os\nprint(sorted(os.listdir('.')))\ntry:\n    print(open('.benchlab-sentinel').read())\nexcept OSError as exc:\n"
            "    print('unreadable', type(exc).__name__, flush=True)\nos._exit(0)\n\ndef add(a, b):\n    return a + b\n")
    verdict = verify(params("python"), answer("python", code), sandbox)
    assert not verdict.passed
    assert "unreadable FileNotFoundError" in verdict.artifacts["stdout"]
    assert ".benchlab-sentinel" not in verdict.artifacts["stdout"]


# Each add() returns 0 (failing the tests) if the hidden tests' file, or the source they were
# compiled into, or the sentinel file is still in the work dir when the tests call it.
PEEKING = {
    "python": "import os\n\ndef add(a, b):\n    return 0 if os.path.exists('tests.py') or os.path.exists('.benchlab-sentinel') else a + b\n",
    "javascript": "function add(a, b) {\n  const fs = require('fs');\n  return fs.existsSync('tests.js') || fs.existsSync('.benchlab-sentinel') ? 0 : a + b;\n}\n",
    "c": '#include <unistd.h>\nint add(int a, int b) { return access("main.c", F_OK) == 0 || access(".benchlab-sentinel", F_OK) == 0 ? 0 : a + b; }\n',
    "cpp": '#include <unistd.h>\nint add(int a, int b) { return access("main.cpp", F_OK) == 0 || access(".benchlab-sentinel", F_OK) == 0 ? 0 : a + b; }\n',
    "java": 'public class Solution {\n  public static int add(int a, int b) { return new java.io.File("BenchlabMain.java").exists() || new java.io.File(".benchlab-sentinel").exists() ? 0 : a + b; }\n}\n',
    "rust": 'fn add(a: i32, b: i32) -> i32 { if std::path::Path::new("main.rs").exists() || std::path::Path::new(".benchlab-sentinel").exists() { 0 } else { a + b } }\n',
    "go": 'package main\n\nimport "os"\n\nfunc add(a, b int) int {\n\tfor _, name := range []string{"main.go", ".benchlab-sentinel"} {\n\t\tif _, err := os.Stat(name); err == nil {\n\t\t\treturn 0\n\t\t}\n\t}\n\treturn a + b\n}\n',
    "shell": "add() {\n  if [ -e benchlab_main.sh ] || [ -e .benchlab-sentinel ]; then echo 0; else echo $(( $1 + $2 )); fi\n}\n",
}


def test_the_hidden_tests_and_the_sentinel_are_gone_when_the_tests_run(sandbox) -> None:
    cases = [(params(lang), answer(lang, PEEKING[lang])) for lang in LANGUAGES]
    verdicts = asyncio.run(verify_many(cases, sandbox))
    for lang, verdict in zip(LANGUAGES, verdicts):
        assert verdict.passed, f"{lang}: {verdict.detail}"


def test_each_verification_uses_a_fresh_sentinel(sandbox) -> None:
    """The harness on the work dir holds the sentinel; two verifications of one answer get two."""
    from benchlab.sandbox import ExecResult

    seen: list[str] = []

    class Recording:
        """Wraps the real sandbox to look at the requests it is given."""

        name = sandbox.name

        async def run(self, request) -> ExecResult:
            seen.append(request.files[".benchlab-sentinel"])
            return await sandbox.run(request)

    p = params("python")
    content = answer("python", LANGS["python"][1]["good"])
    for _ in range(2):
        verdict = asyncio.run(CodeExecVerifier().verify(CodeExecVerifier().parse_params(p), ChatResponse(content=content), VerifyContext(scenario=scenario_for(p), sandbox=Recording())))
        assert verdict.passed
    assert len(seen) == 2 and seen[0] != seen[1] and all(s.startswith("benchlab-done-") for s in seen)


def test_python_demo_block_does_not_run_and_stdin_is_not_needed(sandbox) -> None:
    code = "def add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n    a, b = map(int, input().split())\n    print(add(a, b))\n"
    assert verify(params("python"), answer("python", code), sandbox).passed


FORK_UNTIL_REFUSED = (
    "import os, time\n\ndef add(a, b):\n    while True:\n        if os.fork() == 0:\n            time.sleep(60)\n"
)


def test_fork_bomb_is_a_wrong_answer(sandbox) -> None:
    """Forking until the kernel refuses: the refused fork raises, the program dies, the process limit is to blame."""
    from benchlab.sandbox import ExecRequest, KilledReason, Limits

    verdict = verify(params("python", timeout_s=10), answer("python", FORK_UNTIL_REFUSED), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER, verdict.detail
    assert "process limit" in verdict.detail
    # What the sandbox itself reports for such a program.
    script = FORK_UNTIL_REFUSED + "\nadd(1, 2)\n"
    result = sandbox.run_sync(ExecRequest(["python3", "-c", script], limits=Limits(wall_seconds=10)))
    assert result.hit_pids_limit and result.killed_reason == KilledReason.PIDS and not result.timed_out, result


def test_fork_bomb_that_ignores_refusals_is_a_timeout(sandbox) -> None:
    """A bomb that swallows every refused fork never ends by itself: only the clock stops it, so the verdict is
    ``timeout``, not ``wrong_answer`` (the time limit, checked first, is what actually ended it)."""
    code = "import os\n\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n"
    verdict = verify(params("python", timeout_s=3), answer("python", code), sandbox)
    assert verdict.failure_mode == FailureMode.TIMEOUT, verdict.detail


def test_output_flood_is_a_wrong_answer(sandbox) -> None:
    code = "def add(a, b):\n    while True:\n        print('x' * 4096)\n"
    verdict = verify(params("python", timeout_s=10), answer("python", code), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER, verdict.detail
    assert "output limit" in verdict.detail
    assert len(verdict.artifacts["stdout"]) < 5000  # capped in the record


def test_prelude_and_an_indented_body_make_one_function(sandbox) -> None:
    p = params("python", prelude="from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    \"\"\"Sum.\"\"\"\n")
    assert verify(p, "```python\n    return a + b\n```", sandbox).passed
    assert verify(p, "```python\ndef add(a, b):\n    total = a + b\n    return total\n```", sandbox).passed
    assert not verify(p, "```python\n    return a * b\n```", sandbox).passed


# -- extraction (no sandbox needed) ------------------------------------------------------------------


def extract(content: str, language: str = "python", name: str | None = None) -> str | None:
    return extract_code(ChatResponse(content=content), language, name).code


def test_the_last_block_in_the_language_wins() -> None:
    content = "```python\ndef add(a, b):\n    return 0\n```\nBetter:\n```py\ndef add(a, b):\n    return a + b\n```\nOutput:\n```text\n5\n```"
    assert extract(content) == "def add(a, b):\n    return a + b\n"


def test_untagged_blocks_count_only_when_none_is_tagged() -> None:
    assert extract("```\nx = 1\n```\n```javascript\nlet y = 2;\n```", "javascript") == "let y = 2;\n"
    assert extract("```\nconst y = 2;\n```", "javascript") == "const y = 2;\n"
    assert extract("```js\nconst y = 2;\n```", "python") is None


def test_defines_prefers_the_block_defining_the_name() -> None:
    content = "```python\ndef add(a, b):\n    return a + b\n```\nUsage:\n```python\nprint(add(1, 2))\n```"
    assert extract(content, name="add").startswith("def add")
    assert extract(content).startswith("print")


def test_fallbacks_unclosed_fence_and_bare_program() -> None:
    assert extract("Sure:\n```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"
    assert extract("def f():\n    return 1\n") == "def f():\n    return 1\n"
    assert extract("    return sorted(xs)\n") == "    return sorted(xs)\n"
    assert extract("#include <stdio.h>\nint f(void) { return 1; }", "c") is not None
    assert extract("The function is correct as written.") is None
    assert extract("Answer: 5") is None  # parses as Python, but defines nothing
    assert extract("<think>```python\ndef f(): pass\n```</think>I will not write code.") is None


def test_extraction_reason_is_reported_when_nothing_is_found(sandbox) -> None:
    verdict = verify(params("python"), "```json\n{\"add\": 5}\n```", sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.detail == "extract: no python code block (found ```json)"


# -- the no-bug expectation ---------------------------------------------------------------------------


NO_BUG = {"expect": "no_bug", "no_bug_line": "VERDICT: NO BUG"}


def test_no_bug_line_matching_is_forgiving_about_markdown_only() -> None:
    for text in ("The loop is right.\nVERDICT: NO BUG", "**Verdict: no bug.**", "`VERDICT: NO BUG`\n\n"):
        assert claims_no_bug(text, "VERDICT: NO BUG"), text
    for text in ("VERDICT: NO BUG\nbut actually line 3 is wrong", "VERDICT: NO BUGS", "no bug", ""):
        assert not claims_no_bug(text, "VERDICT: NO BUG"), text


def test_no_bug_expectation(sandbox) -> None:
    p = params("python", **NO_BUG)
    good = LANGS["python"][1]["good"]
    passed = verify(p, "I traced every branch; it is correct.\n\nVERDICT: NO BUG", sandbox)
    assert passed.passed and [c.name for c in passed.checks] == ["verdict"]
    # code offered beside the verdict must still pass the tests
    assert verify(p, f"```python\n{good}```\nVERDICT: NO BUG", sandbox).passed
    changed = verify(p, f"```python\n{LANGS['python'][1]['wrong']}```\nVERDICT: NO BUG", sandbox)
    assert not changed.passed and changed.checks[-1].name == "tests"
    # a claimed fix (even of unchanged code) without the verdict fails
    fixed = verify(p, f"Fixed the bug:\n```python\n{good}```", sandbox)
    assert not fixed.passed and fixed.checks[-1].name == "verdict" and fixed.failure_mode == FailureMode.WRONG_ANSWER


def test_claiming_no_bug_where_there_is_one_fails(sandbox) -> None:
    p = params("python", no_bug_line="VERDICT: NO BUG")
    verdict = verify(p, "Looks fine to me.\nVERDICT: NO BUG", sandbox)
    assert not verdict.passed and verdict.checks[-1].name == "verdict"
    ok = verify(p, f"```python\n{LANGS['python'][1]['good']}```", sandbox)
    assert ok.passed and [c.name for c in ok.checks] == ["verdict", "extract", "tests"]


def test_no_bug_answer_needs_no_sandbox() -> None:
    p = params("python", **NO_BUG)
    verdict = asyncio.run(CodeExecVerifier().verify(CodeExecVerifier().parse_params(p), ChatResponse(content="VERDICT: NO BUG"), VerifyContext(scenario=scenario_for(p))))
    assert verdict.passed


# -- parameters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"language": "cobol", "tests": "x"}, "language"),
        ({"language": "python", "tests": "   "}, "tests"),
        ({"language": "python"}, "tests"),
        ({"language": "python", "tests": "x", "timeout_s": 0}, "timeout_s"),
        ({"language": "python", "tests": "x", "timeout_s": 1000}, "timeout_s"),
        ({"language": "python", "tests": "x", "timeout_s": True}, "timeout_s"),
        ({"language": "python", "tests": "x", "memory_mb": 8}, "memory_mb"),
        ({"language": "python", "tests": "x", "expect": "maybe"}, "expect"),
        ({"language": "python", "tests": "x", "expect": "no_bug"}, "no_bug_line"),
        ({"language": "python", "tests": "x", "no_bug_line": "**"}, "no_bug_line"),
        ({"language": "python", "tests": "x", "defines": "not a name"}, "defines"),
        ({"language": "python", "tests": "x", "sentinel": "abc"}, "sentinel"),
    ],
)
def test_bad_params_are_rejected(bad: dict[str, object], field: str) -> None:
    with pytest.raises(ParamError) as caught:
        CodeExecVerifier().validate(bad)
    assert caught.value.field == field


def test_registered_and_needs_a_sandbox() -> None:
    from code_exec_helpers import plugins

    verifier = verifier_instance(plugins().verifiers, "code_exec")
    assert isinstance(verifier, CodeExecVerifier) and verifier.needs_sandbox


# -- whatever the model writes, extraction and the verdict line never crash ---------------------------


_PIECES = st.sampled_from(["```", "```python", "```js", "~~~", "\n", "    ", "def f():", "return 1", "VERDICT: NO BUG",
                           "<think>", "</think>", "`", "*", "#include <x>", "fn main() {}", "\t", "\ufeff"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=30), st.sampled_from(list(LANGS)),
       st.sampled_from([None, "f", "add"]))
def test_extraction_never_raises(parts: list[str], language: str, name: str | None) -> None:
    text = "".join(parts)
    found = extract_code(ChatResponse(content=text), language, name)
    assert found.code is None or found.code.strip()
    assert isinstance(found.how, str) and found.how
    claims_no_bug(text, "VERDICT: NO BUG")


# -- answers that try to disarm the hidden tests instead of passing them --------------------------------


def test_python_answer_that_replaces_compile_still_meets_its_tests(sandbox) -> None:
    """The answer makes ``compile`` turn tests.py into nothing; the harness compiles with its own reference."""
    code = ("import builtins\n_real = builtins.compile\n\ndef _empty(source, filename, mode, *args, **kwargs):\n"
            "    return _real('' if filename == 'tests.py' else source, filename, mode, *args, **kwargs)\n\n"
            "builtins.compile = _empty\nbuiltins.exec = lambda *args, **kwargs: None\n\ndef add(a, b):\n    return 0\n")
    verdict = verify(params("python"), answer("python", code), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER and "a test failed" in verdict.detail, verdict.detail
    # The same trick on a correct add passes: the restored builtins do not break a working answer.
    assert verify(params("python"), answer("python", code.replace("return 0", "return a + b")), sandbox).passed


def test_python_answer_shadowing_a_builtin_the_tests_use_fails(sandbox) -> None:
    """``tuple = lambda x: 0`` in the answer would make ``tuple(got) == tuple(want)`` always true in its namespace."""
    p = {"language": "python", "defines": "sort3",
         "tests": "assert tuple(sort3([3, 1, 2])) == tuple([1, 2, 3])\nassert len(sort3([1])) == 1\n"}
    stub = "def sort3(xs):\n    return xs\n\ntuple = lambda x: 0\nlen = lambda x: 1\n"
    verdict = verify(p, answer("python", stub), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER and "a test failed" in verdict.detail, verdict.detail
    # Its own code still sees its own names; and an entry point named like a builtin (``defines``) reaches the tests.
    good = "import builtins\n\ndef sort3(xs):\n    return list(sorted(xs))\n\ndef sorted(xs):\n    return builtins.sorted(xs)\n"
    assert verify(p, answer("python", good), sandbox).passed
    named = {"language": "python", "defines": "sum", "tests": "assert sum([1, 2], 10) == 13\n"}
    assert verify(named, answer("python", "def sum(xs, start):\n    return start + xs[0] + xs[1]\n"), sandbox).passed


def test_javascript_answer_pinning_the_exit_code_fails(sandbox) -> None:
    """``process.exitCode`` pinned at 0, or node:assert / node:test patched: the tests still count."""
    stub = "function add(a, b) { return 0; }\n"
    tricks = [
        "Object.defineProperty(process, 'exitCode', { get() { return 0; }, set(v) {}, configurable: true });\n" + stub,
        "function add(a, b) { process.exitCode = 0; return 0; }\n",  # resets the code at each call
        "const assert = require('node:assert');\nassert.strictEqual = () => {};\n" + stub,
        "require('node:test').test = () => {};\n" + stub,
    ]
    cases = [(params("javascript"), answer("javascript", trick)) for trick in tricks]
    for trick, verdict in zip(tricks, asyncio.run(verify_many(cases, sandbox))):
        assert verdict.failure_mode == FailureMode.WRONG_ANSWER, (trick, verdict.detail)
        assert verdict.artifacts["finished"] is False, trick


def test_javascript_counts_every_declared_test(sandbox) -> None:
    """Every declared test must complete: a ``(t, done)`` test counts once done; one that never runs (skipped) withholds the sentinel."""
    tests = LANGS["javascript"][0] + "test('done callback', (t, done) => { assert.strictEqual(add(1, 1), 2); done(); });\n"
    p = {"language": "javascript", "tests": tests}
    assert verify(p, answer("javascript", LANGS["javascript"][1]["good"]), sandbox).passed
    skipping = {"language": "javascript", "tests": LANGS["javascript"][0] + "test('later', { skip: true }, () => {});\n"}
    verdict = verify(skipping, answer("javascript", LANGS["javascript"][1]["good"]), sandbox)
    assert not verdict.passed and verdict.artifacts["finished"] is False, verdict.detail


def test_go_answer_redeclaring_a_predeclared_identifier_the_tests_use_is_refused(sandbox) -> None:
    """A package-level ``func panic`` would swallow the tests' failure reports."""
    code = "package main\n\nfunc panic(v interface{}) {}\n\nfunc add(a, b int) int { return 0 }\n"
    verdict = verify(params("go"), answer("go", code), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.detail.startswith("tests: not run: the program redeclares Go's predeclared panic"), verdict.detail
    # A helper named like a builtin the tests do not use (an old-style min) is fine, and so is a method.
    ok = ("package main\n\ntype box struct{}\n\nfunc (box) panic() {}\n\nfunc min(a, b int) int {\n\tif a < b {\n\t\treturn a\n\t}\n"
          "\treturn b\n}\n\nfunc add(a, b int) int { return a + b + min(0, 0) }\n")
    assert verify(params("go"), answer("go", ok), sandbox).passed


def test_go_package_level_names_are_found_in_every_declaration_form() -> None:
    from benchlab.plugins.verifiers.code.code_harness import go_package_names, refusal

    source = ('package x\n\nimport "errors"\n\nvar (\n\tA = errors.New("a (b")\n\tB, len = 1, 2\n\tc = []int{\n\t\t1,\n\t}\n)\n'
              "const cap = 3\ntype T struct{ new int }\nfunc (t T) close() {}\nfunc print[V any](v V) { var nil = 1; _ = nil }\n"
              "var s = `\nfunc copy() {}`\n")
    assert go_package_names(source) == ["A", "B", "len", "c", "cap", "T", "print", "s"]
    assert refusal("go", prelude="", code=source, tests="func runTests() { if len(nil) > cap { print(1) } }") is not None
    assert refusal("go", prelude="", code=source, tests="func runTests() {}") is None
    assert refusal("python", prelude="", code="len = 3", tests="assert len([]) == 0") is None


@pytest.mark.parametrize(("language", "code"), [
    ("c", "#define assert(x) ((void)0)\nint add(int a, int b) { return 0; }\n"),
    ("c", "#define NDEBUG 1\nint add(int a, int b) { return 0; }\n"),
    ("cpp", "#undef assert\n#define assert(x) (void)0\nint add(int a, int b) { return 0; }\n"),
    ("rust", "macro_rules! assert_eq { ($a:expr, $b:expr) => { let _ = ($a, $b); }; }\nfn add(a: i32, b: i32) -> i32 { 0 }\n"),
])
def test_an_answer_that_redefines_the_tests_assertions_still_meets_them(sandbox, language, code) -> None:
    """C/C++ re-include assert.h after the answer; Rust's tests call std's macros by absolute path."""
    verdict = verify(params(language), answer(language, code), sandbox)
    assert not verdict.passed and verdict.failure_mode == FailureMode.WRONG_ANSWER, verdict.detail


def test_a_c_answer_naming_the_assertion_hook_is_refused(sandbox) -> None:
    """Defining glibc's __assert_fail would turn every failed assert into a no-op."""
    code = "void __assert_fail(const char *a, const char *f, unsigned l, const char *fn) {}\nint add(int a, int b) { return 0; }\n"
    verdict = verify(params("c"), answer("c", code), sandbox)
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.detail.startswith("tests: not run: the program names glibc's assertion hook __assert_fail"), verdict.detail
