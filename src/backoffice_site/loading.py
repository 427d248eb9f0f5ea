"""The load stage's driver: which files to read, and what to reuse from the last build instead.

``load.py`` turns one file into the content model; this module reads the content folder with it. Each
file's value is kept by its bytes (``LoadMemo``, persisted in the build cache); a process also keeps the
folders' listings and the last content (``Session``), so that a batch which only edited articles' text
(the dev server's usual save) puts the new articles into the last content in place of the old ones,
without looking at the thousand that did not change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from backoffice_site import heap
from backoffice_site.diagnostics import Diagnostic, Diagnostics
from backoffice_site.load import load_article, load_group
from backoffice_site.load_config import load_config
from backoffice_site.model import Article, Content, Group, SiteConfig
from backoffice_site.sources import MAX_FILE_BYTES, walk

T = TypeVar("T")
ARTICLE_SUFFIXES = (".md", ".markdown")
GLOSSARY_SUFFIXES = (".yaml", ".yml")

# path → (stat signature, content hash, loaded value, its diagnostics): a file is parsed again only when
# its bytes change, and read again only when its stat signature moved (see ``_unchanged_since``).
LoadMemo = dict[str, tuple[tuple[int, int, int, int], str, object, tuple[Diagnostic, ...]]]
RACY_NS = 2_000_000_000  # file times are coarser than they look: see _unchanged_since


def _stat_sig(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, time.time_ns())


def _unchanged_since(old: tuple[int, int, int, int], st: os.stat_result) -> bool:
    """The file is the one we read: same size, time and inode, and its time was already RACY_NS older than
    the moment we read it (as git does: an edit in the same clock tick as our read could keep the time)."""
    size, mtime, ino, read_at = old
    return (st.st_size, st.st_mtime_ns, st.st_ino) == (size, mtime, ino) and mtime < read_at - RACY_NS


def _memoized(memo: LoadMemo | None, path: Path, root: Path, diags: Diagnostics,
              loader: Callable[[Path, Path, Diagnostics], T | None], trusted: bool = False, tag: str = "") -> T | None:
    """``trusted``: the caller knows the file did not change since the memo entry (dev server batches).
    ``tag``: part of the memo key, for a loader whose result also depends on something besides the file."""
    if memo is None:
        return loader(path, root, diags)
    key = f"{tag}|{path}" if tag else str(path)
    hit = memo.get(key)
    if trusted and hit is not None:
        diags.extend(hit[3])
        return hit[2]  # type: ignore[return-value]
    try:
        st = path.stat()
        if hit is not None and _unchanged_since(hit[0], st):
            diags.extend(hit[3])
            return hit[2]  # type: ignore[return-value]
        if st.st_size > MAX_FILE_BYTES:  # never read a huge file whole just to hash it
            return loader(path, root, diags)
        sig = _stat_sig(st)
        digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return loader(path, root, diags)
    if hit is not None and hit[1] == digest:
        memo[key] = (sig, digest, hit[2], hit[3])
        diags.extend(hit[3])
        return hit[2]  # type: ignore[return-value]
    local = Diagnostics()
    value = loader(path, root, local)
    if hit is not None:
        value = _keep_equal(hit[2], value)
    diags.extend(local.items)
    memo[key] = (sig, digest, value, tuple(local.items))
    return value


def _keep_equal(old: object, new: T) -> T:
    """``new``, with the terms equal to last time's being last time's objects (one term edited in a file of
    hundreds leaves the others the very same objects: later stages reuse their work by identity)."""
    if not isinstance(old, Group) or not isinstance(new, Group):
        return new
    before = {(t.slug, t.name): t for t in old.terms}
    terms = tuple(o if (o := before.get((t.slug, t.name))) is not None and o == t else t for t in new.terms)
    kept = dataclasses.replace(new, terms=terms)
    return old if kept == old else kept


# folder → (the files ``walk`` found there, its diagnostics): kept by a process between builds, so a batch
# that only changed files already known needs no new walk of the folder
Walks = dict[str, tuple[frozenset[Path], list[Path], tuple[Diagnostic, ...]]]


@dataclass(frozen=True)
class _Last:
    """The last content loaded, and where each article file's article and diagnostics are in it."""

    content: Content
    drafts: bool
    files: list[Path]  # the articles folder's files, the very list ``_files`` returned
    found: tuple[tuple[Diagnostic, ...], ...]  # each file's diagnostics, in the order of ``files``
    where: dict[Path, tuple[int, int]]  # file → (its index in files, its article's in content.articles or -1)


@dataclass
class Session:
    """What one process keeps between loads: the folders' listings and the last content."""

    walks: Walks = field(default_factory=dict)
    last: _Last | None = None


