"""What a Builder keeps between builds (``BuildCache``) and how it is kept in the cache folder (``Store``).

Three files: the cache file (``cache.FILE``: everything but the rendered documents and the record of the
last write), the documents' log (``cache.EntryLog``: appended to), and the record of the last write
(``WRITTEN``). The record is a file of its own because it is the only part that depends on writing the
output: so the cache file is written *while* the output is (in a forked process, ``Store.save_while``), and
a CLI edit does not wait for the two one after the other. Both carry the same token; a record whose token is
not the cache file's (a build killed between the two writes) is not used, and the next build then reads
the output's files instead of trusting them, with the same bytes as a result.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from backoffice_site import cache, change_set, loading, output, parallel
from backoffice_site.incremental import Key
from backoffice_site.markdown_stage import KeyMemo, MarkdownCache
from backoffice_site.model import Group

if TYPE_CHECKING:
    from backoffice_site import search

WRITTEN = "last-write.pickle"
LOADED = "loaded.log"
T = TypeVar("T")


@dataclass
class BuildCache:
    """The one cache: everything a build may reuse."""

    load: loading.LoadMemo = field(default_factory=dict)
    markdown: MarkdownCache = field(default_factory=dict)
    # path → (template or "", digest of the template and those it uses, digest of the view, bytes). The bytes
    # are not persisted (None in a new process): the output folder holds them, see ``Builder._stored``.
    pages: dict[str, tuple[str, str, str, bytes | None]] = field(default_factory=dict)
    reads: dict[str, frozenset[Key]] = field(default_factory=dict)  # path → inputs its view read
    versions: dict[Key, str] = field(default_factory=dict)  # input → digest when last read
    shared: str = ""  # digest of what every page depends on (engine, static file hashes)
    search: search.SearchMemo = field(default_factory=dict)
    headers: tuple[str, bytes] = ("", b"")  # digest of its inputs, the _headers file
    last: change_set.LastBuild = field(default_factory=change_set.LastBuild)  # for a later process's change set
    # memos kept by identity of the loaded items (pickled with the load memo, so identity survives the file):
    # the Markdown documents' keys and the honest-dates lint's findings
    doc_keys: KeyMemo = field(default_factory=dict)
    dates: dict[str, Any] = field(default_factory=dict)
    # the output folder as last written: which files hold which pages, so they are not read again (output)
    written: tuple[str, output.Written] = field(default_factory=lambda: ("", {}))
    template_refs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # see Renderer.template_digests
    # page path → (its record key, the static files it references by fingerprinted URL): for ``_headers``
    assets: dict[str, tuple[tuple[str, str, str], tuple[str, ...]]] = field(default_factory=dict)


class Store:
    """The cache folder of one site and engine (``key``: see ``cache.fingerprint``)."""

    def __init__(self, folder: Path, key: tuple[Any, ...]):
        self.folder, self.key = folder, key
        self.documents = cache.EntryLog(folder, key)
        self.loaded = cache.EntryLog(folder, key, LOADED)  # the loaded files' values: see ``_loaded_items``
        self._token = ""  # of the cache file as loaded or last saved: the record of the last write must match

    def load(self) -> BuildCache:
        """The stored cache, or an empty one when there is none or it is not whole (a cache pickled by an
        engine whose BuildCache had other fields, even with the same version: a development checkout)."""
        items = self.loaded.load()
        stored = cache.load(self.folder, self.key, outside=lambda pid: _find(items, pid))
        found = stored.get("cache") if stored else None
        whole = isinstance(found, BuildCache) and all(f.name in found.__dict__ for f in dataclasses.fields(found))
        c = found if whole and isinstance(found, BuildCache) else BuildCache()
        token = stored.get("token") if stored and whole else None
        self._token = token if isinstance(token, str) else ""
        record = cache.load(self.folder, self.key, WRITTEN) if self._token else None
        if record is not None and record.get("token") == self._token and isinstance(record.get("written"), tuple):
            c.written = record["written"]
        c.markdown = self.documents.load()
        return c

    def save_while(self, c: BuildCache, work: Callable[[], T]) -> T:
        """Save ``c`` but its record of the last write (``save_written``, once ``work`` wrote the output)
        while ``work`` runs; return what it returned, or raise what it raised once the saving is done.

        The pages' bytes are left out: the output holds them (``Builder._stored``), and they were most of
        the file (51 of 84 MB on the medium corpus), written and read on every CLI build. When the documents'
        log is written whole (after a cold build: 0.2 s on the medium corpus, as much as the cache file),
        the two are written side by side as well."""
        token = os.urandom(8).hex()
        lean = dataclasses.replace(c, pages={p: (rec[0], rec[1], rec[2], None) for p, rec in c.pages.items()},
                                   markdown={}, written=("", {}))
        items, ids = _loaded_items(c.load)
        changes = [(log, ch) for log, ch in ((self.documents, self.documents.pending(c.markdown)),
                                             (self.loaded, self.loaded.pending(items))) if ch is not None]

        def persist() -> bool:  # may run in a forked process: only writes files; whether the logs were written
            def save() -> bool:
                return cache.save(self.folder, self.key, {"cache": lean, "token": token},
                                  outside=lambda obj: ids.get(id(obj)))

            def logs() -> bool:
                return all([log.write(ch) for log, ch in changes])  # (a list: every one is written)
            if any(ch.whole for _, ch in changes):
                return parallel.beside(logs, save)
            return save() and logs()

        done: list[T] = []
        failed: list[BaseException] = []

        def here() -> None:
            try:
                done.append(work())
            except BaseException as exc:  # raised again below, once the files are written and known
                failed.append(exc)

        ok = parallel.beside(persist, here)
        for log, ch in changes:
            log.done(ch, ok)
        self._token = token
        if failed:
            raise failed[0]
        return done[0]

    def save_written(self, c: BuildCache) -> None:
        """The record of the write that just ended, tied to the cache file last saved."""
        cache.save(self.folder, self.key, {"token": self._token, "written": c.written}, WRITTEN)


def _loaded_items(memo: loading.LoadMemo) -> tuple[dict[str, Any], dict[int, tuple[str, tuple[int, ...]]]]:
    """The load memo's values as entries of their own log, and the ids the cache file names them by.

    A loaded file's value depends only on the file (its path and its bytes), so it is an entry keyed by both
    that never changes: a CLI edit appends the one file it loaded instead of pickling every article and term
    again (11 of the cache file's 14 MB on the medium corpus). The memos kept by identity of loaded items
    (``doc_keys``, ``dates``) name them, and the terms and changes inside a glossary file, by that entry's
    key and their place in it, so identity survives the file as it did when all were in one pickle."""
    items: dict[str, Any] = {}
    ids: dict[int, tuple[str, tuple[int, ...]]] = {}
    for path, (_sig, digest, value, _diags) in memo.items():
        key = f"{path}|{digest}"
        items[key] = value
        ids[id(value)] = (key, ())
        for i, term in enumerate(value.terms if isinstance(value, Group) else ()):
            ids[id(term)] = (key, (i,))
            for j, change in enumerate(term.changes):
                ids[id(change)] = (key, (i, j))
    return items, ids


def _find(items: dict[str, Any], pid: tuple[str, tuple[int, ...]]) -> Any:
    """The object ``_loaded_items`` named ``pid`` (a KeyError when the log lacks it: the cache is not used)."""
    key, place = pid
    value = items[key]
    if place:
        value = value.terms[place[0]]
        if len(place) > 1:
            value = value.changes[place[1]]
    return value
