"""Verifier ``all``: several verifiers judge one answer; every check of each is reported.

Params::

    {"kind": "all",
     "of": [{"kind": "rubric", "rules": [...]},
            {"kind": "program_checks", "language": "rust", ...}]}

Each entry of ``of`` is a verifier object as a scenario would hold it, validated by its own
verifier (a problem is reported as ``verifier.of[1].rules[0].regex: ...``). Every verifier
runs, even after another failed, so a reader (or ``benchlab ladder``'s learning context)
sees every violated rule at once. The verdict's ``checks`` are the checks of every verifier
in order; a name two verifiers share is prefixed with its verifier's index (``1:tests``).

It passes when every verifier passes; the score is the fraction of checks met. When one
verifier could not judge (an infrastructure failure, a missing sandbox, its own crash)
the verdict takes that failure mode, so an unjudged answer is never called wrong;
otherwise the failure mode is the first failing verifier's. ``artifacts`` holds each
verifier's artifacts under its index. The combination needs a sandbox when any part does.
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict, VerifierSpec
from benchlab.verifier_params import ParamError
from benchlab.verifiers import Verifier, VerifyContext


@attrs.frozen
class AllParams:
    of: list[VerifierSpec]


class AllVerifier(Verifier):
    """Runs every verifier of ``of`` on the answer and reports all their checks."""

    # The registry of verifiers, handed over by the pack loader (bind_verifiers).
    verifiers: Any = None

    def bind_verifiers(self, verifiers: Any) -> None:
        self.verifiers = verifiers

    def _instance(self, kind: str) -> Any:
        from benchlab.pack_loader import verifier_instance

        return verifier_instance(self.verifiers, kind)

    def parse_params(self, raw: dict[str, Any]) -> AllParams:
        unknown = sorted(set(raw) - {"of"})
        if unknown:
            raise ParamError(unknown[0], "unknown parameter (known: of)")
        parts = raw.get("of")
        if not isinstance(parts, list) or not parts:
            raise ParamError("of", "a non-empty list of verifier objects, each with a 'kind'")
        specs = []
        for index, part in enumerate(parts):
            where = f"of[{index}]"
            if not isinstance(part, dict) or not isinstance(part.get("kind"), str):
                raise ParamError(f"{where}.kind", "each entry must be a verifier object with a 'kind'")
            kind = part["kind"]
            if self.verifiers is None or kind not in self.verifiers:
                known = ", ".join(sorted(self.verifiers.names())) if self.verifiers is not None else "none"
                raise ParamError(f"{where}.kind", f"unknown verifier kind {kind!r} (known: {known})")
            params = {k: v for k, v in part.items() if k != "kind"}
            verifier = self._instance(kind)
            try:
                parsed = verifier.parse_params(params) if hasattr(verifier, "parse_params") else params
            except ParamError as exc:
                problems = [(f"{where}.{f}" if f else where, m) for f, m in exc.problems]
                (field, message), *more = problems
                raise ParamError(field, message, more) from None
            specs.append(VerifierSpec(kind, params, parsed))
        return AllParams(specs)

    def sandbox_needed(self, params: AllParams) -> bool:
        return any(self._instance(spec.kind).sandbox_needed(spec.parsed) for spec in params.of)

    async def verify(self, params: AllParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        verdicts = []
        for spec in params.of:
            verifier = self._instance(spec.kind)
            try:
                verdict = verifier.verify(spec.parsed, response, ctx)
                if inspect.isawaitable(verdict):
                    verdict = await verdict
            except Exception as exc:  # one part's bug is reported as that part's, never fatal
                verdict = Verdict.fail(FailureMode.VERIFIER_FAIL, f"verifier {spec.kind!r} crashed: {exc!r}")
            verdicts.append(verdict)
        return combine([spec.kind for spec in params.of], verdicts)

    def junk_that_is_correct(self, params: AllParams) -> tuple[str, ...]:
        # Junk is correct for the combination only when every part accepts it.
        sets = [set(self._instance(s.kind).junk_that_is_correct(s.parsed)) for s in params.of]
        return tuple(sorted(set.intersection(*sets)))


def combine(kinds: list[str], verdicts: list[Verdict]) -> Verdict:
    """One verdict from the parts' verdicts (see the module docstring)."""
    names = [c.name for v in verdicts for c in v.checks]
    checks = []
    for index, (kind, verdict) in enumerate(zip(kinds, verdicts)):
        own = verdict.checks
        if not own and not verdict.passed:
            # A part that failed without checks (a crash, no sandbox) still shows as one failed check.
            own = [Check(kind, False, verdict.detail)]
        checks += [Check(f"{index}:{c.name}" if names.count(c.name) > 1 else c.name, c.ok, c.detail) for c in own]
    passed = all(v.passed for v in verdicts)
    score = sum(c.ok for c in checks) / len(checks) if checks else float(passed)
    failing = [v for v in verdicts if not v.passed]
    unjudged = [v for v in failing if v.failure_mode is not None and not v.failure_mode.is_scored]
    crashed = [v for v in failing if v.failure_mode == FailureMode.VERIFIER_FAIL]
    mode = None if passed else (unjudged or crashed or failing)[0].failure_mode
    detail = "; ".join(f"{c.name}: {c.detail}" if c.detail else c.name for c in checks if not c.ok)
    artifacts = {str(i): v.artifacts for i, v in enumerate(verdicts) if v.artifacts}
    return Verdict(passed, score if not unjudged else 0.0, mode, detail, checks, artifacts)
