"""The verifier base class plugin authors subclass.

A verifier judges one answer deterministically. It declares its parameters (``params``,
a frozen attrs class; see ``benchlab.verifier_params``) so a pack is validated before any
request is sent, and it never trusts the answer: whatever the model wrote, ``verify``
returns a Verdict instead of raising.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import attrs

from benchlab.model import ChatResponse, Pack, Scenario, Turn, Verdict, VerifierSpec
from benchlab.reasoning import split_think
from benchlab.verifier_params import ParamError, structure_params

__all__ = ["ParamError", "Verifier", "VerifyContext", "answer_text", "verifier_arguments"]


@attrs.define
class VerifyContext:
    """What a verifier may look at besides the final response."""

    scenario: Scenario
    pack: Pack | None = None
    turns: list[Turn] = attrs.field(factory=list)
    sandbox: Any = None


_NUMBER_TYPES = (int, float)


class Verifier(abc.ABC):
    """Base class: declare ``params`` (a frozen attrs class), implement ``verify``.

    ``verify``, ``junk_that_is_correct`` and ``extra_junk`` receive an instance of
    ``params``, built by the pack loader from the scenario's ``verifier`` object.

    The older style, kept for verifiers written before it: no ``params``, but
    ``required`` and ``optional`` mapping a parameter name to a type or a tuple of types
    (``bool`` is never accepted where a number is expected), an optional ``validate``
    override, and the parameters handed to ``verify`` as the plain dict.
    """

    params: ClassVar[type | None] = None
    required: ClassVar[dict[str, Any]] = {}
    optional: ClassVar[dict[str, Any]] = {}
    needs_sandbox: ClassVar[bool] = False

    def parse_params(self, raw: dict[str, Any]) -> Any:
        """What ``verify`` receives for the scenario's parameters ``raw``: an instance of
        ``params``, or ``raw`` itself for a verifier of the older style. Raises ParamError
        (every problem, each with its field path)."""
        if self.params is not None:
            return structure_params(raw, self.params)
        self.validate(raw)
        return raw

    def validate(self, params: dict[str, Any]) -> None:
        """Raise ParamError for a missing, unknown or mistyped parameter."""
        if self.params is not None:
            structure_params(params, self.params)
            return
        for name, types in self.required.items():
            if name not in params:
                raise ParamError(name, "required")
            _check_type(name, params[name], types)
        for name, value in params.items():
            if name in self.required:
                continue
            if name not in self.optional:
                known = ", ".join(sorted({*self.required, *self.optional})) or "none"
                raise ParamError(name, f"unknown parameter (known: {known})")
            _check_type(name, value, self.optional[name])

    @abc.abstractmethod
    def verify(self, params: Any, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        """Judge ``response``. May be ``async``; must not raise on any model output."""

    def sandbox_needed(self, params: Any) -> bool:
        """Whether judging with ``params`` runs code in a sandbox: ``needs_sandbox`` unless a
        verifier's parameters decide it (a combination of verifiers needs one when a part does)."""
        return self.needs_sandbox

    def junk_that_is_correct(self, params: Any) -> tuple[str, ...]:
        """Negative-control junk kinds (``empty``, ``echo``, ``refusal``, ``plausible_json``,
        ``wrong_tool_call``, ``other_gold``) that are correct answers to this scenario by the
        task's own definition, e.g. any text where the task is to decline to act. The negative
        control does not feed them, and its record says how many it left out. Default: none."""
        return ()

    def extra_junk(self, params: Any) -> list[tuple[str, dict[str, Any]]]:
        """Junk only this verifier knows how to write, as ``(kind, recorded answer)``; the
        negative control feeds it besides the generic junk, and it must fail. Default: none."""
        return []


def _check_type(name: str, value: Any, types: Any) -> None:
    if not isinstance(types, tuple):
        types = (types,)
    if isinstance(value, bool) and bool not in types:
        raise ParamError(name, f"expected {_type_names(types)}, got a boolean")
    if not isinstance(value, types):
        raise ParamError(name, f"expected {_type_names(types)}, got {type(value).__name__}")


def _type_names(types: tuple[type, ...]) -> str:
    names = {int: "number", float: "number", str: "string", list: "list", dict: "object", bool: "boolean"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def verifier_arguments(verifier: Any, spec: VerifierSpec) -> Any:
    """What ``verifier`` receives for ``spec``: the params the pack loader parsed, or, for a
    scenario built in code, its parameters parsed now (a verifier without ``parse_params``,
    not derived from Verifier, gets the dict)."""
    if spec.parsed is not None:
        return spec.parsed
    parse = getattr(verifier, "parse_params", None)
    return parse(spec.params) if parse is not None else spec.params


def answer_text(response: ChatResponse) -> str:
    """The answer with any reasoning removed, stripped of surrounding whitespace."""
    return split_think(response.content or "")[0].strip()
