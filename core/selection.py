"""Which packs and scenarios a run plays: modes, ``--pack``, ``--scenario``.

Every selected pack is loaded and validated here, once, before any request is
sent; ``plan_run`` hands the run its packs and work items with the recorded
``Selection``, so nothing is selected or expanded twice.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Collection

import attrs

from benchlab.config import Selection, Thinking
from benchlab.errors import BenchlabError
from benchlab.model import DEFAULT_VARIANT, LoadOptions, Pack
from benchlab.pack_loader import looks_like_path, resolve_pack
from benchlab.plugin_manager import Plugins
from benchlab.runner import WorkItem


def mode_packs(plugins: Plugins, mode: str) -> list[str]:
    """The registered packs that declare membership of ``mode``, in registration order."""
    ids = [e.name for e in plugins.packs if mode in getattr(e.target, "modes", ())]
    if not ids:
        raise BenchlabError(f"no installed pack belongs to mode --{mode}")
    return ids


def canonical_ref(ref: str, plugins: Plugins) -> str:
    """A registered id as is; a folder as an absolute path (so --resume finds it anywhere)."""
    if ref not in plugins.packs and looks_like_path(ref):
        return str(Path(ref).resolve())
    return ref


def load_packs(refs: list[str], plugins: Plugins, options: LoadOptions | None = None) -> list[Pack]:
    packs: list[Pack] = []
    seen: dict[str, str] = {}
    for ref in refs:
        pack = resolve_pack(ref, plugins.packs, plugins.verifiers, plugins.drivers, options)
        if pack.id in seen:
            if seen[pack.id] == ref:
                continue
            raise BenchlabError(f"two selected packs have the id {pack.id!r}: {seen[pack.id]} and {ref}")
        seen[pack.id] = ref
        packs.append(pack)
    return packs


def split_scenario_ref(ref: str) -> tuple[str, str]:
    pack_id, sep, scenario_id = ref.rpartition("/")
    if not sep or not pack_id or not scenario_id:
        raise BenchlabError(f"--scenario {ref!r}: expected PACK/ID, e.g. toolcall-15/TC-01")
    return pack_id, scenario_id


def work_items(
    packs: list[Pack], scenario_refs: list[str], repeat: int = 1, thinking: bool | None = None, both: bool = False,
    variants: bool = False,
    thinking_on: Collection[str] = (),
) -> list[WorkItem]:
    """All scenarios of the packs, or only the named ones; each ``repeat`` times, with thinking
    ``thinking`` (None: each pack's default, on for the packs in ``thinking_on``), or in both
    arms (off, then on) with ``both``; with ``variants``, in its default prompt and then in each
    of its prompt variants."""
    by_id = {p.id: p for p in packs}
    wanted: dict[str, set[str]] = {}
    for ref in scenario_refs:
        pack_id, scenario_id = split_scenario_ref(ref)
        pack = by_id.get(pack_id)
        if pack is None:
            raise BenchlabError(f"--scenario {ref!r}: pack {pack_id!r} is not selected (selected: {', '.join(by_id)})")
        if pack.scenario(scenario_id) is None:
            ids = [s.id for s in pack.scenarios]
            hint = difflib.get_close_matches(scenario_id, ids, n=1)
            suffix = f"; did you mean {hint[0]!r}?" if hint else ""
            raise BenchlabError(f"--scenario {ref!r}: pack {pack_id!r} has no scenario {scenario_id!r}{suffix}")
        wanted.setdefault(pack_id, set()).add(scenario_id)
    items: list[WorkItem] = []
    for pack in packs:
        if wanted and pack.id not in wanted:
            continue
        for scenario in pack.scenarios:
            if pack.id in wanted and scenario.id not in wanted[pack.id]:
                continue
            default = pack.id in thinking_on or pack.manifest.default_thinking
            arms = (False, True) if both else (default if thinking is None else thinking,)
            names = [DEFAULT_VARIANT, *scenario.variants] if variants else [DEFAULT_VARIANT]
            items.extend(WorkItem(pack, scenario.with_variant(name), r, prompt_variant=name, thinking=arm)
                         for name in names for arm in arms for r in range(repeat))
    return items


def packs_for_scenarios(scenario_refs: list[str], plugins: Plugins) -> list[str]:
    """``--scenario PACK/ID`` alone selects PACK."""
    refs: list[str] = []
    for ref in scenario_refs:
        pack_id, _ = split_scenario_ref(ref)
        if pack_id not in refs:
            refs.append(pack_id)
    return refs



DEFAULT_MODE = "medium"
# The mode label's mark of a run that played the prompt variants too (its pack totals count them).
VARIANTS_LABEL = "--variants"
# Modes whose packs are played with thinking on unless the user forces it off.
THINKING_MODES = ("reasoning",)


@attrs.frozen
class Plan:
    """A run's selection as recorded, its validated packs and the work items they expand to."""

    selection: Selection
    packs: list[Pack]
    items: list[WorkItem]


def _refs_and_label(flags: Any, plugins: Plugins) -> tuple[list[str], str, list[str]]:
    """Pack references, the mode label shown in the Quality: line, and the packs a mode plays thinking."""
    refs: list[str] = []
    labels: list[str] = []
    thinking_on: list[str] = []
    for mode in flags.modes:
        chosen = mode_packs(plugins, mode)
        refs += chosen
        thinking_on += chosen if mode in THINKING_MODES else []
        labels.append(f"--{mode}")
    if flags.packs:
        refs += [canonical_ref(p, plugins) for p in flags.packs]
        labels.append("--pack " + ",".join(flags.packs))
    if flags.scenarios and not refs:
        refs += packs_for_scenarios(flags.scenarios, plugins)
        labels.append("--scenario " + ",".join(flags.scenarios))
    if not refs:
        refs = mode_packs(plugins, DEFAULT_MODE)
        labels.append(f"--{DEFAULT_MODE}")
    if flags.sandboxed != "all":
        labels.append("--no-sandboxed" if flags.sandboxed == "none" else "--sandboxed-only")
    if flags.variants:
        labels.append(VARIANTS_LABEL)
    return list(dict.fromkeys(refs)), " ".join(labels), list(dict.fromkeys(thinking_on))


def plan_run(flags: Any, plugins: Plugins, thinking: Thinking | None = None) -> Plan:
    """Resolve the selection flags (``benchlab.cli.options.SelectionFlags``): load and
    validate the packs, apply the sandbox filter, expand the work items in the thinking
    arms ``thinking`` asks for (default: each pack's own)."""
    refs, mode, thinking_on = _refs_and_label(flags, plugins)
    options = Selection(packs=refs, scenarios=list(flags.scenarios), full_dataset=flags.full_dataset,
                        pack_settings=dict(flags.pack_settings)).load_options()
    packs = load_packs(refs, plugins, options)
    if flags.sandboxed != "all":
        keep = flags.sandboxed == "only"
        pairs = [(r, p) for r, p in zip(refs, packs) if p.needs_sandbox == keep]
        refs, packs = [r for r, _ in pairs], [p for _, p in pairs]
        if not packs:
            raise BenchlabError(f"no selected pack is left after {mode.split()[-1]}")
    selection = Selection(packs=refs, mode=mode, scenarios=list(flags.scenarios), repeat=flags.repeat,
                          full_dataset=flags.full_dataset, sandboxed=flags.sandboxed, variants=flags.variants,
                          pack_settings=dict(flags.pack_settings), thinking_on=[r for r in thinking_on if r in refs])
    return Plan(selection, packs, _items(packs, selection, thinking))


def replan(selection: Selection, plugins: Plugins, thinking: Thinking | None = None) -> Plan:
    """The plan of a recorded selection (``--resume``): the packs loaded again, the items expanded."""
    packs = load_packs(selection.packs, plugins, selection.load_options())
    return Plan(selection, packs, _items(packs, selection, thinking))


def _items(packs: list[Pack], selection: Selection, thinking: Thinking | None) -> list[WorkItem]:
    thinking = thinking or Thinking()
    return work_items(packs, selection.scenarios, selection.repeat, thinking.forced, thinking.both, selection.variants,
                      set(selection.thinking_on))