def load_content(root: Path, diags: Diagnostics, *, base_url: str | None = None,
                 drafts: bool = False, memo: LoadMemo | None = None,
                 changed: frozenset[Path] | None = None, session: Session | None = None) -> Content:
    """``changed``: when known (the dev server's batch), the only files that may differ from ``memo``."""
    with heap.paused():
        return _load_content(root, diags, base_url=base_url, drafts=drafts, memo=memo, changed=changed,
                             session=session)


def _files(folder: Path, suffixes: tuple[str, ...], root: Path, diags: Diagnostics,
           changed: frozenset[Path] | None, walks: Walks | None) -> list[Path]:
    """``walk(folder)``, or last time's list when every changed file in the folder was already in it and
    still is a file (an edit, not a file added, deleted or replaced by something else)."""
    key = str(folder)
    hit = walks.get(key) if walks is not None else None
    if hit is not None and changed is not None and all(
            p in hit[0] and p.is_file() for p in changed if p.suffix.lower() in suffixes and folder in p.parents):
        diags.extend(hit[2])
        return hit[1]
    local = Diagnostics()
    found = walk(folder, suffixes, root, local)
    diags.extend(local.items)
    if walks is not None:
        walks[key] = (frozenset(found), found, tuple(local.items))
    return found


def _load_content(root: Path, diags: Diagnostics, *, base_url: str | None, drafts: bool,
                  memo: LoadMemo | None, changed: frozenset[Path] | None, session: Session | None) -> Content:
    site_yaml = root / "content" / "site.yaml"
    walks = session.walks if session is not None else None
    config: SiteConfig | None = None
    if memo is not None and site_yaml.is_file():  # kept like any file: the config object stays the same
        config = _memoized(memo, site_yaml, root, diags, lambda _p, r, d: load_config(r, d, base_url),
                           changed is not None and site_yaml not in changed, tag=f"config:{base_url}")
    if config is None:  # never None from load_config; None here only without the memo
        config = load_config(root, diags, base_url)
    folder = root / "content" / "articles"
    files = _files(folder, ARTICLE_SUFFIXES, root, diags, changed, walks)
    last = session.last if session is not None else None
    patched = None
    if last is not None and memo is not None and changed is not None and last.files is files \
            and last.drafts == drafts:
        patched = _patch(last, [p for p in changed if p in last.where], memo, root, drafts)
    if patched is not None:
        articles, found, where = patched
    else:
        articles, found, where = _articles(files, memo, root, drafts, changed)
    diags.extend(itertools.chain.from_iterable(found))  # (one call: a thousand files have mostly none)
    groups = []
    for p in _files(root / "content" / "glossary", GLOSSARY_SUFFIXES, root, diags, changed, walks):
        g = _memoized(memo, p, root, diags, load_group, changed is not None and p not in changed)
        if g is not None:
            groups.append(g)
    content = Content(config, articles, tuple(groups))
    if session is not None:
        session.last = _Last(content, drafts, files, found, where) if memo is not None else None
    return content


Loaded = tuple[tuple[Article, ...], tuple[tuple[Diagnostic, ...], ...], dict[Path, tuple[int, int]]]


def _articles(files: list[Path], memo: LoadMemo | None, root: Path, drafts: bool,
              changed: frozenset[Path] | None) -> Loaded:
    """Every article file loaded (or taken from ``memo``), in reading order; each file's diagnostics."""
    found: list[tuple[Diagnostic, ...]] = []
    kept: list[tuple[Article, int]] = []
    for i, p in enumerate(files):
        local = Diagnostics()
        a = _memoized(memo, p, root, local, load_article, changed is not None and p not in changed)
        found.append(tuple(local.items))
        if a is not None and (drafts or not a.draft):
            kept.append((a, i))
    kept.sort(key=lambda k: (k[0].order is None, k[0].order or 0, k[0].slug))
    where = {p: (i, -1) for i, p in enumerate(files)}
    for j, (_, i) in enumerate(kept):
        where[files[i]] = (i, j)
    return tuple(a for a, _ in kept), tuple(found), where


def _patch(last: _Last, edited: list[Path], memo: LoadMemo, root: Path, drafts: bool) -> Loaded | None:
    """The last content with the ``edited`` article files loaded again, when that leaves every article where
    it was (same slug, order and draft state); None when it does not, and the whole folder is read again.

    The result is the one ``_articles`` would give: an article's place in the reading order depends only
    on its slug and order (and the files' order between equals), and neither moved."""
    articles, found = list(last.content.articles), list(last.found)
    for p in edited:
        i, j = last.where[p]
        local = Diagnostics()
        a = _memoized(memo, p, root, local, load_article)
        shown = a is not None and (drafts or not a.draft)
        if j < 0:
            if shown:
                return None  # an article appears
        elif not shown or a is None or (a.order, a.slug) != (articles[j].order, articles[j].slug):
            return None  # an article goes, or moves in the reading order
        else:
            articles[j] = a
        found[i] = tuple(local.items)
    return tuple(articles), tuple(found), last.where
