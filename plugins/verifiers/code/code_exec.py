"""Verifier ``code_exec``: the model's program must pass hidden tests inside the run's sandbox.

Params::

    {"kind": "code_exec", "language": "python",      # python javascript c cpp java rust go shell
     "tests": "assert add(2, 3) == 5",               # hidden tests (see code_harness for each language)
     "prelude": "from typing import List\\n",        # optional: code placed before the answer
     "defines": "add",                               # optional: prefer the fenced block defining this
     "timeout_s": 10, "memory_mb": 512,              # optional limits (see below)
     "expect": "pass",                               # or "no_bug" (see below)
     "no_bug_line": "VERDICT: NO BUG"}               # the line that claims there is no bug

Stdin/stdout mode (competitive-programming problems), instead of ``tests``::

    {"kind": "code_exec", "language": "python",
     "stdio": [{"input": "3\\n1 2 3\\n", "output": "6\\n"}, ...],
     "timeout_s": 6}                                 # per test

The program runs once per test with the input on stdin and must exit 0 and print the
expected output; lines are compared after trailing whitespace (and trailing blank lines)
is dropped (``stdio_tests``). Python, JavaScript and shell programs; ``timeout_s`` is per test.

The program is taken from the answer as ``code_extract`` describes (the last fenced
block in the scenario's language, with documented fallbacks), joined to the prelude,
and run with the tests by ``code_harness``. It passes only when the tests ran to the
end: the harness prints a random sentinel, fresh for each verification, after the
last test, and the sandbox reports exit status 0. A program that exits early, or
prints something that looks like a success line, does not pass.

``expect: "no_bug"`` (bug-finding scenarios whose code is correct): the answer passes
when its final non-blank line is ``no_bug_line`` (compared case-insensitively, with
markdown emphasis, backticks and a final period ignored). Code offered next to that
line must still pass the tests (a "fix" that changes behaviour fails), when it
rewrites the function (defines the ``defines`` name, when given: a usage snippet
beside the verdict is not a rewrite); an answer
offering a fix without the line fails the ``verdict`` check. With ``expect: "pass"``
and a ``no_bug_line``, an answer that ends with that line (claims no bug where there
is one) fails the ``verdict`` check.

Checks, in order (later ones are skipped once one fails): ``verdict`` (only with a
``no_bug_line``), ``extract`` (a program was found), ``tests`` (it built, loaded and
passed the tests to the end). Failure modes: anything the program does wrong,
including a compile error, an exception, a non-zero exit, an early exit, or being
killed at the memory, process or output limit, is ``wrong_answer``; running past the
time limit is ``timeout``; ``sandbox_error`` / ``sandbox_timeout`` only when the
sandbox itself failed; ``sandbox_unavailable`` when the run has no sandbox (and the
answer needed one). The score is 1 for a pass and 0 otherwise.

Limits: ``timeout_s`` (default 10) is the wall-clock limit of the run; compiled
languages get a fixed allowance for compiling on top (C 10 s, C++ 15, Java 20, Rust
15, Go 15), since the compiler runs inside the same sandbox execution. ``memory_mb``
(default 512) bounds everything in the sandbox (the JVM gets half as its heap).

``Verdict.artifacts`` keeps the provider, the exit code, the duration, why the
program was killed (if it was) and its stdout and stderr, capped.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Literal

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.verifier_params import ParamError
from benchlab.param_checks import between, not_blank
from benchlab.verifiers import Verifier, VerifyContext, answer_text

# Kept here (not imported from code_harness) so registering the verifier imports no sandbox code.
Language = Literal["python", "javascript", "c", "cpp", "java", "rust", "go", "shell"]
COMPILED = frozenset({"c", "cpp", "java", "rust", "go"})
DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 300.0
# Compiling shares the sandbox's wall clock with running: compiled languages get this on top of
# timeout_s, so a javac or rustc slowed by a busy machine is not reported as the program's timeout.
COMPILE_ALLOWANCE_S = {"c": 10.0, "cpp": 15.0, "java": 20.0, "rust": 15.0, "go": 15.0}
DEFAULT_MEMORY_MB = 512
MIN_MEMORY_MB, MAX_MEMORY_MB = 64, 8192
ARTIFACT_CHARS = 4000  # per stream, kept in the record
DETAIL_CHARS = 240
_EMPHASIS = re.compile(r"^[\s*_`>#-]+|[\s*_`.!]+$")


def _identifier(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ParamError(attribute.name, "an identifier")


def _no_bug_line(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and not _normal(value):
        raise ParamError(attribute.name, "must hold some text")


def timeout_field() -> Any:
    """``timeout_s``: the program's wall-clock limit (shared with program_checks)."""
    return attrs.field(default=DEFAULT_TIMEOUT_S, validator=between(
        0, MAX_TIMEOUT_S, f"must be above 0 and at most {MAX_TIMEOUT_S:g} seconds", above_low=True))


