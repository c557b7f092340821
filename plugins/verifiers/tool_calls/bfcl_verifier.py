"""Verifier ``bfcl``: an answer judged as BFCL's official checker judges it.

Params::

    {"kind": "bfcl", "category": "simple_python", "mode": "fc",
     "functions": [BFCL function docs], "ground_truth": [BFCL possible answers],
     "names": {"math_factorial": "math.factorial"}}

``category`` is one of BFCL's category names (``benchlab.packs.bfcl.data.CATEGORIES``);
it routes the answer as BFCL does. ``mode`` says how the model was asked: ``fc`` (tool
calls) or ``prompt`` (Python call syntax in the text); see ``bfcl_decode``. ``functions``
and ``ground_truth`` are the entry's docs and possible answers as BFCL ships them
(``ground_truth`` only for categories that have possible answers). ``names`` (fc only)
maps a tool name as sent (dots replaced by underscores, which OpenAI-style APIs
require) back to BFCL's name; a call spelled as BFCL's docs spell it is judged under
that name too.

Checks: ``decoded`` (the answer decodes into function calls), ``call_count``, then
``calls[i].name`` and ``calls[i].arguments.PARAM`` for single-call categories or
``calls[i]`` (a matching call was found) for parallel ones, and ``calls`` when every
expected call matched. Irrelevance categories have one check, ``no_call`` (the answer
does not decode into any call: text, an empty list, or anything undecodable, as in
BFCL); ``live_relevance`` has ``call`` (it decodes into at least one call, whatever
the function or arguments, as in BFCL).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.packs.bfcl import data as bfcl_data
from benchlab.plugins.verifiers.tool_calls.bfcl_answers import as_python, unlikely_call
from benchlab.plugins.verifiers.tool_calls.bfcl_checker import check_calls
from benchlab.plugins.verifiers.tool_calls.bfcl_decode import Decoded, answer_content, decode_fc, decode_prompt
from benchlab.verifier_params import ParamError
from benchlab.verifiers import Verifier, VerifyContext

# Junk the negative control feeds that the task itself calls right: declining to call
# (any text) where no function fits, and any call at all where BFCL asks only for one.
_TEXT_JUNK = ("empty", "echo", "refusal", "plausible_json", "other_gold")
_CALL_JUNK = ("wrong_tool_call", "other_gold")


def _known_category(_: Any, attribute: attrs.Attribute, category: str) -> None:
    if category not in bfcl_data.CATEGORIES:
        raise ParamError(attribute.name, f"one of {', '.join(bfcl_data.CATEGORIES)}")


def _function_docs(_: Any, attribute: attrs.Attribute, docs: list[dict[str, Any]]) -> None:
    for index, doc in enumerate(docs):
        if not isinstance(doc.get("name"), str) or not isinstance(doc.get("parameters"), dict):
            raise ParamError(f"{attribute.name}[{index}]", "a BFCL function doc: an object with 'name' and 'parameters'")


@attrs.frozen
class BfclParams:
    category: str = attrs.field(validator=_known_category)
    mode: Literal["fc", "prompt"]
    functions: list[dict[str, Any]] = attrs.field(validator=_function_docs)
    ground_truth: list[dict[str, Any]] | None = None
    names: dict[str, str] | None = None

    def __attrs_post_init__(self) -> None:
        if bfcl_data.has_possible_answers(self.category):
            if not self.ground_truth or not all(len(t) == 1 for t in self.ground_truth):
                raise ParamError("ground_truth", "a non-empty list of {function: {param: [possible values]}} objects")
        elif self.ground_truth is not None:
            raise ParamError("ground_truth", f"the {self.category} category has no possible answers")
        if self.names is not None and self.mode != "fc":
            raise ParamError("names", "only fc mode renames functions")


class BfclVerifier(Verifier):
    """Decode the answer the way its mode asks, then apply BFCL's rule for the category."""

    params = BfclParams

    def verify(self, params: BfclParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        decoded = decode(params, response)
        category = params.category
        if bfcl_data.is_irrelevance(category):
            calls = ", ".join(repr(name) for name, _ in decoded.calls or [])
            check = Check("no_call", not decoded.has_calls, "" if not decoded.has_calls else f"called {calls}; no function fits here")
            return Verdict.from_checks([check], FailureMode.WRONG_ANSWER)
        if bfcl_data.is_relevance(category):
            check = Check("call", decoded.has_calls, "" if decoded.has_calls else f"no function call: {_why_no_calls(decoded)}")
            return Verdict.from_checks([check], FailureMode.WRONG_ANSWER)
        if not decoded.well_formed:
            mode = FailureMode.INVALID_JSON if decoded.bad_json else FailureMode.WRONG_ANSWER
            return Verdict.from_checks([Check("decoded", False, _why_no_calls(decoded))], mode)
        problems = check_calls(category, params.functions, decoded.calls or [], params.ground_truth or [])
        checks = [Check("decoded", True)]
        if any(p.check == "call_count" for p in problems):
            return Verdict.from_checks(checks + [Check("call_count", False, problems[0].detail)], FailureMode.WRONG_ANSWER)
        checks.append(Check("call_count", True))
        merged: dict[str, list[str]] = {}
        for problem in problems:
            merged.setdefault(problem.check, []).append(problem.detail)
        checks += [Check(name, False, "; ".join(details)) for name, details in merged.items()]
        if not problems:
            checks.append(Check("calls", True, f"{len(decoded.calls or [])} call(s) match"))
        only_missing = bool(problems) and all(p.missing for p in problems)
        return Verdict.from_checks(checks, FailureMode.MISSING_FIELD if only_missing else FailureMode.WRONG_ANSWER)

    def junk_that_is_correct(self, params: BfclParams) -> tuple[str, ...]:
        """The negative control's junk kinds that BFCL's rule for the category calls right:
        any text where no function fits, any call where BFCL asks only for one, and any call
        of the first function when that is the expected call and it takes no parameters
        (a function without parameters has only one call)."""
        if bfcl_data.is_irrelevance(params.category):
            return _TEXT_JUNK
        if bfcl_data.is_relevance(params.category):
            return _CALL_JUNK
        functions, truth = params.functions, params.ground_truth or []
        if functions and len(truth) == 1 and next(iter(truth[0])) == functions[0]["name"]:
            if not (functions[0].get("parameters") or {}).get("properties"):
                return ("wrong_tool_call", "wrong_call_text")
        return ()

    def extra_junk(self, params: BfclParams) -> list[tuple[str, dict[str, Any]]]:
        """Junk only this verifier knows to write: a plausible call in Python syntax in prompt
        mode (the generic ``wrong_tool_call`` exists only for tools), and a call where no
        function fits (an irrelevance entry may offer no tools at all). None for relevance,
        where any call is right."""
        category, functions = params.category, params.functions
        if bfcl_data.is_relevance(category):
            return []
        junk = []
        if params.mode == "prompt" and functions:
            junk.append(("wrong_call_text", {"content": as_python([unlikely_call(functions[0])])}))
        if bfcl_data.is_irrelevance(category):
            if params.mode == "fc":
                call = {"id": "junk", "type": "function", "function": {"name": "lookup", "arguments": '{"query": "anything"}'}}
                junk.append(("invented_call", {"content": "", "tool_calls": [call]}))
            else:
                junk.append(("invented_call", {"content": '[lookup(query="anything")]'}))
        return junk


def decode(params: BfclParams, response: ChatResponse) -> Decoded:
    """The answer's calls, with tool names as sent mapped back to BFCL's names (fc)."""
    if params.mode == "prompt":
        return decode_prompt(answer_content(response))
    decoded = decode_fc(response)
    names = params.names or {}
    if decoded.calls is None or not names:
        return decoded
    return Decoded([(names.get(name, name), arguments) for name, arguments in decoded.calls])


def _why_no_calls(decoded: Decoded) -> str:
    if decoded.calls == []:
        return "no call was made"
    return decoded.format_problem() or "no call was made"
