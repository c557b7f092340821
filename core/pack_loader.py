"""Loading and validating packs: ``pack.toml`` + ``scenarios.jsonl``.

Every defect is reported as ``PATH:LINE: field: message`` before any request is sent.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError, PackError
from benchlab.jsonl import read_jsonl
from benchlab.model import DEFAULT_VARIANT, LoadOptions, Pack, PackManifest, PackSource, Scenario, VerifierSpec
from benchlab.registry import Registry
from benchlab.text_files import read_text
from benchlab.verifiers import ParamError

MANIFEST = "pack.toml"
SCENARIOS = "scenarios.jsonl"

_MANIFEST_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "version": (str,),
    "title": (str,),
    "dimension": (str,),
    "default_thinking": (bool,),
    "default_max_seconds": (int, float),
}
_MANIFEST_OPTIONAL: dict[str, tuple[type, ...]] = {
    "description": (str,),
    "floor": (int, float),
    "sampling": (dict,),
    "dataset": (str,),
    "equivalent": (list,),
}
_SCENARIO_OPTIONAL: dict[str, tuple[type, ...]] = {
    "tools": (list,),
    "response_format": (dict,),
    "driver": (str,),
    "sampling": (dict,),
    "max_seconds": (int, float),
    "max_tokens": (int,),
    "tags": (list,),
    "extra": (dict,),
    "variants": (dict,),
}
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _line_of_key(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def load_manifest(path: Path) -> PackManifest:
    file = path / MANIFEST
    if not file.is_file():
        raise PackError(file, 1, "pack.toml", "missing: a pack folder needs pack.toml")
    text = read_text(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise PackError(file, int(match.group(1)) if match else 1, "toml", str(exc)) from None
    problems = _manifest_problems(data, text)
    if problems:
        raise _all_at_once(file, problems)
    floor = data.get("floor")
    return PackManifest(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        dimension=data["dimension"],
        default_thinking=data["default_thinking"],
        default_max_seconds=float(data["default_max_seconds"]),
        description=data.get("description", ""),
        floor=float(floor) if floor is not None else None,
        sampling=dict(data.get("sampling", {})),
        dataset=data.get("dataset"),
        equivalent=[list(p) for p in data.get("equivalent", [])],
    )


Problem = tuple[int, str, str]  # (line, field, message)


def _manifest_problems(data: dict[str, Any], text: str) -> list[Problem]:
    """Every defect of a manifest, so that one edit can fix them all."""
    missing = [key for key in _MANIFEST_FIELDS if key not in data]
    problems: list[Problem] = []
    if missing:
        plural = "s" if len(missing) > 1 else ""
        problems.append((1, ", ".join(missing), f"missing required field{plural}"))
    well_typed: set[str] = set()
    for key, types in {**_MANIFEST_FIELDS, **_MANIFEST_OPTIONAL}.items():
        if key not in data:
            continue
        if _type_ok(data[key], types):
            well_typed.add(key)
        else:
            problems.append((_line_of_key(text, key), key, f"expected {types[0].__name__}"))
    for key in sorted(set(data) - set(_MANIFEST_FIELDS) - set(_MANIFEST_OPTIONAL)):
        problems.append((_line_of_key(text, key), key, "unknown field"))
    checks = (
        ("id", lambda v: _ID_PATTERN.match(v), "use letters, digits, '.', '_' and '-'"),
        ("floor", lambda v: 0 <= v <= 1, "a fraction between 0 and 1"),
        ("default_max_seconds", lambda v: v > 0, "must be positive"),
        ("equivalent", _equivalent_pairs_ok, "a list of [id, id] pairs"),
    )
    for key, ok, message in checks:
        if key in well_typed and not ok(data[key]):
            problems.append((_line_of_key(text, key), key, message))
    return sorted(problems, key=lambda p: p[0])


def _equivalent_pairs_ok(raw: list[Any]) -> bool:
    return all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair) for pair in raw)


def _all_at_once(file: Path, problems: list[Problem]) -> PackError:
    """One error line for every problem: ``PATH:LINE: field: message; line N: field: message``."""
    line, field, message = problems[0]
    rest = "".join(f"; line {n}: {f}: {m}" for n, f, m in problems[1:])
    return PackError(file, line, field, message + rest)


# Shared by every scenario that leaves them empty (most do): three empty containers per scenario
# were a seventh of a large pack's memory. Scenarios are frozen; nothing writes into these.
_NONE_SET: dict[str, Any] = {}
_NO_TAGS: list[str] = []
_NO_EXTRA: dict[str, Any] = {}


def parse_scenario(
    file: Path, lineno: int, data: Any, verifiers: Registry, drivers: Registry | None
) -> Scenario:
    """Validate one scenario object (from a JSONL line or a dataset loader)."""
    if not isinstance(data, dict):
        raise PackError(file, lineno, "scenario", "each line must be a JSON object")
    for key in ("id", "messages", "verifier"):
        if key not in data:
            raise PackError(file, lineno, key, "missing required field")
    if not isinstance(data["id"], str) or not _ID_PATTERN.match(data["id"]):
        raise PackError(file, lineno, "id", "a non-empty string of letters, digits, '.', '_' and '-'")
    _check_messages(file, lineno, data["messages"])
    known = {"id", "messages", "verifier", *_SCENARIO_OPTIONAL}
    for key, value in data.items():
        if key not in known:
            raise PackError(file, lineno, key, "unknown field")
        if key in _SCENARIO_OPTIONAL and value is not None and not _type_ok(value, _SCENARIO_OPTIONAL[key]):
            raise PackError(file, lineno, key, f"expected {_SCENARIO_OPTIONAL[key][0].__name__}")
    variants = _variants(file, lineno, data.get("variants") or {}, data["messages"])
    spec = _verifier_spec(file, lineno, data["verifier"], verifiers)
    driver = data.get("driver") or None  # None: the driver registered with the role "default"
    if drivers is not None and driver is not None and driver not in drivers:
        raise PackError(file, lineno, "driver", drivers.unknown_message(driver))
    return Scenario(
        id=data["id"],
        messages=data["messages"],
        verifier=spec,
        tools=data.get("tools"),
        response_format=data.get("response_format"),
        driver=driver,
        sampling=dict(data["sampling"]) if data.get("sampling") else _NONE_SET,
        max_seconds=data.get("max_seconds"),
        max_tokens=data.get("max_tokens"),
        tags=list(data["tags"]) if data.get("tags") else _NO_TAGS,
        extra=dict(data["extra"]) if data.get("extra") else _NO_EXTRA,
        line=lineno,
        variants=variants,
    )


def _check_messages(file: Path, lineno: int, messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise PackError(file, lineno, "messages", "a non-empty list of {role, content} objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise PackError(file, lineno, f"messages[{index}]", "needs a string 'role'")
        if "content" not in message and "tool_calls" not in message:
            raise PackError(file, lineno, f"messages[{index}]", "needs 'content'")


_VARIANT_KINDS = ("messages", "append")


def _variants(file: Path, lineno: int, raw: dict[str, Any], messages: list[Any]) -> dict[str, dict[str, Any]]:
    """Each named prompt variant: ``{"messages": [...]}`` (replaces the messages) or
    ``{"append": "text"}`` (added to the last user message), never both."""
    for name, spec in raw.items():
        field = f"variants.{name}"
        if not name.strip():
            raise PackError(file, lineno, "variants", "a variant name must not be empty")
        if not _ID_PATTERN.match(name):
            raise PackError(file, lineno, field, "a variant name uses letters, digits, '.', '_' and '-'")
        if name == DEFAULT_VARIANT:
            raise PackError(file, lineno, field, f"{DEFAULT_VARIANT!r} is the scenario's own prompt; give the variant another name")
        if not isinstance(spec, dict):
            raise PackError(file, lineno, field, 'expected an object: {"messages": [...]} or {"append": "text"}')
        unknown = sorted(set(spec) - set(_VARIANT_KINDS))
        if unknown:
            raise PackError(file, lineno, f"{field}.{unknown[0]}", "unknown field (a variant has messages or append)")
        given = [k for k in _VARIANT_KINDS if k in spec]
        if len(given) != 1:
            what = "both messages and append: give one" if given else "neither messages nor append: give one"
            raise PackError(file, lineno, field, what)
        if "messages" in spec:
            try:
                _check_messages(file, lineno, spec["messages"])
            except PackError as exc:
                raise PackError(file, lineno, f"{field}.{exc.field}", exc.message) from None
        else:
            if not isinstance(spec["append"], str) or not spec["append"].strip():
                raise PackError(file, lineno, f"{field}.append", "a non-empty string")
            if not any(isinstance(m, dict) and m.get("role") == "user" for m in messages):
                raise PackError(file, lineno, f"{field}.append", "the scenario has no user message to append to")
    return {name: dict(spec) for name, spec in raw.items()}


def _verifier_spec(file: Path, lineno: int, raw: Any, verifiers: Registry) -> VerifierSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise PackError(file, lineno, "verifier.kind", "the verifier must be an object with a 'kind'")
    kind = raw["kind"]
    if kind not in verifiers:
        raise PackError(file, lineno, "verifier.kind", verifiers.unknown_message(kind))
    params = {k: v for k, v in raw.items() if k != "kind"}
    verifier = verifier_instance(verifiers, kind)
    try:
        parsed = _parse_params(verifier, params)
    except ParamError as exc:
        (field, message), *more = getattr(exc, "problems", None) or [(exc.field, exc.message)]
        rest = "".join(f"; {_verifier_field(f)}: {m}" for f, m in more)
        raise PackError(file, lineno, _verifier_field(field), message + rest) from None
    return VerifierSpec(kind, params, parsed)


def _parse_params(verifier: Any, params: dict[str, Any]) -> Any:
    parse = getattr(verifier, "parse_params", None)
    if parse is not None:
        return parse(params)
    verifier.validate(params)  # a verifier not derived from Verifier, of the older style
    return params


def _verifier_field(field: str) -> str:
    return f"verifier.{field}" if field else "verifier"


_INSTANCES: dict[tuple[int, str], Any] = {}


def verifier_instance(verifiers: Registry, kind: str) -> Any:
    """One instance per verifier class and registry (verifiers are stateless)."""
    key = (id(verifiers), kind)
    if key not in _INSTANCES:
        target = verifiers.get(kind)
        instance = target() if isinstance(target, type) else target
        if hasattr(instance, "bind_verifiers"):  # a verifier made of other verifiers looks them up here
            instance.bind_verifiers(verifiers)
        _INSTANCES[key] = instance
    return _INSTANCES[key]


def load_scenarios(file: Path, verifiers: Registry, drivers: Registry | None) -> list[Scenario]:
    if not file.is_file():
        raise PackError(file, 1, "scenarios.jsonl", "missing: a pack folder needs scenarios.jsonl")
    scenarios: list[Scenario] = []
    first_line: dict[str, int] = {}
    for lineno, data in read_jsonl(file):
        scenario = parse_scenario(file, lineno, data, verifiers, drivers)
        if scenario.id in first_line:
            raise PackError(file, lineno, "id", f"duplicate id {scenario.id!r} (first on line {first_line[scenario.id]})")
        first_line[scenario.id] = lineno
        scenarios.append(scenario)
    if not scenarios:
        raise PackError(file, 1, "scenarios", "the file holds no scenarios")
    return scenarios


def load_pack_folder(path: Path, verifiers: Registry, drivers: Registry | None = None) -> Pack:
    path = Path(path)
    if not path.is_dir():
        raise BenchlabError(f"{path}: not a pack folder (expected a directory with pack.toml)")
    manifest = load_manifest(path)
    scenarios = load_scenarios(path / SCENARIOS, verifiers, drivers)
    return Pack(manifest, scenarios, path, needs_sandbox=_needs_sandbox(scenarios, verifiers))


def _needs_sandbox(scenarios: list[Scenario], verifiers: Registry) -> bool:
    return any(_scenario_needs_sandbox(verifier_instance(verifiers, s.verifier.kind), s.verifier) for s in scenarios)


def _scenario_needs_sandbox(verifier: Any, spec: VerifierSpec) -> bool:
    decide = getattr(verifier, "sandbox_needed", None)
    if decide is not None and spec.parsed is not None:
        return bool(decide(spec.parsed))
    return bool(getattr(verifier, "needs_sandbox", False))


def looks_like_path(ref: str) -> bool:
    return "/" in ref or ref.startswith(".") or Path(ref).is_dir()


def resolve_pack(
    ref: str, packs: Registry, verifiers: Registry, drivers: Registry | None = None, options: LoadOptions | None = None
) -> Pack:
    """A pack from a registered id or a folder path."""
    if ref in packs:
        source: PackSource = packs.get(ref)
        pack = load_source(source, verifiers, drivers, options)
        if pack.id != source.id:
            raise PackError(
                (source.path or Path(ref)) / MANIFEST, 1, "id", f"is {pack.id!r} but the pack is registered as {source.id!r}"
            )
        return pack
    if looks_like_path(ref):
        return load_pack_folder(Path(ref), verifiers, drivers)
    raise BenchlabError(packs.unknown_message(ref) + "; --pack also takes a path to a pack folder")


def load_source(source: PackSource, verifiers: Registry, drivers: Registry | None, options: LoadOptions | None = None) -> Pack:
    """A registered pack: its folder, or what its loader builds (``loader(source, verifiers, drivers, options)``)."""
    if source.loader:
        from benchlab.registry import Entry

        loader = Entry(source.id, source.loader, plugin="pack-loader").load()
        return loader(source, verifiers, drivers, options or LoadOptions())
    if source.path is None:
        raise BenchlabError(f"pack {source.id!r} was registered with neither a path nor a loader")
    return load_pack_folder(source.path, verifiers, drivers)