def memory_field() -> Any:
    """``memory_mb``: the memory limit of everything in the sandbox (shared with program_checks)."""
    return attrs.field(default=DEFAULT_MEMORY_MB, validator=between(
        MIN_MEMORY_MB, MAX_MEMORY_MB, f"must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB}"))


@attrs.frozen
class StdioTest:
    """One stdin/stdout test: the program's input, and the output it must print."""

    input: str
    output: str


@attrs.frozen
class CodeExecParams:
    language: Language
    tests: str = ""
    stdio: list[StdioTest] | None = None
    prelude: str = ""
    defines: str | None = attrs.field(default=None, validator=_identifier)
    timeout_s: float = timeout_field()
    memory_mb: int = memory_field()
    expect: Literal["pass", "no_bug"] = "pass"
    no_bug_line: str | None = attrs.field(default=None, validator=_no_bug_line)

    def __attrs_post_init__(self) -> None:
        from benchlab.plugins.verifiers.code.stdio_tests import STDIO_LANGUAGES

        if self.stdio is None and not self.tests.strip():
            raise ParamError("tests", "required (or stdio: stdin/stdout tests)")
        if self.stdio is not None:
            if self.tests.strip():
                raise ParamError("stdio", "give tests or stdio, not both")
            if not self.stdio:
                raise ParamError("stdio", "needs at least one test")
            if self.language not in STDIO_LANGUAGES:
                raise ParamError("stdio", f"stdin/stdout tests run {', '.join(STDIO_LANGUAGES)} programs, not {self.language}")
            if self.expect != "pass":
                raise ParamError("expect", "stdin/stdout tests only check that the program passes")
        if self.expect == "no_bug" and self.no_bug_line is None:
            raise ParamError("no_bug_line", "required when expect is no_bug: the line the prompt asks for")


