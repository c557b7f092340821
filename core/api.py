"""What a plugin author imports: the public, documented extension points, in one place.

Every name here keeps its meaning across releases; a plugin that imports only from
``benchlab.api`` (and ``benchlab.hookimpl``) never depends on a built-in plugin's
private module. Names are imported on first use (PEP 562), so importing this module
costs nothing and pulls in neither httpx nor a sandbox provider until asked.

Verifiers: ``Verifier``, ``VerifyContext``, ``Verdict``, ``Check``, ``FailureMode``,
``ParamError``, ``answer_text``; for typed params ``NOT_GIVEN``, ``given``, ``param_key``,
``register_tagged_union``, ``structure_params``, ``CountRange`` (``{"min", "max"}``) and the validators ``non_negative``,
``positive``, ``fraction``, ``between``, ``finite``, ``not_blank``, ``compiles``,
``json_value`` (see ``benchlab.verifier_params`` and ``benchlab.param_checks``).

Drivers and reporters: the ``Driver`` and ``Reporter`` protocols, ``Session`` and
``ScenarioAborted``.

Backends: ``Backend``, ``HttpBackend``, ``BackendOptions``, ``setting``,
``TransportError``, ``BenchlabError``, and the HTTP helpers the built-in backends share
(``base_url``, ``make_client``, ``probe``, ``json_or_none``, ``read_lines``,
``parse_json_body``, ``error_from_status``, ``error_from_exception``,
``retry_after_seconds``, ``probe_timeout``).

Sandboxes: ``Sandbox``, ``ExecRequest``, ``ExecResult``, ``Limits``, ``Availability``,
``FileEntry``, ``RunHandle``, ``SandboxFailure``, ``KilledReason``, ``SandboxSetupError``,
``program_command``.

The data model and hook arguments: ``Scenario``, ``Pack``, ``PackSource``, ``LoadOptions``,
``RunOption``, ``ChatRequest``, ``ChatResponse``, ``ToolCall``, ``Usage``, ``Turn``,
``ScenarioResult``, ``ResultSummary`` (what ``RunRecord.results`` holds), ``RunRecord``,
``RunContext``, ``PackError``; ``unstructure`` turns a record into plain JSON-ready data;
``JournalReader`` reads a result's raw exchange back from its run folder's journal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES: dict[str, tuple[str, ...]] = {
    "benchlab.verifiers": ("Verifier", "VerifyContext", "answer_text"),
    "benchlab.verifier_params": (
        "ParamError", "NOT_GIVEN", "given", "param_key", "register_tagged_union", "structure_params",
    ),
    "benchlab.param_checks": (
        "CountRange", "non_negative", "positive", "fraction", "between", "finite", "not_blank", "compiles", "json_value",
    ),
    "benchlab.model": (
        "Verdict", "Check", "FailureMode", "Scenario", "Pack", "PackSource", "LoadOptions", "RunOption",
        "ChatRequest", "ChatResponse", "ToolCall", "Usage", "Turn", "ScenarioResult", "ResultSummary", "RunRecord",
    ),
    "benchlab.journal": ("JournalReader",),
    "benchlab.protocols": ("Driver", "Reporter"),
    "benchlab.runner": ("Session", "ScenarioAborted"),
    "benchlab.run": ("RunContext",),
    "benchlab.backends": ("Backend", "HttpBackend", "BackendOptions", "setting"),
    "benchlab.errors": ("BenchlabError", "TransportError", "PackError"),
    "benchlab.http": (
        "base_url", "make_client", "probe", "json_or_none", "read_lines", "parse_json_body", "error_from_status",
        "error_from_exception", "retry_after_seconds", "probe_timeout",
    ),
    "benchlab.sandbox": (
        "Sandbox", "ExecRequest", "ExecResult", "Limits", "Availability", "FileEntry", "RunHandle", "SandboxFailure",
        "KilledReason", "SandboxSetupError",
    ),
    "benchlab.sandbox_programs": ("program_command",),
    "benchlab.codec": ("unstructure",),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'benchlab.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what type checkers and IDEs see
    from benchlab.backends import Backend, BackendOptions, HttpBackend, setting
    from benchlab.codec import unstructure
    from benchlab.errors import BenchlabError, PackError, TransportError
    from benchlab.http import (
        base_url, error_from_exception, error_from_status, json_or_none, make_client, parse_json_body, probe,
        probe_timeout, read_lines, retry_after_seconds,
    )
    from benchlab.model import (
        ChatRequest, ChatResponse, Check, FailureMode, LoadOptions, Pack, PackSource, ResultSummary, RunOption, RunRecord,
        Scenario, ScenarioResult, ToolCall, Turn, Usage, Verdict,
    )
    from benchlab.journal import JournalReader
    from benchlab.protocols import Driver, Reporter
    from benchlab.run import RunContext
    from benchlab.runner import ScenarioAborted, Session
    from benchlab.sandbox import (
        Availability, ExecRequest, ExecResult, FileEntry, KilledReason, Limits, RunHandle, Sandbox, SandboxFailure,
        SandboxSetupError,
    )
    from benchlab.sandbox_programs import program_command
    from benchlab.verifier_params import NOT_GIVEN, ParamError, given, param_key, register_tagged_union, structure_params
    from benchlab.param_checks import CountRange, between, compiles, finite, fraction, json_value, non_negative, not_blank, positive
    from benchlab.verifiers import Verifier, VerifyContext, answer_text
