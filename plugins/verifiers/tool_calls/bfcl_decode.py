"""Turning a model's answer into the function calls BFCL judges, in its two modes.

``fc`` (the tools API): each tool call becomes ``(name, arguments)`` with the arguments
text parsed as JSON, as BFCL's function-calling handlers do. Arguments that are not
JSON make the whole answer undecodable; arguments that are JSON but not an object
decode, but not into the function-call format. An answer with no tool call is its
text, which never holds a call (an empty text decodes to no calls, any other text
does not decode).

``prompt``: the answer text is Python call syntax, ``[f(a=1), g(b="x")]``. It is read
with :mod:`ast` and never evaluated, reproducing what BFCL's prompting decoder reads
from it: backticks, newlines and spaces are trimmed from both ends (not tabs), the
text is wrapped in ``[...]`` when it is not already; only keyword arguments count (positional ones are ignored); a bare name is its own
spelling as a string, ``-`` before a number negates it (BFCL applies this to every
unary operator), a call without keyword arguments inside an argument is its source
text, one with keyword arguments a nested ``{name: {...}}``, a subscript its source
text. Where BFCL hands an arithmetic expression to Python's ``eval``, benchlab
computes it only when it is made of literals and operators, within size limits;
an expression naming anything (``math.pi * 2``) does not decode here, where BFCL
would run it.
"""

from __future__ import annotations

import ast
import json
import operator
from typing import Any

import attrs

from benchlab.model import ChatResponse
from benchlab.reasoning import split_think

Call = tuple[Any, Any]  # (function name, arguments): arguments a dict when well formed


@attrs.frozen
class Decoded:
    """The calls an answer decodes to; ``calls`` is None when it does not decode."""

    calls: list[Call] | None
    problem: str = ""
    # The tools API returned arguments that are not a JSON object (judged as invalid_json).
    bad_json: bool = False

    @property
    def well_formed(self) -> bool:
        """Decoded, and every call's arguments are an object (BFCL's function-call format)."""
        return self.calls is not None and all(type(args) is dict for _, args in self.calls)

    @property
    def has_calls(self) -> bool:
        """BFCL's relevance rule: the answer decodes to at least one well-formed call."""
        return self.well_formed and bool(self.calls)

    def format_problem(self) -> str:
        if self.calls is None:
            return self.problem
        bad = [name for name, args in self.calls if type(args) is not dict]
        return f"the arguments of {', '.join(repr(n) for n in bad[:3])} are not a JSON object" if bad else ""


class DecodeError(Exception):
    """The answer is not in the expected call syntax."""


def answer_content(response: ChatResponse) -> str:
    """The answer text with any reasoning removed, otherwise untouched (its spacing matters)."""
    return split_think(response.content or "")[0]


def decode_fc(response: ChatResponse) -> Decoded:
    if not response.tool_calls:
        text = answer_content(response)
        if text:
            return Decoded(None, "a text answer, no tool call")
        return Decoded([])
    calls: list[Call] = []
    for call in response.tool_calls:
        if call.arguments_raw is not None:
            try:
                arguments = json.loads(call.arguments_raw)
            except (ValueError, RecursionError):
                return Decoded(None, f"the arguments of {call.name!r} are not valid JSON", bad_json=True)
        else:
            arguments = call.arguments  # sent as an object (e.g. Ollama's native API)
        calls.append((call.name, arguments))
    return Decoded(calls, bad_json=any(type(args) is not dict for _, args in calls))


def decode_prompt(text: str) -> Decoded:
    try:
        return Decoded(parse_calls(text))
    except DecodeError as exc:
        return Decoded(None, str(exc))
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, ArithmeticError) as exc:
        return Decoded(None, f"not Python call syntax ({type(exc).__name__}: {_short(str(exc))})")


def parse_calls(text: str) -> list[Call]:
    """The calls in ``text``; raises on anything that is not a list of calls."""
    trimmed = text.strip("`\n ")
    if not trimmed.startswith("["):
        trimmed = "[" + trimmed
    if not trimmed.endswith("]"):
        trimmed = trimmed + "]"
    tree = ast.parse(trimmed.strip().strip("'"), mode="eval")
    body = tree.body
    if isinstance(body, ast.Call):
        return [_call(body)]
    elements = body.elts if isinstance(body, (ast.List, ast.Tuple, ast.Set)) else None
    if elements is None:
        raise DecodeError(f"not a list of calls but a {type(body).__name__}")
    for element in elements:
        if not isinstance(element, ast.Call):
            raise DecodeError(f"an element of the list is a {type(element).__name__}, not a call")
    return [_call(element) for element in elements]


def _call(node: ast.Call) -> Call:
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    arguments: dict[Any, Any] = {}
    for keyword in node.keywords:  # ``**mapping`` has no name: its key is None, as in BFCL
        arguments[keyword.arg] = _value(keyword.value)
    return ".".join(reversed(parts)), arguments


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        # BFCL negates the operand whatever the operator (+5 reads as -5); only a literal operand decodes.
        operand = node.operand
        if not isinstance(operand, ast.Constant) or not isinstance(operand.value, (int, float, complex)):
            raise DecodeError("a unary operator on something other than a number")
        return -operand.value
    if isinstance(node, ast.List):
        return [_value(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise DecodeError("a ** expansion inside a dict")
        return {_value(key): _value(value) for key, value in zip(node.keys, node.values)}  # type: ignore[arg-type]
    if isinstance(node, ast.BinOp):
        return _arithmetic(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _call_value(node)
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise DecodeError(f"unsupported value: {type(node).__name__}")


def _call_value(node: ast.Call) -> Any:
    if not node.keywords:
        return ast.unparse(node)
    name, arguments = _call(node)
    return {name: arguments}


# Arithmetic over literals only. BFCL evaluates these with eval(); here nothing named is
# ever looked up or called, and results that would take unbounded time or memory are refused.
_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Invert: operator.invert}
_MAX_BITS = 100_000
_MAX_LENGTH = 1_000_000


def _arithmetic(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        _check_size(node.op, left, right)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_arithmetic(node.operand))
    if isinstance(node, ast.List):
        return [_arithmetic(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_arithmetic(item) for item in node.elts)
    if isinstance(node, ast.Set):
        return {_arithmetic(item) for item in node.elts}
    if isinstance(node, ast.Dict) and all(key is not None for key in node.keys):
        return {_arithmetic(key): _arithmetic(value) for key, value in zip(node.keys, node.values)}  # type: ignore[arg-type]
    raise DecodeError(f"an expression benchlab does not evaluate ({_short(ast.unparse(node))})")


def _check_size(op: ast.operator, left: Any, right: Any) -> None:
    def bits(value: Any) -> int:
        return abs(value).bit_length() if isinstance(value, int) else 64

    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int) and right > 0:
        if bits(left) * right > _MAX_BITS:
            raise DecodeError("a power too large to compute")
    if isinstance(op, ast.LShift) and isinstance(right, int) and right > _MAX_BITS:
        raise DecodeError("a shift too large to compute")
    if isinstance(op, ast.Mult):
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(count, int):
                if len(sequence) * max(count, 0) > _MAX_LENGTH:
                    raise DecodeError("a repetition too long to compute")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