class CodeExecVerifier(Verifier):
    """Runs the answer's program with hidden tests in ``ctx.sandbox``; see the module docstring."""

    needs_sandbox = True
    params = CodeExecParams

    async def verify(self, params: CodeExecParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        from benchlab.plugins.verifiers.code.code_extract import defines, extract_code
        from benchlab.plugins.verifiers.code.code_harness import refusal

        language = params.language
        checks: list[Check] = []
        expect_no_bug = params.expect == "no_bug"
        if params.no_bug_line is not None:
            claims = claims_no_bug(answer_text(response), params.no_bug_line)
            if expect_no_bug and not claims:
                return _fail(checks, Check("verdict", False, f"the code has no bug, but the answer does not end with {params.no_bug_line!r}"))
            if not expect_no_bug and claims:
                return _fail(checks, Check("verdict", False, f"the answer claims there is no bug ({params.no_bug_line!r}), but there is one"))
            checks.append(Check("verdict", True, "claims no bug" if claims else "does not claim no bug"))
        found = extract_code(response, language, params.defines)
        if expect_no_bug and (found.code is None or (params.defines is not None and not defines(found.code, language, params.defines))):
            # The verdict is all a no-bug answer needs. Code beside it counts only as a rewrite of the function.
            return Verdict(True, 1.0, None, "", checks)
        if found.code is None:
            return _fail(checks, Check("extract", False, found.how))
        checks.append(Check("extract", True, found.how))
        if params.stdio is None:
            refused = refusal(language, prelude=params.prelude, code=found.code, tests=params.tests)
            if refused:
                return _fail(checks, Check("tests", False, f"not run: {refused}"))
        if ctx.sandbox is None:
            return Verdict.fail(FailureMode.SANDBOX_UNAVAILABLE, "no sandbox to run the program in (this run has none)", checks)
        if params.stdio is not None:
            from benchlab.plugins.verifiers.code.stdio_tests import run_stdio_tests

            return await run_stdio_tests(params, found.code, checks, ctx.sandbox)
        return await _run(params, language, found.code, checks, ctx.sandbox)


async def _run(params: CodeExecParams, language: str, code: str, checks: list[Check], sandbox: Any) -> Verdict:
    from benchlab.plugins.verifiers.code.code_harness import build_program
    from benchlab.sandbox import ExecRequest, Limits, MiB

    limits = Limits(wall_seconds=params.timeout_s + COMPILE_ALLOWANCE_S.get(language, 0.0),
                    memory_bytes=params.memory_mb * MiB)
    sentinel = "benchlab-done-" + secrets.token_hex(16)
    loaded = "benchlab-loaded-" + secrets.token_hex(8)
    program = build_program(language, prelude=params.prelude, code=code, tests=params.tests,
                            sentinel=sentinel, loaded=loaded, limits=limits, defines=params.defines)
    request = ExecRequest(program.command, files=program.files, toolchains={program.toolchain},
                          limits=limits, env=program.env, collect=False)
    result = await sandbox.run(request)
    artifacts = _artifacts(result, language, sentinel, loaded)
    mode, detail = judge_result(result, language, sentinel, loaded, limits)
    if mode is None:
        checks.append(Check("tests", True, f"ran to the end in {result.duration_s:.2f} s ({result.provider})"))
        return Verdict(True, 1.0, None, "", checks, artifacts)
    if mode.is_infrastructure or mode == FailureMode.SANDBOX_UNAVAILABLE:
        return Verdict(False, 0.0, mode, detail, checks, artifacts)
    checks.append(Check("tests", False, detail))
    return Verdict(False, 0.0, mode, f"tests: {detail}", checks, artifacts)


def _stopped(result: Any, limits: Any, compile_allowance_s: float) -> tuple[FailureMode, str] | None:
    """(failure mode, detail) when the sandbox failed or stopped the program at a limit; None otherwise."""
    from benchlab.sandbox import KilledReason, MiB

    if result.sandbox_failure is not None:
        # SandboxFailure's values are the failure modes of the same name.
        return FailureMode(result.sandbox_failure.value), f"the sandbox failed ({result.provider}): {result.detail}"
    killed = result.killed_reason
    if result.timed_out or killed == KilledReason.TIMEOUT:
        extra = f" (plus {compile_allowance_s:g} s allowed for compiling)" if compile_allowance_s else ""
        return FailureMode.TIMEOUT, f"the program ran past its {limits.wall_seconds - compile_allowance_s:g} s time limit{extra}"
    if killed == KilledReason.CANCELLED:
        return FailureMode.SANDBOX_ERROR, "the run was cancelled"
    if killed == KilledReason.OOM:
        return FailureMode.WRONG_ANSWER, f"killed at the memory limit ({limits.memory_bytes // MiB} MiB)"
    if killed == KilledReason.PIDS:
        return FailureMode.WRONG_ANSWER, f"killed at the process limit ({limits.pids} processes)"
    if killed == KilledReason.OUTPUT_CAP:
        return FailureMode.WRONG_ANSWER, f"killed at the output limit ({limits.output_bytes // MiB} MiB per stream)"
    return None


def judge_result(result: Any, language: str, sentinel: str, loaded: str, limits: Any) -> tuple[FailureMode | None, str]:
    """(failure mode, detail) for an ExecResult; (None, "") when the tests ran to the end and passed."""
    stopped = _stopped(result, limits, COMPILE_ALLOWANCE_S.get(language, 0.0))
    if stopped is not None:
        return stopped
    lines = result.stdout.splitlines()
    finished = sentinel in lines
    started = loaded in lines
    if finished and result.exit_code == 0:
        return None, ""
    if not started:
        stage = "did not compile" if language in COMPILED else "failed while loading"
        if result.exit_code == 0:
            return FailureMode.WRONG_ANSWER, "the program exited (status 0) before the tests ran"
        return FailureMode.WRONG_ANSWER, f"{stage} (exit {result.exit_code}): {_diagnostic(result, language)}"
    if finished:
        return FailureMode.WRONG_ANSWER, f"a test failed (exit {result.exit_code}): {_diagnostic(result, language)}"
    if result.exit_code == 0:
        return FailureMode.WRONG_ANSWER, "the program exited (status 0) before the tests finished"
    if result.hit_pids_limit:
        return FailureMode.WRONG_ANSWER, f"failed at the process limit (exit {result.exit_code}): {_diagnostic(result, language)}"
    return FailureMode.WRONG_ANSWER, f"a test failed (exit {result.exit_code}): {_diagnostic(result, language)}"


def judge_stdio_result(result: Any, limits: Any) -> tuple[FailureMode | None, str]:
    """(failure mode, detail) for one stdin/stdout test's ExecResult; (None, "") when the program
    exited 0 (its output is compared by the caller)."""
    stopped = _stopped(result, limits, 0.0)
    if stopped is not None:
        return stopped
    if result.exit_code != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        return FailureMode.WRONG_ANSWER, f"exit {result.exit_code}: {_cap(lines[-1]) if lines else 'no message on stderr'}"
    return None, ""


def _diagnostic(result: Any, language: str) -> str:
    """The most telling line: a compiler's first error, node:test's first failure, else stderr's last line."""
    if language == "javascript":
        failure = _tap_failure(result.stdout)
        if failure:
            return _cap(failure)
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip() and not line.startswith("NOTE: Picked up")]
    if not lines:
        return "no message on stderr"
    if language in COMPILED or language == "shell":
        errors = [line for line in lines if re.search(r"\berror\b|panicked|^panic:|Exception|undefined:", line)]
        if errors:
            return _cap(errors[0])
    if language == "javascript":
        errors = [line for line in lines if re.match(r"^\w*Error\b|^AssertionError", line)]
        if errors:
            return _cap(errors[0])
    return _cap(lines[-1])


