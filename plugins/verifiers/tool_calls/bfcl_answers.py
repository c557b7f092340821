"""Answers built from BFCL's possible answers: the packs' proofs, and the agreement corpus.

A gold call takes, for each parameter, the first of its possible values (the optional
mark ``""`` first means the parameter is left out, unless the function doc requires it;
a parameter the doc does not declare is left out too). Dict values are built the same way key by key, lists of dicts item
by item. An answer is rendered for either mode: OpenAI-format tool calls with the
names as benchlab sends them (``fc``), or Python call syntax (``prompt``).

A few entries of BFCL's data cannot be passed by any answer (a possible answer requires a
parameter the function doc does not declare, or lists no value for a required one):
``gold_calls`` returns None or a gold that fails, and ``proof_cases`` none.
"""

from __future__ import annotations

import json
from typing import Any

from benchlab.plugins.verifiers.tool_calls.bfcl_checker import OPTIONAL, check_calls, find_doc, route, standardize

Call = tuple[str, dict[str, Any]]


def sent_name(name: str) -> str:
    """A function name as the tools API accepts it: ``^[a-zA-Z0-9_-]{1,64}$`` (dots replaced)."""
    return name.replace(".", "_")


def _first(options: list[Any]) -> Any:
    return options[0] if options else OPTIONAL


def _gold_value(spec: dict[str, Any], option: Any) -> Any:
    declared = spec.get("type")
    item_type = (spec.get("items") or {}).get("type")
    if declared == "dict" and isinstance(option, dict):
        return _gold_dict(option)
    if declared == "array" and item_type == "dict" and isinstance(option, list):
        return [_gold_dict(item) if isinstance(item, dict) else item for item in option]
    return option


def _gold_dict(option: dict[str, Any]) -> dict[str, Any]:
    return {key: _first(values) for key, values in option.items() if isinstance(values, list) and _first(values) != OPTIONAL}


def gold_call(functions: list[dict[str, Any]], expected: dict[str, Any]) -> Call | None:
    """The gold call for one expected ``{name: {param: options}}``; None when none can pass."""
    name, possible = next(iter(expected.items()))
    doc = find_doc(functions, name)
    if doc is None:
        return None
    properties = (doc.get("parameters") or {}).get("properties") or {}
    required = (doc.get("parameters") or {}).get("required") or []
    arguments: dict[str, Any] = {}
    for param, options in possible.items():
        if param not in properties:
            if OPTIONAL not in options:
                return None  # required by the possible answer, unknown to the doc: no answer passes
            continue
        # The optional mark first means "leave it out", unless the doc requires the parameter
        # (then the first real value, or an empty string: "" is also a string's possible value).
        given = ([o for o in options if o != OPTIONAL] or options[:1]) if param in required else options[:1]
        if given and (given[0] != OPTIONAL or param in required):
            arguments[param] = _gold_value(properties[param], given[0])
    return name, arguments


def gold_calls(functions: list[dict[str, Any]], ground_truth: list[dict[str, Any]]) -> list[Call] | None:
    calls = [gold_call(functions, expected) for expected in ground_truth]
    return None if any(c is None for c in calls) else calls  # type: ignore[return-value]


_SAMPLES: dict[str, Any] = {"integer": 1, "float": 1.0, "boolean": True, "array": [], "tuple": [], "dict": {}}


def placeholder_value(spec: Any) -> Any:
    """A value of the type a BFCL parameter description declares (``"example"`` for strings and the rest)."""
    return _SAMPLES.get(spec.get("type") if isinstance(spec, dict) else None, "example")


def placeholder_call(doc: dict[str, Any]) -> Call:
    """A call giving every required parameter a value of its type (relevance answers, junk)."""
    parameters = doc.get("parameters") or {}
    properties = parameters.get("properties") or {}
    return doc["name"], {p: placeholder_value(properties.get(p)) for p in parameters.get("required", [])}


# No BFCL entry accepts these (a boolean gets a string: some accept null or a variable name).
_UNLIKELY: dict[str, Any] = {"integer": -987654, "float": -9876.5, "array": ["zz-unlikely"], "tuple": [-987654],
                             "dict": {"zz_unlikely": -987654}}


def unlikely_call(doc: dict[str, Any]) -> Call:
    """A call giving every parameter of the doc a value of its type that no question asks for (junk)."""
    properties = (doc.get("parameters") or {}).get("properties") or {}
    return doc["name"], {p: _UNLIKELY.get((spec or {}).get("type"), "zz-unlikely value") for p, spec in properties.items()}


def as_tool_calls(calls: list[Call], *, dotted: bool = False, indent: int | None = None, reverse_keys: bool = False) -> list[dict[str, Any]]:
    """OpenAI-format tool calls; names as sent unless ``dotted`` (BFCL's own spelling)."""
    rendered = []
    for index, (name, arguments) in enumerate(calls):
        items = list(arguments.items())
        text = json.dumps(dict(reversed(items)) if reverse_keys else arguments, indent=indent, ensure_ascii=False)
        if indent is not None and text == "{}":
            text = "{ }"  # still another spelling of the same (empty) arguments
        rendered.append({"id": f"call_{index + 1}", "type": "function",
                         "function": {"name": name if dotted else sent_name(name), "arguments": text}})
    return rendered


