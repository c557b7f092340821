"""A fresh machine's PATH: a folder of links to only the tools a fresh Debian offers.

The issue that started this benchmark describes the machine: Debian with Python 3.11
and gcc/g++, no cmake, no ninja. Its PATH is modelled as links to python3,
cc/c++/gcc/g++, make, as/ld/ar and tar. Shared by this benchmark and by
tests/test_fresh_machine.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

FRESH_TOOLS = ("python3", "cc", "c++", "gcc", "g++", "make", "as", "ld", "ar", "tar")
# What pip or a build backend prints when it compiles a package instead of installing a wheel.
COMPILED_FROM_SOURCE = re.compile(r"Building wheels? for|bdist_wheel|Running setup\.py install|Created wheel for", re.I)


def fresh_tool_links(folder: Path, python: str) -> list[str]:
    """Fill ``folder`` (created) with links to the fresh machine's tools; return those not found here.

    ``python3`` links to ``python``, the interpreter the caller wants a fresh machine to have.
    """
    folder.mkdir(parents=True, exist_ok=True)
    missing = []
    for tool in FRESH_TOOLS:
        found = python if tool == "python3" else shutil.which(tool)
        if found is None:
            missing.append(tool)
            continue
        (folder / tool).symlink_to(found)
    return missing
