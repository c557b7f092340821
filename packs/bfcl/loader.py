"""Packs ``bfcl-<category>``: BFCL's single-turn Python categories, from the installed ``bfcl-eval``.

Each entry becomes a scenario with BFCL's id. A run plays the first 50 entries of each
category in file order; ``--full-dataset`` plays every entry, and a scenario named with
``--scenario bfcl-X/ID`` (``LoadOptions.scenario_ids``) is included wherever it is.

The run option ``bfcl_mode`` (``LoadOptions.settings``; ``fc`` by default) says how
the model is asked:

- ``fc``: the function docs go out as tools (BFCL's types mapped onto JSON Schema),
  names with dots sent with underscores, which OpenAI-style APIs require;
- ``prompt``: the docs go into the system prompt as JSON and the model answers in
  Python call syntax.

Either way the ``bfcl`` verifier judges by BFCL's rules. The mode and the bfcl-eval
version are part of the pack's version string (``1.0.0+2026.3.23.fc``), so a run's
record says how its BFCL numbers were made.

Proofs are built from the possible answers (``bfcl_answers``) and written to a cache
folder named by their hash, as the humaneval pack does. Scenario pairs whose gold
answers pass each other (BFCL repeats some questions) are declared ``equivalent``.
"""

from __future__ import annotations

import json
from itertools import combinations
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions, Pack, PackManifest, PackSource, Scenario
from benchlab.proofs import cached_proofs_folder
from benchlab.packs.bfcl import data as bfcl_data
from benchlab.plugins.verifiers.tool_calls.bfcl_answers import gold_calls, proof_cases, sent_name
from benchlab.plugins.verifiers.tool_calls.bfcl_checker import check_calls

PACK_VERSION = "1.0.0"
MODES = ("fc", "prompt")
SETTING = "bfcl_mode"

# benchlab's own wording; BFCL's prompting handlers send theirs. The answer format is BFCL's.
SYSTEM_PROMPT = """You can use the functions described below in JSON. To use them, reply with only a Python list of function calls written with keyword arguments, for example:
[get_weather(city="Paris", unit="celsius"), get_time(timezone="Europe/Paris")]
Write each function name exactly as the descriptions spell it and each value as a Python literal. When several calls are needed, put all of them in the one list. When none of the functions fits the request, or the request lacks a value a function requires, call nothing and say so in plain words.

Functions:
{functions}"""

_JSON_TYPES = {"string": "string", "integer": "integer", "float": "number", "boolean": "boolean",
               "array": "array", "tuple": "array", "dict": "object", "any": "string"}
_KEPT_KEYS = ("description", "enum", "default", "format", "minimum", "maximum", "minItems", "maxItems")


def mode_of(options: LoadOptions) -> str:
    mode = options.settings.get(SETTING, "fc")
    if mode not in MODES:
        raise BenchlabError(f"--bfcl-mode {mode!r}: expected one of {', '.join(MODES)}")
    return mode


def json_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """A BFCL parameter description as JSON Schema (BFCL's type names are Python's)."""
    schema: dict[str, Any] = {"type": _JSON_TYPES.get(spec.get("type"), "string")}  # type: ignore[arg-type]
    schema.update({key: spec[key] for key in _KEPT_KEYS if key in spec})
    if isinstance(spec.get("items"), dict):
        schema["items"] = json_schema(spec["items"])
    if isinstance(spec.get("properties"), dict):
        schema["properties"] = {name: json_schema(sub) for name, sub in spec["properties"].items() if isinstance(sub, dict)}
        if isinstance(spec.get("required"), list):
            schema["required"] = list(spec["required"])
    return schema


def tool(doc: dict[str, Any]) -> dict[str, Any]:
    parameters = doc.get("parameters") or {}
    properties = parameters.get("properties") or {}
    return {"type": "function", "function": {
        "name": sent_name(doc["name"]),
        "description": doc.get("description", ""),
        "parameters": {"type": "object", "properties": {k: json_schema(v) for k, v in properties.items()},
                       "required": list(parameters.get("required", []))},
    }}


