"""The dev server's search index, refreshed in the background after each build (issue 12).

A save is served first: the rebuild thread swaps in the new pages and tells the tabs, and only then hands
the pages to ``SearchRefresher``. Its one thread re-indexes the parts whose pages changed (``search.Indexer``
with the refresher's own memo) on one Pagefind service kept running between refreshes, so the Japanese
dictionary is loaded once, not at every save. A newer build supersedes a running refresh: the refresh stops
at its next check (pages not yet sent to Pagefind are skipped), and the newest pages are indexed instead.

The dev server cuts the index into smaller parts than the published site (``LAYOUT``): a part is re-indexed
whole, and a reader on localhost does not mind a few more requests per query. The finished bundle is handed
to ``apply`` whole, with the folders the search page should load; the server swaps it into its snapshot in
one step, so a search never sees half an index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from backoffice_site import search
from backoffice_site.diagnostics import Diagnostic

# 50 articles or 250 terms a part: once its dictionary is loaded, Pagefind indexes such a part in about
# 0.4 s (100 articles: 1 s; the published 1,000: 7 s), so a word added in a save is found about a second
# later. At most 32 parts a kind: beyond that the parts grow, so a query never fetches hundreds of bundles.
LAYOUT = search.Layout({"terms": 250, "articles": 50}, max_parts=32)
# A refresh starts this long after the build that asked for it. The tabs told to reload fetch the new page
# in that time, and serving it does not wait for the interpreter while the refresh sorts, digests and
# sends pages (measured on the medium corpus: the page came 10 ms later than without search, 45 ms against
# 33); saves in quick succession make one refresh. The word is found that much later (about 0.5 s after a
# save, against 3 s allowed).
QUIET = 0.15


@dataclass(frozen=True)
class Bundle:
    """A finished index: its files by output path, and the folders the search page loads (primary first)."""

    files: Mapping[str, bytes]
    dirs: tuple[str, ...]
    generation: int  # the build it indexes (``SearchRefresher.submit`` numbers them)


@dataclass(frozen=True)
class _Job:
    generation: int
    files: Mapping[str, bytes | Path]
    templates: Mapping[str, str]  # output path → template ("" for none)


class SearchRefresher:
    """One thread that indexes the latest submitted build and hands each finished index to ``apply``."""

    def __init__(self, apply: Callable[[Bundle], None], *, err: TextIO) -> None:
        self._apply = apply
        self.err = err
        self.memo: search.SearchMemo = {}
        self._lock = threading.Condition()
        self._job: _Job | None = None  # the newest build not yet taken up
        self._generation = 0
        self._closed = False
        self.busy = False  # a job is waiting or being indexed
        self.refreshes = 0  # indexes handed to ``apply``
        self._service: search.Service | None = None
        self._shown: tuple[str, ...] = ()
        self._thread = threading.Thread(target=self._loop, name="bos-search", daemon=True)
        self._thread.start()

    def submit(self, files: Mapping[str, bytes | Path], templates: Mapping[str, str]) -> None:
        """Index these pages next; supersedes any build submitted earlier (and the refresh running now)."""
        with self._lock:
            self._generation += 1
            self._job = _Job(self._generation, files, templates)
            self.busy = True
            self._lock.notify_all()

    def _superseded(self, generation: int) -> bool:
        return self._closed or self._generation != generation

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._job is not None or self._closed)
                deadline = time.monotonic() + QUIET  # a build submitted meanwhile replaces the job (submit)
                while not self._closed and (left := deadline - time.monotonic()) > 0:
                    self._lock.wait(left)
                if self._closed:
                    return
                job, self._job = self._job, None
            assert job is not None
            bundle = self._index(job)
            if bundle is not None and not self._superseded(job.generation):
                # Outside the lock: ``apply`` takes the server's snapshot lock, under which a build may be
                # submitting. A build submitted just now makes one more refresh, which replaces this one.
                self._apply(bundle)
                self.refreshes += 1
            with self._lock:
                if self._job is None:
                    self.busy = False

    def _index(self, job: _Job) -> Bundle | None:
        if self._service is not None and not self._service.alive:
            self._service.close()
            self._service = None
        binary = search.find_binary()[0]
        if binary is None:
            return None  # the build's own warning says so; the search page explains it to the reader
        if self._service is None:
            try:
                self._service = search.start_service(binary, timeout=24 * 3600)
            except search.ServiceError as exc:
                self._warn((str(exc),))
                return None
        indexer = search.Indexer([(p, job.templates[p] or None) for p in sorted(job.templates)], self.memo,
                                 layout=LAYOUT, service=self._service)
        problems: list[Diagnostic] = []
        try:
            for path in sorted(job.files):
                if self._superseded(job.generation):
                    return None
                indexer.add(path, job.files[path])
            files = indexer.finish(problems, cancelled=lambda: self._superseded(job.generation))
        except search.Cancelled:
            return None
        finally:
            indexer.close()
        self._warn(tuple(d.format() for d in problems))
        if indexer.problem:  # the service failed: start a new one next time
            self._service.close()
            self._service = None
        return Bundle(files, tuple(indexer.bundle_dirs()), job.generation)

    def _warn(self, lines: tuple[str, ...]) -> None:
        if lines and lines != self._shown:
            print("\n".join(lines), file=self.err, flush=True)
        self._shown = lines

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join(timeout=30)
        if self._service is not None:
            self._service.close()
            self._service = None
