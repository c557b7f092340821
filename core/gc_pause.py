"""Building many long-lived objects at once without the garbage collector traversing them again and again.

CPython's cyclic collector runs every few hundred allocations, and each older-generation
pass walks every object still alive. Reading a large run builds hundreds of thousands of
objects (parsed JSON, one summary per result) that form no reference cycle, so those
passes find no garbage while costing a fifth of a reading command's time.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside the block (building acyclic data); as before after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def settle_long_lived() -> None:
    """Move every object alive now out of the collector's view (``gc.freeze``): what a command
    loaded to work on (a record, its packs) is then not walked by each later collection, which
    only looks at what the work itself allocates. Reference counting still frees them."""
    gc.freeze()
