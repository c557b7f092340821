"""The models file (``--models FILE``, TOML): the models a comparison (or a ladder) plays.

::

    [[model]]
    name = "local"                  # unique; letters, digits, '.', '_', '-'
    backend = "ollama"              # any registered backend
    endpoint = "http://127.0.0.1:11434"
    model = "gemma3:1b"             # optional: default, the first model the server lists
    concurrency = 1                 # optional: default, the backend's
    api_key_env = "MY_KEY_VAR"      # optional: the NAME of a variable holding the key
    price_per_mtok = { input = 0.0, output = 0.0 }   # optional: dollars per million tokens
    replay = "recorded.jsonl"       # only for the replay backend, relative to this file
    [model.options]                 # optional backend settings, as -o KEY=VALUE
    keep_alive = "1h"

The API is :func:`load_models` (``path``, the backends registry) -> ``list[ModelSpec]``.
A ``ModelSpec`` gives the ``Target`` of a normal run (:meth:`ModelSpec.target`) or the
flags ``run`` builds one from (:meth:`ModelSpec.target_flags`), the key read from the
environment (:meth:`ModelSpec.api_key`), and what may be saved (:meth:`ModelSpec.public`,
read back by :meth:`ModelSpec.from_public`): nothing secret, so a comparison resumes
without the file. Keys are never in the file nor in anything saved: only the variable's name.

Every defect is reported at once, located as ``FILE:LINE: field: message`` (an unknown
key, a duplicate name, a missing or mistyped field). TOML readers give no positions, so
lines are found by scanning the text for the table headers and keys.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import attrs

from benchlab.config import Target
from benchlab.errors import BenchlabError
from benchlab.redact import has_userinfo, redact_url
from benchlab.text_files import read_text

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
VARIABLE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The role of the backend that answers from recorded responses (registered by a plugin).
RECORDED_ANSWERS = "recorded_answers"

# key -> the TOML types it takes (bool is never a number here).
_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,), "backend": (str,), "endpoint": (str,), "model": (str,), "concurrency": (int,),
    "api_key_env": (str,), "price_per_mtok": (dict,), "replay": (str,), "options": (dict,),
}
_TYPE_WORDS = {str: "a string", int: "an integer", dict: "a table", float: "a number"}
_PRICE_KEYS = ("input", "output")

Problem = tuple[int, str, str]  # (line, field, message)


@attrs.frozen
class Price:
    """Dollars per million tokens, read and written."""

    input: float = 0.0
    output: float = 0.0

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


@attrs.frozen
class ModelSpec:
    """One ``[[model]]`` table, checked. ``endpoint`` is as written (it may hold credentials);
    ``replay`` is an absolute path."""

    name: str
    backend: str
    endpoint: str | None = None
    model: str | None = None
    concurrency: int | None = None
    api_key_env: str | None = None
    price: Price | None = None
    replay: str | None = None
    options: dict[str, Any] = attrs.field(factory=dict)

    def api_key(self) -> str | None:
        """The key, read from the named variable now (None when unnamed or unset)."""
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None

    def target(self, *, stream: bool = False, max_tokens: int | None = None,
               extra_body: dict[str, Any] | None = None) -> Target:
        """The RunConfig target of a normal run of this model (credentials removed from the endpoint)."""
        return Target(backend=self.backend, endpoint=redact_url(self.endpoint) if self.endpoint else None, model=self.model,
                      settings=dict(self.options), replay=self.replay, concurrency=self.concurrency, stream=stream,
                      max_tokens=max_tokens, extra_body=dict(extra_body or {}))

    def target_flags(self, *, stream: bool = False, max_tokens: int | None = None,
                     extra_body: dict[str, Any] | None = None) -> Any:
        """What ``run``'s target options would hold for this model (a ``benchlab.cli.options.TargetFlags``,
        the key read from the environment), for building a RunRequest."""
        from benchlab.cli.options import TargetFlags

        return TargetFlags(endpoint=self.endpoint, backend=self.backend, model=self.model, api_key=self.api_key(),
                           settings=dict(self.options), replay=self.replay, concurrency=self.concurrency, stream=stream,
                           max_tokens=max_tokens, extra_body=dict(extra_body or {}))

    def public(self) -> dict[str, Any]:
        """What may be saved: the endpoint without credentials, the key variable's name, never a key."""
        data: dict[str, Any] = {"name": self.name, "backend": self.backend}
        if self.endpoint:
            data["endpoint"] = redact_url(self.endpoint)
        for key in ("model", "concurrency", "api_key_env", "replay"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.price is not None:
            data["price_per_mtok"] = {"input": self.price.input, "output": self.price.output}
        if self.options:
            data["options"] = dict(self.options)
        return data

    @classmethod
    def from_public(cls, data: dict[str, Any]) -> ModelSpec:
        price = data.get("price_per_mtok")
        return cls(name=data["name"], backend=data["backend"], endpoint=data.get("endpoint"), model=data.get("model"),
                   concurrency=data.get("concurrency"), api_key_env=data.get("api_key_env"),
                   price=Price(**price) if price is not None else None, replay=data.get("replay"),
                   options=dict(data.get("options", {})))

    @property
    def endpoint_has_secrets(self) -> bool:
        """The endpoint carries credentials that :meth:`public` leaves out (a resume then needs the file)."""
        return bool(self.endpoint) and redact_url(self.endpoint or "") != self.endpoint


def load_models(path: Path | str, backends: Any) -> list[ModelSpec]:
    """The models of ``path``, in file order; ``backends`` is the backends registry
    (``Plugins.backends``). Raises one BenchlabError listing every defect."""
    path = Path(path)
    if not path.is_file():
        raise BenchlabError(f"--models {path}: no such file")
    text = read_text(path, "--models")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise BenchlabError(f"{path}:{match.group(1) if match else 1}: toml: {exc}") from None
    lines = _Lines(text)
    problems: list[Problem] = []
    for key in data:
        if key != "model":
            problems.append((lines.top_level(key), key, "unknown key: the file holds [[model]] tables only"))
    tables = data.get("model", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append((lines.top_level("model"), "model", "expected [[model]] tables"))
        tables = []
    elif not tables and "model" not in data:
        problems.append((1, "model", "no [[model]] tables: the file names no model"))
    models: list[ModelSpec] = []
    first_line_of: dict[str, int] = {}
    for index, table in enumerate(tables):
        spec, found = _check_model(table, index, lines, path.parent, backends)
        problems += found
        if spec is None:
            continue
        if spec.name in first_line_of:
            problems.append((lines.key(index, "name"), "name",
                             f"duplicate name {spec.name!r} (first at line {first_line_of[spec.name]})"))
            continue
        first_line_of[spec.name] = lines.key(index, "name")
        models.append(spec)
    if problems:
        problems.sort(key=lambda p: p[0])
        line, field, message = problems[0]
        rest = "".join(f"; line {n}: {f}: {m}" for n, f, m in problems[1:])
        raise BenchlabError(f"{path}:{line}: {field}: {message}{rest}")
    return models


def _check_model(table: dict[str, Any], index: int, lines: _Lines, base: Path, backends: Any) -> tuple[ModelSpec | None, list[Problem]]:
    """One table as a ModelSpec, or None and the problems that stop it."""
    problems: list[Problem] = []
    header = lines.header(index)

    def at(key: str) -> int:
        return lines.key(index, key)

    for key in table:
        if key == "api_key":
            problems.append((at(key), key, "keys never go in files: set api_key_env to the NAME of a variable holding it"))
        elif key not in _FIELDS:
            close = difflib.get_close_matches(key, _FIELDS, n=1, cutoff=0.7)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(_FIELDS)}"
            problems.append((at(key), key, f"unknown key ({hint})"))
    unknown = len(problems)
    for key, types in _FIELDS.items():
        value = table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            problems.append((at(key), key, f"expected {_TYPE_WORDS[types[0]]}, got {type(value).__name__}"))
    for key in ("name", "backend"):
        if key not in table:
            problems.append((header, key, "missing (required)"))
    if len(problems) > unknown:  # the checks below read these fields
        return None, problems

    name, backend = table["name"], table["backend"]
    if not NAME_PATTERN.match(name):
        problems.append((at("name"), "name", f"{name!r}: use letters, digits, '.', '_' and '-' (it names the model in tables and --only)"))
    concurrency = table.get("concurrency")
    if concurrency is not None and concurrency < 1:
        problems.append((at("concurrency"), "concurrency", "must be at least 1"))
    variable = table.get("api_key_env")
    if variable is not None and not VARIABLE_PATTERN.match(variable):
        problems.append((at("api_key_env"), "api_key_env",
                         "the NAME of an environment variable holding the key (e.g. MY_KEY_VAR), never the key itself"))
    price = _price(table.get("price_per_mtok"), index, lines, problems)
    endpoint = table.get("endpoint")
    if endpoint is not None and not endpoint.strip():
        problems.append((at("endpoint"), "endpoint", "empty: give the server's URL"))
    if isinstance(endpoint, str) and variable is not None and has_userinfo(endpoint):
        problems.append((at("api_key_env"), "api_key_env", "the endpoint holds user:password (sent as HTTP Basic auth): both would "
                         "go in the one Authorization header; give one of them"))
    replay = _endpoint_rules(table, index, lines, base, backends, problems)
    options = dict(table.get("options", {}))
    if backend in backends:
        known = getattr(backends.get(backend), "setting_keys", None)
        for key in options:
            if known is not None and key not in known:
                also = f"its options: {', '.join(known)}" if known else "it takes no options"
                problems.append((lines.key(index, key, "options"), f"options.{key}", f"backend {backend} has no such option; {also}"))
    if problems:
        return None, problems
    return ModelSpec(name=name, backend=backend, endpoint=endpoint, model=table.get("model"), concurrency=concurrency,
                     api_key_env=variable, price=price, replay=replay, options=options), problems


def _endpoint_rules(table: dict[str, Any], index: int, lines: _Lines, base: Path, backends: Any,
                    problems: list[Problem]) -> str | None:
    """``endpoint`` for backends that talk to a server, ``replay`` (made absolute) for the replay
    backend, neither for a backend that starts its own server."""
    backend = table["backend"]
    header = lines.header(index)
    if backend not in backends:
        problems.append((lines.key(index, "backend"), "backend", backends.unknown_message(backend)))
        return None
    replay_backend = backends.with_role(RECORDED_ANSWERS)
    has_endpoint, has_replay = "endpoint" in table, "replay" in table
    if backend == replay_backend:
        if has_endpoint:
            problems.append((lines.key(index, "endpoint"), "endpoint", f"backend {backend} talks to no endpoint: leave it out"))
        if not has_replay:
            problems.append((header, "replay", f"missing: backend {backend} needs the file of recorded responses"))
            return None
        replay = (base / table["replay"]).resolve()
        if not replay.exists():
            problems.append((lines.key(index, "replay"), "replay", f"{replay}: no such file (relative to the models file)"))
        return str(replay)
    if has_replay:
        problems.append((lines.key(index, "replay"), "replay", f"only for backend {replay_backend}"))
    takes_endpoint = getattr(backends.get(backend), "takes_endpoint", True)
    if takes_endpoint and not has_endpoint:
        problems.append((header, "endpoint", "missing (required for a backend that talks to a server)"))
    elif has_endpoint and not takes_endpoint:
        problems.append((lines.key(index, "endpoint"), "endpoint", f"backend {backend} starts its own server: leave it out"))
    return None


def _price(value: Any, index: int, lines: _Lines, problems: list[Problem]) -> Price | None:
    if value is None:
        return None
    line = lines.key(index, "price_per_mtok")
    found: dict[str, float] = {}
    for key, amount in value.items():
        if key not in _PRICE_KEYS:
            problems.append((line, f"price_per_mtok.{key}", "unknown key (known: input, output)"))
        elif isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            problems.append((line, f"price_per_mtok.{key}", "expected a number of dollars, at least 0"))
        else:
            found[key] = float(amount)
    return Price(**found)


class _Lines:
    """Where things are in the file's text: ``[[model]]`` headers, their keys and sub-tables."""

    _HEADER = re.compile(r"^\s*\[\[\s*model\s*\]\]")
    _TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
    _KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*[=.]""")

    def __init__(self, text: str) -> None:
        # Each line's place: (block index or -1 before any [[model]], sub-table name or "" or None
        # for a table that is not a model's, key on that line or None).
        self.headers: list[int] = []
        self.places: list[tuple[int, str | None, str | None]] = []
        self.tables: dict[str, int] = {}  # tables that are not a model's: name -> line
        block, sub = -1, ""
        for number, line in enumerate(text.splitlines(), start=1):
            if self._HEADER.match(line):
                self.headers.append(number)
                block, sub = len(self.headers) - 1, ""
                self.places.append((block, sub, None))
                continue
            table = self._TABLE.match(line)
            if table:
                name = table.group(1)
                sub = name[len("model."):] if name.startswith("model.") and block >= 0 else None
                if sub is None:
                    self.tables.setdefault(name.split(".")[0].strip("\"'"), number)
                # A model's sub-table header is where that key of the model is.
                self.places.append((block, "", sub))
                continue
            key = self._KEY.match(line)
            self.places.append((block, sub, next((g for g in key.groups() if g), None) if key else None))

    def header(self, index: int) -> int:
        return self.headers[index] if index < len(self.headers) else 1

    def key(self, index: int, key: str, sub: str = "") -> int:
        """The line of ``key`` in model ``index`` (in its sub-table ``sub``), else the model's header line."""
        for number, (block, table, found) in enumerate(self.places, start=1):
            if block == index and found == key and table == sub:
                return number
        if sub:
            return self.key(index, sub)  # e.g. options = { ... } written inline
        return self.header(index)

    def top_level(self, key: str) -> int:
        """The line of a key outside the models: a ``[key]`` table, or ``key =`` before the first model."""
        if key in self.tables:
            return self.tables[key]
        for number, (block, table, found) in enumerate(self.places, start=1):
            if block == -1 and found == key:
                return number
        return 1
