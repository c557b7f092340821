"""``code_exec``'s stdin/stdout mode: the program reads each test's input on stdin, and what it
prints must equal the test's expected output.

Each test is one sandbox execution of its own, under the scenario's time limit (so the limit
is per test), with the input on stdin; the expected output never enters the sandbox, and the
comparison happens here. Outputs are compared line by line after normalisation: trailing
spaces, tabs and carriage returns at the end of each line, and blank lines at the end of the
output, are ignored; everything else (leading spaces, blank lines inside, letter case) counts.
The first failing test decides the verdict and its detail names the test and the first line
that differs.
"""

from __future__ import annotations

from typing import Any

from benchlab.model import Check, FailureMode, Verdict

# code_exec's language -> (program_command's language, the file the program is saved as, toolchain).
STDIO_LANGUAGES = {"python": ("python", "solution.py", "python"), "javascript": ("node", "solution.js", "node"),
                   "shell": ("shell", "solution.sh", "shell")}
SHOWN = 80  # characters of a differing line quoted in the detail


def normalised_lines(text: str) -> list[str]:
    """``text`` as lines without trailing whitespace, and without the blank lines that end it."""
    lines = [line.rstrip(" \t\r") for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def first_difference(got: str, expected: str) -> str | None:
    """Where ``got`` departs from ``expected`` after normalisation (None: they agree)."""
    mine, theirs = normalised_lines(got), normalised_lines(expected)
    for number, (a, b) in enumerate(zip(mine, theirs), start=1):
        if a != b:
            return f"line {number}: expected {_quote(b)}, got {_quote(a)}"
    if len(mine) < len(theirs):
        return f"the output ends after {len(mine)} line(s); line {len(mine) + 1} should be {_quote(theirs[len(mine)])}"
    if len(mine) > len(theirs):
        return f"{len(mine) - len(theirs)} line(s) more than the {len(theirs)} expected, from {_quote(mine[len(theirs)])}"
    return None


def _quote(line: str) -> str:
    return repr(line if len(line) <= SHOWN else line[: SHOWN - 3] + "...")


async def run_stdio_tests(params: Any, code: str, checks: list[Check], sandbox: Any) -> Verdict:
    """Run the program once per test in ``params.stdio``; pass when every output matches."""
    from benchlab.plugins.verifiers.code.code_exec import judge_stdio_result
    from benchlab.sandbox import ExecRequest, Limits, MiB
    from benchlab.sandbox_programs import program_command

    runner, main, toolchain = STDIO_LANGUAGES[params.language]
    source = (params.prelude.rstrip("\n") + "\n" + code) if params.prelude.strip() else code
    limits = Limits(wall_seconds=params.timeout_s, memory_bytes=params.memory_mb * MiB)
    total = len(params.stdio)
    durations: list[float] = []
    for number, case in enumerate(params.stdio, start=1):
        request = ExecRequest(program_command(runner, main, limits=limits), files={main: source}, stdin=case.input,
                              toolchains={toolchain}, limits=limits, collect=False)
        result = await sandbox.run(request)
        artifacts = {"provider": result.provider, "language": params.language, "test": number, "tests": total,
                     "exit_code": result.exit_code, "duration_s": result.duration_s,
                     "stdout": result.stdout[:4000], "stderr": result.stderr[:4000]}
        mode, detail = judge_stdio_result(result, limits)
        if mode is None:
            difference = first_difference(result.stdout, case.output)
            if difference is None:
                durations.append(result.duration_s)
                continue
            mode, detail = FailureMode.WRONG_ANSWER, f"wrong output: {difference}"
        where = f"test {number} of {total}"
        if mode.is_infrastructure:
            return Verdict(False, 0.0, mode, f"{where}: {detail}", checks, artifacts)
        checks.append(Check("tests", False, f"{where}: {detail}"))
        return Verdict(False, 0.0, mode, f"tests: {where}: {detail}", checks, artifacts)
    slowest = max(durations, default=0.0)
    checks.append(Check("tests", True, f"{total} stdin/stdout test(s) passed (slowest {slowest:.2f} s)"))
    return Verdict(True, 1.0, None, "", checks, {"tests": total, "slowest_s": slowest})
