"""Watching the site's sources: the only module that talks to watchdog.

``Watcher`` reports the root-relative paths that changed under content/, templates/ and static/ and keeps
watching when one of those folders is deleted and created again. ``ChangeBatcher`` turns the stream of
paths into debounced change sets, one per rebuild. ``is_ignored`` and ``classify`` are pure decisions.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

WATCHED = ("content", "templates", "static")

# Only events that mean "the bytes or the listing changed". Opened / closed-without-writing events are left
# out on purpose: every build reads every template and static file, and reacting to those reads would
# rebuild forever. Directory "modified" events only repeat what the file events already said.
CHANGE_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]

# Events after which a file's change is whole: written and closed, renamed into place, or gone. (Polling
# and non-Linux backends never report "closed", so there every write waits for the full quiet window.)
FINISHED_EVENTS = frozenset({"closed", "moved", "deleted"})

# Editor droppings: Emacs lock files (.#x), backups (x~), Vim swap files and its write test file (4913),
# JetBrains safe-write files, and generic temp files some editors write before renaming over the original.
_TEMP_NAME = re.compile(r"^\.|~$|\.sw[a-p]$|^4913$|___jb_(?:tmp|old)___$|\.(?:tmp|temp|part|crdownload)$",
                        re.IGNORECASE)


class ChangeKind(enum.Enum):
    CONFIG = "config"
    CONTENT = "content"
    TEMPLATES = "templates"
    STATIC = "static"


def is_ignored(rel_path: str) -> bool:
    """True for editor temp files and anything inside a hidden folder: the build never reads them."""
    parts = PurePosixPath(rel_path).parts
    if not parts:
        return True
    return any(p.startswith(".") for p in parts[:-1]) or bool(_TEMP_NAME.search(parts[-1]))


def classify(rel_path: str) -> ChangeKind | None:
    """What a root-relative path is to the build, or None when the build does not read it."""
    parts = PurePosixPath(rel_path).parts
    if not parts or is_ignored(rel_path):
        return None
    if parts == ("content", "site.yaml"):
        return ChangeKind.CONFIG
    return {"content": ChangeKind.CONTENT, "templates": ChangeKind.TEMPLATES,
            "static": ChangeKind.STATIC}.get(parts[0])


class ChangeBatcher:
    """Coalesces bursts of changes into one set for one rebuild.

    ``take`` returns once no change arrived for a while: ``quiet`` seconds while some file may still be
    being written (its last event was "created" or "modified"), but only ``settle`` seconds once every
    changed file was closed after writing, renamed or deleted, since then the edit is known to be whole.
    That keeps an ordinary save fast while a burst (a ``git checkout``, a formatter) still becomes one
    build. ``max_wait`` after the first change it returns regardless, so an endless trickle still builds.
    """

    def __init__(self, quiet: float = 0.05, settle: float = 0.005, max_wait: float = 1.0) -> None:
        self.quiet = quiet
        self.settle = min(settle, quiet)
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._writing: set[str] = set()  # pending paths whose last event did not say the write finished
        self._first = 0.0
        self._last = 0.0
        self._closed = False
        self._busy = False  # a taken batch is being built; see done()

    def add(self, paths: Iterable[str], complete: bool = False) -> None:
        """Record changed paths; ``complete`` when the event says the change is finished (closed, moved,
        deleted) rather than possibly under way."""
        new = set(paths)
        if not new:
            return
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending |= new
            if complete:
                self._writing -= new
            else:
                self._writing |= new
            self._last = now
            self._cond.notify_all()

    @property
    def pending(self) -> bool:
        with self._cond:
            return bool(self._pending)

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being built: the served site reflects every change seen so far."""
        with self._cond:
            return not self._pending and not self._busy

    def take(self) -> frozenset[str] | None:
        """Block until a debounced change set is ready; None once closed."""
        with self._cond:
            while not self._closed:
                if not self._pending:
                    self._cond.wait()
                    continue
                window = self.quiet if self._writing else self.settle
                due = min(self._last + window, self._first + self.max_wait)
                now = time.monotonic()
                if now >= due:
                    batch = frozenset(self._pending)
                    self._pending.clear()
                    self._writing.clear()
                    self._busy = True
                    return batch
                self._cond.wait(due - now)
            return None

    def done(self) -> None:
        """The batch returned by the last ``take`` has been handled."""
        with self._cond:
            self._busy = False

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class _Forward(FileSystemEventHandler):
    """Turns watchdog events into root-relative paths; called on watchdog's dispatch thread."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path)]
        if event.dest_path:
            paths.append(os.fsdecode(event.dest_path))
        self.watcher._on_paths(paths, complete=event.event_type in FINISHED_EVENTS)


class Watcher:
    """Watches ``folders`` under ``root`` recursively and calls ``on_change(paths, complete)`` with changed
    root-relative paths (``complete``: see ``ChangeBatcher.add``).

    A watched folder that is deleted (``rm -rf static``, a branch switch) takes its inotify watch with it.
    A non-recursive watch on the root notices the folder coming back, and a periodic check catches anything
    that slipped through; either way the folder is watched again and reported as changed, so files written
    before the new watch existed still reach a rebuild.
    """

    def __init__(self, root: Path, on_change: Callable[[frozenset[str], bool], None], *,
                 folders: tuple[str, ...] = WATCHED, check_every: float = 1.0,
                 log: Callable[[str], None] = print) -> None:
        self.root = root.resolve()
        self.folders = folders
        self.on_change = on_change
        self.check_every = check_every
        self.log = log
        self._handler = _Forward(self)
        self._observer: BaseObserver = Observer()
        self._watches: dict[str, tuple[ObservedWatch, tuple[int, int]]] = {}
        self._lock = threading.Lock()
        self._forced: set[str] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._guard: threading.Thread | None = None

    def start(self) -> None:
        try:
            self._start_observer()
        except OSError as exc:  # inotify limits reached: polling is slower but works everywhere
            self.log(f"warning: cannot watch with inotify ({exc}); polling for changes instead")
            self._observer.unschedule_all()  # stops the emitters that did start
            self._observer = PollingObserver(timeout=0.5)
            self._watches.clear()
            self._start_observer()
        self._guard = threading.Thread(target=self._guard_loop, name="bos-watch-guard", daemon=True)
        self._guard.start()

    def _start_observer(self) -> None:
        self._observer.schedule(self._handler, str(self.root), recursive=False, event_filter=CHANGE_EVENTS)
        for name in self.folders:
            self._schedule(name)
        self._observer.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._guard is not None:
            self._guard.join(timeout=5)
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=5)

    def _on_paths(self, paths: list[str], complete: bool) -> None:
        changed: set[str] = set()
        for p in paths:
            rel = os.path.relpath(p, self.root)
            if rel == "." or rel.startswith(".."):
                continue
            rel = Path(rel).as_posix()
            if rel in self.folders:  # a watched folder itself appeared, vanished or moved
                with self._lock:
                    self._forced.add(rel)
                self._wake.set()
            if classify(rel) is not None:
                changed.add(rel)
        if changed:
            self.on_change(frozenset(changed), complete)

    def _guard_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.check_every)
            self._wake.clear()
            if self._stopping.is_set():
                return
            with self._lock:
                forced, self._forced = self._forced, set()
            try:
                self._reconcile(forced)
            except Exception as exc:  # folders vanishing mid-check: try again next round, never stop watching
                self.log(f"warning: re-watching folders failed ({type(exc).__name__}: {exc}); retrying")

    def _reconcile(self, forced: set[str]) -> None:
        """Re-watch folders that came back (or were replaced); drop watches of folders that are gone."""
        for name in self.folders:
            ident = _identity(self.root / name)
            current = self._watches.get(name)
            if current is not None and (ident is None or ident != current[1] or name in forced):
                self._unschedule(name)
                current = None
            if ident is not None and current is None and self._schedule(name):
                self.on_change(frozenset({name}), False)  # files may still be arriving in it

    def _schedule(self, name: str) -> bool:
        path = self.root / name
        ident = _identity(path)
        if ident is None:
            return False
        try:
            watch = self._observer.schedule(self._handler, str(path), recursive=True, event_filter=CHANGE_EVENTS)
        except OSError as exc:
            if not self._observer.is_alive():
                raise  # at start-up: let start() fall back to polling
            self.log(f"warning: cannot watch {name}/ ({exc}); will retry")
            return False
        self._watches[name] = (watch, ident)
        return True

    def _unschedule(self, name: str) -> None:
        watch, _ = self._watches.pop(name)
        # KeyError/OSError: the emitter already stopped itself when its folder was deleted.
        with contextlib.suppress(KeyError, OSError):
            self._observer.unschedule(watch)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_dir():
        return None
    return (st.st_dev, st.st_ino)
