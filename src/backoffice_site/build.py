"""The pipeline, end to end: load → resolve → Markdown → link → page kinds → lints → templates → write.

``Builder`` keeps one cache (``BuildCache``) between builds: parsed files, rendered Markdown, and per page
the digest of its view with the bytes it rendered to, plus which inputs each page read. A rebuild is told
which paths changed (the dev server passes the watcher's batch) or works it out from the files; it then
looks again only at the pages that read an input that changed, and renders only those whose view moved.
The result is byte-identical to a cold build (tests/test_incremental.py checks that on random edits).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backoffice_site import (
    __version__,
    cache,
    change_set,
    headers,
    heap,
    lints,
    loading,
    manifest,
    output,
    parallel,
    resolve,
)
from backoffice_site.build_cache import BuildCache, Store
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc, Severity, promote_warnings
from backoffice_site.incremental import Key, Reads, digest
from backoffice_site.kept_folders import KeptFolders
from backoffice_site.kinds import Kind, PageSpec
from backoffice_site.kinds.listing import PageList
from backoffice_site.kinds.registry import PAGE_KINDS
from backoffice_site.linked import LinkedSite, link
from backoffice_site.live_pages import LivePages
from backoffice_site.markdown_stage import Session as MarkdownSession
from backoffice_site.markdown_stage import render_markdown
from backoffice_site.model import Content
from backoffice_site.options import BuildOptions as BuildOptions  # re-exported: callers build with it
from backoffice_site.render import Renderer, bytecode_folder

STANDBY = "standby"  # the previous output, kept in the cache folder for the next write (output.write_site)


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic]
    # generated files by output path: their bytes, or (a CLI rebuild) the output file that already holds them
    files: dict[str, bytes | Path] = field(default_factory=dict)
    statics: dict[str, Path] = field(default_factory=dict)  # static files by output path
    articles: int = 0
    terms: int = 0
    seconds: float = 0.0
    linked: LinkedSite | None = None  # for reports such as check --terms, and the dev server
    rendered: tuple[str, ...] = ()  # files whose template (or serializer) actually ran this time
    viewed_pages: int = 0  # pages whose view was built this time
    written: int = 0  # files written to the output folder
    page_count: int | None = None  # set when ``files`` is not filled (the no-change fast path)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def rendered_pages(self) -> int:
        return len(self.rendered)

    @property
    def pages(self) -> int:
        if self.page_count is not None:
            return self.page_count
        return sum(1 for p in self.files if p.endswith(".html"))


def today() -> dt.date:
    """The build's idea of today: SOURCE_DATE_EPOCH when set, so builds are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


