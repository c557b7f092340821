"""Datasets the user brings: ``--dataset PACK=PATH``, and what a pack says without one.

benchlab ships none of these packs' questions. ``--dataset PACK=PATH`` names a local copy;
the path is made absolute as the command line is read (so ``--resume`` finds it from
anywhere) and recorded with the run; the loader records the file's sha256 in the pack's
``dataset`` line (run.json's ``packs[].dataset``). Without it the pack is
``dataset_unavailable``, with one line saying where the data comes from and how to pass it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions

SETTING = "dataset"

# Pack id -> where its data comes from (the first half of its dataset_unavailable line).
SOURCES = {
    "lcb-v6-30": ("LiveCodeBench's code_generation_lite release v6 JSONL (test6.jsonl, "
                  "huggingface.co/datasets/livecodebench/code_generation_lite)", "test6.jsonl"),
    "gpqa-diamond": ("GPQA's gpqa_diamond.csv (dataset.zip at github.com/idavidrein/gpqa, password in its README; "
                     "or huggingface.co/datasets/Idavidrein/gpqa, gated)", "gpqa_diamond.csv"),
}


def dataset_value(text: str) -> str:
    """``--dataset``'s value, checked as the command line is read: ``PACK=PATH`` with PACK a pack
    that takes a dataset and PATH an existing file; returned with the path made absolute."""
    pack, sep, raw = text.partition("=")
    pack, raw = pack.strip(), raw.strip()
    known = ", ".join(SOURCES)
    if not sep or not pack or not raw:
        raise BenchlabError(f"--dataset {text!r}: expected PACK=PATH, e.g. --dataset gpqa-diamond=./gpqa_diamond.csv")
    if pack not in SOURCES:
        raise BenchlabError(f"--dataset {text!r}: pack {pack!r} takes no dataset (packs that do: {known})")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise BenchlabError(f"--dataset {text!r}: {path} is not a file")
    return f"{pack}={path.resolve()}"


def dataset_path(options: LoadOptions, pack_id: str) -> Path | None:
    """The file ``--dataset`` gave for ``pack_id`` (None: not given). Naming one pack twice is an error."""
    given = [value.partition("=")[2] for value in options.settings.get(SETTING) or [] if value.partition("=")[0] == pack_id]
    if len(given) > 1:
        raise BenchlabError(f"--dataset names {pack_id} {len(given)} times: give one file per pack")
    return Path(given[0]) if given else None


def unavailable_line(pack_id: str) -> str:
    source, example = SOURCES[pack_id]
    return f"no local copy of {source}: pass one with --dataset {pack_id}=PATH/{example}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
