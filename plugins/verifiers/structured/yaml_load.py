"""Loading model-written YAML safely and turning it into plain JSON data.

PyYAML's safe loader (``CSafeLoader`` when PyYAML has libyaml, else ``SafeLoader``; YAML
1.1 resolution rules either way; ``SafeLoader`` also for text that might nest deeper than
libyaml's C stack allows) does the parsing, with three
changes that make a loaded document mean one thing:

* a key repeated in one mapping is an error (PyYAML would keep the last silently);
  keys brought in by a merge (``<<: *base``) may be overridden, as YAML intends;
* timestamps stay the text that was written (``2024-01-01`` is the string
  ``"2024-01-01"``), as YAML 1.2 and JSON have no date type (``portability_problems``
  still reports a plain one: YAML 1.1 loaders read it as a date);
* the result is converted to JSON data: non-string keys become the text
  ``json.dumps`` would give them (``no:`` becomes the key ``"false"``, ``1:`` the key
  ``"1"``), ``!!binary`` becomes its base64 text, ``!!set`` a sorted list. Anchors and
  aliases are expanded; a document expanding to more than ``MAX_VALUES`` values (an
  "alias bomb") or referring to itself is refused.

``portability_problems`` lists the plain scalars that YAML 1.1 (PyYAML, Ansible,
older tools) and YAML 1.2 (the core schema: ruamel.yaml, Go's yaml.v3, most current
parsers) read differently: ``yes``/``no``/``on``/``off`` (booleans in 1.1, strings in
1.2), ``y``/``n`` (booleans in the 1.1 spec, strings to PyYAML and 1.2), ``010`` (8 in 1.1, 10 in 1.2), ``1_000``, ``1:30``, ``0b101``,
``1e3`` (a string in 1.1, a number in 1.2), ``0o17``.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import re
from typing import Any

import attrs

MAX_VALUES = 100_000
MAX_DEPTH = 200
_TAG = "tag:yaml.org,2002:"
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN")
_EXPLICIT_TAG = re.compile(r"(?:&\S+\s+)?!")
# Booleans in the YAML 1.1 type repository that PyYAML's resolver leaves as strings.
_SPEC_ONLY_BOOLEANS = frozenset({"y", "Y", "n", "N"})


class YamlProblem(Exception):
    """The text is not a usable YAML document; the message says why and where."""


@attrs.frozen
class Loaded:
    """The documents of a YAML stream, as JSON data, and its non-portable scalars."""

    documents: list[Any]
    unportable: list[str]


# libyaml's composer recurses in C once per nesting level and overflows the C stack
# (a segfault, not an exception) 10,000 to 30,000 levels down. Text that might nest deeper
# than this goes to the pure-Python loader, whose recursion ends in a RecursionError.
LIBYAML_MAX_LEVELS = 2_000
# What can open a nesting level: a flow bracket (one level, two with an implicit
# single-pair mapping inside a sequence), or a block indicator followed by a space.
_LEVEL_OPENERS = re.compile(r"[\[{]|[-?:](?=\s|$)")


def _may_nest_deeper_than(text: str, levels: int) -> bool:
    """False only when ``text`` surely nests at most ``levels`` deep (a cheap upper bound)."""
    return 2 * sum(1 for _ in _LEVEL_OPENERS.finditer(text)) + 1 > levels


@functools.cache
def _loader_class(fast: bool = True) -> type:
    import yaml

    # libyaml's parser when PyYAML was built with it: same documents, many times faster.
    base = (getattr(yaml, "CSafeLoader", None) if fast else None) or yaml.SafeLoader

    class Loader(base):  # type: ignore[misc, valid-type]
        """Safe loader that refuses duplicate keys and keeps timestamps as text."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, int] = {}
            if isinstance(node, yaml.MappingNode):
                for key_node, _ in node.value:
                    if key_node.tag == _TAG + "merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        marker = (type(key).__name__, key)
                        hash(marker)
                    except TypeError:
                        continue  # the base class reports unhashable keys
                    if marker in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r} (first on line {seen[marker]})", key_node.start_mark
                        )
                    seen[marker] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    Loader.add_constructor(_TAG + "timestamp", lambda loader, node: loader.construct_scalar(node))
    return Loader


