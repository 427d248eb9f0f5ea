"""The garbage collector in a long-lived process (the dev server) that keeps a large site in memory.

Python's collector walks every container object it tracks; the oldest generation is walked whenever
enough objects survived since the last walk. A dev server keeps the whole site between builds (hundreds
of MB on a site of thousands of pages), so a full walk costs 100–300 ms — and it happens *during* some
later build, at random: the one save in a few that was suddenly slow. Reference counting frees almost all
of our garbage anyway (the values are frozen dataclasses and tuples, without cycles).

So after each build the surviving objects are moved out of the collector's sight (``gc.freeze``), and
builds only ever walk what they made themselves. The few cycles that die among frozen objects (a replaced
Markdown pipeline, a Jinja environment after a config edit) are collected by ``tidy`` once the server has
been idle for a while, when a pause costs nobody anything.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def settle() -> None:
    """After a build: what survived it is kept out of the collector's walks."""
    gc.freeze()


def tidy() -> None:
    """When idle: one full collection, cycles among the frozen objects included, then freeze again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collector walks inside (a build, loading YAML): both keep nearly everything they make, and each
    walk of the oldest generation rescanned it all (four walks of 100–180 ms in one cold build of the medium
    corpus; a 100,000-term file loaded 3x slower). What they make holds almost no reference cycles; the
    next walk after them finds the few there are. Nests: only the outermost turns the collector back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
