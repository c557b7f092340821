"""``benchlab packs list|show|validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions
from benchlab.pack_loader import load_source, resolve_pack
from benchlab.plugin_manager import Plugins


def list_packs(plugins: Plugins, settings: dict[str, Any] | None = None) -> None:
    """One line per registered pack; needs-sandbox and dataset state spelled out."""
    options = LoadOptions(settings=dict(settings or {}))
    rows = [("id", "version", "scen", "modes", "sandbox", "dimension / dataset")]
    for entry in plugins.packs:
        source = entry.load()
        try:
            pack = load_source(source, plugins.verifiers, plugins.drivers, options)
        except BenchlabError as exc:
            rows.append((entry.name, "-", "-", "-", "-", f"INVALID: {exc}"))
            continue
        about = pack.manifest.dimension
        if pack.unavailable:
            about += f" (dataset unavailable: {pack.unavailable})"
        elif pack.manifest.dataset:
            about += f" (dataset: {pack.manifest.dataset})"
        rows.append((pack.id, pack.manifest.version, str(len(pack.scenarios)), ",".join(source.modes) or "-",
                     "yes" if pack.needs_sandbox else "no", about))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)).rstrip())


def show_pack(ref: str, plugins: Plugins, settings: dict[str, Any] | None = None) -> None:
    pack = resolve_pack(ref, plugins.packs, plugins.verifiers, plugins.drivers, LoadOptions(settings=dict(settings or {})))
    m = pack.manifest
    print(f"{m.title} ({m.id} v{m.version})")
    print(f"  dimension: {m.dimension}")
    if m.description:
        print(f"  {m.description}")
    floor = f"{m.floor:.0%}" if m.floor is not None else "none"
    print(f"  floor: {floor}; thinking by default: {'on' if m.default_thinking else 'off'}; "
          f"max seconds per scenario: {m.default_max_seconds:g}; needs sandbox: {'yes' if pack.needs_sandbox else 'no'}")
    if pack.unavailable:
        print(f"  dataset unavailable: {pack.unavailable}")
    elif m.dataset:
        print(f"  dataset: {m.dataset}")
    if pack.path:
        print(f"  folder: {pack.path}")
    for s in pack.scenarios:
        prompt = next((str(msg.get("content", "")) for msg in reversed(s.messages) if msg.get("role") == "user"), "")
        prompt = " ".join(prompt.split())
        print(f"  {s.id:<12} [{s.verifier.kind}] {prompt[:90]}{'...' if len(prompt) > 90 else ''}")
        if s.variants:
            print(f"  {'':<12} prompt variants (--variants): {', '.join(s.variants)}")


def validate_pack(path: Path, plugins: Plugins, settings: dict[str, Any] | None = None) -> int:
    """0 when the pack and its proofs hold; 1 (with every problem listed) otherwise."""
    from benchlab.proofs import PROOFS, check_proofs, coverage_problems, read_proofs

    pack = resolve_pack(str(path), plugins.packs, plugins.verifiers, plugins.drivers, LoadOptions(settings=dict(settings or {})))
    if pack.unavailable:
        print(f"{pack.id}: dataset unavailable: {pack.unavailable}")
        return 1
    print(f"{pack.id}: {len(pack.scenarios)} scenarios, schema ok")
    if pack.path is None or not (pack.path / PROOFS).is_file():
        print(f"{pack.id}: no {PROOFS}: every scenario needs a gold answer, an alternative form and a near-miss")
        return 1
    sandbox = None
    if pack.needs_sandbox:
        from benchlab.sandbox_choice import choose_for_run

        # Gold answers of a code pack only pass when their code runs: never judge them without a sandbox.
        setup = choose_for_run(plugins, None, False, 2)
        if setup.provider is None:
            raise BenchlabError(f"{pack.id}: its proofs run code, and {setup.unavailable}")
        sandbox = setup.provider
    problems: list[str] = []
    cases = read_proofs(pack, problems)
    try:
        outcomes = check_proofs(pack, plugins, sandbox, cases)
    finally:
        if sandbox is not None:
            sandbox.close()
    problems += coverage_problems(pack, cases)
    problems += [f"{o.case.scenario} ({o.case.kind}, {PROOFS}:{o.case.line}): {o.problem}" for o in outcomes if o.problem]
    for problem in problems:
        print(f"{pack.id}: {problem}")
    print(f"{pack.id}: {len(outcomes)} proof cases, {len(problems)} problem(s)")
    return 1 if problems else 0
