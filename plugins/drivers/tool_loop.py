"""Driver ``tool_loop``: multi-turn tool use against the pack's own deterministic tools.

The pack folder holds ``tools.py`` (or the file named by the scenario's
``extra.tools_module``), which defines ``TOOLS = {"name": function}``. Each
function is called as ``function(arguments: dict, state: dict)`` and returns a
JSON-serialisable result computed from the arguments, so a wrong argument leads
to a visibly wrong continuation. ``state`` starts as a copy of the scenario's
``extra.state`` and lives for one play of the scenario (memory, files, cron...).

The loop sends the conversation, runs every tool call the model makes, appends
the results as ``tool`` messages, and repeats until the model answers without a
tool call. More than ``extra.max_turns`` (default 8) model turns is
``agent_loop_exhausted``. Pack tools are trusted pack code; the model's output
only ever reaches them as data.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any, Callable

from benchlab.errors import BenchlabError
from benchlab.model import ChatResponse, FailureMode, Pack, Scenario, ToolCall

DEFAULT_MAX_TURNS = 8
MAX_RESULT_CHARS = 20_000

_MODULES: dict[Path, dict[str, Callable[..., Any]]] = {}


def load_tools(pack: Pack, scenario: Scenario) -> dict[str, Callable[..., Any]]:
    """The ``TOOLS`` mapping of the pack's tools module (loaded once per file)."""
    if pack.path is None:
        raise BenchlabError(f"pack {pack.id!r} has no folder, so no tools module for tool_loop")
    path = (pack.path / scenario.extra.get("tools_module", "tools.py")).resolve()
    if path not in _MODULES:
        if not path.is_file():
            raise BenchlabError(f"{pack.path}: scenario {scenario.id} uses tool_loop but {path.name} is missing")
        spec = importlib.util.spec_from_file_location(f"benchlab_pack_tools_{pack.id.replace('-', '_')}_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        tools = getattr(module, "TOOLS", None)
        if not isinstance(tools, dict):
            raise BenchlabError(f"{path}: defines no TOOLS dict mapping tool names to functions")
        _MODULES[path] = tools
    return _MODULES[path]


def run_tool(tools: dict[str, Callable[..., Any]], call: ToolCall, state: dict[str, Any]) -> Any:
    """One tool call's result; a bad call becomes an error the model can see."""
    function = tools.get(call.name)
    if function is None:
        return {"error": f"unknown tool {call.name!r}; available: {', '.join(sorted(tools))}"}
    if not isinstance(call.arguments, dict):
        return {"error": "arguments must be a JSON object"}
    try:
        return function(call.arguments, state)
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def assistant_message(response: ChatResponse) -> dict[str, Any]:
    calls = [
        {
            "id": call.id or f"call_{n}",
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_raw or json.dumps(call.arguments)},
        }
        for n, call in enumerate(response.tool_calls)
    ]
    return {"role": "assistant", "content": response.content or "", "tool_calls": calls}


def tool_message(call: ToolCall, index: int, result: Any) -> dict[str, Any]:
    text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)
    return {"role": "tool", "tool_call_id": call.id or f"call_{index}", "name": call.name, "content": text[:MAX_RESULT_CHARS]}


class ToolLoopDriver:
    """Plays a scenario as an agent loop with the pack's fake tools."""

    multi_turn = True  # the model answers several times (the negative control feeds every turn)

    async def play(self, scenario: Scenario, session: Any) -> ChatResponse:
        from benchlab.runner import ScenarioAborted

        tools = load_tools(session.item.pack, scenario)
        state: dict[str, Any] = copy.deepcopy(scenario.extra.get("state", {}))
        max_turns = int(scenario.extra.get("max_turns", DEFAULT_MAX_TURNS))
        messages = list(scenario.messages)
        for _ in range(max_turns):
            # A copy: the saved request must show what this turn sent, not the conversation after it.
            response = await session.send(session.request(list(messages)))
            if not response.tool_calls or response.finish_reason == "length":
                return response
            messages.append(assistant_message(response))
            for index, call in enumerate(response.tool_calls):
                messages.append(tool_message(call, index, run_tool(tools, call, state)))
        raise ScenarioAborted(
            FailureMode.AGENT_LOOP_EXHAUSTED, f"still calling tools after {max_turns} turns (extra.max_turns)"
        )


DRIVER = ToolLoopDriver()
