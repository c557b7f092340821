"""The comparison folder ``OUT/compare-<id>/``: ``compare.json`` ties the models' runs together.

``compare.json`` holds everything ``benchlab compare --resume`` needs, and nothing secret:
the settings every model's run shares (selection, sampling, thinking: the RunConfig minus
its target), and per model its ``[[model]]`` table as ``ModelSpec.public`` gives it (the
endpoint without credentials, the key variable's name, never a key), the run that plays it
(None until one started) and why it is UNAVAILABLE. A comparison built from existing runs
(``benchlab compare RUN RUN``) has no shared settings: each run keeps its own.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timezone
from pathlib import Path

import attrs

from benchlab.codec import check_version, structure, unstructure, write_json
from benchlab.config import Budgets, RunConfig, SandboxRequest, Sampling, Selection, Thinking
from benchlab.errors import BenchlabError
from benchlab.models_file import ModelSpec
from benchlab.resume import DEFAULT_OUT
from benchlab.text_files import read_text

PREFIX = "compare-"
COMPARE_FILE = "compare.json"
REPORT_FILE = "compare.md"


@attrs.frozen
class SharedSettings:
    """What every model's run of a comparison shares: the RunConfig without its target."""

    selection: Selection
    sampling: Sampling = attrs.field(factory=Sampling)
    thinking: Thinking = attrs.field(factory=Thinking)
    budgets: Budgets = attrs.field(factory=Budgets)
    sandbox: SandboxRequest = attrs.field(factory=SandboxRequest)
    plugins: list[str] = attrs.field(factory=list)

    def config_for(self, spec: ModelSpec, out: Path) -> RunConfig:
        """The RunConfig of a new run of ``spec``."""
        return RunConfig(target=spec.target(), selection=self.selection, sampling=self.sampling, thinking=self.thinking,
                         budgets=self.budgets, sandbox=self.sandbox, out=str(out), plugins=list(self.plugins))


@attrs.define
class Member:
    """One model of a comparison: its spec, its run (folder) and why it has no verdicts."""

    spec: ModelSpec
    run_id: str | None = None
    run_dir: str | None = None  # absolute: a run compared from elsewhere need not live under --out
    unavailable: str | None = None  # why the model did not start (None: it did, or it was not tried)


@attrs.define
class SavedComparison:
    compare_id: str
    created_at: str
    settings: SharedSettings | None
    members: list[Member]

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.spec.name == name), None)

    @property
    def names(self) -> list[str]:
        return [m.spec.name for m in self.members]


def new_compare_id() -> str:
    from benchlab.run import new_run_id

    return new_run_id()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def folder_of(out: Path, compare_id: str) -> Path:
    return out / f"{PREFIX}{compare_id}"


def bare_id(ref: str) -> str:
    """``--resume`` takes the id or the folder name (``compare-<id>``)."""
    ref = ref.rstrip("/")
    return ref[len(PREFIX):] if ref.startswith(PREFIX) else ref


def save(out: Path, saved: SavedComparison) -> Path:
    folder = folder_of(out, saved.compare_id)
    data = {
        "compare_id": saved.compare_id,
        "created_at": saved.created_at,
        "settings": unstructure(saved.settings) if saved.settings is not None else None,
        "models": [{**m.spec.public(), "run_id": m.run_id, "run_dir": m.run_dir, "unavailable": m.unavailable}
                   for m in saved.members],
    }
    write_json(folder / COMPARE_FILE, data)
    return folder


def load(out: Path, ref: str) -> SavedComparison:
    """The comparison ``ref`` (its id, or ``compare-<id>``) under ``out``; one error line when there is none."""
    compare_id = bare_id(ref)
    file = folder_of(out, compare_id) / COMPARE_FILE
    if "/" in compare_id or not file.is_file():
        known = sorted((p.name[len(PREFIX):] for p in out.glob(f"{PREFIX}*") if (p / COMPARE_FILE).is_file()), reverse=True)
        listing = ", ".join(known[:5]) or "none"
        raise BenchlabError(f"no comparison {ref!r} under {out}/ (recent comparisons: {listing}); pass --out if it lives elsewhere")
    try:
        data = json.loads(read_text(file, COMPARE_FILE))
    except ValueError as exc:
        raise BenchlabError(f"{file}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BenchlabError(f"{file}: not a comparison file")
    check_version(data, file)
    try:
        settings = structure(data["settings"], SharedSettings) if data.get("settings") is not None else None
        members = [Member(ModelSpec.from_public({k: v for k, v in m.items() if k not in ("run_id", "run_dir", "unavailable")}),
                          m.get("run_id"), m.get("run_dir"), m.get("unavailable")) for m in data["models"]]
        return SavedComparison(data["compare_id"], data.get("created_at", ""), settings, members)
    except Exception as exc:  # a hand-edited or foreign file
        raise BenchlabError(f"{file}: not a comparison benchlab can read ({type(exc).__name__}: {exc})") from None


def resume_command(compare_id: str, out: str | Path, only: list[str]) -> str:
    """The command that plays what ``only`` miss into this comparison, exactly as it must be typed
    (``--out`` absolute when it is not ``results/`` here)."""
    words = ["benchlab", "compare", "--resume", compare_id]
    for name in only:
        words += ["--only", name]
    folder = Path(out).expanduser().resolve()
    if folder != Path(DEFAULT_OUT).resolve():
        words += ["--out", str(folder)]
    return shlex.join(words)
