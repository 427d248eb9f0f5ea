"""Spread independent work over the machine's cores, with results in the same order as a serial run.

Workers are forked so they inherit the large read-only state (the resolved site, the compiled term
matcher, the Jinja environment, the page list) instead of receiving it pickled; only item indices go
out and small results come back. Where fork is unavailable or unsafe (other threads running, e.g. in the
dev server), or the batch is small, the work simply runs here, serially: same results either way.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

# Set in the parent immediately before forking and cleared right after: the one way to hand a forked
# worker state without pickling it. Nothing else reads or writes it.
_FORKED: dict[str, Any] = {}
CHUNKS_PER_WORKER = 8


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def ordered_map(fn: Callable[[int], R], n: int, *, jobs: int | None = None, min_items: int = 64) -> list[R]:
    """``[fn(0), …, fn(n-1)]``, computed by up to ``jobs`` forked workers when it is worth it."""
    workers = min(jobs or cpu_count(), max(1, n // max(1, min_items // 2)))
    if workers <= 1 or n < min_items or not _can_fork():
        return [fn(i) for i in range(n)]
    # Interleaved chunks spread uneven items (long and short articles, a few big listing pages) evenly, and
    # several chunks per worker, handed out as workers finish, even out the rest: with one chunk each, one
    # worker of a cold medium build finished 0.22 s after the other.
    count = min(n, workers * CHUNKS_PER_WORKER)
    chunks: list[Sequence[int]] = [range(c, n, count) for c in range(count)]
    _FORKED["fn"] = fn
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_run_chunk, chunks, chunksize=1)
    finally:
        _FORKED.clear()
    out: list[R] = [None] * n  # type: ignore[list-item]
    for chunk, results in zip(chunks, parts, strict=True):
        for i, r in zip(chunk, results, strict=True):
            out[i] = r
    return out


def _run_chunk(indices: Sequence[int]) -> list[Any]:
    # A worker lives for one batch: its garbage is freed by reference counts, and the collector's walks would
    # only cost time — and copy every inherited page (a walk writes to each object's header, breaking the
    # copy-on-write sharing with the parent).
    gc.disable()
    fn = _FORKED["fn"]
    return [fn(i) for i in indices]


def beside(other: Callable[[], bool], here: Callable[[], object]) -> bool:
    """Run ``other`` in a forked process while ``here`` runs in this one, and wait for both: two files
    written at once when the workers are done and a core is idle (the build's two cache files). Returns
    whether ``other`` succeeded. Without fork (other threads running, not Linux), both run here."""
    if not _can_fork():
        here()
        try:
            return other()
        except Exception:  # as from the forked process: a failure, not a crash
            return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
        gc.disable()  # it only writes what it inherited, then exits
        try:
            ok = other()
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    try:
        here()
    finally:
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0
