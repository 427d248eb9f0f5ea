"""The persistent build cache under ``ROOT/.cache/``: what a Builder computed, kept between runs.

It is never trusted blindly: entries are keyed by digests of their inputs (see ``build``), and the whole
file is keyed by the engine (its version and a digest of its source), the Python version and the versions
of every library that shapes the output. A missing, corrupt, truncated or foreign cache file is ignored
(and replaced after the next successful build), never a crash. The file is written atomically. It is a
pickle, so it is only ever read from the site's own folder, which is as trusted as the templates next to it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from backoffice_site import __version__

FILE = "build-cache.pickle"


@functools.lru_cache(maxsize=8)
def fingerprint(options: tuple[Any, ...]) -> tuple[Any, ...]:
    """The key of the cache files: the engine (its version and its source: a development checkout changes
    without a new version), Python, and the versions of the libraries that shape the output. Kept for the
    process (the CLI asks twice: for the no-change record, then for the cache)."""
    from importlib import metadata  # here: a build with nothing to do never needs it (25-35 ms to import)

    libs: list[tuple[str, str | None]] = []
    for dist in ("markdown", "jinja2", "pyyaml", "nh3", "markupsafe", "budoux"):
        try:
            libs.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            libs.append((dist, None))
    return ("backoffice-site-cache", 15, __version__, _engine(), sys.version, tuple(libs), options)


def _engine() -> str:
    """A digest of this package's source files, by content (a fresh clone on a CI machine, with new file
    times, still finds the cache it restored)."""
    top = Path(__file__).parent
    h = hashlib.blake2b(digest_size=16)
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith((".py", ".js")):
                path = os.path.join(folder, f)
                h.update(os.path.relpath(path, top).encode() + b"\0")
                with open(path, "rb") as data:
                    h.update(hashlib.blake2b(data.read(), digest_size=16).digest())
    return h.hexdigest()


def load(folder: Path, key: tuple[Any, ...], name: str = FILE,
         outside: Callable[[Any], Any] | None = None) -> dict[str, Any] | None:
    """``outside``: gives back the objects ``save`` was told are kept elsewhere, by the ids it gave them."""
    path = folder / name
    try:
        with path.open("rb") as f, without_gc():
            unpickler = pickle.Unpickler(f)
            if outside is not None:
                unpickler.persistent_load = outside  # type: ignore[method-assign]
            stored_key, payload = unpickler.load()
    except FileNotFoundError:
        return None
    except Exception:  # corrupt, truncated, from another version: start afresh
        return None
    if stored_key != key or not isinstance(payload, dict):
        return None
    return payload


@contextlib.contextmanager
def without_gc() -> Iterator[None]:
    """Unpickling makes ~100,000 objects (the medium corpus's loaded content), none of them garbage; the
    cyclic collector would walk them again and again as they are made: 0.20 against 0.12 s."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def save(folder: Path, key: tuple[Any, ...], payload: dict[str, Any], name: str = FILE,
         outside: Callable[[Any], Any] | None = None) -> bool:
    """Write atomically; a cache that cannot be written is not an error (the next build is just slower).
    ``outside``: an object → its id when it is kept elsewhere (pickled as that id), else None."""
    def dump(f: BinaryIO) -> None:
        pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
        if outside is not None:
            pickler.persistent_id = outside  # type: ignore[method-assign]
        pickler.dump((key, payload))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        replace_file(folder / name, dump)
    except OSError:
        return False
    return True