def prompt_messages(messages: list[dict[str, Any]], functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The question with the function docs in the system prompt (joined to one the question has)."""
    system = SYSTEM_PROMPT.format(functions=json.dumps(functions, indent=2, ensure_ascii=False))
    if messages and messages[0].get("role") == "system":
        return [{"role": "system", "content": f"{system}\n\n{messages[0].get('content', '')}"}] + messages[1:]
    return [{"role": "system", "content": system}] + messages


def scenario_data(entry: dict[str, Any], category: str, mode: str, ground_truth: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The scenario object (as a pack line would hold it) for one BFCL entry."""
    functions = entry["function"]
    messages = [dict(m) for m in entry["question"][0]]
    verifier: dict[str, Any] = {"kind": "bfcl", "category": category, "mode": mode, "functions": functions}
    if ground_truth is not None:
        verifier["ground_truth"] = ground_truth
    data: dict[str, Any] = {"id": entry["id"], "verifier": verifier, "tags": ["bfcl", category, mode]}
    if mode == "fc":
        data["messages"] = messages
        if functions:  # BFCL sends no tools at all rather than an empty list (some entries offer none)
            data["tools"] = [tool(doc) for doc in functions]
        renamed = {sent_name(doc["name"]): doc["name"] for doc in functions if sent_name(doc["name"]) != doc["name"]}
        if renamed:
            verifier["names"] = renamed
    else:
        data["messages"] = prompt_messages(messages, functions)
    return data


def manifest(category: str, mode: str, version: str | None, dataset: str | None, equivalent: list[list[str]]) -> PackManifest:
    return PackManifest(
        id=bfcl_data.PACK_PREFIX + category,
        version=f"{PACK_VERSION}+{version or 'unknown'}.{mode}",
        title=f"BFCL {category}",
        dimension="function calling, scored as the Berkeley Function Calling Leaderboard scores it",
        default_thinking=False,
        default_max_seconds=60.0,
        description=(
            f"BFCL v4's {category} category from the bfcl-eval package, asked through "
            + ("the tools API" if mode == "fc" else "a system prompt (answers in Python call syntax)")
            + ", judged by benchlab's re-implementation of BFCL's checker (agreement with the official "
            "checker is measured in benchmarks/bfcl and required by the test suite)."
        ),
        floor=None,
        dataset=dataset,
        equivalent=equivalent,
    )


def load(source: PackSource, verifiers: Any, drivers: Any, options: LoadOptions) -> Pack:
    """The pack (``register_packs`` loader): scenarios from the installed package, or unavailable."""
    from benchlab.pack_loader import parse_scenario

    category = bfcl_data.category_of_pack(source.id)
    if category is None:
        raise BenchlabError(f"pack {source.id!r} is not a BFCL category (known: {', '.join(bfcl_data.CATEGORIES)})")
    mode = mode_of(options)
    folder = bfcl_data.data_dir()
    if folder is None:
        return Pack(manifest(category, mode, None, None, []), [], None,
                    unavailable=f"the bfcl-eval package is not installed: {bfcl_data.INSTALL_COMMAND}")
    version = bfcl_data.installed_version()
    entries = bfcl_data.read_entries(folder, category)
    answers = bfcl_data.read_possible_answers(folder, category)
    prefix = source.id + "/"
    named = {ref[len(prefix):] for ref in options.scenario_ids if ref.startswith(prefix)}
    chosen = bfcl_data.choose(entries, options.full_dataset, named)
    path = folder / f"{bfcl_data.FILE_PREFIX}{category}.json"
    index = {entry["id"]: lineno for lineno, entry in enumerate(entries, start=1)}
    scenarios: list[Scenario] = [
        parse_scenario(path, index[e["id"]], scenario_data(e, category, mode, answers.get(e["id"])), verifiers, drivers)
        for e in chosen
    ]
    proofs = [case for e in chosen for case in proof_cases(e["id"], category, mode, e["function"], answers.get(e["id"]))]
    comparable = len(chosen) == len(entries)
    dataset = (f"bfcl-eval {version or '(version unknown)'}, {mode} mode: {len(chosen)} of {len(entries)} entries"
               + ("" if comparable else " (a subset: not comparable with the leaderboard)"))
    note = bfcl_data.version_note(version)
    if note:
        dataset += f"; {note}"
    equivalent = equivalent_pairs(category, chosen, answers)
    return Pack(manifest(category, mode, version, dataset, equivalent), scenarios, cached_proofs_folder("bfcl-proofs", proofs))


def equivalent_pairs(category: str, entries: list[dict[str, Any]], answers: dict[str, list[dict[str, Any]]]) -> list[list[str]]:
    """Pairs of entries where one's gold answer also passes the other (the same question asked twice)."""
    if not answers:
        return []
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for entry in entries:
        truth = answers.get(entry["id"])
        if truth:
            groups.setdefault(tuple(sorted(next(iter(t)) for t in truth)), []).append(entry)
    pairs: list[list[str]] = []
    for group in groups.values():
        for first, second in combinations(group, 2):
            if _passes(category, first, second, answers) or _passes(category, second, first, answers):
                pairs.append([first["id"], second["id"]])
    return pairs


def _passes(category: str, giver: dict[str, Any], taker: dict[str, Any], answers: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether the giver's gold answer passes the taker's check."""
    calls = gold_calls(giver["function"], answers[giver["id"]])
    return calls is not None and not check_calls(category, taker["function"], calls, answers[taker["id"]])


def run_notes(packs: list[Pack], scenario_refs: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What a run's record should say about its BFCL packs: a subset's or another release's caveat.

    ``scenario_refs`` are the run's ``--scenario`` references: a pack named there plays only those.
    """
    bfcl = [p for p in packs if bfcl_data.category_of_pack(p.id) and not p.unavailable]
    if not bfcl:
        return []
    folder = bfcl_data.data_dir()
    notes = []
    subset = []
    for pack in bfcl:
        named = {ref for ref in scenario_refs if ref.startswith(pack.id + "/")}
        played = len(named) if named else len(pack.scenarios)
        if folder is None or played < bfcl_data.entry_count(folder, bfcl_data.category_of_pack(pack.id) or ""):
            subset.append(pack.id)
    if subset:
        notes.append(f"BFCL packs played a subset of their category ({', '.join(subset)}): the scores are not "
                     "comparable with the leaderboard; --full-dataset plays every entry")
    note = bfcl_data.version_note(bfcl_data.installed_version())
    if note:
        notes.append(note)
    return notes