class Builder:
    """Builds a site again and again, redoing only what changed (the dev server keeps one)."""

    def __init__(self, opts: BuildOptions, kinds: tuple[Kind, ...] = PAGE_KINDS):
        self.opts = opts
        self.kinds = kinds  # the page kinds to build (kinds.registry); a site or a test may add its own
        self.renderer: Renderer | None = None
        self.cache_key = cache.fingerprint((str(opts.root), opts.base_url, opts.drafts))
        self._cache: BuildCache | None = None  # loaded on first use: the no-change path does not need it
        self._store = Store(opts.cache_dir, self.cache_key) if opts.cache_dir is not None else None
        self._last: LinkedSite | None = None  # the previous build's linked site, in this process
        self._markdown = MarkdownSession()  # what the Markdown stage keeps between builds, in this process
        self._lint_memo: dict[str, Any] = {}  # what each lint keeps between builds (lints.LintInput.memo)
        self._page_list = PageList()  # every kind's URLs and specs, kept by what the kind read (kinds.listing)
        self._live = LivePages()  # the last build's pages, for a save that changes a few (live_pages)
        self._folders = KeptFolders()  # static/ and templates/ as last read (kept_folders)
        self._loading: loading.Session = loading.Session()  # the content folders' files and the last content
        # the last loaded content, the site resolved from it, and whether resolving found no problem
        self._resolved: tuple[Content, resolve.Site, bool] | None = None
        self._assigned: resolve.Assigned = {}  # terms and groups as resolve made them, by identity
        self._staging: output.Staging | None = None  # this build's new output folder, when a first build

    @property
    def cache(self) -> BuildCache:
        if self._cache is None:
            self._cache = self._store.load() if self._store is not None else BuildCache()
            self._markdown.keys = self._cache.doc_keys
            self._lint_memo["dates"] = self._cache.dates
        return self._cache

    def _stored(self, path: str, rec: tuple[str, str, str, bytes | None]) -> bytes | Path | None:
        """A page's bytes as the cache has them, or else the output file recorded (``written``) as holding
        exactly them and not moved since; None when neither: the page is rendered again."""
        if rec[3] is not None:
            return rec[3]
        written, out = self._last_write(), self.opts.out
        known = written.get(path) if written is not None else None
        if out is None or known is None or known[0] != rec[:3]:
            return None
        return output.trusted(out, path, known[1])

    def _last_write(self) -> output.Written | None:
        """The record of the last write, when it was to this build's output folder."""
        o, c = self.opts.out, self.cache
        return c.written[1] if o is not None and c.written[0] == str(o) else None

    def _bytecode_dir(self) -> Path | None:
        """Where Jinja keeps compiled templates; only a build that writes keeps them."""
        o = self.opts
        return bytecode_folder(o.cache_dir, digest(self.cache_key)) if o.out is not None else None

    def build(self, changed: Iterable[str | Path] | None = None) -> BuildResult:
        """Run every stage, collect every problem; write only when nothing is wrong.

        ``changed``: the paths that changed since the last build, when the caller knows them (the dev
        server). Only used to skip work; the result does not depend on it."""
        with heap.paused():
            try:
                return self._build(changed)
            finally:
                if self._staging is not None:  # what a failed build staged (once swapped in, nothing is left)
                    self._staging.discard()
                    self._staging = None

    def _build(self, changed: Iterable[str | Path] | None) -> BuildResult:
        started = time.perf_counter()
        fast = self._unchanged_since_written()
        if fast is not None:
            fast.seconds = time.perf_counter() - started
            return fast
        opts, root, c = self.opts, self.opts.root, self.cache
        if self._live.busy:  # the last build stopped while changing page records in place: look at every page
            c.shared = ""
            self._live.forget()
        diags = Diagnostics()
        known = change_set.changed_files(root, changed)
        content = loading.load_content(root, diags, base_url=opts.base_url, drafts=opts.drafts, memo=c.load,
                                    changed=known, session=self._loading)
        site = self._resolve(content, diags)
        statics, hashes = self._folders.statics(root / "static", known, diags)
        rendered = render_markdown(site, diags, frozenset(statics), c.markdown, opts.jobs, self._markdown)
        now = today()
        ls = link(site, rendered, now, prev=self._last)

        listed = self._page_list.specs(self.kinds, ls)
        specs, ls.pages, paths = listed.specs, listed.pages, listed.paths
        lints.run(lints.LintInput(root, ls, now, paths | {headers.FILE},
                                    frozenset(statics), self._lint_memo), diags)

        if self.renderer is None or self.renderer.config != content.config:
            # compiled templates are kept between builds, and between processes in the cache folder
            self.renderer = Renderer(root, content.config, hashes, cache_dir=self._bytecode_dir(),
                                     refs=c.template_refs)
        renderer = self.renderer
        renderer.static_hashes = hashes
        shared = digest((__version__, sorted(hashes.items())))
        tdigests = self._folders.template_digests(renderer, known)
        # The loaded files' content digests, for a process without the last linked site (change_set.from_files):
        # this one's first build, and the next process, which reads them from the cache file (a dev server keeps
        # no cache file, and after its first build has the linked site: it spares this walk of every file).
        keep = self._store is not None
        digests = {path: entry[1] for path, entry in c.load.items()} if keep or self._last is None else {}
        look = self._pages_to_view(ls, paths, shared, digests)
        if keep:
            c.last = change_set.LastBuild(self._markdown.used(), digests, ls.backlinks)
        if self._live.tdigests != tdigests:  # (equal: every record was made with these templates)
            look.update(p for p, rec in c.pages.items() if rec[0] and tdigests.get(rec[0]) != rec[1])
        # a first build's workers write its pages as they render them (output.Staging; ``build`` discards
        # the folder unless it was swapped in)
        staging = self._staging = output.Staging.first_build(opts.out)
        files, rendered_paths = self._render(ls, specs, paths, look, renderer, tdigests, shared, diags, staging)
        c.shared = shared
        ls.prev = None  # carried over what it could; keeping it would chain every site ever built
        self._last = ls

        result_diags = diags.sorted()
        if opts.strict:
            result_diags = promote_warnings(result_diags)
        result = BuildResult(result_diags, files, statics, len(site.articles), len(site.terms), linked=ls,
                             rendered=rendered_paths, viewed_pages=len(look))
        if result.ok and opts.out is not None:
            page_keys = {p: rec[:3] for p, rec in c.pages.items()}  # what each page's bytes were made from
            files[headers.FILE] = self._headers(files, page_keys, hashes, content.config.base_path)
            # The Pagefind bundle joins the files, so it is written in the same swap as the pages.
            if opts.search:  # the index parts (search.py): each made again only when its pages changed
                from backoffice_site import search  # (not imported by a --no-search build: 10-15 ms)

                files.update(search.index_files(files, {p: rec[0] for p, rec in c.pages.items()}, c.search,
                                                result.diagnostics))
            try:
                standby = opts.cache_dir / STANDBY if opts.cache_dir is not None else None
                # what each page's bytes are: the key it was rendered from (see _render)
                tokens: dict[str, Hashable] = {p: key for p, key in page_keys.items() if p in files}
                tokens[headers.FILE] = ("headers", c.headers[0])
                out = opts.out

                def write() -> tuple[int, output.Written]:
                    return output.write_tracked(out, files, statics, standby, tokens, self._last_write(), staging)
                # the cache is saved while the output is written (build_cache.Store.save_while)
                result.written, record = self._store.save_while(c, write) if self._store is not None else write()
            except output.OutputError as exc:
                result.diagnostics.append(Diagnostic(Loc(str(opts.out)), Severity.ERROR, str(exc)))
            else:
                if staging is not None:  # the staged pages are the output's files now
                    result.files = {n: opts.out / n if isinstance(d, Path) and d == staging.folder / n else d
                                    for n, d in files.items()}
                c.written = (str(opts.out), record)
                if self._store is not None:
                    self._store.save_written(c)
                self._record_written(result, diags.sorted())
        result.seconds = time.perf_counter() - started
        return result

    def _resolve(self, content: Content, diags: Diagnostics) -> resolve.Site:
        """Resolve, or patch the last resolved site when only articles' text changed (``resolve.patch``);
        the page URLs from the kinds, the same object as last time when they are the same."""
        last = self._resolved
        site = resolve.patch(last[0], last[1], content) if last is not None and last[2] else None
        if site is None:
            local = Diagnostics()
            site = resolve.resolve(content, local, self._assigned)
            diags.extend(local.items)
            ok = not local.items
        else:
            ok = True
        urls = self._page_list.urls(self.kinds, site)
        if last is not None and (last[1].page_urls is urls or last[1].page_urls == urls):
            urls = last[1].page_urls
        site = dataclasses.replace(site, page_urls=urls)
        self._resolved = (content, site, ok)
        return site

    def _unchanged_since_written(self) -> BuildResult | None:
        """The CLI's no-change path (see ``manifest``): the stored result, without loading the build cache."""
        if self._last is not None:
            return None
        m = manifest.fast(self.opts)
        if m is None:
            return None
        found = list(m.diagnostics)
        return BuildResult(promote_warnings(found) if self.opts.strict else found, articles=m.articles,
                           terms=m.terms, page_count=m.pages)

    def _record_written(self, result: BuildResult, raw: list[Diagnostic]) -> None:
        o = self.opts
        if o.cache_dir is not None and o.out is not None:
            outputs = {name: rec[1] for name, rec in self.cache.written[1].items()}  # as just written
            manifest.save(o.cache_dir, manifest.record(manifest.key_for(o), o.root, o.out, tuple(raw),
                                                       result.pages, result.articles, result.terms, outputs))

    def _headers(self, files: dict[str, bytes | Path], page_keys: dict[str, tuple[str, str, str]],
                 hashes: dict[str, str], base_path: str) -> bytes:
        """``_headers`` for static hosts (headers.py), made again only when what it lists changed."""
        c = self.cache
        c.assets, used = headers.assets_by_page(files, page_keys, c.assets, hashes, base_path)
        present = tuple(n for n in headers.TEXT_TYPES if n in files)
        inputs = digest((sorted(used), present, base_path))
        if c.headers[0] != inputs:
            c.headers = (inputs, headers.headers_file(sorted(used), present, base_path))
        return c.headers[1]

    def _pages_to_view(self, ls: LinkedSite, paths: frozenset[str], shared: str,
                       digests: dict[str, str]) -> set[str]:
        """Every page when what all pages share changed, else those ``change_set.pages_to_view`` finds."""
        c = self.cache
        if c.shared != shared:
            return set(paths)
        readers = self._live.readers(c.reads) if self._patches(paths) else None
        return change_set.pages_to_view(paths, c.reads, c.versions, ls, self._last, change_set.Sources(
            self.opts.root, digests, self._markdown.used() if self._last is None else {}, c.last), readers)

    def _patches(self, paths: frozenset[str]) -> bool:
        """In a live process whose last build made this page set (a save), the records of the pages not looked
        at stay as they are, and those of the others are replaced in place (live_pages); else all anew."""
        return self.opts.out is None and self._live.can_patch(paths)

    def _render(self, ls: LinkedSite, specs: list[PageSpec], paths: frozenset[str], look: set[str],
                renderer: Renderer, tdigests: dict[str, str], shared: str, diags: Diagnostics,
                staging: output.Staging | None) -> tuple[dict[str, bytes | Path], tuple[str, ...]]:
        c, live = self.cache, self._live
        patch = self._patches(paths)
        files: dict[str, bytes | Path]
        fresh_pages: dict[str, tuple[str, str, str, bytes | None]]
        fresh_reads: dict[str, frozenset[Key]]
        if patch:
            assert live.files is not None
            files, fresh_pages, fresh_reads = dict(live.files), c.pages, c.reads
            todo = [spec for spec in specs if spec.path in look]
            live.busy = True
        else:
            files, fresh_pages, fresh_reads, todo = {}, {}, {}, []
            for spec in specs:
                hit = c.pages.get(spec.path)
                kept = self._stored(spec.path, hit) if spec.path not in look and hit is not None else None
                if kept is not None and hit is not None:
                    files[spec.path] = kept
                    fresh_pages[spec.path] = hit
                    fresh_reads[spec.path] = c.reads[spec.path]
                else:
                    todo.append(spec)

        def view_one(i: int) -> _Viewed:
            """Build one page's view, digest it with its inputs, render it if that digest moved. Run by the
            workers when there are many (a cold build): views and digests are most of a build's own work."""
            spec = todo[i]
            r = Reads()
            page = spec.build(ls, r)
            versions = {k: ls.version(k) for k in r.keys}
            template = page.template or ""
            # asset URLs carry the static files' hashes (``shared``): a page shows them through the globals
            key = (template, tdigests.get(template, ""), digest((shared, page.path, template, page.view)))
            hit = c.pages.get(spec.path)
            kept = self._stored(spec.path, hit) if hit is not None and hit[:3] == key else None
            if kept is not None:
                return _Viewed(versions, key, kept, (), rendered=False)
            local = Diagnostics()
            data = page.write(page.view) if page.write is not None else \
                renderer.render(page.path, template, page.view, local)
            if staging is None or data is None:
                return _Viewed(versions, key, data, tuple(local.items), rendered=True)
            # written here; the page's fingerprinted assets (for _headers) found while its bytes are at hand
            assets = headers.fingerprinted(data, hashes, base) if page.path.endswith(".html") else ()
            return _Viewed(versions, key, staging.put(page.path, data), tuple(local.items), True, assets)

        hashes, base = renderer.static_hashes, ls.site.content.config.base_path

        rendered: list[str] = []
        for spec, v in zip(todo, parallel.ordered_map(view_one, len(todo), jobs=self.opts.jobs), strict=True):
            c.versions.update(v.versions)
            diags.extend(v.found)
            reads = frozenset(v.versions)
            if patch:
                live.moved(spec.path, fresh_reads.get(spec.path, ()), reads if v.data is not None else frozenset())
            fresh_reads[spec.path] = reads
            if not v.rendered:
                assert v.data is not None
                files[spec.path] = v.data
                fresh_pages[spec.path] = c.pages[spec.path]
                continue
            rendered.append(spec.path)
            if v.data is not None:
                files[spec.path] = v.data
                fresh_pages[spec.path] = (*v.key, v.data if isinstance(v.data, bytes) else None)
                if v.assets is not None:
                    c.assets[spec.path] = (v.key, v.assets)
            else:
                fresh_reads.pop(spec.path, None)  # a failed page is looked at again next time
                fresh_pages.pop(spec.path, None)
                files.pop(spec.path, None)
        c.pages, c.reads = fresh_pages, fresh_reads
        if self.opts.out is None:
            live.done(paths, files, tdigests, patch)
        return files, tuple(rendered)


@dataclass(frozen=True)
class _Viewed:
    """What building one page's view gave: the versions of the inputs it read, its record key, the bytes
    (None: unchanged when not ``rendered``, failed when ``rendered``) and the template's diagnostics."""

    versions: dict[Key, str]
    key: tuple[str, str, str]
    data: bytes | Path | None
    found: tuple[Diagnostic, ...]
    rendered: bool
    assets: tuple[str, ...] | None = None  # when written by the worker: the static files it references


def build(opts: BuildOptions) -> BuildResult:
    return Builder(opts).build()
