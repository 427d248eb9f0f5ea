"""Full-text search: the Pagefind index of the article and term pages, in parts, each made again only when its
pages changed.

Pagefind's *extended* binary (PyPI ``pagefind[extended]``) is needed for Japanese: it segments words when
indexing, so parts of compounds (休暇 in 有給休暇) are found. The plain binary indexes a Japanese sentence
as a handful of long "words" and finds almost nothing.

**Parts.** The index is split into parts (``plan``): the term pages, and the article pages in groups of
about ``ARTICLES_PER_PART`` (an article's part is fixed by a hash of its path, so editing an article
changes only its own part). Each part is a Pagefind bundle of its own, ``pagefind/`` for the
first and ``pagefind/<part>/`` for the others; the search page loads the first and merges the others at
query time (Pagefind's ``mergeIndex``). A rebuild indexes again only the parts whose pages changed: each
part is remembered with a digest of its pages (``SearchMemo``).

**In memory, one part at a time.** The pages are sent to one Pagefind service process
(``pagefind_service``) from memory (no staging folder, nothing read back from disk), one part at a time: the
service's memory is its Japanese dictionary (about 330 MB) plus one part's index, whatever the site's size.
In the CLI the parts are indexed after the pages render; the dev server indexes in the background after the
edited page is served (``devserver.search_refresh``), in smaller parts of its own layout.

The bundles' files join the build's files, so they are written together with the pages (one swap, never
half an index) and a rebuild that changes nothing writes nothing. Pagefind's output is a pure function of
its input: the same pages give byte-identical bundles.

Only what the templates mark with ``data-pagefind-body`` is indexed (the article and term pages);
navigation, footers and pages without the attribute are left out.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from backoffice_site import pagefind_fetch
from backoffice_site.diagnostics import Diagnostic, Loc, Severity
from backoffice_site.manifest import SEARCH_SWITCH, search_switched_off
from backoffice_site.output import content
from backoffice_site.pagefind_service import Cancelled, Service, ServiceError

__all__ = [
    "BUNDLE",
    "PUBLISHED",
    "SWITCH",
    "Cancelled",
    "Indexer",
    "Layout",
    "SearchMemo",
    "Service",
    "ServiceError",
    "bundle_dirs",
    "disabled",
    "find_binary",
    "index_files",
    "part_order",
    "plan",
    "start",
    "start_service",
]

SWITCH = SEARCH_SWITCH  # 0/off in the environment: no index (see manifest)
BUNDLE = "pagefind"  # the bundle's folder in the output; templates load BUNDLE/pagefind.js
TIMEOUT = 600  # seconds for the whole index; the medium bench corpus (4,000 pages) takes about 15 CPU-seconds
_HINT = "install it with: pip install 'pagefind[extended]'"


def find_binary() -> tuple[Path | None, str]:
    """The Pagefind binary to run, and a note when it is missing or not the extended build.

    $PAGEFIND_BINARY_PATH, then Pagefind 1.6 as ``make`` fetched it into the virtualenv (``pagefind_fetch``:
    it finds the Japanese words the browser asks for), then as Pagefind's own Python wrapper looks it up:
    the pagefind_bin_extended package (1.5.2), then ``pagefind_extended`` on PATH. The plain binary is a
    last resort (with a warning).
    """
    env = os.environ.get("PAGEFIND_BINARY_PATH")
    if env:
        p = Path(env)
        if not p.is_file():
            return None, f"the Pagefind binary PAGEFIND_BINARY_PATH={env} is not a file; the site has no search index"
        return p, ""
    fetched = pagefind_fetch.installed()
    if fetched.is_file() and os.access(fetched, os.X_OK):
        return fetched, ""
    for package, name in (("pagefind_bin_extended", "pagefind_extended"), ("pagefind_bin", "pagefind")):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            p = Path(spec.origin).parent / name
            if p.is_file():
                return p, "" if name == "pagefind_extended" else (
                    f"using the plain Pagefind binary, which cannot split Japanese into words; {_HINT}")
    found = shutil.which("pagefind_extended")
    if found:
        return Path(found), ""
    return None, f"the Pagefind binary was not found, so the site has no search index; {_HINT}"


SearchMemo = dict[str, tuple[str, dict[str, bytes]]]  # part name → (digest of its pages, its bundle's files)
MARK = b"data-pagefind-body"
# Part sizes: a smaller part makes an edit cheaper to re-index and lowers Pagefind's peak memory (the part
# being written out: about 0.25 MB per article with 1.5.2, a third more with 1.6), but every part costs each
# query three more requests (its entry file, its metadata and one index chunk per word searched). Measured
# on the medium bench corpus (bench/search_cost.py): two parts cost a query 1.1-1.4x the requests of one
# bundle, five parts 1.5-3.2x. So: terms and articles apart (an article edit never re-indexes the glossary,
# nor a term edit the articles), and articles cut further only beyond 1,000; at most five parts a kind,
# which holds Pagefind under 1.5 GB on the large corpus (10,000 articles: five parts of 2,000; Pagefind 1.6
# peaked at 1.68 GB with four parts of 2,500, where 1.5.2 took 1.25 GB).
ARTICLES_PER_PART = 1000
TERMS_PER_PART = 5000  # term pages are short: 3,000 of them hold about as much text as 500 articles
MAX_PARTS = 5  # per kind; beyond that the parts grow instead
# Templates whose pages are indexed, and the kind of part they go to (each text is indexed once: the
# glossary listings only repeat the summaries of the term pages).
KINDS = {"term.html": "terms", "article.html": "articles"}


@dataclass(frozen=True)
class Layout:
    """How pages are cut into parts: pages per part of each kind, and at most how many parts per kind."""

    per_part: Mapping[str, int]  # kind → pages per part
    max_parts: int
    together: int = 0  # a site with at most this many pages to index has them all in one part, "site"

    def count(self, kind: str, pages: int) -> int:
        return min(self.max_parts, -(-pages // self.per_part[kind]))

    def whole(self, pages: int) -> bool:
        return 0 < pages <= self.together


# A small site is one part: re-indexing all of it costs an edit little (this repo's 125 pages: well under a
# second besides the dictionary), while a second part costs every query about three requests more (this
# repo, ゆうきゅう: 14 requests in two parts, against 9 for one bundle).
TOGETHER = 500
# What the published site uses (the CLI build): few parts, so a query fetches little (see above).
PUBLISHED = Layout({"terms": TERMS_PER_PART, "articles": ARTICLES_PER_PART}, MAX_PARTS, TOGETHER)
# What a reader's browser never loads (the site uses Pagefind's JS API, not its UI); left out of the output.
UNUSED = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.js")


# Pagefind cuts each bundle's word index into chunks, and a query fetches one chunk per word searched per
# bundle: the chunks are most of what a query costs. Pagefind's default makes chunks of 20-30 KB
# (compressed) here; this setting (Pagefind's own unit, read from the environment and marked unstable by
# Pagefind: were it dropped, the chunks would only be larger again) makes them 4-7 KB on the medium bench
# corpus, so a query over two bundles fetches about what one bundle cost before (bench/README, issue 12).
CHUNK_SIZE = 2_500
# Pagefind's service indexes on one core. A cold build has two or more parts to index once the pages have
# rendered, and a second service on the second core halves that wait (medium corpus: terms and articles side
# by side). Each service holds its own dictionary, so while both run the build holds two of them; the
# largest process stays the same size.
LANES = min(2, os.cpu_count() or 1)
LANE_FROM = 1000  # pages to index; below that, loading a second dictionary (0.9 CPU-s) does not pay


def start_service(binary: Path, timeout: float) -> Service:
    """A Pagefind service with this site's settings (raises ``ServiceError`` when it cannot run)."""
    return Service(binary, timeout, env={"PAGEFIND_UNSTABLE_INDEX_CHUNK_SIZE": str(CHUNK_SIZE)})


