"""The one thread that builds: debounced change sets in, a new snapshot and one event out."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from backoffice_site import heap
from backoffice_site.build import BuildResult
from backoffice_site.devserver.app import App, Snapshot, change_event, snapshot_after
from backoffice_site.devserver.events import EventHub
from backoffice_site.diagnostics import Diagnostic, Loc, Severity
from backoffice_site.report import print_diagnostics
from backoffice_site.watcher import ChangeBatcher

# ---------------------------------------------------------------------------------------------------------
# Rebuilding

TIDY_IDLE = 10.0  # seconds without a build before the heap is collected in full (heap.tidy)
TIDY_EVERY = 2.0  # how often the housekeeping thread looks


class Rebuilder:
    """The one thread that builds: takes debounced change sets, rebuilds, swaps the snapshot, tells tabs.

    Builds never overlap (one thread), and changes that arrive during a build are collected by the batcher
    and make exactly one more build after it.
    """

    def __init__(self, build: Callable[[frozenset[str] | None], BuildResult], app: App, hub: EventHub,
                 batcher: ChangeBatcher,
                 static_root: Path, *, out: TextIO, err: TextIO,
                 on_built: Callable[[BuildResult], None] | None = None) -> None:
        """``on_built``: told each good build once its pages are served and the tabs told (the search
        index is refreshed from there, off the critical path)."""
        self._build = build
        self.on_built = on_built
        # Held while the served snapshot is replaced: a build's swap and a search refresh's swap both read
        # the current snapshot and replace it, and neither may undo the other.
        self.lock = threading.Lock()
        self.app = app
        self.hub = hub
        self.batcher = batcher
        self.static_root = static_root
        self.out = out
        self.err = err
        self.builds = 0
        self.building = False
        self._shown: tuple[str, ...] = ()  # diagnostics printed last, so unchanged warnings are not repeated
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # a build and a tidy of the heap never run at once
        self._untidy = False  # builds since the last tidy (heap)
        self._last_build = time.monotonic()
        self._stopping = threading.Event()

    def status(self) -> dict[str, Any]:
        return {"builds": self.builds, "building": self.building, "idle": self.batcher.idle,
                "clients": self.hub.clients}

    def run_build(self, changes: frozenset[str] | None = None) -> BuildResult:
        """One build, told which paths changed (None: unknown). A crash in the build is reported like a
        content error: the server must outlive it."""
        with self._lock:
            self.building = True
            try:
                return self._build(changes)
            except Exception as exc:
                traceback.print_exc(file=self.err)
                return BuildResult([Diagnostic(Loc("<build>"), Severity.ERROR,
                                               f"the build crashed: {type(exc).__name__}: {exc}")])
            finally:
                heap.settle()
                self._untidy = True
                self._last_build = time.monotonic()
                self.builds += 1
                self.building = False

    def tidy_when_idle(self, idle: float) -> bool:
        """A full collection of the heap (see ``heap``) if a build ran since the last one and none for
        ``idle`` seconds; called by the server's housekeeping thread. True when it collected."""
        if not self._untidy or time.monotonic() - self._last_build < idle or not self.batcher.idle:
            return False
        with self._lock:
            heap.tidy()
            self._untidy = False
        return True

    def first_build(self) -> Snapshot:
        result = self.run_build()
        self._report(result, first=True)
        snap = snapshot_after(None, result, self.static_root)
        if result.ok and self.on_built is not None:
            self.on_built(result)
        return snap

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bos-rebuild", daemon=True)
        self._thread.start()
        threading.Thread(target=self._housekeeping, name="bos-tidy", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self.batcher.close()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _housekeeping(self) -> None:
        while not self._stopping.wait(TIDY_EVERY):
            self.tidy_when_idle(TIDY_IDLE)

    def _loop(self) -> None:
        while (changes := self.batcher.take()) is not None:
            try:
                self.rebuild(changes)
            finally:
                self.batcher.done()

    def rebuild(self, changes: frozenset[str]) -> None:
        started = time.perf_counter()
        result = self.run_build(changes)
        with self.lock:
            prev = self.app.snapshot
            new = snapshot_after(prev, result, self.static_root)
            event = change_event(prev, new, changes)
            if event is not None:
                new = replace(new, epoch=prev.epoch + 1)
            self.app.snapshot = new  # the swap: requests from now on see the new build
        if event is not None:
            data: dict[str, Any] = {"epoch": new.epoch}
            if event == "css":
                data["paths"] = sorted(new.base_path + p.removeprefix("static/") for p in changes)
            self.hub.publish(event, data)
        self._report(result, first=False, ms=(time.perf_counter() - started) * 1000, event=event)
        if result.ok and self.on_built is not None:
            self.on_built(result)  # after the page is served and the tabs are told

    def _report(self, result: BuildResult, *, first: bool, ms: float = 0.0, event: str | None = None) -> None:
        shown = tuple(d.format() for d in result.diagnostics)
        if shown and (not result.ok or shown != self._shown):
            print_diagnostics(result.diagnostics, self.err)
        self._shown = shown
        if not result.ok:
            what = "no page can be served until it is fixed" if first or not self.app.snapshot.good \
                else "still serving the last good pages"
            print(f"build failed; {what}", file=self.err, flush=True)
        elif first:
            print(f"built {result.pages} pages in {result.seconds * 1000:.0f} ms", file=self.out, flush=True)
        else:
            told = f", told tabs to {event}" if event else ""
            print(f"rebuilt in {ms:.0f} ms ({result.rendered_pages} pages re-rendered{told})", file=self.out,
                  flush=True)
