"""Typed verifier parameters: a verifier declares them as a frozen attrs class.

The pack loader structures a scenario's ``verifier`` object into that class with
``params_converter`` and turns every problem into ``verifier.FIELD.SUB: message``, so
a verifier writes no presence or type checks of its own. Rules that types cannot say
(a regex that must compile, a range, one field that needs another) are attrs validators (``benchlab.param_checks`` has the common ones)
or ``__attrs_post_init__`` raising :class:`ParamError` with the field's path relative
to the class; the path of the enclosing objects is prepended here.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError, StructureHandlerNotFoundError

from benchlab.codec import converter

T = TypeVar("T")


class ParamError(ValueError):
    """A bad verifier parameter; ``field`` is its dotted path inside ``verifier``.

    ``problems`` lists every ``(field, message)`` found (the first is ``field, message``).
    """

    def __init__(self, field: str, message: str, more: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.problems: list[tuple[str, str]] = [(field, message), *more]


@attrs.frozen
class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()
"""Default of a parameter whose absence differs from every value it can take (``null`` included)."""


def given(value: Any) -> bool:
    """Whether a parameter defaulting to ``NOT_GIVEN`` was written in the pack."""
    return value is not NOT_GIVEN


# --- the converter --------------------------------------------------------------------------
# A copy of the one converter: records (run.json, journals) are written by benchlab and keep
# the plain hooks, so an old record still loads; parameters are written by people, so here
# unknown keys are refused and primitives are strict (no true for a number, no "3" for 3).

params_converter = converter.copy(forbid_extra_keys=True, detailed_validation=True)

_TYPE_NAMES: dict[Any, str] = {
    int: "an integer", float: "a number", str: "a string", bool: "a boolean (true or false)",
    list: "a list", tuple: "a list", dict: "an object", type(None): "null",
}


def value_kind(value: Any) -> str:
    """What a JSON value is, in words (for "expected X, got Y")."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def type_kind(cls: Any) -> str:
    """What a parameter type asks for, in words."""
    if cls in _TYPE_NAMES:
        return _TYPE_NAMES[cls]
    if attrs.has(cls) or _origin(cls) in (dict, Mapping):
        return "an object"
    if _origin(cls) in (list, tuple, Sequence):
        return "a list"
    if _origin(cls) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(cls))
    if _is_union(cls):
        return " or ".join(dict.fromkeys(type_kind(a) for a in get_args(cls) if a is not type(None)))
    return getattr(cls, "__name__", str(cls))


def _origin(cls: Any) -> Any:
    origin = get_origin(cls)
    return {typing.List: list, typing.Dict: dict, typing.Tuple: tuple}.get(origin, origin)


def _is_union(cls: Any) -> bool:
    return get_origin(cls) in (Union, types.UnionType)


def _is_sequence(cls: Any) -> bool:
    """list[X], Sequence[X] and tuple[X, ...] (a tuple of fixed types is not a parameter shape)."""
    origin = _origin(cls)
    return origin in (list, Sequence) or (origin is tuple and get_args(cls)[-1:] == (Ellipsis,))


def _wrong(expected: Any, value: Any) -> ParamError:
    return ParamError("", f"expected {type_kind(expected)}, got {value_kind(value)}")


def _strict(cls: type, accepted: tuple[type, ...], convert: Callable[[Any], Any] = lambda v: v) -> None:
    def hook(value: Any, _: Any) -> Any:
        if (isinstance(value, bool) and bool not in accepted) or not isinstance(value, accepted):
            raise _wrong(cls, value)
        return convert(value)

    params_converter.register_structure_hook(cls, hook)


_strict(int, (int,))
_strict(float, (int, float), float)  # an int is a fine number; a boolean is not
_strict(str, (str,))
_strict(bool, (bool,))