def disabled() -> bool:
    return search_switched_off()


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _names(kind: str, n: int) -> list[str]:
    return [kind] + [f"{kind}-{i}" for i in range(2, n + 1)]


def plan(pages: Iterable[tuple[str, str | None]], layout: Layout | None = None) -> dict[str, str]:
    """Output path → part name, for the pages to index (``pages``: output path and template).

    Parts are named ``terms``, ``articles``, or ``articles-2`` … when a kind has more pages than one part
    holds. The pages of a kind are ordered by a hash of their path and cut into equal runs: an edit never
    moves a page to another part, an added page moves at most a few at the runs' edges, and no part is
    empty."""
    by_kind: dict[str, list[str]] = {}
    for path, template in pages:
        if template in KINDS:
            by_kind.setdefault(template, []).append(path)
    layout = layout or PUBLISHED
    if layout.whole(sum(map(len, by_kind.values()))):
        return {path: "site" for paths in by_kind.values() for path in paths}
    out: dict[str, str] = {}
    for template, paths in by_kind.items():
        kind = KINDS[template]
        names = _names(kind, layout.count(kind, len(paths)))
        ordered = sorted(paths, key=lambda p: (_hash(p), p))
        for i, path in enumerate(ordered):
            out[path] = names[i * len(names) // len(ordered)]
    return out


def part_order(parts: Iterable[str]) -> list[str]:
    """Parts in the order the search page loads them: terms first (they answer most queries), then articles
    (a small site's one part, "site", holds both)."""
    def key(name: str) -> tuple[int, int]:
        kind, _, n = name.partition("-")
        return (0 if kind in ("terms", "site") else 1, int(n or 1))
    return sorted(set(parts), key=key)


def bundle_dirs(article_count: int, term_count: int, layout: Layout | None = None) -> list[str]:
    """The bundle folders (relative to the base path) the search page loads, the first one being primary.

    Pure in the page counts, so the search page knows them before the index is made."""
    layout = layout or PUBLISHED
    if layout.whole(article_count + term_count):
        return [_bundle_dir("site", 0)]
    names = []
    for kind, count in (("terms", term_count), ("articles", article_count)):
        names += _names(kind, layout.count(kind, count)) if count else []
    return [_bundle_dir(name, i) for i, name in enumerate(part_order(names))]


def _bundle_dir(name: str, position: int) -> str:
    return f"{BUNDLE}/" if position == 0 else f"{BUNDLE}/{name}/"


@dataclass
class _Part:
    name: str
    members: frozenset[str]
    pages: dict[str, bytes] = field(default_factory=dict)


class Indexer:
    """Collects the pages as they are handed over; ``finish`` indexes the parts whose pages changed, one at
    a time, and returns the bundles' files.

    Never fails the build: a missing binary or a failed run is a warning, and the site works without
    search (the search page says so and points to the glossary)."""

    def __init__(self, pages: Sequence[tuple[str, str | None]], memo: SearchMemo | None, *,
                 layout: Layout | None = None, service: Service | None = None):
        """``service``: a running Pagefind service to use and leave running (the dev server keeps one, so
        the Japanese dictionary is loaded once); by default the indexer starts its own and stops it."""
        self.memo = memo if memo is not None else {}
        self.binary, self.note = find_binary()
        self.part_of = plan(pages, layout) if self.binary is not None else {}
        names = part_order(self.part_of.values())
        self.dirs = {name: _bundle_dir(name, i) for i, name in enumerate(names)}
        self.parts = {name: _Part(name, frozenset(p for p, n in self.part_of.items() if n == name)) for name in names}
        self.service: Service | None = service
        self.own_service = service is None
        self._lock = threading.Lock()  # guards the list of parts the lanes take from
        self.problem = ""

    def add(self, path: str, data: bytes | Path) -> None:
        """A page is ready (pages that are not indexed are ignored); a Path is a file holding its bytes."""
        name = self.part_of.get(path)
        if name is not None:
            self.parts[name].pages[path] = content(data)

    def _digest(self, part: _Part) -> str:
        h = hashlib.blake2b(f"{self.binary}\0{self.dirs[part.name]}\0{CHUNK_SIZE}".encode(), digest_size=16)
        for path in sorted(part.pages):
            h.update(path.encode() + b"\0" + hashlib.blake2b(part.pages[path], digest_size=16).digest())
        return h.hexdigest()

    @staticmethod
    def _index(service: Service, part: _Part, cancelled: Callable[[], bool] | None) -> dict[str, bytes]:
        """One part's bundle. A service holds one part at a time: the next part's pages are sent only once
        this part's bundle is back and its index dropped, so its memory is its dictionary plus one part."""
        index_id = service.new_index()
        added = [service.add_html(index_id, "/" + path.removesuffix("index.html"), data)
                 for path, data in sorted(part.pages.items()) if MARK in data]
        bundle = service.files(index_id, added, cancelled)
        return {f: d for f, d in bundle.items() if not f.startswith(UNUSED)}

    def _lane(self, todo: list[_Part], done: dict[str, dict[str, bytes]], failed: list[BaseException],
              cancelled: Callable[[], bool] | None, service: Service | None) -> None:
        """Index parts taken from ``todo`` one after another on one service (started here unless given)."""
        own = service is None
        try:
            while not failed:
                with self._lock:
                    if not todo:
                        return
                    part = todo.pop(0)
                if service is None:
                    assert self.binary is not None
                    service = start_service(self.binary, TIMEOUT)
                done[part.name] = self._index(service, part, cancelled)
        except (ServiceError, Cancelled) as exc:
            failed.append(exc)
        finally:
            if own and service is not None:
                service.close()

    def finish(self, diagnostics: list[Diagnostic], cancelled: Callable[[], bool] | None = None) -> dict[str, bytes]:
        """Every part's bundle files by output path (remembered or just made); appends any warning.

        The parts to index are shared among up to ``LANES`` services working side by side (one when a
        service was given). Raises ``Cancelled`` as soon as ``cancelled()`` turns true (the parts finished
        so far are remembered in the memo, so the next run does not index them again)."""
        if self.note:
            diagnostics.append(Diagnostic(Loc("pagefind"), Severity.WARNING, self.note))
        try:
            keys = {name: self._digest(part) for name, part in self.parts.items()}
            # largest first, so the lanes end together
            todo = sorted((p for n, p in self.parts.items() if self.memo.get(n, ("", {}))[0] != keys[n]),
                          key=lambda p: (-len(p.pages), p.name))
            done: dict[str, dict[str, bytes]] = {}
            failed: list[BaseException] = []
            big = sum(len(p.pages) for p in todo) >= LANE_FROM  # else a second dictionary costs more than it saves
            lanes = max(1, min(LANES, len(todo))) if self.own_service and big else 1
            threads = [threading.Thread(target=self._lane, args=(todo, done, failed, cancelled, None), daemon=True)
                       for _ in range(lanes - 1)]
            for t in threads:
                t.start()
            self._lane(todo, done, failed, cancelled, None if self.own_service else self.service)
            for t in threads:
                t.join()
            for name in sorted(done):  # remembered even when another part failed or the run was cancelled
                self.memo[name] = (keys[name], done[name])
            if failed:
                if isinstance(failed[0], Cancelled):
                    raise failed[0]
                self.problem = str(failed[0])
                diagnostics.append(Diagnostic(Loc("pagefind"), Severity.WARNING,
                                              f"{self.problem}; the site has no search index"))
                return {}
            out: dict[str, bytes] = {}
            for name in self.parts:
                out.update({self.dirs[name] + f: d for f, d in self.memo[name][1].items()})
            for stale in [n for n in self.memo if n not in self.parts]:
                del self.memo[stale]
            return out
        finally:
            self.close()

    def close(self) -> None:
        if self.service is not None and self.own_service:
            self.service.close()
        self.service = None

    def bundle_dirs(self) -> list[str]:
        """The bundle folders the search page should load, primary first (as ``bundle_dirs``)."""
        return list(self.dirs.values())


def start(pages: Sequence[tuple[str, str | None]], memo: SearchMemo | None) -> Indexer | None:
    """An ``Indexer`` for these pages (output path, template), or None when search is switched off."""
    return None if disabled() else Indexer(pages, memo)


def index_files(files: Mapping[str, bytes | Path], templates: Mapping[str, str], memo: SearchMemo,
                diagnostics: list[Diagnostic]) -> dict[str, bytes]:
    """The build's search step: the bundles' files for these pages (``templates``: output path → template
    or ""), each part made again only when its pages changed (``memo``); {} when search is switched off."""
    indexer = start([(p, templates[p] or None) for p in sorted(templates)], memo)
    if indexer is None:
        return {}
    try:
        for path in sorted(files):
            indexer.add(path, files[path])
        return indexer.finish(diagnostics)
    finally:
        indexer.close()
