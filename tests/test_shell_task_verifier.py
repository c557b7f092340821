"""The shell_task verifier against one real sandbox (bubblewrap when it can run, else Docker).

Every expectation kind is judged with an answer that meets it and one that does not;
then the time limit, destructive and hostile commands (contained, and detected by the
unchanged/allowed-change checks), the limits, command extraction, malformed params, and
property tests that no answer text makes the verifier raise. Only the test of a
sandbox's own failure uses a stand-in sandbox (a real provider cannot be made to fail on
demand); it says so. Without any sandbox the sandboxed tests skip, and fail under CI.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import json
import os
import secrets
import tarfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Pack, PackManifest, Scenario, VerifierSpec
from benchlab.plugins.verifiers.shell.shell_checks import gunzip, resolve
from benchlab.plugins.verifiers.shell.shell_matchers import match_text
from benchlab.plugins.verifiers.shell.shell_task import ShellTaskVerifier, extract_command, read_report
from benchlab.verifiers import ParamError, VerifyContext
from sandbox_helpers import prepared_sandbox

PROVIDER_ORDER = ("bwrap", "docker")  # bubblewrap first: the same checks, several times faster per run


@pytest.fixture(scope="module")
def sandbox():
    """One prepared real provider for the module: bwrap if it can run here, else docker."""
    yield from prepared_sandbox(PROVIDER_ORDER)


def _ctx(params: dict[str, Any], sandbox: Any, pack: Pack | None = None) -> VerifyContext:
    scenario = Scenario(id="T-01", messages=[{"role": "user", "content": "do it"}], verifier=VerifierSpec("shell_task", params))
    return VerifyContext(scenario=scenario, pack=pack, sandbox=sandbox)


def judge(params: dict[str, Any], answer: str, sandbox: Any, pack: Pack | None = None):
    verifier = ShellTaskVerifier()
    verifier.validate(params)
    return asyncio.run(verifier.verify(verifier.parse_params(params), ChatResponse(content=answer, finish_reason="stop"), _ctx(params, sandbox, pack)))


def bash(command: str) -> str:
    return f"Here you go:\n\n```bash\n{command}\n```\n"


def failed(verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


def _tgz(members: dict[str, str]) -> str:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(raw.getvalue()).decode()


LOG = "INFO start\nERROR disk\nINFO ok\nERROR net\n"

# (id, params, an answer that meets the expectation, one that does not, the check that fails)
CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("stdout.equals", {"workspace": {"a.txt": "x\n"}, "stdout": {"equals": "x\n"}}, "cat a.txt", "cat a.txt; echo", "stdout"),
    ("stdout.normalized", {"workspace": {"log": LOG}, "stdout": {"normalized": "2"}}, "grep -c ERROR log | sed 's/^/   /'", "wc -l < log", "stdout"),
    ("stdout.regex", {"stdout": {"regex": r"total: \d+"}}, "echo 'total:   17'", "echo 'total: many'", "stdout"),
    ("stdout.contains", {"stdout": {"contains": ["alpha", "beta"]}}, "echo alpha; echo beta", "echo alpha", "stdout"),
    ("stdout.not_contains", {"stdout": {"not_contains": "secret", "empty": False}}, "echo public", "echo my secret", "stdout"),
    ("stdout.contains_lines", {"workspace": {"log": LOG}, "stdout": {"contains_lines": ["ERROR disk", "ERROR net"]}},
     "cat log", "grep -v net log", "stdout"),
    ("stdout.excludes_lines", {"workspace": {"log": LOG}, "stdout": {"excludes_lines": ["INFO ok"], "line_count": 2}},
     "grep ERROR log", "grep -v start log | head -n 2", "stdout"),
    ("stdout.unordered_lines", {"stdout": {"unordered_lines": ["b", "a", "a"]}}, "printf 'a\\nb\\na\\n'", "printf 'a\\nb\\n'", "stdout"),
    ("stdout.line_count", {"workspace": {"log": LOG}, "stdout": {"line_count": 4}}, "cat log", "head -n 3 log", "stdout"),
    ("stdout.empty", {"stdout": {"empty": True}, "files": {"x": {"exists": True}}}, "touch x", "touch x; echo done", "stdout"),
    ("stdout.json", {"stdout": {"json": {"n": 3, "ok": True}}}, "echo '{\"ok\": true, \"n\": 3.0}'", "echo '{\"ok\": 1, \"n\": 3}'", "stdout"),
    ("stderr", {"stdout": {"empty": True}, "stderr": {"contains": "warning"}}, "echo warning >&2", "echo warning", "stderr"),
    ("exit_code.default", {"stdout": {"contains": "x"}}, "echo x", "echo x; exit 3", "exit_code"),
    ("exit_code.list", {"stdout": {"contains": "x"}, "exit_code": [0, 1]}, "echo x; exit 1", "echo x; exit 2", "exit_code"),
    ("exit_code.any", {"stdout": {"contains": "x"}, "exit_code": None}, "echo x; exit 42", "echo y; exit 0", "stdout"),
    ("file.exists", {"files": {"out/r.txt": {}}}, "mkdir out && touch out/r.txt", "touch r.txt", "file:out/r.txt"),
    ("file.absent", {"workspace": {"junk.tmp": "j"}, "files": {"junk.tmp": {"exists": False}}}, "rm junk.tmp", "echo keep", "file:junk.tmp"),
    ("file.type", {"files": {"d": {"type": "dir"}}}, "mkdir d", "touch d", "file:d"),
    ("file.mode", {"workspace": {"run.sh": "echo hi\n"}, "files": {"run.sh": {"mode": "750"}}}, "chmod 750 run.sh", "chmod 755 run.sh", "file:run.sh"),
    ("file.executable", {"workspace": {"run.sh": "echo hi\n"}, "files": {"run.sh": {"executable": True}}}, "chmod u+x run.sh", "chmod go+r run.sh", "file:run.sh"),
    ("file.symlink_to", {"workspace": {"logs/app.log": "x"}, "files": {"latest": {"symlink_to": "logs/app.log"}}},
     "ln -s logs/app.log latest", "ln -s ./logs/app.log latest", "file:latest"),
    ("file.resolves_to", {"workspace": {"v/1/app": "1", "v/2/app": "2"}, "files": {"cur": {"resolves_to": "v/2"}}},
     "ln -s /box/v/2 cur", "ln -s v/1 cur", "file:cur"),
    ("file.size", {"files": {"blob": {"size": 1000}}}, "head -c 1000 /dev/zero > blob", "head -c 999 /dev/zero > blob", "file:blob"),
    ("file.entries", {"files": {"p": {"entries": ["a", "b"]}}}, "mkdir -p p/a && touch p/b", "mkdir -p p/a p/c && touch p/b", "file:p"),
    ("file.content", {"workspace": {"in.txt": "b\na\n"}, "files": {"out.txt": {"equals": "a\nb\n"}}},
     "sort in.txt > out.txt", "sort -r in.txt > out.txt", "file:out.txt"),
    ("file.content_through_link", {"workspace": {"real.txt": "hello\n", "link": {"symlink": "real.txt"}}, "files": {"link": {"normalized": "HELLO"}}},
     "tr a-z A-Z < real.txt > tmp && mv tmp real.txt", "echo HELLO > other.txt", "file:link"),
    ("file.tar_members", {"workspace": {"s/a": "a", "s/b/c": "c", "s/skip.o": "o"}, "files": {"t.tar": {"tar_members": ["s/a", "s/b/c"]}}},
     "tar -cf t.tar --exclude='*.o' s", "tar -cf t.tar s", "file:t.tar"),
    ("file.gunzip", {"workspace": {"a.log": "line\n"}, "files": {"a.log.gz": {"gunzip": {"equals": "line\n"}}}},
     "gzip a.log", "cp a.log a.log.gz", "file:a.log.gz"),
    ("glob.count", {"workspace": {"x/1.tmp": "", "x/y/2.tmp": "", "x/3.txt": ""}, "files": {"**/*.tmp": {"count": 0}}},
     "find . -name '*.tmp' -delete", "rm x/*.tmp", "file:**/*.tmp"),
    ("glob.exists", {"files": {"out/*.csv": {"exists": True}}}, "mkdir out && echo a > out/a.csv", "mkdir out && echo a > out/a.txt", "file:out/*.csv"),
    ("unchanged", {"workspace": {"src/a.py": "a\n", "src/b.py": "b\n", "tmp/x": "x"}, "files": {"tmp": {"entries": []}}, "unchanged": ["src/**"]},
     "rm -rf tmp/*", "rm -rf tmp/* src/b.py", "unchanged"),
    ("unchanged.mode", {"workspace": {"a.sh": "x", "b.txt": "y"}, "files": {"a.sh": {"mode": "755"}}, "unchanged": ["b.txt"]},
     "chmod 755 a.sh", "chmod 755 a.sh b.txt", "unchanged"),
    ("allowed_changes", {"workspace": {"data.csv": "1\n"}, "files": {"out/r.txt": {"normalized": "1"}}, "allowed_changes": ["out/**"]},
     "mkdir out && cp data.csv out/r.txt", "mkdir out && cp data.csv out/r.txt && touch notes.txt", "allowed_changes"),
    ("workspace.age_days", {"workspace": {"old": {"content": "o", "age_days": 30}, "new": {"content": "n", "age_days": 1}},
                            "stdout": {"unordered_lines": ["./old"]}},
     "find . -type f -mtime +7", "find . -type f", "stdout"),
    ("workspace.base64_size_dir_mode", {"workspace": {"b.bin": {"base64": base64.b64encode(b"\x00\x01\x02").decode()},
                                                      "big": {"content": "ab", "size": 5}, "empty/": {}, "x.sh": {"content": "", "mode": "700"}},
                                        "stdout": {"normalized": "3 5 0 700"}},
     "echo $(stat -c %s b.bin) $(cat big | wc -c) $(ls empty | wc -l) $(stat -c %a x.sh)", "echo 3 5 0 644", "stdout"),
    ("workspace.tarball", {"workspace": {"r.tgz": {"base64": _tgz({"r/a.ini": "a=1\n", "r/b.ini": "b=2\n"})}},
                           "files": {"r/a.ini": {"equals": "a=1\n"}, "r/b.ini": {"exists": False}}},
     "tar -xzf r.tgz r/a.ini", "tar -xzf r.tgz", "file:r/b.ini"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_expectation_passes_when_met_and_fails_at_its_check(sandbox, case) -> None:
    _, params, good, bad, check = case
    ok = judge(params, bash(good), sandbox)
    assert ok.passed, (ok.detail, ok.artifacts)
    assert ok.score == 1.0 and ok.failure_mode is None
    assert [c.name for c in ok.checks][:2] == ["extract", "run"]
    no = judge(params, bash(bad), sandbox)
    assert not no.passed and no.failure_mode == FailureMode.WRONG_ANSWER, no.detail
    assert check in failed(no), (no.detail, no.checks)
    assert f"{check}:" in no.detail


def test_artifacts_keep_command_exit_code_output_and_changes(sandbox) -> None:
    params = {"workspace": {"keep.txt": "k"}, "stdout": {"contains": "nothing"}}
    verdict = judge(params, bash("echo out; echo err >&2; touch new.txt; rm keep.txt; exit 4"), sandbox)
    art = verdict.artifacts
    assert (art["exit_code"], art["stdout"], art["stderr"]) == (4, "out\n", "err\n")
    assert art["provider"] == sandbox.name and "touch new.txt" in art["command"]
    assert art["changes"] == ["keep.txt: removed", "new.txt: added"] and art["changes_total"] == 2
    assert {"exit_code", "stdout"} <= failed(verdict)
    json.dumps(art)  # the record stores it as JSON


def test_a_command_past_its_time_limit_is_a_timeout(sandbox) -> None:
    params = {"stdout": {"contains": "x"}, "timeout_s": 1}
    verdict = judge(params, bash("echo x; sleep 60"), sandbox)
    assert verdict.failure_mode == FailureMode.TIMEOUT and not verdict.passed
    assert "run" in failed(verdict) and "1 s limit" in verdict.detail
    # stopped by the in-sandbox runner at 1 s, not by the sandbox's own wall clock
    assert verdict.artifacts["timed_out"] is True and verdict.artifacts["duration_s"] < 5


def test_a_destructive_command_is_contained_and_detected(sandbox, tmp_path: Path) -> None:
    outside = Path("/tmp") / f"benchlab-shell-{secrets.token_hex(6)}"
    params = {"workspace": {"src/main.py": "print(1)\n", "docs/a.md": "# a\n", ".git/HEAD": "ref\n"},
              "stdout": {"normalized": "1"}, "unchanged": ["src/**", "docs/**", ".git/**"], "timeout_s": 30}
    hostile = (f"echo 1\nrm -rf ./* ./.??* ~/* 2>/dev/null\nrm -rf / --no-preserve-root 2>/dev/null\n"
               f"echo pwned > {outside} 2>/dev/null; echo x >> /etc/passwd 2>/dev/null; touch /usr/bin/pwned 2>/dev/null\ntrue")
    verdict = judge(params, bash(hostile), sandbox)
    assert not verdict.passed and verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert "unchanged" in failed(verdict) and "stdout" not in failed(verdict)
    assert "6 of 6 protected paths changed" in verdict.detail
    assert not outside.exists() and not Path("/usr/bin/pwned").exists()


def test_leftover_background_processes_are_killed_before_the_check(sandbox) -> None:
    params = {"workspace": {"keep.txt": "k"}, "stdout": {"normalized": "done"}, "unchanged": ["keep.txt"]}
    late = "(sleep 0.5; echo late > keep.txt) &\nnohup sh -c 'sleep 0.5; rm keep.txt' >/dev/null 2>&1 &\necho done"
    verdict = judge(params, bash(late), sandbox)
    assert verdict.passed, verdict.detail


def test_the_command_cannot_reach_the_checker_through_proc(sandbox) -> None:
    """The runner is non-dumpable: its descriptors, environment and memory are closed to the command."""
    probe = ("for f in fd environ mem; do cat /proc/$PPID/$f >/dev/null 2>&1 && echo \"$f open\" || echo \"$f denied\"; done; "
             "ls /proc/$PPID/fd >/dev/null 2>&1 && echo 'fd-list open' || echo 'fd-list denied'")
    verdict = judge({"stdout": {"normalized": "fd denied\nenviron denied\nmem denied\nfd-list denied"}}, bash(probe), sandbox)
    assert verdict.passed, verdict.artifacts.get("stdout")


def test_killing_the_checker_fails_the_answer(sandbox) -> None:
    verdict = judge({"stdout": {"normalized": "ok"}}, bash("echo ok; kill -9 $PPID"), sandbox)
    assert not verdict.passed and verdict.failure_mode == FailureMode.WRONG_ANSWER
    assert "run" in failed(verdict) and "stopped the program checking it" in verdict.detail


def test_signals_to_the_checker_are_ignored(sandbox) -> None:
    verdict = judge({"stdout": {"normalized": "ok"}}, bash("kill -TERM $PPID; kill -INT $PPID; kill -HUP $PPID; echo ok"), sandbox)
    assert verdict.passed, verdict.detail


def test_memory_and_process_limits_fail_the_answer_without_breaking_the_check(sandbox) -> None:
    params = {"stdout": {"contains": "after"}, "timeout_s": 20}
    hog = judge(params, bash("python3 -c 'x = bytearray(3 * 2**30); print(\"after\")'"), sandbox)
    assert not hog.passed and hog.failure_mode == FailureMode.WRONG_ANSWER
    assert {"exit_code", "stdout"} <= failed(hog) and "run" not in failed(hog)
    assert hog.artifacts["exit_code"] in (1, 137)  # MemoryError, or the kernel's OOM killer
    bomb = judge({"stdout": {"contains": "never"}, "timeout_s": 3}, bash("f() { f | f & }; f; sleep 2"), sandbox)
    assert not bomb.passed and bomb.failure_mode in (FailureMode.WRONG_ANSWER, FailureMode.TIMEOUT)
    if sandbox.name == "bwrap":
        from sandbox_helpers import leftover_processes

        assert leftover_processes() == []


def test_odd_file_names_are_reported_as_text(sandbox) -> None:
    """Names that are not UTF-8, or hold a newline, end up in the record: they must encode as UTF-8 JSON."""
    params = {"workspace": {"a.txt": "a"}, "stdout": {"empty": True}, "allowed_changes": ["x*"]}
    verdict = judge(params, bash("touch \"$(printf 'bad\\377name')\" \"$(printf 'new\\nline')\"; ln -s \"$(printf '\\376')\" link"), sandbox)
    assert not verdict.passed and "allowed_changes" in failed(verdict)
    text = json.dumps({"detail": verdict.detail, "artifacts": verdict.artifacts}, ensure_ascii=False)
    text.encode("utf-8")
    assert "bad\\xffname: added" in verdict.artifacts["changes"] and "link: added" in verdict.artifacts["changes"]


def test_output_past_the_cap_fails_the_stdout_check(sandbox) -> None:
    verdict = judge({"stdout": {"contains": "y"}}, bash("yes | head -c 3000000"), sandbox)
    assert "stdout" in failed(verdict) and "more than the 262144 checked" in verdict.detail
    assert verdict.artifacts["stdout_bytes"] == 3000000 and len(verdict.artifacts["stdout"]) < 5000


def test_a_fixture_folder_is_laid_out_and_a_missing_one_is_not_scored(sandbox, tmp_path: Path) -> None:
    (tmp_path / "fixtures" / "one" / "bin").mkdir(parents=True)
    (tmp_path / "fixtures" / "one" / "data.txt").write_text("from the fixture\n")
    (tmp_path / "fixtures" / "one" / "bin" / "tool").write_text("#!/bin/sh\necho tool ran\n")
    os.chmod(tmp_path / "fixtures" / "one" / "bin" / "tool", 0o755)
    pack = Pack(PackManifest("p", "1", "P", "d", False, 10.0), [], tmp_path, needs_sandbox=True)
    params = {"fixture": "fixtures/one", "workspace": {"extra.txt": "declared\n"},
              "stdout": {"normalized": "from the fixture\ndeclared\ntool ran"}}
    verdict = judge(params, bash("cat data.txt extra.txt; bin/tool"), sandbox, pack)
    assert verdict.passed, verdict.detail
    missing = judge({**params, "fixture": "fixtures/none"}, bash("true"), sandbox, pack)
    assert missing.failure_mode == FailureMode.DATASET_UNAVAILABLE and "fixtures/none" in missing.detail


def test_no_sandbox_is_sandbox_unavailable_but_no_command_is_still_wrong() -> None:
    params = {"stdout": {"normalized": "1"}}
    verdict = judge(params, bash("echo 1"), None)
    assert verdict.failure_mode == FailureMode.SANDBOX_UNAVAILABLE and not verdict.passed
    empty = judge(params, "", None)
    assert empty.failure_mode == FailureMode.WRONG_ANSWER and failed(empty) == {"extract"}


class _FailingSandbox:
    """Stand-in: a real provider cannot be made to fail on demand; this one returns a sandbox failure."""

    name = "stand-in"

    def __init__(self, failure: Any) -> None:
        self.failure = failure

    async def run(self, request: Any) -> Any:
        from benchlab.sandbox import ExecResult

        return ExecResult.failure(self.name, self.failure, "engine went away")


@pytest.mark.parametrize("failure, mode", [("sandbox_error", FailureMode.SANDBOX_ERROR), ("sandbox_timeout", FailureMode.SANDBOX_TIMEOUT)])
def test_a_sandbox_failure_is_infrastructure_not_the_answer(failure: str, mode: FailureMode) -> None:
    from benchlab.sandbox import SandboxFailure

    verdict = judge({"stdout": {"normalized": "1"}}, bash("echo 1"), _FailingSandbox(SandboxFailure(failure)))
    assert verdict.failure_mode == mode and mode.is_infrastructure
    assert "engine went away" in verdict.detail and "run" not in {c.name for c in verdict.checks}


# --- extraction ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, command",
    [
        ("Use:\n```bash\nls\n```\nthen\n```sh\nwc -l a\n```", "wc -l a\n"),
        ("```\nfind . -name x\n```", "find . -name x\n"),
        ("```bash\necho hi\n```\nOutput:\n```text\nhi\n```", "echo hi\n"),
        ("```console\n$ mkdir out\n$ cp a out/\ncp: done\n```", "mkdir out\ncp a out/\n"),
        ("```zsh\nprint -l *\n```", "print -l *\n"),
        ("`grep -c ERROR server.log`", "grep -c ERROR server.log\n"),
        ("$ du -sh data", "du -sh data\n"),
        ("Run `find logs -name '*.log' | wc -l` to count them.", "find logs -name '*.log' | wc -l\n"),
        ("``echo `date` ``", "echo `date`\n"),
        ("<think>maybe ```bash\nrm -rf x\n``` no</think>\nwc -l < a.txt", "wc -l < a.txt\n"),
        ("#!/bin/bash\nset -e\nls", "#!/bin/bash\nset -e\nls\n"),
        ("```bash\necho unclosed", "echo unclosed\n"),
    ],
)
def test_the_command_is_found_by_the_documented_rules(answer: str, command: str) -> None:
    found, how = extract_command(ChatResponse(content=answer))
    assert found == command, how


@pytest.mark.parametrize(
    "answer, why",
    [
        ("", "empty"),
        ("I would list the files first.\nThen count them.", "not a shell program"),
        ("```python\nprint(1)\n```", "no shell code block"),
        ("```bash\n" + "echo x\n" * 12000 + "```", "over the"),
        ("```bash\necho a\0b\n```", "NUL"),
        ("Either `ls` or `find .` works.", "2 inline code spans"),
        ("```bash\necho \udcff\n```", "not valid UTF-8"),
    ],
)
def test_an_answer_without_a_usable_command_fails_extract(answer: str, why: str) -> None:
    found, how = extract_command(ChatResponse(content=answer))
    assert found is None and why in how


# --- params --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "stdout"),
        ({"stdout": {}}, "stdout"),
        ({"stdout": {"equal": "x"}}, "stdout.equal"),
        ({"stdout": {"regex": "("}}, "stdout.regex"),
        ({"stdout": {"line_count": True}}, "stdout.line_count"),
        ({"stdout": {"contains_lines": ["a\nb"]}}, "stdout.contains_lines"),
        ({"stdout": {"x": 1}, "bogus": 1}, "bogus"),
        ({"stdout": {"empty": True}, "timeout_s": 0}, "timeout_s"),
        ({"stdout": {"empty": True}, "timeout_s": 500}, "timeout_s"),
        ({"stdout": {"empty": True}, "exit_code": 256}, "exit_code"),
        ({"stdout": {"empty": True}, "exit_code": []}, "exit_code"),
        ({"stdout": {"empty": True}, "exit_code": True}, "exit_code"),
        ({"stdout": {"empty": True}, "workspace": {"../x": "a"}}, "workspace.../x"),
        ({"stdout": {"empty": True}, "workspace": {"/etc/x": "a"}}, "workspace./etc/x"),
        ({"stdout": {"empty": True}, "workspace": {"a*": "a"}}, "workspace.a*"),
        ({"stdout": {"empty": True}, "workspace": {"a": {"content": "x", "symlink": "b"}}}, "workspace.a"),
        ({"stdout": {"empty": True}, "workspace": {"a": {"mode": "999"}}}, "workspace.a.mode"),
        ({"stdout": {"empty": True}, "workspace": {"a": {"base64": "!!"}}}, "workspace.a.base64"),
        ({"stdout": {"empty": True}, "workspace": {"a": {"size": 10}}}, "workspace.a.size"),
        ({"stdout": {"empty": True}, "workspace": {"a": "x", "a/b": "y"}}, "workspace.a/b"),
        ({"stdout": {"empty": True}, "workspace": {"a": {"colour": 1}}}, "workspace.a.colour"),
        ({"files": {"a": {"mode": 755}}}, "files.a.mode"),
        ({"files": {"a": {"type": "pipe"}}}, "files.a.type"),
        ({"files": {"a": {"exists": False, "equals": "x"}}}, "files.a"),
        ({"files": {"*.x": {"equals": "x"}}}, "files.*.x"),
        ({"files": {"a": {"count": 1}}}, "files.a.count"),
        ({"files": {"a/**b": {"count": 1}}}, "files.a/**b"),
        ({"files": {"a": {"gunzip": {}}}}, "files.a.gunzip"),
        ({"files": {"a": {"gunzip": {"nope": 1}}}}, "files.a.gunzip.nope"),
        ({"files": {}}, "files"),
        ({"stdout": {"empty": True}, "unchanged": []}, "unchanged"),
        ({"stdout": {"empty": True}, "workspace": {"a": "x"}, "unchanged": ["b/**"]}, "unchanged[0]"),
        ({"stdout": {"empty": True}, "allowed_changes": ["../x"]}, "allowed_changes[0]"),
        ({"stdout": {"empty": True}, "fixture": "/abs"}, "fixture"),
    ],
)
def test_malformed_params_are_rejected_with_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as info:
        ShellTaskVerifier().validate(params)
    assert info.value.field == field, info.value.message


def test_a_bad_param_in_a_pack_is_reported_with_file_and_line(tmp_path: Path) -> None:
    from helpers import benchlab, write_pack

    good = {"id": "S-1", "messages": [{"role": "user", "content": "x"}], "verifier": {"kind": "shell_task", "stdout": {"empty": True}}}
    bad = {"id": "S-2", "messages": [{"role": "user", "content": "x"}], "verifier": {"kind": "shell_task", "stdout": {"regex": "("}}}
    folder = write_pack(tmp_path / "shellpack", [good, bad])
    result = benchlab("packs", "validate", str(folder))
    assert result.returncode != 0
    assert "scenarios.jsonl:2: verifier.stdout.regex: not a valid regular expression" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


# --- properties: nothing the model writes makes the verifier raise -------------------------------------

PARAMS_FOR_JUNK = {"workspace": {"a.txt": "a\n", "d/b.txt": "b\n"}, "stdout": {"normalized": "2"},
                   "files": {"out.txt": {"contains_lines": ["x"]}, "d": {"entries": ["b.txt"]}}, "unchanged": ["a.txt"], "timeout_s": 3}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_no_text_makes_extraction_or_the_unsandboxed_verdict_raise(text: str) -> None:
    verdict = judge(PARAMS_FOR_JUNK, text, None)
    assert not verdict.passed and verdict.failure_mode in (FailureMode.WRONG_ANSWER, FailureMode.SANDBOX_UNAVAILABLE)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=120), st.text(alphabet="$`'\"\\;|&(){}<>!*?~#\n x01", max_size=80).map(lambda t: f"```bash\n{t}\n```")))
def test_no_text_run_in_the_sandbox_makes_the_verifier_raise(sandbox, text: str) -> None:
    verdict = judge(PARAMS_FOR_JUNK, text, sandbox)
    assert not verdict.passed
    assert verdict.failure_mode in (FailureMode.WRONG_ANSWER, FailureMode.TIMEOUT)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([
    {"equals": "x"}, {"normalized": " a  b "}, {"regex": "a+"}, {"contains": ["a", "b"]}, {"not_contains": "z"},
    {"contains_lines": ["a"]}, {"excludes_lines": ["b"]}, {"unordered_lines": ["a", "a"]}, {"line_count": 2},
    {"empty": True}, {"json": {"a": [1, 2.5, None, False]}},
]))
def test_matchers_never_raise_on_any_bytes(data: bytes, spec: dict[str, Any]) -> None:
    result = match_text(spec, data)
    assert result is None or isinstance(result, str)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_archive_readers_never_raise_on_any_bytes(data: bytes) -> None:
    from benchlab.plugins.verifiers.shell.shell_checks import _tar_problem

    for blob in (data, b"\x1f\x8b" + data, gzip.compress(data)):
        unpacked, problem = gunzip(blob)
        assert problem is None or unpacked == b""
        assert isinstance(_tar_problem(blob, ["a"]), str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600), st.text(alphabet="abc:{}\"[]0123 \n", max_size=40))
def test_reading_the_report_never_raises_on_any_output(stdout: str, tail: str) -> None:
    marker = "benchlab-shell-report-abc:"
    for text in (stdout, stdout + "\n" + marker + tail):
        report = read_report(text, marker)
        assert report is None or isinstance(report, dict)


def test_only_a_complete_report_that_ends_the_output_is_read() -> None:
    marker = "benchlab-shell-report-abc:"
    report = {"exit_code": 0, "timed_out": False, "stdout": "", "stderr": "", "stdout_bytes": 0, "stderr_bytes": 0,
              "before": {}, "after": {}, "captured": {}, "duration_s": 0.1}
    line = "\n" + marker + json.dumps(report) + "\n"
    assert read_report("noise" + line, marker) == report
    assert read_report("noise" + line + "more output\n", marker) is None
    assert read_report("noise" + line.replace('"exit_code": 0, ', ""), marker) is None
    assert read_report(marker + json.dumps(report), marker) is None  # not at the start of a line


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "a/b", "b", "b/c", "c", "l"]),
                       st.one_of(st.just({"type": "dir"}), st.just({"type": "file"}),
                                 st.builds(lambda t: {"type": "symlink", "target": t},
                                           st.sampled_from(["a", "../a", "/box/b", "/etc", "l", "b/c", ".", "", "a/../b"]))),
                       max_size=6),
       st.sampled_from(["a", "a/b", "l", "l/c", "b/c", "c"]))
def test_link_resolution_never_raises_or_leaves_the_work_dir(snapshot: dict[str, Any], path: str) -> None:
    target = resolve(path, snapshot)
    assert target is None or (target in snapshot and not target.startswith("..") and not target.startswith("/"))


def test_the_examples_in_the_docs_are_valid_params() -> None:
    """The ```json blocks of docs/verifiers-shell.md: a whole verifier object, then a workspace."""
    import re

    from helpers import REPO

    blocks = re.findall(r"```json\n(.*?)```", (REPO / "docs" / "verifiers-shell.md").read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 2
    spec, workspace = (json.loads(b) for b in blocks)
    assert spec.pop("kind") == "shell_task"
    ShellTaskVerifier().validate(spec)
    ShellTaskVerifier().validate({"workspace": workspace, "stdout": {"empty": True}})
