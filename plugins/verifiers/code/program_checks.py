"""Verifier ``program_checks``: a harness measures the answer's program in the sandbox and
reports one named check per measured property.

Params::

    {"kind": "program_checks", "language": "rust",
     "prelude": "pub trait HttpClient { ... }",     # the crate root the answer builds on
     "tests": "fn run_checks(check: &mut dyn FnMut(&str, bool, String)) { ... }",
     "checks": ["max_in_flight", "order", ...],     # what the tests report, in order
     "lint_check": "deny_warnings",                 # optional: see below
     "crates": ["tokio", "futures"],                # optional: prebuilt crates the image holds
     "defines": "fetch_all", "timeout_s": 20, "memory_mb": 512}

Where ``code_exec`` answers "did the tests pass?", this answers "which properties hold?":
every check in ``checks`` becomes one Check of the verdict, so a reader sees every
violated property at once.

Rust only, for now (another language is a parameter error, not a silent pass). The
answer (taken as ``code_exec`` takes it) is compiled as the module ``solution`` of a
crate whose root is ``prelude``; the module starts with ``use super::*`` (the prelude's
names), so an answer may also import them itself. ``tests`` is the body of a module that
sees the crate root and defines ``fn run_checks(check: &mut dyn FnMut(&str, bool, String))``;
it calls ``check(name, ok, detail)`` once per property. Each report line carries the
run's secret token, so output the answer prints cannot forge a check.

``lint_check`` names one more check, measured first: the prelude and the answer alone
compile as a library under ``#![deny(warnings)]`` (a library, so public items the tests
do not call are not dead code). ``crates`` links the rlibs the sandbox image prebuilt
(``benchlab.sandbox_programs.RUST_CRATES``); the request then needs the image's
``rust-crates`` toolchain.

A check the program never reported fails, saying why (it did not compile, crashed,
or ran past its time limit). Failure mode: ``sandbox_error`` / ``sandbox_unavailable``
when the sandbox could not run it (the checks are then not judged), ``timeout`` when
the program ran past ``timeout_s`` (plus the compile allowance), else ``wrong_answer``.
The score is the fraction of checks met.
"""

from __future__ import annotations

import secrets
import shlex
from typing import Any, Literal

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.param_checks import not_blank
from benchlab.plugins.verifiers.code.code_exec import COMPILE_ALLOWANCE_S, _identifier, memory_field, timeout_field
from benchlab.verifier_params import ParamError
from benchlab.verifiers import Verifier, VerifyContext

DETAIL_CHARS = 300
# rustc twice (the lint, then the program) in one execution.
LINT_ALLOWANCE_S = 15.0


def _check_names(_: Any, attribute: attrs.Attribute, value: list[str]) -> None:
    if not value:
        raise ParamError(attribute.name, "at least one check name")
    for index, name in enumerate(value):
        if not name or any(ch.isspace() for ch in name):
            raise ParamError(f"{attribute.name}[{index}]", "a name without spaces")
        if value.index(name) != index:
            raise ParamError(f"{attribute.name}[{index}]", f"{name!r} is listed twice")


@attrs.frozen
class ProgramChecksParams:
    language: Literal["rust"]
    tests: str = attrs.field(validator=not_blank)
    checks: list[str] = attrs.field(validator=_check_names)
    prelude: str = ""
    lint_check: str | None = None
    crates: list[Literal["tokio", "futures"]] = attrs.field(factory=list)
    defines: str | None = attrs.field(default=None, validator=_identifier)
    timeout_s: float = timeout_field()
    memory_mb: int = memory_field()

    def __attrs_post_init__(self) -> None:
        if self.lint_check is not None and self.lint_check in self.checks:
            raise ParamError("lint_check", f"{self.lint_check!r} is also in checks")


