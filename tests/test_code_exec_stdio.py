"""code_exec's stdin/stdout mode against the real sandbox a run would choose: the program runs
once per test with the input on stdin, its output is compared line by line after trailing
whitespace is dropped, and each test has its own time limit. Plus the comparison rules on
their own and the parameter checks."""

from __future__ import annotations

import pytest

from code_exec_helpers import best_sandbox, verify

from benchlab.model import FailureMode
from benchlab.plugins.verifiers.code.code_exec import CodeExecVerifier
from benchlab.plugins.verifiers.code.stdio_tests import first_difference, normalised_lines
from benchlab.verifiers import ParamError

SUM = {"language": "python", "timeout_s": 5, "stdio": [
    {"input": "3\n1 2 3\n", "output": "6\n"},
    {"input": "2\n10 -4\n", "output": "6\n"},
    {"input": "1\n7\n", "output": "7\n"},
]}
GOOD = "```python\nn = int(input())\nprint(sum(map(int, input().split())))\n```"


def fenced(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code}\n```"


def test_a_correct_program_passes_every_test():
    verdict = verify(SUM, GOOD, best_sandbox())
    assert verdict.passed, verdict.detail
    assert [c.name for c in verdict.checks] == ["extract", "tests"]
    assert verdict.checks[-1].detail.startswith("3 stdin/stdout test(s) passed")
    assert verdict.artifacts["tests"] == 3


def test_trailing_spaces_and_blank_lines_at_the_end_are_ignored_but_nothing_else():
    padded = fenced("n = int(input())\nprint(str(sum(map(int, input().split()))) + '   \\t')\nprint()\nprint()")
    assert verify(SUM, padded, best_sandbox()).passed
    leading = fenced("n = int(input())\nprint(' ' + str(sum(map(int, input().split()))))")
    verdict = verify(SUM, leading, best_sandbox())
    assert not verdict.passed and verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.detail == "tests: test 1 of 3: wrong output: line 1: expected '6', got ' 6'"


def test_the_first_failing_test_is_named_with_the_first_line_that_differs():
    # Right on the first test only: the second test's input sums to 6 as well, the third does not.
    wrong = fenced("input()\nprint(6)")
    verdict = verify(SUM, wrong, best_sandbox())
    assert verdict.detail == "tests: test 3 of 3: wrong output: line 1: expected '7', got '6'"
    assert verdict.artifacts["test"] == 3


def test_missing_and_extra_lines_fail():
    two = {"language": "python", "stdio": [{"input": "", "output": "a\nb\n"}]}
    short = verify(two, fenced("print('a')"), best_sandbox())
    assert "the output ends after 1 line(s); line 2 should be 'b'" in short.detail
    extra = verify(two, fenced("print('a')\nprint('b')\nprint('c')"), best_sandbox())
    assert "1 line(s) more than the 2 expected, from 'c'" in extra.detail


def test_a_crash_is_wrong_answer_with_its_last_stderr_line():
    verdict = verify(SUM, fenced("raise ValueError('no input today')"), best_sandbox())
    assert verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert verdict.detail.startswith("tests: test 1 of 3: exit 1: ValueError: no input today")


def test_the_time_limit_is_per_test():
    # Each test sleeps 1.5 s: three of them exceed one 2 s limit together but none exceeds it alone.
    slow = {"language": "python", "timeout_s": 2, "stdio": [{"input": "", "output": "ok\n"}] * 3}
    verdict = verify(slow, fenced("import time\ntime.sleep(1.5)\nprint('ok')"), best_sandbox())
    assert verdict.passed, verdict.detail
    stuck = verify(slow, fenced("while True:\n    pass"), best_sandbox())
    assert stuck.failure_mode == FailureMode.TIMEOUT
    assert stuck.detail == "tests: test 1 of 3: the program ran past its 2 s time limit"


def test_javascript_and_shell_programs_read_stdin_too():
    echo = {"language": "javascript", "stdio": [{"input": "4 5\n", "output": "9\n"}]}
    js = "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(' ').map(Number);\nconsole.log(a + b);"
    assert verify(echo, fenced(js, "javascript"), best_sandbox()).passed
    shell = {"language": "shell", "stdio": [{"input": "4 5\n", "output": "9\n"}]}
    assert verify(shell, fenced("read a b\necho $((a + b))", "bash"), best_sandbox()).passed


def test_normalisation_rules():
    assert normalised_lines("a  \r\nb\t\n\n\n") == ["a", "b"]
    assert normalised_lines("") == []
    assert first_difference("6 \n\n", "6\n") is None
    assert first_difference("\n6\n", "6\n") == "line 1: expected '6', got ''"
    assert first_difference("A\n", "a\n") == "line 1: expected 'a', got 'A'"


@pytest.mark.parametrize(("bad", "field"), [
    ({"language": "python", "stdio": []}, "stdio"),
    ({"language": "python", "tests": "assert True", "stdio": [{"input": "", "output": ""}]}, "stdio"),
    ({"language": "c", "stdio": [{"input": "", "output": ""}]}, "stdio"),
    ({"language": "python", "stdio": [{"input": "", "output": ""}], "expect": "no_bug", "no_bug_line": "NO BUG"}, "expect"),
    ({"language": "python", "stdio": [{"input": ""}]}, "stdio[0].output"),
    ({"language": "python", "stdio": [{"input": 3, "output": ""}]}, "stdio[0].input"),
])
def test_bad_stdio_params_are_rejected(bad, field):
    with pytest.raises(ParamError) as caught:
        CodeExecVerifier().validate(bad)
    assert caught.value.field == field, caught.value
