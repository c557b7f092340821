"""Shared by the code_exec, bugfind and humaneval tests: the best real sandbox, and judging helpers.

The sandbox is the one a run would get (``choose_sandbox``: Docker when its engine
answers, else bubblewrap), prepared once per test session. With none here the tests
that need it skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from benchlab.model import ChatResponse, Scenario, Verdict, VerifierSpec
from benchlab.plugin_manager import Plugins, load_plugins
from benchlab.verifiers import VerifyContext
from conftest import require_or_skip


@functools.cache
def plugins() -> Plugins:
    return load_plugins([])


@functools.cache
def _best_sandbox() -> tuple[Any, str]:
    from benchlab.sandbox import SandboxSetupError
    from benchlab.sandbox_selection import choose_sandbox

    choice = choose_sandbox(plugins().sandboxes, max_concurrency=4)
    if choice.provider is None:
        return None, choice.reason
    try:
        choice.provider.prepare()
    except SandboxSetupError as exc:
        return None, f"sandbox {choice.provider.name} could not be prepared: {exc}"
    return choice.provider, ""


def best_sandbox() -> Any:
    """The prepared provider a run would choose; skip (fail under CI) when none can run."""
    provider, why = _best_sandbox()
    if provider is None:
        require_or_skip(why)
    return provider


@functools.cache
def _fast_sandbox() -> Any:
    from benchlab.sandbox import SandboxSetupError

    provider = plugins().sandboxes.get("bwrap")(max_concurrency=6)
    if not (provider.available().ok and provider.image_ready()):
        return None
    try:
        provider.prepare()
    except SandboxSetupError:
        return None
    return provider


def fast_sandbox() -> Any:
    """For hundreds of runs: bubblewrap when it is ready here (about 4x Docker's rate), else the run's choice."""
    return _fast_sandbox() or best_sandbox()


def scenario_for(params: dict[str, Any], scenario_id: str = "T-01") -> Scenario:
    return Scenario(id=scenario_id, messages=[{"role": "user", "content": "write it"}], verifier=VerifierSpec("code_exec", params))


def verify(params: dict[str, Any], content: str, sandbox: Any) -> Verdict:
    """Validate ``params`` and judge ``content`` with the real code_exec verifier."""
    from benchlab.plugins.verifiers.code.code_exec import CodeExecVerifier

    verifier = CodeExecVerifier()
    verifier.validate(params)
    ctx = VerifyContext(scenario=scenario_for(params), sandbox=sandbox)
    return asyncio.run(verifier.verify(verifier.parse_params(params), ChatResponse(content=content, finish_reason="stop"), ctx))


async def verify_many(cases: list[tuple[dict[str, Any], str]], sandbox: Any) -> list[Verdict]:
    """Judge many answers at once (the sandbox runs up to its max_concurrency together)."""
    from benchlab.plugins.verifiers.code.code_exec import CodeExecVerifier

    verifier = CodeExecVerifier()

    async def one(params: dict[str, Any], content: str) -> Verdict:
        ctx = VerifyContext(scenario=scenario_for(params), sandbox=sandbox)
        return await verifier.verify(verifier.parse_params(params), ChatResponse(content=content, finish_reason="stop"), ctx)

    return list(await asyncio.gather(*(one(p, c) for p, c in cases)))