class ProgramChecksVerifier(Verifier):
    """Compiles the answer with a measuring harness in ``ctx.sandbox``; see the module docstring."""

    needs_sandbox = True
    params = ProgramChecksParams

    async def verify(self, params: ProgramChecksParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        from benchlab.plugins.verifiers.code.code_extract import extract_code

        names = ([params.lint_check] if params.lint_check else []) + list(params.checks)
        found = extract_code(response, params.language, params.defines)
        if found.code is None:
            return _unmeasured(names, f"no program: {found.how}", FailureMode.WRONG_ANSWER)
        if ctx.sandbox is None:
            return Verdict.fail(FailureMode.SANDBOX_UNAVAILABLE, "no sandbox to run the program in (this run has none)")
        return await _run(params, found.code, names, ctx.sandbox)


async def _run(params: ProgramChecksParams, code: str, names: list[str], sandbox: Any) -> Verdict:
    from benchlab.plugins.verifiers.code.code_exec import judge_result
    from benchlab.sandbox import ExecRequest, Limits, MiB

    allowance = COMPILE_ALLOWANCE_S["rust"] + (LINT_ALLOWANCE_S if params.lint_check else 0.0)
    limits = Limits(wall_seconds=params.timeout_s + allowance, memory_bytes=params.memory_mb * MiB)
    token = "benchlab-" + secrets.token_hex(16)
    loaded = "benchlab-loaded-" + secrets.token_hex(8)
    files, command = rust_program(params, code, token, loaded)
    toolchains = {"rust-crates"} if params.crates else {"rust"}
    result = await sandbox.run(ExecRequest(command, files=files, toolchains=toolchains, limits=limits, collect=False))
    artifacts = {"provider": result.provider, "exit_code": result.exit_code, "duration_s": result.duration_s,
                 "stdout": _cap(_without(result.stdout, token), 4000), "stderr": _cap(result.stderr, 4000)}
    if result.sandbox_failure is not None:
        mode, detail = judge_result(result, "rust", token, loaded, limits)
        return Verdict(False, 0.0, mode, detail, [], artifacts)
    reported = read_reports(result.stdout, token)
    if params.lint_check:
        reported.setdefault(params.lint_check, _lint_outcome(result.stdout, token))
    mode, why = judge_result(result, "rust", token, loaded, limits)
    if why and loaded not in result.stdout.splitlines():
        why = f"did not compile: {_compile_error(result.stderr)}"
    checks = [Check(n, *reported[n]) if n in reported else Check(n, False, f"not measured: {why or 'not reported'}") for n in names]
    failed = [c for c in checks if not c.ok]
    if not failed:
        return Verdict(True, 1.0, None, "", checks, artifacts)
    final = FailureMode.TIMEOUT if mode == FailureMode.TIMEOUT else FailureMode.WRONG_ANSWER
    detail = "; ".join(f"{c.name}: {c.detail}" for c in failed)
    return Verdict(False, (len(checks) - len(failed)) / len(checks), final, detail, checks, artifacts)


def _unmeasured(names: list[str], why: str, mode: FailureMode) -> Verdict:
    checks = [Check(n, False, why) for n in names]
    return Verdict(False, 0.0, mode, why, checks)


_MAIN = """\
fn main() {{
    let benchlab_path = "{sentinel}";
    let benchlab_token = match ::std::fs::read_to_string(benchlab_path) {{
        Ok(text) => text.trim().to_string(),
        Err(_) => ::std::process::exit(120),
    }};
    let _ = ::std::fs::remove_file(benchlab_path);
    println!("\\n{loaded}");
    let mut benchlab_report = |name: &str, ok: bool, detail: String| {{
        use ::std::io::Write;
        let detail = detail.replace('\\n', " ");
        println!("\\n{{}} check {{}} {{}} {{}}", benchlab_token, name, if ok {{ "pass" }} else {{ "fail" }}, detail);
        let _ = ::std::io::stdout().flush();
    }};
    benchlab_tests::benchlab_run(&mut benchlab_report);
    println!("\\n{{}}", benchlab_token);
    ::std::process::exit(0);
}}
"""


def rust_program(params: ProgramChecksParams, code: str, token: str, loaded: str) -> tuple[dict[str, str], list[str]]:
    """(files, argv): the lint library (when asked) and the measuring program, built and run by one script."""
    from benchlab.plugins.verifiers.code.code_harness import SENTINEL_FILE, _RUST_INNER_ATTR
    from benchlab.sandbox_programs import rust_crate_flags

    inner = [m.group(0).strip() for m in _RUST_INNER_ATTR.finditer(code)]
    body = _RUST_INNER_ATTR.sub("", code)
    solution = "\n".join(["pub mod solution {", *dict.fromkeys(inner), "#[allow(unused_imports)]", "use super::*;", body, "}"])
    lib = f"#![deny(warnings)]\n{params.prelude}\n{solution}\n"
    main = "\n".join([
        "#![allow(dead_code, unused_imports, unused_variables, unused_mut)]",
        params.prelude, solution,
        "mod benchlab_tests {", "#![allow(unused_imports)]", "use super::*;", params.tests,
        "pub(crate) fn benchlab_run(check: &mut dyn FnMut(&str, bool, String)) { run_checks(check) }", "}",
        _MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded),
    ])
    flags = " ".join(shlex.quote(f) for f in rust_crate_flags(params.crates))
    steps = []
    if params.lint_check:
        lint = shlex.quote(f"{token} lint")
        steps.append(
            f"if rustc --edition 2021 --crate-type lib --emit=metadata -o /tmp/lint.rmeta {flags} lib.rs 2>/tmp/lint.err; "
            f"then echo; echo {lint} pass; else echo; echo {lint} fail; grep -m1 -E '^(error|warning)' /tmp/lint.err || tail -n1 /tmp/lint.err; fi; rm -f lib.rs"
        )
    steps.append(f"rustc --edition 2021 -o /tmp/prog {flags} main.rs && rm -f main.rs && exec /tmp/prog")
    files = {SENTINEL_FILE: token + "\n", "main.rs": main}
    if params.lint_check:
        files["lib.rs"] = lib
    return files, ["sh", "-c", "; ".join(steps)]


def read_reports(stdout: str, token: str) -> dict[str, tuple[bool, str]]:
    """name -> (ok, detail) from the harness's report lines (the first report of a name wins)."""
    found: dict[str, tuple[bool, str]] = {}
    prefix = f"{token} check "
    for line in stdout.splitlines():
        if not line.startswith(prefix):
            continue
        name, _, rest = line[len(prefix):].partition(" ")
        verdict, _, detail = rest.partition(" ")
        if name and verdict in ("pass", "fail") and name not in found:
            found[name] = (verdict == "pass", _cap(detail.strip()))
    return found


def _lint_outcome(stdout: str, token: str) -> tuple[bool, str]:
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line == f"{token} lint pass":
            return True, "compiles as a library under #![deny(warnings)]"
        if line == f"{token} lint fail":
            message = lines[index + 1].strip() if index + 1 < len(lines) else ""
            return False, _cap(f"does not compile under #![deny(warnings)]: {message or 'no message'}")
    return False, "not measured: the lint step did not run"


def _compile_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error")]
    return _cap((errors or lines or ["no message on stderr"])[0])


def _without(text: str, token: str) -> str:
    return "\n".join(line for line in text.splitlines() if token not in line)


def _cap(text: str, limit: int = DETAIL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
