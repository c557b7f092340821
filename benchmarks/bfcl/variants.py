"""Candidate answers for one BFCL entry: correct ones, other correct forms, systematic wrong ones.

Every candidate is a recorded answer (``content``, OpenAI-format ``tool_calls``) with a
variant name and, for tool calls, which spelling its function names use (``sent``: dots
replaced by underscores, as benchlab sends them; ``docs``: BFCL's own names). Whether
a variant is right is never decided here: BFCL's checker judges every candidate.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Iterator

from benchlab.packs.bfcl import data as bfcl_data
from benchlab.plugins.verifiers.tool_calls.bfcl_answers import (
    Call, as_python, as_tool_calls, gold_calls, placeholder_call, placeholder_value, sent_name, wrong_value,
)
from benchlab.plugins.verifiers.tool_calls.bfcl_checker import OPTIONAL

Candidate = dict[str, Any]  # {"variant", "answer": {"content", "tool_calls"}, "spelling"}

PROSE = "I can help with that. Let me know if you need anything else."
REFUSAL = "None of the functions you gave me fits this request, so I will not call any of them."


def _fc(variant: str, calls: list[Call], spelling: str = "sent", **render: Any) -> Candidate:
    return {"variant": variant, "answer": {"content": "", "tool_calls": as_tool_calls(calls, dotted=spelling == "docs", **render)},
            "spelling": spelling}


def _raw_fc(variant: str, name: str, arguments: str) -> Candidate:
    call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
    return {"variant": variant, "answer": {"content": "", "tool_calls": [call]}, "spelling": "sent"}


def _text(variant: str, content: str) -> Candidate:
    return {"variant": variant, "answer": {"content": content}, "spelling": "sent"}


def _calls(variant: str, calls: list[Call], mode: str) -> Candidate:
    return _fc(variant, calls) if mode == "fc" else _text(variant, as_python(calls))


def candidates(category: str, mode: str, entry: dict[str, Any], ground_truth: list[dict[str, Any]] | None) -> list[Candidate]:
    """Every candidate for the entry in ``mode``, each variant name once."""
    found: list[Candidate] = []
    seen: set[str] = set()
    for candidate in _all(category, mode, entry, ground_truth):
        if candidate["variant"] not in seen:
            seen.add(candidate["variant"])
            found.append(candidate)
    return found


def _all(category: str, mode: str, entry: dict[str, Any], truth: list[dict[str, Any]] | None) -> Iterator[Candidate]:
    functions = entry["function"]
    first = placeholder_call(functions[0]) if functions else ("lookup", {"query": "anything"})
    yield from _shared(mode, functions, first)
    if truth is None or not bfcl_data.has_possible_answers(category):
        yield _calls("call_placeholder_args", [first], mode)
        yield _calls("call_no_args", [(first[0], {})], mode)
        yield _calls("call_unknown_function", [("not_a_listed_function", {"x": 1})], mode)
        if functions:
            yield _calls("call_every_function", [placeholder_call(f) for f in functions], mode)
        return
    gold = gold_calls(functions, truth)
    if gold is None:
        gold = [_closest_call(functions, expected) for expected in truth]
        yield _calls("gold_unpassable", gold, mode)
    yield _calls("gold", gold, mode)
    yield from _argument_variants(mode, functions, truth, gold)
    yield from _call_variants(mode, functions, gold)
    yield from (_fc_forms(gold) if mode == "fc" else _prompt_forms(gold))


def _closest_call(functions: list[dict[str, Any]], expected: dict[str, Any]) -> Call:
    name, possible = next(iter(expected.items()))
    return name, {p: o[0] for p, o in possible.items() if o and o[0] != OPTIONAL}


def _shared(mode: str, functions: list[dict[str, Any]], first: Call) -> Iterator[Candidate]:
    yield _text("text_answer", PROSE)
    yield _text("refusal", REFUSAL)
    yield _text("empty_answer", "")
    yield _text("whitespace_answer", "  \n")
    if mode == "fc":
        yield _raw_fc("args_invalid_json", sent_name(first[0]), '{"' + next(iter(first[1]), "x") + '": ')
        yield _raw_fc("args_json_array", sent_name(first[0]), "[]")
        yield _raw_fc("args_json_null", sent_name(first[0]), "null")
        yield _raw_fc("args_empty_string", sent_name(first[0]), "")
    else:
        yield _text("empty_list", "[]")
        yield _text("list_of_empty_dict", "[{}]")
        yield _text("none_literal", "None")
        yield _text("bare_name", first[0])
        yield _text("prose_with_call", f"I will call {as_python([first], brackets=False)} for you.")
        yield _text("positional_args", f"[{first[0]}(1, 'x')]")
        yield _text("json_calls", json.dumps([{first[0]: first[1]}]))
        yield _text("markdown_python_fence", f"```python\n{as_python([first])}\n```")


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _with(gold: list[Call], index: int, arguments: dict[str, Any]) -> list[Call]:
    changed = list(gold)
    changed[index] = (gold[index][0], arguments)
    return changed


def _argument_variants(mode: str, functions: list[dict[str, Any]], truth: list[dict[str, Any]], gold: list[Call]) -> Iterator[Candidate]:
    """One candidate per kind of argument change, on the first argument where it applies."""
    for index, (name, arguments) in enumerate(gold):
        doc = next((f for f in functions if f["name"] == name), {})
        properties = (doc.get("parameters") or {}).get("properties") or {}
        required = (doc.get("parameters") or {}).get("required") or []
        possible = next(iter(truth[index].values()))
        for param, value in arguments.items():
            options = possible.get(param, [])
            declared = (properties.get(param) or {}).get("type")
            others = [o for o in options if o != OPTIONAL and o != value]
            if others:
                yield _calls("alt_other_possible_value", _with(gold, index, {**arguments, param: others[0]}), mode)
            if OPTIONAL in options:
                yield _calls("alt_optional_left_out", _with(gold, index, {k: v for k, v in arguments.items() if k != param}), mode)
            if isinstance(value, str) and value:
                yield _calls("case_upper", _with(gold, index, {**arguments, param: value.upper()}), mode)
                yield _calls("case_title", _with(gold, index, {**arguments, param: value.title()}), mode)
                yield _calls("punctuation_changed", _with(gold, index, {**arguments, param: value.replace(" ", "-") + "."}), mode)
                yield _calls("quote_swapped", _with(gold, index, {**arguments, param: value.replace('"', "'") + "'"}), mode)
                yield _calls("string_whitespace_padded", _with(gold, index, {**arguments, param: f"  {value} "}), mode)
                number = _number(value)
                if number is not None:
                    yield _calls("type_number_for_numeric_string", _with(gold, index, {**arguments, param: number}), mode)
            if isinstance(value, float) and value.is_integer():
                yield _calls("int_for_float", _with(gold, index, {**arguments, param: int(value)}), mode)
            if isinstance(value, int) and not isinstance(value, bool):
                yield _calls("type_float_for_int", _with(gold, index, {**arguments, param: float(value)}), mode)
                yield _calls("type_bool_for_int", _with(gold, index, {**arguments, param: bool(value)}), mode)
            if _scalar(value):
                yield _calls("type_string_for_value" if not isinstance(value, str) else "type_list_for_string",
                             _with(gold, index, {**arguments, param: str(value) if not isinstance(value, str) else [value]}), mode)
                yield _calls("type_null", _with(gold, index, {**arguments, param: None}), mode)
            if isinstance(value, bool):
                yield _calls("type_int_for_bool", _with(gold, index, {**arguments, param: int(value)}), mode)
                yield _calls("type_string_for_bool", _with(gold, index, {**arguments, param: str(value).lower()}), mode)
            wrong = wrong_value(value, options)
            if wrong is not None:
                yield _calls("wrong_value", _with(gold, index, {**arguments, param: wrong}), mode)
            if isinstance(value, list):
                yield from _list_variants(mode, gold, index, arguments, param, value)
            if isinstance(value, dict):
                yield from _dict_variants(mode, gold, index, arguments, param, value, options)
            if param in required:
                yield _calls("missing_required", _with(gold, index, {k: v for k, v in arguments.items() if k != param}), mode)
            elif OPTIONAL not in options:
                yield _calls("missing_expected_optional", _with(gold, index, {k: v for k, v in arguments.items() if k != param}), mode)
            renamed = param.upper() if param.upper() != param else param.capitalize() + "X"
            yield _calls("param_name_case", _with(gold, index, {renamed if k == param else k: v for k, v in arguments.items()}), mode)
            if declared == "float" and isinstance(value, float):
                yield _calls("float_as_string", _with(gold, index, {**arguments, param: repr(value)}), mode)
        for param, options in possible.items():
            given = [o for o in options if o != OPTIONAL]
            if param not in arguments and given:
                yield _calls("alt_optional_given", _with(gold, index, {**arguments, param: given[0]}), mode)
            if param not in arguments and not given and param in properties:
                yield _calls("optional_given_unlisted_value", _with(gold, index, {**arguments, param: placeholder_value(properties[param])}), mode)
        unlisted = [p for p in properties if p not in possible and p not in arguments]
        if unlisted:
            yield _calls("unexpected_doc_param", _with(gold, index, {**arguments, unlisted[0]: placeholder_value(properties[unlisted[0]])}), mode)
        yield _calls("unexpected_invented_param", _with(gold, index, {**arguments, "extra_flag_zz": True}), mode)
        yield _calls("no_arguments", _with(gold, index, {}), mode)


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text) if text.strip().lower() not in ("nan", "inf", "-inf", "infinity", "-infinity") else None
        except ValueError:
            return None


def _list_variants(mode: str, gold: list[Call], index: int, arguments: dict[str, Any], param: str, value: list[Any]) -> Iterator[Candidate]:
    if len(value) > 1 and list(reversed(value)) != value:
        yield _calls("list_reordered", _with(gold, index, {**arguments, param: list(reversed(value))}), mode)
    if value:
        yield _calls("list_item_dropped", _with(gold, index, {**arguments, param: value[:-1]}), mode)
        yield _calls("list_item_repeated", _with(gold, index, {**arguments, param: value + value[-1:]}), mode)
        if all(isinstance(v, str) for v in value):
            yield _calls("list_strings_upper", _with(gold, index, {**arguments, param: [v.upper() for v in value]}), mode)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            yield _calls("list_ints_as_floats", _with(gold, index, {**arguments, param: [float(v) for v in value]}), mode)
        if all(isinstance(v, float) and v.is_integer() for v in value):
            yield _calls("list_floats_as_ints", _with(gold, index, {**arguments, param: [int(v) for v in value]}), mode)
        if all(isinstance(v, dict) for v in value):
            first = copy.deepcopy(value)
            key = next(iter(first[0]), None)
            if key is not None and isinstance(first[0][key], str):
                first[0][key] = first[0][key].upper()
                yield _calls("list_dict_string_upper", _with(gold, index, {**arguments, param: first}), mode)
    else:
        yield _calls("list_empty_given_item", _with(gold, index, {**arguments, param: ["x"]}), mode)
    yield _calls("type_string_for_list", _with(gold, index, {**arguments, param: json.dumps(value)}), mode)
    if mode == "prompt":
        yield _text("tuple_for_list", as_python(_with(gold, index, {**arguments, param: tuple(value)})))


def _dict_variants(mode: str, gold: list[Call], index: int, arguments: dict[str, Any], param: str, value: dict[str, Any],
                   options: list[Any]) -> Iterator[Candidate]:
    keys = list(value)
    if keys:
        key = keys[0]
        if isinstance(value[key], str):
            yield _calls("dict_value_case", _with(gold, index, {**arguments, param: {**value, key: value[key].upper()}}), mode)
        yield _calls("dict_key_dropped", _with(gold, index, {**arguments, param: {k: v for k, v in value.items() if k != key}}), mode)
        yield _calls("dict_key_renamed", _with(gold, index, {**arguments, param: {(k + "_x" if k == key else k): v for k, v in value.items()}}), mode)
    yield _calls("dict_extra_key", _with(gold, index, {**arguments, param: {**value, "extra_key_zz": 1}}), mode)
    dict_options = [o for o in options if isinstance(o, dict)]
    for key, choices in (dict_options[0].items() if dict_options else []):
        given = [c for c in choices if c != OPTIONAL]
        if key not in value and given:
            yield _calls("dict_optional_key_given", _with(gold, index, {**arguments, param: {**value, key: given[0]}}), mode)
            break


def _call_variants(mode: str, functions: list[dict[str, Any]], gold: list[Call]) -> Iterator[Candidate]:
    name, arguments = gold[0]
    others = [f["name"] for f in functions if f["name"] != name]
    yield _calls("wrong_function", [(others[0] if others else name + "_v2", arguments)] + gold[1:], mode)
    yield _calls("function_name_case", [(name.upper(), arguments)] + gold[1:], mode)
    yield _calls("extra_call", gold + [gold[-1]], mode)
    yield _calls("extra_other_call", gold + [placeholder_call(functions[-1])], mode)
    yield _calls("missing_call", gold[:-1], mode)
    if len(gold) > 1:
        if list(reversed(gold)) != gold:
            yield _calls("calls_reordered", list(reversed(gold)), mode)
        yield _calls("calls_rotated", gold[1:] + gold[:1], mode)
        yield _calls("one_call_twice", [gold[0], gold[0]] + gold[2:], mode)


def _fc_forms(gold: list[Call]) -> Iterator[Candidate]:
    if any("." in name for name, _ in gold):
        yield _fc("names_as_in_docs", gold, spelling="docs")
        yield _fc("names_dots_kept_but_wrong_args", [(n, {}) for n, _ in gold], spelling="docs")
    yield _fc("args_reformatted", gold, indent=2, reverse_keys=True)
    yield {"variant": "text_beside_calls", "answer": {"content": "Calling the functions now.", "tool_calls": as_tool_calls(gold)},
           "spelling": "sent"}


def _prompt_forms(gold: list[Call]) -> Iterator[Candidate]:
    text = as_python(gold)
    bare = as_python(gold, brackets=False)
    yield _text("no_brackets", bare)
    yield _text("plain_fence", f"```\n{text}\n```")
    yield _text("quoted", f"'{text}'")
    yield _text("leading_tab", f"\t{text}")
    yield _text("trailing_prose", f"{text}\nThese calls answer the question.")
    yield _text("leading_prose", f"Here you go: {text}")
    yield _text("tuple_of_calls", f"({bare},)")
    if "'" in text and '"' not in text:
        yield _text("double_quoted_strings", text.replace("'", '"'))
    name, arguments = gold[0]
    if arguments:
        key, value = next(iter(arguments.items()))
        if isinstance(value, int) and not isinstance(value, bool) and value > 1:
            yield _text("arithmetic_value", as_python([(name, {**arguments})]).replace(f"{key}={value!r}", f"{key}={value - 1} + 1", 1))
            yield _text("unary_plus_value", as_python([(name, {**arguments})]).replace(f"{key}={value!r}", f"{key}=+{value}", 1))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            yield _text("negative_literal", as_python([(name, {**arguments})]))
        if isinstance(value, str) and value.isidentifier():
            yield _text("bare_name_value", as_python([(name, {**arguments})]).replace(f"{key}={value!r}", f"{key}={value}", 1))
        yield _text("expression_with_name_value", as_python([(name, {**arguments, key: "__CALL__"})]).replace("'__CALL__'", "undefined_name * 2", 1))
        yield _text("nested_call_value", as_python([(name, {**arguments, key: "__CALL__"})]).replace("'__CALL__'", "inner(x=1)", 1))
        yield _text("call_without_keywords_value", as_python([(name, {**arguments, key: "__CALL__"})]).replace("'__CALL__'", "inner(1)", 1))
        yield _text("subscript_value", as_python([(name, {**arguments, key: "__CALL__"})]).replace("'__CALL__'", "data[0]", 1))
        if len(gold) == 1:
            yield _text("keyword_repeated", as_python([(name, arguments)]).replace(")]", f", {key}={value!r})]", 1))
        yield _text("double_star_arguments", as_python([(name, {})]).replace("()", "(**{'a': 1})", 1))