def as_python(calls: list[Call], *, brackets: bool = True) -> str:
    """Python call syntax: ``[f(a=1), g(b='x')]``."""
    inner = ", ".join(f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})" for name, arguments in calls)
    return f"[{inner}]" if brackets else inner


def render(calls: list[Call], mode: str) -> dict[str, Any]:
    """A recorded answer (``content`` / ``tool_calls``) making ``calls`` in ``mode``."""
    if mode == "fc":
        return {"content": "", "tool_calls": as_tool_calls(calls)}
    return {"content": as_python(calls)}


def wrong_value(value: Any, options: list[Any]) -> Any:
    """A value of the same kind as ``value`` that none of ``options`` accepts (None if none found)."""
    normalised = [standardize(o) if isinstance(o, str) else o for o in options]
    if isinstance(value, bool):
        candidate: Any = not value
        return candidate if candidate not in options else None
    if isinstance(value, (int, float)):
        candidate = value + 1
        while candidate in options:
            candidate += 1
        return candidate
    if isinstance(value, str):
        candidate = value + " qz"
        return candidate if standardize(candidate) not in normalised else None
    return None


def near_miss_calls(calls: list[Call], ground_truth: list[dict[str, Any]]) -> tuple[list[Call], str] | None:
    """The gold calls with one scalar argument made wrong, and which; None when no argument can be."""
    for index, (name, arguments) in enumerate(calls):
        possible = next(iter(ground_truth[index].values()))
        for param, value in arguments.items():
            wrong = wrong_value(value, possible.get(param, []))
            if wrong is not None:
                changed = list(calls)
                changed[index] = (name, {**arguments, param: wrong})
                return changed, f"{name}: {param}={wrong!r} where the possible answers are {possible.get(param)!r}"
    return None


def failing_check(category: str, functions: list[dict[str, Any]], calls: list[Call], ground_truth: list[dict[str, Any]]) -> str | None:
    """The first check a well-formed answer making ``calls`` fails (None when it passes)."""
    problems = check_calls(category, functions, calls, ground_truth)
    return problems[0].check if problems else None


def proof_cases(entry_id: str, category: str, mode: str, functions: list[dict[str, Any]],
                ground_truth: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Gold, alternative and near-miss answers for one entry (none for an entry no answer passes)."""
    from benchlab.packs.bfcl import data as bfcl_data

    def case(kind: str, answer: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"scenario": entry_id, "kind": kind, **answer, **extra}

    first_call = placeholder_call(functions[0]) if functions else ("no_function", {})
    if bfcl_data.is_irrelevance(category):
        return [
            case("gold", {"content": "None of the available functions can do this, so I will not call any."}),
            case("alternative", {"content": "[]"} if mode == "prompt" else {"content": "I can't help with that using these tools."}),
            case("near_miss", render([first_call], mode), fails_check="no_call",
                 why="calls a function although none fits the request"),
        ]
    if bfcl_data.is_relevance(category):
        other = placeholder_call(functions[-1]) if len(functions) > 1 else (first_call[0], {})
        return [
            case("gold", render([first_call], mode)),
            case("alternative", render([other], mode)),
            case("near_miss", {"content": "I would need more details before calling anything."}, fails_check="call",
                 why="answers in text where a function call is expected"),
        ]
    assert ground_truth is not None
    calls = gold_calls(functions, ground_truth)
    if calls is None or failing_check(category, functions, calls, ground_truth) is not None:
        return []  # BFCL's data admits no correct answer here (see docs/verifiers-bfcl.md)
    # The other order of parallel calls, unless BFCL's greedy matching would then fail it.
    reordered = list(reversed(calls))
    reorder = reordered != calls and route(category) == "parallel" and failing_check(category, functions, reordered, ground_truth) is None
    cases = [case("gold", render(calls, mode)), case("alternative", _alternative(calls, mode, reorder))]
    missed = near_miss_calls(calls, ground_truth)
    if missed is not None:
        wrong, why = missed
        check = failing_check(category, functions, wrong, ground_truth)
        if check is not None:
            return cases + [case("near_miss", render(wrong, mode), fails_check=check, why=f"a wrong value: {why}")]
    renamed = [(calls[0][0] + "_unknown", calls[0][1])] + calls[1:]
    check = failing_check(category, functions, renamed, ground_truth) or "calls[0].name"
    return cases + [case("near_miss", render(renamed, mode), fails_check=check, why="calls a function that is not offered")]


def _alternative(calls: list[Call], mode: str, reordered: bool) -> dict[str, Any]:
    """Another correct form: BFCL's dotted names, the calls in the other order, or other formatting."""
    if mode == "fc":
        if any("." in name for name, _ in calls):
            return {"content": "", "tool_calls": as_tool_calls(calls, dotted=True)}
        if reordered:
            return {"content": "", "tool_calls": as_tool_calls(list(reversed(calls)))}
        return {"content": "", "tool_calls": as_tool_calls(calls, indent=2, reverse_keys=True)}
    if reordered:
        return {"content": as_python(list(reversed(calls)))}
    return {"content": f"```\n{as_python(calls, brackets=False)}\n```"}
