"""Keep CPython's cyclic garbage collector out of the offline render and the policy analysis.

A recording keeps ~400k objects alive (Outputs, asyncio tasks, protobuf messages) and frees almost
nothing until it ends, so every full collection during it walks them all for nothing: about half
of a recording's time went there. Reference counting still frees everything acyclic as usual;
the cycles left behind are collected by the first collection after the block.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze_after_blocks = False


def freeze_garbage_after_blocks(enabled: bool = True) -> None:
    """For a process that renders many stacks and keeps them (the test session): at the end of a
    paused block, move everything alive, the block's cyclic garbage included, to the permanent
    generation instead of leaving it to the next full collection, which would walk every
    recording kept so far (about 0.3 s a render). Costs the garbage's memory, about 35 MiB a
    render, which a test run's few dozen renders afford."""
    global _freeze_after_blocks
    _freeze_after_blocks = enabled


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable automatic collection inside the block; restore the caller's setting after.

    Nests safely: an inner block leaves the collector as the outer block set it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze_after_blocks:
            gc.freeze()
        if was_enabled:
            gc.enable()