def _guarded(shape: type | tuple[type, ...], cls: Any, inner: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``inner`` after checking the JSON shape (cattrs would iterate a string as a list)."""

    def hook(value: Any, type_: Any) -> Any:
        if not isinstance(value, shape):
            raise _wrong(cls, value)
        return inner(value, type_)

    return hook


def _sequence_hook(cls: Any) -> Callable[[Any, Any], Any]:
    from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory

    make = homogenous_tuple_structure_factory if _origin(cls) is tuple else list_structure_factory
    return _guarded((list, tuple), cls, make(cls, params_converter))


def _mapping_hook(cls: Any) -> Callable[[Any, Any], Any]:
    from cattrs.cols import mapping_structure_factory

    return _guarded(dict, cls, mapping_structure_factory(cls, params_converter))


PARAM_KEY = "benchlab_param_key"


def param_key(key: str) -> dict[str, str]:
    """Field metadata for a parameter whose key is no Python name:
    ``not_: Predicate | None = attrs.field(default=None, metadata=param_key("not"))``."""
    return {PARAM_KEY: key}


def _key_of(cls: Any, name: str) -> str:
    """The key a pack writes for attribute ``name`` of ``cls``."""
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == name:
                return field.metadata.get(PARAM_KEY, name)
    return name


def _attrs_hook(cls: Any) -> Callable[[Any, Any], Any]:
    from cattrs.gen import make_dict_structure_fn, override

    renames = {f.name: override(rename=f.metadata[PARAM_KEY]) for f in attrs.fields(cls) if PARAM_KEY in f.metadata}
    if not renames:
        return _guarded(dict, cls, params_converter.gen_structure_attrs_fromdict(cls))
    inner = make_dict_structure_fn(
        cls, params_converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True, **renames
    )
    return _guarded(dict, cls, inner)


def _literal_hook(cls: Any) -> Callable[[Any, Any], Any]:
    choices = get_args(cls)

    def hook(value: Any, _: Any) -> Any:
        # type() as well as ==: true must not pass for 1, nor 1 for true.
        if not any(value == c and type(value) is type(c) for c in choices):
            shown = ", ".join(str(c) if isinstance(c, str) else repr(c) for c in choices)
            raise ParamError("", f"one of {shown} (got {value!r})")
        return value

    return hook


def _accepts_shape(cls: Any, value: Any) -> bool:
    """Whether ``value``'s JSON shape is the one ``cls`` is written in (unions pick by shape)."""
    if cls is Any:
        return True
    if cls is type(None):
        return value is None
    if _origin(cls) is Literal:
        return any(type(value) is type(c) for c in get_args(cls))
    if attrs.has(cls) or cls is dict or _origin(cls) in (dict, Mapping):
        return isinstance(value, dict)
    if cls in (list, tuple) or _origin(cls) in (list, tuple, Sequence):
        return isinstance(value, list)
    if cls is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if cls is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, cls)


def _union_hook(cls: Any) -> Callable[[Any, Any], Any]:
    members = get_args(cls)

    def hook(value: Any, _: Any) -> Any:
        for member in members:
            if _accepts_shape(member, value):
                return value if member is Any or value is None else params_converter.structure(value, member)
        raise _wrong(cls, value)

    return hook


params_converter.register_structure_hook_factory(_is_sequence, _sequence_hook)
params_converter.register_structure_hook_factory(lambda cls: _origin(cls) in (dict, Mapping), _mapping_hook)
params_converter.register_structure_hook_factory(lambda cls: _origin(cls) is Literal, _literal_hook)
params_converter.register_structure_hook_factory(_is_union, _union_hook)
params_converter.register_structure_hook_factory(attrs.has, _attrs_hook)


def register_tagged_union(base: type, key: str, variants: Mapping[str, type]) -> None:
    """Parameters typed ``base`` are structured as the variant their ``key`` names, e.g.
    ``{"rule": "word_count", "max": 50}`` as ``variants["word_count"]``. ``base`` itself is
    never a variant (give plain kinds a subclass); each variant declares ``key`` as a field."""

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _wrong(base, value)
        tag = value.get(key)
        if tag is None:
            raise ParamError(key, "required")
        if not isinstance(tag, str):
            raise ParamError(key, f"expected a string, got {value_kind(tag)}")
        if tag not in variants:
            close = difflib.get_close_matches(tag, list(variants), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ParamError(key, f"unknown {key} {tag!r} ({hint}known: {', '.join(sorted(variants))})")
        return params_converter.structure(value, variants[tag])

    params_converter.register_structure_hook_func(lambda cls: cls is base, hook)


# --- structuring and reporting ----------------------------------------------------------------


def structure_params(raw: Mapping[str, Any], cls: type[T]) -> T:
    """``raw`` (a scenario's verifier object without ``kind``) as ``cls``; ParamError naming
    every problem's path otherwise."""
    try:
        return params_converter.structure(dict(raw), cls)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a located problem
        (field, message), *more = _problems(exc, "", top=True) or [("", str(exc))]
        raise ParamError(field, message, more) from None


def join_path(path: str, field: str | int) -> str:
    """``calls[0]`` + ``name`` -> ``calls[0].name``; an int is an index."""
    if isinstance(field, int):
        return f"{path}[{field}]"
    if not field:
        return path
    if not path:
        return field
    return path + field if field.startswith("[") else f"{path}.{field}"


def _problems(exc: BaseException, path: str, top: bool = False) -> list[tuple[str, str]]:
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        noted, bare = exc.group_exceptions()
        found: list[tuple[str, str]] = []
        for sub in bare:  # the object's own problems first: an unknown key is often the typo behind the rest
            found += _problems(sub, path, top=top)
        for sub, note in noted:
            step = _key_of(getattr(exc, "cl", None), note.name) if hasattr(note, "name") else note.index
            found += _problems(sub, join_path(path, step))
        return found
    if isinstance(exc, ParamError):
        return [(join_path(path, field), message) for field, message in exc.problems]
    if isinstance(exc, ForbiddenExtraKeysError):
        known = sorted(_key_of(exc.cl, f.name) for f in attrs.fields(exc.cl))
        what = "unknown parameter" if top else "unknown key"
        return [(join_path(path, key), _unknown(what, key, known)) for key in sorted(exc.extra_fields)]
    if isinstance(exc, KeyError):
        return [(path, "required")]
    if isinstance(exc, StructureHandlerNotFoundError):
        raise exc  # a params class with a type no hook handles: the verifier's bug, not the pack's
    return [(path, str(exc))]


def _unknown(what: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{what} ({hint}known: {', '.join(known) or 'none'})"