def _tap_failure(stdout: str) -> str:
    """``not ok - NAME: MESSAGE`` for node:test's first failed test (from its TAP output), or ""."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"\s*not ok \d+ - (.*)", line)
        if not match or match.group(1).startswith("benchlab:"):
            continue
        message: list[str] = []
        for position in range(index + 1, min(len(lines), index + 40)):
            error = re.match(r"(\s*)error: *(.*)", lines[position])
            if error is None:
                continue
            indent, value = len(error.group(1)), error.group(2).strip()
            if value and value not in ("|-", "|", ">-"):
                message.append(value.strip("'\""))
            else:
                for follow in lines[position + 1:position + 12]:
                    if follow.strip() and len(follow) - len(follow.lstrip()) <= indent:
                        break
                    if follow.strip():
                        message.append(follow.strip())
            break
        return f"not ok - {match.group(1)}" + (f": {' '.join(message[:3])}" if message else "")
    return ""


def _cap(text: str, limit: int = DETAIL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _clip(text: str, sentinel: str, loaded: str) -> str:
    text = "\n".join(line for line in text.splitlines() if line not in (sentinel, loaded))
    if len(text) <= ARTIFACT_CHARS:
        return text
    half = ARTIFACT_CHARS // 2
    return f"{text[:half]}\n[... {len(text) - ARTIFACT_CHARS} characters cut ...]\n{text[-half:]}"


def _artifacts(result: Any, language: str, sentinel: str, loaded: str) -> dict[str, Any]:
    lines = result.stdout.splitlines()
    return {
        "provider": result.provider,
        "language": language,
        "exit_code": result.exit_code,
        "duration_s": result.duration_s,
        "killed": result.killed_reason.value if result.killed_reason else None,
        "loaded": loaded in lines,
        "finished": sentinel in lines,
        "stdout": _clip(result.stdout, sentinel, loaded),
        "stderr": _clip(result.stderr, sentinel, loaded),
        "truncated": result.truncated,
        "sandbox_failure": result.sandbox_failure.value if result.sandbox_failure else None,
    }


def _fail(checks: list[Check], failed: Check) -> Verdict:
    return Verdict(False, 0.0, FailureMode.WRONG_ANSWER, f"{failed.name}: {failed.detail}", [*checks, failed])


def _normal(line: str) -> str:
    return " ".join(_EMPHASIS.sub("", line).split()).casefold()


def claims_no_bug(text: str, no_bug_line: str) -> bool:
    """Whether the answer's final non-blank line is ``no_bug_line`` (markdown and case aside)."""
    last = next((line for line in reversed(text.splitlines()) if line.strip()), "")
    return bool(last) and _normal(last) == _normal(no_bug_line)
