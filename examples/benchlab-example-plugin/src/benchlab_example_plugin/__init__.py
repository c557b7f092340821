"""An example benchlab plugin: the ``acrostic`` verifier and the ``acrostic-3`` pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab import hookimpl
from benchlab.api import PackSource

PACK_DIR = Path(__file__).parent / "packs" / "acrostic-3"


@hookimpl
def register_verifiers(register: Any) -> None:
    # A "module:attr" string: the verifier module is imported only when a pack uses it.
    register("acrostic", "benchlab_example_plugin.acrostic:AcrosticVerifier",
             summary="the first letters of the lines spell a word")


@hookimpl
def register_packs(register: Any) -> None:
    register(PackSource(id="acrostic-3", path=PACK_DIR, summary="three acrostic poems"))
