"""Verifier ``shell_task``: the answer's shell command runs in a prepared workspace; the result is checked.

Params (all optional, but at least one of ``stdout``, ``stderr``, ``files``)::

    {"kind": "shell_task",
     "workspace": {"data/a.csv": "id,n\\n1,2\\n", "bin/x.sh": {"content": "...", "mode": "755"}},
     "fixture": "fixtures/CLI-14",          # a folder in the pack, copied in before "workspace"
     "timeout_s": 10,                       # the command's time limit (default 10, at most 120)
     "exit_code": 0,                        # or a list of accepted codes, or null for any (default 0)
     "stdout": {"normalized": "3"},         # text matchers (shell_matchers)
     "stderr": {"empty": true},
     "files": {"out/report.txt": {"contains_lines": ["total 42"]}, "**/*.tmp": {"count": 0}},
     "unchanged": ["src/**"],               # what existed there must stay exactly as it was
     "allowed_changes": ["out/**"]}         # any added/removed/modified path elsewhere fails

The workspace format is in ``shell_workspace``, the file expectations in ``shell_checks``.

The command: the last fenced block tagged bash, sh or shell, else the last untagged one
(``code_extract``'s rules, including an unclosed fence and an unfenced script opening
with ``#!``); failing those, the last block tagged zsh, or the ``$ ``-prompted lines of
the last console/terminal/shell-session block; failing those, an answer of one
non-blank line is the command: the line, or its only inline code span (a leading ``$ `` removed;
several spans make it ambiguous, so there is none). It runs
as ``bash -c`` in the work dir (the workspace root, ``/box``) with stdin from /dev/null,
no network, the sandbox's limits, and ``timeout_s``; stdout and stderr are checked on
their first 256 KiB (more fails the matcher). Writes outside the work dir land in the
sandbox's private /tmp or are refused (read-only root), and are not judged.

Checks, by name: ``extract`` (a command was found), ``run`` (it finished within the time
limit), ``exit_code``, ``stdout``, ``stderr``, ``file:PATH`` (one per ``files`` key),
``unchanged``, ``allowed_changes``, ``workspace`` (fewer than 4000 entries were left to
compare). A failed content check is ``wrong_answer`` and its detail names the check;
the time limit is ``timeout``; the sandbox's own failure ``sandbox_error`` or
``sandbox_timeout``; no sandbox in the run ``sandbox_unavailable``; a pack fixture that
is not there ``dataset_unavailable``. A command that kills or stalls the program that
checks it fails (``wrong_answer``, or ``timeout`` if it stalls it). ``Verdict.artifacts``
holds the command, its exit code, capped stdout and stderr, and the paths it changed.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
from pathlib import Path
from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.plugins.verifiers.shell.shell_checks import FileExpect, check_files
from benchlab.plugins.verifiers.shell.shell_matchers import TextMatcher
from benchlab.plugins.verifiers.shell.shell_workspace import WorkspaceEntry, check_path, glob_match, parse_workspace
from benchlab.verifier_params import ParamError
from benchlab.param_checks import between
from benchlab.verifiers import Verifier, VerifyContext, answer_text

DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 120.0
# Python start-up, laying out the workspace and the two snapshots, on a busy machine.
OVERHEAD_S = 10.0
OUTPUT_CAP = 256 * 1024
MAX_SCRIPT_BYTES = 64 * 1024
ARTIFACT_CHARS = 4000
CHANGES_KEPT = 30
CONSOLE_TAGS = ("console", "terminal", "shell-session", "shellsession")


def _exit_code(_: Any, attribute: attrs.Attribute, value: int | list[int] | None) -> None:
    codes = value if isinstance(value, list) else [] if value is None else [value]
    if (isinstance(value, list) and not value) or not all(0 <= c <= 255 for c in codes):
        raise ParamError(attribute.name, "an exit status 0-255, a non-empty list of them, or null for any")


def _some_matcher(_: Any, attribute: attrs.Attribute, value: TextMatcher | None) -> None:
    if value is not None and not value.text_matchers():
        raise ParamError(attribute.name, "at least one matcher")


def _globs(_: Any, attribute: attrs.Attribute, patterns: list[str] | None) -> None:
    if patterns is None:
        return
    if not patterns:
        raise ParamError(attribute.name, "a non-empty list of paths or globs")
    for index, pattern in enumerate(patterns):
        check_path(f"{attribute.name}[{index}]", pattern, glob=True)


def _fixture(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None:
        check_path(attribute.name, value)


@attrs.frozen
class ShellTaskParams:
    workspace: dict[str, str | WorkspaceEntry] = attrs.field(factory=dict)
    fixture: str | None = attrs.field(default=None, validator=_fixture)
    timeout_s: float = attrs.field(
        default=DEFAULT_TIMEOUT_S, validator=between(0, MAX_TIMEOUT_S, f"above 0 and at most {MAX_TIMEOUT_S:g} seconds", above_low=True)
    )
    exit_code: int | list[int] | None = attrs.field(default=0, validator=_exit_code)  # None: any
    stdout: TextMatcher | None = attrs.field(default=None, validator=_some_matcher)
    stderr: TextMatcher | None = attrs.field(default=None, validator=_some_matcher)
    files: dict[str, FileExpect] | None = None
    unchanged: list[str] | None = attrs.field(default=None, validator=_globs)
    allowed_changes: list[str] | None = attrs.field(default=None, validator=_globs)

    def __attrs_post_init__(self) -> None:
        if self.stdout is None and self.stderr is None and self.files is None:
            raise ParamError("stdout", "a shell task checks at least one of stdout, stderr and files")
        entries = parse_workspace(self.workspace)
        if self.files is not None:
            check_files(self.files)
        declared = {e["path"] for e in entries}
        declared |= {"/".join(p.split("/")[:i]) for p in declared for i in range(1, p.count("/") + 1)}
        for index, pattern in enumerate(self.unchanged or []):
            if self.fixture is None and not any(glob_match(pattern, p) for p in declared):
                raise ParamError(f"unchanged[{index}]", f"{pattern!r} matches nothing in the workspace")


class ShellTaskVerifier(Verifier):
    """Runs the answer's command in a prepared workspace in ``ctx.sandbox``; see the module docstring."""

    needs_sandbox = True
    params = ShellTaskParams

    async def verify(self, params: ShellTaskParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        found, how = extract_command(response)
        if found is None:
            return Verdict.fail(FailureMode.WRONG_ANSWER, f"extract: {how}", [Check("extract", False, how)])
        checks = [Check("extract", True, how)]
        if ctx.sandbox is None:
            return Verdict.fail(FailureMode.SANDBOX_UNAVAILABLE, "no sandbox to run the command in (this run has none)", checks)
        from benchlab.plugins.verifiers.shell.shell_workspace import fixture_entries, merge

        entries = parse_workspace(params.workspace)
        if params.fixture is not None:
            pack_dir = ctx.pack.path if ctx.pack is not None else None
            try:
                if pack_dir is None:
                    raise ValueError("the scenario has no pack folder to take it from")
                entries = merge(fixture_entries(Path(pack_dir), params.fixture), entries)
            except (ValueError, OSError) as exc:
                return Verdict.fail(FailureMode.DATASET_UNAVAILABLE, f"the workspace cannot be laid out: {exc}", checks)
        return await _run(params, found, entries, checks, ctx.sandbox)


def extract_command(response: ChatResponse) -> tuple[str | None, str]:
    """(the command, how it was found) or (None, why there is none); see the module docstring."""
    from benchlab.plugins.verifiers.code.code_extract import extract_code, trim_blank_lines
    from benchlab.plugins.verifiers.fences import scan_fences
    from benchlab.reasoning import split_think

    found = extract_code(response, "shell")
    script, how = found.code, found.how
    if script is None:
        text = split_think(response.content or "")[0]
        blocks, _ = scan_fences(text)
        zsh = [b for b in blocks if b.lang == "zsh" and b.body.strip()]
        console = [b for b in blocks if b.lang in CONSOLE_TAGS]
        prompted = [_prompted_lines(b.body) for b in console]
        prompted = [p for p in prompted if p]
        if zsh:
            script, how = trim_blank_lines(zsh[-1].body), "the last ```zsh block"
        elif prompted:
            script, how = prompted[-1], "the $-prompted lines of the last console block"
        else:
            lines = [line.strip() for line in answer_text(response).splitlines() if line.strip()]
            if len(lines) == 1 and not blocks:
                script, how = _one_line(lines[0])
    if script is None:
        return None, how
    try:
        size = len(script.encode("utf-8"))
    except UnicodeEncodeError:
        return None, "the script is not valid UTF-8 text"
    if size > MAX_SCRIPT_BYTES:
        return None, f"the script is {size} bytes, over the {MAX_SCRIPT_BYTES} allowed"
    if "\0" in script:
        return None, "the script holds a NUL character"
    return script, how


def _one_line(line: str) -> tuple[str | None, str]:
    """The command in a one-line answer: the line itself, or its only inline code span."""
    spans = re.findall(r"(`+)(.+?)\1", line)
    if not spans:
        command, how = line, "the one-line answer"
    elif len(spans) == 1:
        command, how = spans[0][1].strip(), "the inline code of the one-line answer"
    else:
        return None, f"a one-line answer with {len(spans)} inline code spans: which one is the command?"
    command = re.sub(r"^\$\s+", "", command)
    return (command + "\n", how) if command else (None, "the one-line answer holds no command")


def _prompted_lines(body: str) -> str:
    commands = [re.sub(r"^\s*\$\s?", "", line) for line in body.splitlines() if re.match(r"^\s*\$\s", line)]
    return "\n".join(commands) + "\n" if commands else ""


async def _run(params: ShellTaskParams, script: str, entries: list[dict[str, Any]], checks: list[Check], sandbox: Any) -> Verdict:
    from benchlab.plugins.verifiers.shell.shell_checks import capture_paths
    from benchlab.sandbox import ExecRequest, Limits, MiB

    timeout = params.timeout_s
    marker = "benchlab-shell-report-" + secrets.token_hex(12) + ":"
    files = params.files or {}
    spec = {"marker": marker, "entries": entries, "script": script, "timeout_s": timeout,
            "capture": capture_paths(files), "output_cap": OUTPUT_CAP}
    limits = Limits(wall_seconds=timeout + OVERHEAD_S, output_bytes=32 * MiB)
    request = ExecRequest(["python3", "-I", "-B", "-c", runner_source()], stdin=json.dumps(spec),
                          toolchains={"python", "shell"}, limits=limits, collect=False)
    result = await sandbox.run(request)
    report = read_report(result.stdout, marker) if result.exit_code == 0 and result.sandbox_failure is None else None
    artifacts = _artifacts(script, result, report)
    if report is None:
        mode, detail = _no_report(result, timeout)
        if mode in (FailureMode.WRONG_ANSWER, FailureMode.TIMEOUT):
            checks = [*checks, Check("run", False, detail)]
        return Verdict(False, 0.0, mode, detail if mode not in (FailureMode.WRONG_ANSWER, FailureMode.TIMEOUT) else f"run: {detail}", checks, artifacts)
    if "setup_error" in report:
        return Verdict(False, 0.0, FailureMode.SANDBOX_ERROR, f"the workspace could not be laid out: {report['setup_error']}", checks, artifacts)
    if report.get("timed_out"):
        detail = f"still running after the {timeout:g} s limit: stopped"
        return Verdict(False, 0.0, FailureMode.TIMEOUT, f"run: {detail}", [*checks, Check("run", False, detail)], artifacts)
    checks.append(Check("run", True, f"exited {report['exit_code']} after {report['duration_s']:.2f} s ({result.provider})"))
    checks.extend(judge_report(params, report))
    verdict = Verdict.from_checks(checks, FailureMode.WRONG_ANSWER)
    return attrs.evolve(verdict, artifacts=artifacts)


def judge_report(params: ShellTaskParams, report: dict[str, Any]) -> list[Check]:
    """Every expectation of ``params`` as a named check on the runner's report."""
    from benchlab.plugins.verifiers.shell.shell_checks import allowed_changes_check, file_checks, unchanged_check
    from benchlab.plugins.verifiers.shell.shell_matchers import match_text

    checks = []
    code = report["exit_code"]
    expected = params.exit_code
    if expected is not None:
        accepted = expected if isinstance(expected, list) else [expected]
        want = " or ".join(str(c) for c in accepted)
        checks.append(Check("exit_code", code in accepted, f"exited {code}" + ("" if code in accepted else f", expected {want}")))
    for stream in ("stdout", "stderr"):
        matcher: TextMatcher | None = getattr(params, stream)
        if matcher is None:
            continue
        data, total = base64.b64decode(report[stream]), report[f"{stream}_bytes"]
        if total > OUTPUT_CAP:
            checks.append(Check(stream, False, f"printed {total} bytes, more than the {OUTPUT_CAP} checked"))
            continue
        problem = match_text(matcher.text_matchers(), data)
        checks.append(Check(stream, problem is None, problem or "as expected"))
    before, after = report["before"], report["after"]
    if report.get("truncated"):
        checks.append(Check("workspace", False, "the command left more entries in the work dir than are compared"))
    if params.files is not None:
        checks.extend(file_checks(params.files, after, report.get("captured", {})))
    if params.unchanged is not None:
        checks.append(unchanged_check(params.unchanged, before, after))
    if params.allowed_changes is not None:
        checks.append(allowed_changes_check(params.allowed_changes, before, after))
    return checks


def read_report(stdout: str, marker: str) -> dict[str, Any] | None:
    """The runner's report: the JSON after the last marker, which must end the output."""
    index = stdout.rfind("\n" + marker)
    if index < 0:
        return None
    try:
        report = json.loads(stdout[index + 1 + len(marker):])
    except (ValueError, RecursionError):
        return None
    if not isinstance(report, dict):
        return None
    if "setup_error" in report:
        return report
    needed = {"exit_code": int, "timed_out": bool, "stdout": str, "stderr": str, "stdout_bytes": int,
              "stderr_bytes": int, "before": dict, "after": dict, "captured": dict, "duration_s": (int, float)}
    return report if all(isinstance(report.get(k), t) for k, t in needed.items()) else None


def _no_report(result: Any, timeout: float) -> tuple[FailureMode, str]:
    """Why there is no report: the sandbox failed, or the command stopped the program checking it."""
    from benchlab.sandbox import KilledReason

    if result.sandbox_failure is not None:
        # SandboxFailure's values are the failure modes of the same name.
        return FailureMode(result.sandbox_failure.value), f"the sandbox failed ({result.provider}): {result.detail}"
    killed = result.killed_reason
    if result.timed_out or killed == KilledReason.TIMEOUT:
        return FailureMode.TIMEOUT, f"the sandbox stopped everything {timeout + OVERHEAD_S:g} s in (the command stalled the check)"
    if killed == KilledReason.CANCELLED:
        return FailureMode.SANDBOX_ERROR, "the run was cancelled"
    if killed is not None:
        return FailureMode.WRONG_ANSWER, f"the sandbox killed the command ({killed.value})"
    tail = result.stderr.strip().splitlines()[-1:] or ["no message"]
    return FailureMode.WRONG_ANSWER, f"the command stopped the program checking it (exit {result.exit_code}: {tail[0][:200]})"


def _clip(text: str) -> str:
    if len(text) <= ARTIFACT_CHARS:
        return text
    half = ARTIFACT_CHARS // 2
    return f"{text[:half]}\n[... {len(text) - ARTIFACT_CHARS} characters cut ...]\n{text[-half:]}"


def _artifacts(script: str, result: Any, report: dict[str, Any] | None) -> dict[str, Any]:
    from benchlab.plugins.verifiers.shell.shell_checks import changes

    kept: dict[str, Any] = {
        "provider": result.provider,
        "command": _clip(script),
        "sandbox_failure": result.sandbox_failure.value if result.sandbox_failure else None,
        "killed": result.killed_reason.value if result.killed_reason else None,
    }
    if report is None or "setup_error" in report:
        kept.update(runner_exit_code=result.exit_code, runner_stderr=_clip(result.stderr))
        return kept
    changed = changes(report["before"], report["after"])
    kept.update(
        exit_code=report["exit_code"],
        duration_s=report["duration_s"],
        timed_out=report["timed_out"],
        stdout=_clip(base64.b64decode(report["stdout"]).decode("utf-8", "replace")),
        stderr=_clip(base64.b64decode(report["stderr"]).decode("utf-8", "replace")),
        stdout_bytes=report["stdout_bytes"],
        stderr_bytes=report["stderr_bytes"],
        changes=[f"{path}: {what}" for path, what in changed[:CHANGES_KEPT]],
        changes_total=len(changed),
    )
    return kept


@functools.cache
def runner_source() -> str:
    """The in-sandbox program (``shell_runner``), sent as ``python3 -c`` source."""
    return (Path(__file__).with_name("shell_runner.py")).read_text(encoding="utf-8")