def load(text: str) -> Loaded:
    """Every document of ``text`` as JSON data; YamlProblem when it cannot be used."""
    import yaml

    documents: list[Any] = []
    unportable: list[str] = []
    loader = None
    try:
        # The reader refuses control characters here.
        loader = _loader_class(fast=not _may_nest_deeper_than(text, LIBYAML_MAX_LEVELS))(text)
        while loader.check_node():
            node = loader.get_node()
            unportable += portability_problems(node, text)
            documents.append(to_json(loader.construct_document(node)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise YamlProblem(f"{exc.problem or exc.context or 'not YAML'}{where}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc).splitlines()[0] if str(exc) else "not YAML") from None
    except RecursionError:
        raise YamlProblem("nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's constructors raise these on some malformed scalars (e.g. huge numbers).
        raise YamlProblem(f"cannot read a value: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Loaded(documents, unportable)


def portability_problems(root: Any, text: str) -> list[str]:
    """Plain scalars that YAML 1.1 and YAML 1.2 core read as different values."""
    import yaml

    problems: list[str] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in reversed(node.value) for item in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.ScalarNode) and not node.style:  # plain: None, or "" from libyaml
            if _EXPLICIT_TAG.match(text, node.start_mark.index):
                continue
            problem = _scalar_problem(node.tag, node.value)
            if problem:
                problems.append(f"{node.value!r} on line {node.start_mark.line + 1} {problem}")
    return problems


def _scalar_problem(tag: str, raw: str) -> str:
    if raw in _SPEC_ONLY_BOOLEANS:
        return "is a boolean under the YAML 1.1 spec (e.g. Go's yaml.v2) but a string to PyYAML and YAML 1.2"
    old = tag[len(_TAG):] if tag.startswith(_TAG) else "other"
    # "timestamp" stays: benchlab keeps the text, but YAML 1.1 loaders (PyYAML's own
    # safe_load, Ruby, SnakeYAML) build a date from a plain 2024-05-01, YAML 1.2 a string.
    old = {"merge": "merge", "value": "str"}.get(old, old)
    new, new_value = _core(raw)
    if old in ("other", "merge") or (old == new and new not in ("int", "float")):
        return ""
    if old != new:
        return f"is {_article(old)} in YAML 1.1 but {_article(new)} in YAML 1.2"
    old_value = _yaml11_number(tag, raw)
    same = old_value == new_value or (isinstance(old_value, float) and math.isnan(old_value) and math.isnan(new_value))
    return "" if same else f"is {old_value!r} in YAML 1.1 but {new_value!r} in YAML 1.2"


def _article(kind: str) -> str:
    return {"str": "a string", "timestamp": "a date", "int": "an integer", "float": "a float", "bool": "a boolean", "null": "null"}.get(kind, kind)


def _core(raw: str) -> tuple[str, Any]:
    """How the YAML 1.2 core schema resolves a plain scalar, and its value for numbers."""
    if raw in ("", "~", "null", "Null", "NULL"):
        return "null", None
    if raw in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return "bool", None
    if _CORE_INT.fullmatch(raw):
        if raw.startswith(("0o", "0x")):
            return "int", int(raw[2:], 8 if raw[1] == "o" else 16)
        return "int", int(raw)
    if _CORE_FLOAT.fullmatch(raw):
        lowered = raw.lower().lstrip("+")
        if lowered in (".inf", "-.inf"):
            return "float", -math.inf if lowered.startswith("-") else math.inf
        if lowered == ".nan":
            return "float", math.nan
        return "float", float(raw)
    return "str", None


def _yaml11_number(tag: str, raw: str) -> Any:
    """PyYAML's value for a plain int or float scalar."""
    import yaml

    return yaml.SafeLoader.yaml_constructors[tag](_scalar_loader(), yaml.ScalarNode(tag, raw))


@functools.cache
def _scalar_loader() -> Any:
    # The int and float constructors read only the node, never the loader's state.
    import yaml

    return yaml.SafeLoader("")


def to_json(value: Any) -> Any:
    """``value`` as JSON data (see the module docstring); YamlProblem when it cannot be."""
    budget = [MAX_VALUES]
    return _convert(value, budget, set(), 0)


def _convert(value: Any, budget: list[int], active: set[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlProblem(f"expands to more than {MAX_VALUES} values (anchors and aliases are expanded)")
    if depth > MAX_DEPTH:
        raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if id(value) in active:
        raise YamlProblem("a value contains itself (a recursive alias)")
    active.add(id(value))
    try:
        if isinstance(value, dict):
            result: dict[str, Any] = {}
            for key, item in value.items():
                name = key if isinstance(key, str) else _key_text(key)
                if name in result:
                    raise YamlProblem(f"two keys both read as {name!r}")
                result[name] = _convert(item, budget, active, depth + 1)
            return result
        if isinstance(value, (set, frozenset)):
            return sorted((_convert(item, budget, active, depth + 1) for item in value), key=repr)
        if isinstance(value, (list, tuple)):
            return [_convert(item, budget, active, depth + 1) for item in value]
    finally:
        active.discard(id(value))
    return str(value)


def _key_text(key: Any) -> str:
    try:
        return json.dumps(key) if isinstance(key, (bool, int, float)) or key is None else str(key)
    except (TypeError, ValueError):
        return str(key)
