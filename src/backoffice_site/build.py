"""The pipeline, end to end: load → resolve → render Markdown → pages → templates → write.

``Builder`` keeps what it computed last time (parsed files, rendered Markdown, rendered pages), each
keyed by a digest of everything it depends on, so a rebuild redoes only the work whose inputs changed.
The result is always byte-identical to a build from scratch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from backoffice_site import __version__, cache, load, output, pages, parallel, resolve, search
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc, Severity, promote_warnings
from backoffice_site.render import Renderer, static_hashes


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None  # None: do not write (check, or the dev server serving from memory)
    base_url: str | None = None
    strict: bool = False
    drafts: bool = False
    jobs: int | None = None  # worker processes for big batches; None = one per core, 1 = serial
    cache_dir: Path | None = None  # persistent cache (ROOT/.cache/backoffice-site); None = in memory only
    search: bool = True  # run Pagefind over the pages when writing output


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic]
    files: dict[str, bytes] = field(default_factory=dict)  # generated files by output path
    statics: dict[str, Path] = field(default_factory=dict)  # static files by output path
    articles: int = 0
    terms: int = 0
    seconds: float = 0.0
    rendered: pages.RenderedContent | None = None  # for reports such as check --terms
    unused_terms: list[str] = field(default_factory=list)
    articles_linking: dict[str, int] = field(default_factory=dict)
    site: resolve.Site | None = None
    rendered_pages: int = 0  # pages whose template actually ran this time
    written: int = 0  # files written to the output folder

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def pages(self) -> int:
        return sum(1 for p in self.files if p.endswith(".html"))


def today() -> dt.date:
    """The build's idea of today: SOURCE_DATE_EPOCH when set, so builds are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def _tree_digest(folder: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


class Builder:
    """Builds a site again and again, redoing only what changed (the dev server keeps one)."""

    def __init__(self, opts: BuildOptions):
        self.opts = opts
        self.load_memo: load.LoadMemo = {}
        self.md_cache: pages.MarkdownCache = {}
        self.page_cache: dict[str, tuple[str, bytes]] = {}  # output path → (deps digest, bytes)
        self.renderer: Renderer | None = None
        self.doc_memo: pages.DocMemo = {}
        self.search_memo: search.SearchMemo = {}  # search index parts by a digest of their pages
        self.cache_key = cache.fingerprint((str(opts.root), opts.base_url, opts.drafts))
        if opts.cache_dir is not None:
            stored = cache.load(opts.cache_dir, self.cache_key)
            if stored is not None:
                self.load_memo = stored.get("load", {})
                self.md_cache = stored.get("markdown", {})
                self.page_cache = stored.get("pages", {})
                self.doc_memo = stored.get("docs", {})
                self.search_memo = stored.get("search", {})

    def _cache_state(self) -> tuple[frozenset[str], ...]:
        """Cheap summary of the caches' contents: the persistent copy is rewritten only when it moved."""
        return (frozenset(v[0] for v in self.load_memo.values()), frozenset(self.md_cache),
                frozenset(v[0] for v in self.doc_memo.values()), frozenset(v[0] for v in self.search_memo.values()))

    def save_cache(self) -> None:
        if self.opts.cache_dir is not None:
            cache.save(self.opts.cache_dir, self.cache_key,
                       {"load": self.load_memo, "markdown": self.md_cache, "pages": self.page_cache,
                        "docs": self.doc_memo, "search": self.search_memo})

    def build(self) -> BuildResult:
        """Run every stage, collect every problem; write only when nothing is wrong."""
        started = time.perf_counter()
        opts, root = self.opts, self.opts.root
        diags = Diagnostics()
        before = self._cache_state()
        content = load.load_content(root, diags, base_url=opts.base_url, drafts=opts.drafts,
                                    memo=self.load_memo)
        site = resolve.resolve(content, diags, today())
        statics = output.static_files(root / "static", diags)
        rendered = pages.render_markdown(site, diags, frozenset(statics), self.md_cache, opts.jobs)

        referenced = pages.referenced_by_terms(site, rendered)
        back = pages.backlinks(site, rendered)
        for t in site.terms:
            if not back[t.slug] and t.slug not in referenced:
                diags.warning(t.loc, f"term '{t.name}' is used by no article and referred to by no other "
                              "term; link it from an article or another term's see_also")

        hashes = static_hashes(statics)
        if self.renderer is None or self.renderer.config != content.config:
            self.renderer = Renderer(root, content.config, hashes)  # compiled templates are kept between builds
        renderer = self.renderer
        renderer.static_hashes = hashes
        shared_key = (__version__, _tree_digest(root / "templates"), repr(content.config), sorted(hashes.items()))
        files: dict[str, bytes] = {}
        fresh_cache: dict[str, tuple[str, bytes]] = {}
        todo: list[tuple[pages.Page, str]] = []
        all_pages = pages.build_pages(site, rendered, back, renderer.abs_url, self.doc_memo)
        # search (issue 12): the index parts are made while the pages render, each page handed over once ready
        indexer = search.start([(p.path, p.template) for p in all_pages], self.search_memo) \
            if opts.search and opts.out is not None else None
        for page in all_pages:
            if page.template is None:
                files[page.path] = page.body
                continue
            key = pages.digest((shared_key, page.template, page.deps))
            hit = self.page_cache.get(page.path)
            if hit is not None and hit[0] == key:
                files[page.path] = hit[1]
                fresh_cache[page.path] = hit
            else:
                todo.append((page, key))

        if indexer is not None:  # search (issue 12): the pages kept from the last build are ready now
            for path, kept in files.items():
                indexer.add(path, kept)

        def render_one(i: int) -> tuple[bytes | None, tuple[Diagnostic, ...]]:
            local = Diagnostics()
            return renderer.render(todo[i][0], local), tuple(local.items)

        for (page, key), (data, found) in zip(todo, parallel.ordered_map(render_one, len(todo), jobs=opts.jobs),
                                              strict=True):
            diags.extend(found)
            if data is not None:
                files[page.path] = data
                fresh_cache[page.path] = (key, data)
                if indexer is not None:  # search (issue 12)
                    indexer.add(page.path, data)
        rendered_count = len(todo)
        self.page_cache = fresh_cache  # drops pages that no longer exist
        for name in sorted(set(files) & set(statics)):
            diags.error(Loc(f"static/{name}"), f"static file '{name}' would overwrite a generated page; "
                        "rename or move it")

        result_diags = diags.sorted()
        if opts.strict:
            result_diags = promote_warnings(result_diags)
        result = BuildResult(
            result_diags, files, statics, len(site.articles), len(site.terms), rendered=rendered,
            unused_terms=[t.slug for t in site.terms if not back[t.slug]], site=site,
            articles_linking={s: len(a) for s, a in back.items()}, rendered_pages=rendered_count,
        )
        if result.ok and opts.out is not None:
            # The Pagefind bundle joins the files, so it is written in the same swap as the pages.
            if indexer is not None:  # search (issue 12): the index parts, made or remembered
                files.update(indexer.finish(result.diagnostics))
            try:
                result.written = output.write_site(opts.out, files, statics)
            except output.OutputError as exc:
                result.diagnostics.append(Diagnostic(Loc(str(opts.out)), Severity.ERROR, str(exc)))
            else:
                if result.written or rendered_count or self._cache_state() != before:
                    self.save_cache()
        if indexer is not None:  # search (issue 12): a failed build stops the indexer
            indexer.close()
        result.seconds = time.perf_counter() - started
        return result


def build(opts: BuildOptions) -> BuildResult:
    return Builder(opts).build()