def replace_file(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` whole or not at all: ``write`` fills a temporary file beside it, which then takes its
    place in one rename (a build killed meanwhile leaves the old file, and no temporary one)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------------------
# Content-addressed entries, appended

LOG = "documents.log"
# each record: its length and the CRC-32 of its bytes, then a pickle. The check finds a record cut short or
# damaged (a build killed while appending, a bad disk), not a forged one: the folder is as trusted as the
# templates beside it. CRC-32 reads the 30 MB of the medium corpus's logs in 14 ms (BLAKE2b: 36 ms).
_HEAD = struct.Struct("<QI")


class EntryLog:
    """A cache of entries whose key is a digest of what made them (the Markdown stage's documents): an entry
    never changes, so a build appends only the entries it added and the keys it dropped instead of writing
    them all again. One CLI edit used to re-pickle 20 MB of rendered documents (the medium corpus) to
    change one. The first record is the cache key; a record that is cut short or does not match its
    digest ends the reading (a build killed while appending), and the next save writes the file afresh.
    Loaded entries are checked like the rest of the cache: a foreign or damaged file is ignored."""

    def __init__(self, folder: Path, key: tuple[Any, ...], name: str = LOG):
        self.path = folder / name
        self.key = key
        self._saved: set[str] = set()  # the keys the file holds now, as far as this process knows
        self._records = 0
        self._whole = False  # the file read to its end and made by this engine: appending is safe

    def load(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            data = self.path.read_bytes()
        except OSError:
            return out
        pos, records = 0, []
        view = memoryview(data)  # records are read in place, not copied out
        while pos + _HEAD.size <= len(data):
            size, check = _HEAD.unpack_from(data, pos)
            body = view[pos + _HEAD.size:pos + _HEAD.size + size]
            if len(body) != size or zlib.crc32(body) != check:
                break
            records.append(body)
            pos += _HEAD.size + size
        try:
            with without_gc():
                if not records or pickle.loads(records[0]) != self.key:
                    return {}
                for body in records[1:]:
                    added, removed = pickle.loads(body)
                    out.update(added)
                    for k in removed:
                        out.pop(k, None)
        except Exception:  # an engine's own file that does not unpickle: start afresh
            return {}
        self._saved, self._records, self._whole = set(out), len(records), pos == len(data)
        return out

    def save(self, entries: dict[str, Any]) -> bool:
        """Append what changed since the file was read or last saved (or write it whole when it grew too
        long, was damaged or is missing). A file that cannot be written is not an error."""
        change = self.pending(entries)
        if change is None:
            return True
        ok = self.write(change)
        self.done(change, ok)
        return ok

    # ``save`` in three steps, so that the writing can run in another process (build_cache.Store.save_while)
    def pending(self, entries: dict[str, Any]) -> LogChange | None:
        """What ``save`` would write now; None when the file already holds ``entries``."""
        added = {k: v for k, v in entries.items() if k not in self._saved}
        removed = tuple(k for k in self._saved if k not in entries)
        if not added and not removed and self._whole:
            return None
        whole = not self._whole or self._records > 64 or len(removed) * 2 > len(entries)
        return LogChange(whole, entries if whole else added, () if whole else removed, frozenset(entries))

    def write(self, change: LogChange) -> bool:
        """The file operation of ``change`` (and nothing else: it may run in a forked process)."""
        try:
            if change.whole:
                replace_file(self.path, lambda f: f.write(
                    _record(pickle.dumps(self.key, protocol=pickle.HIGHEST_PROTOCOL))
                    + _record(pickle.dumps((change.added, ()), protocol=pickle.HIGHEST_PROTOCOL))))
            else:
                with self.path.open("ab") as f:
                    f.write(_record(pickle.dumps((change.added, change.removed),
                                                 protocol=pickle.HIGHEST_PROTOCOL)))
        except OSError:
            return False
        return True

    def done(self, change: LogChange, ok: bool) -> None:
        """What this process knows of the file once ``change`` was written (``ok``) or not."""
        if not ok:
            self._whole = False  # the next save writes the file afresh
            return
        self._records = 2 if change.whole else self._records + 1
        self._whole, self._saved = True, set(change.keys)


@dataclass(frozen=True)
class LogChange:
    """One save of an ``EntryLog``: the whole file anew (``whole``: ``added`` is every entry), or a record of
    the entries added and the keys removed, appended; ``keys``: the entries the file holds after it."""

    whole: bool
    added: dict[str, Any]
    removed: tuple[str, ...]
    keys: frozenset[str]


def _record(body: bytes) -> bytes:
    return _HEAD.pack(len(body), zlib.crc32(body)) + body
