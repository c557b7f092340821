"""Which packs and scenarios a run plays: modes, ``--pack``, ``--scenario``.

Every selected pack is loaded and validated here, before any request is sent.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions, Pack
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


def work_items(packs: list[Pack], scenario_refs: list[str], repeat: int = 1) -> list[WorkItem]:
    """All scenarios of the packs, or only the named ones; each ``repeat`` times."""
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
            items.extend(WorkItem(pack, scenario, r) for r in range(repeat))
    return items


def packs_for_scenarios(scenario_refs: list[str], plugins: Plugins) -> list[str]:
    """``--scenario PACK/ID`` alone selects PACK."""
    refs: list[str] = []
    for ref in scenario_refs:
        pack_id, _ = split_scenario_ref(ref)
        if pack_id not in refs:
            refs.append(pack_id)
    return refs

