"""The Markdown stage: every article body and term definition rendered, reusing what did not change.

A document is rendered again only when its text or the *environment* changes (the names that can be
linked, the pages links may point to, the base path). Results are kept by a digest of those inputs,
without line numbers: a document that only moved within its file is not rendered again, and its
diagnostics are replayed at the new lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backoffice_site import parallel
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc
from backoffice_site.incremental import digest
from backoffice_site.linked import RenderedContent
from backoffice_site.markdown_render import DocContext, MarkdownRenderer, Rendered
from backoffice_site.model import Article, Term
from backoffice_site.resolve import Site


@dataclass(frozen=True)
class CachedDoc:
    rendered: Rendered
    found: tuple[Diagnostic, ...]  # lines relative to the document's first line when in its own file


MarkdownCache = dict[str, CachedDoc]


def environment_key(site: Site, extra_files: frozenset[str]) -> str:
    terms = tuple((t.slug, t.names, t.no_autolink, t.not_in) for t in site.terms)
    return digest((terms, sorted(site.articles_by_source), sorted(site.page_urls), sorted(extra_files),
                   site.content.config.base_path))


def article_context(a: Article, diags: Diagnostics) -> DocContext:
    return DocContext(source=a.source, body=a.body, first_line=a.body_line, page_url=a.url,
                      source_dir=a.source.rsplit("/", 1)[0], diags=diags, autolink=a.autolink)


def term_context(t: Term, diags: Diagnostics) -> DocContext:
    return DocContext(source=t.loc.path, body=t.definition, first_line=t.definition_line,
                      page_url=t.url, source_dir="content/glossary", diags=diags, self_slug=t.slug)


def _relative(found: tuple[Diagnostic, ...], source: str, first_line: int) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic(Loc(d.loc.path, d.loc.line - first_line, d.loc.col), d.severity, d.message)
                 if d.loc.path == source else d for d in found)


def _replay(found: tuple[Diagnostic, ...], source: str, first_line: int) -> list[Diagnostic]:
    return [Diagnostic(Loc(d.loc.path, d.loc.line + first_line, d.loc.col), d.severity, d.message)
            if d.loc.path == source else d for d in found]


def render_markdown(site: Site, diags: Diagnostics, extra_files: frozenset[str],
                    cache: MarkdownCache, jobs: int | None = None) -> RenderedContent:
    """Render what is not in ``cache`` (spread over the cores), drop cache entries no longer used."""
    env = environment_key(site, extra_files)
    docs: list[tuple[str, str, int, Callable[[Diagnostics], DocContext]]] = []
    for a in site.articles:
        docs.append((digest((env, "article", a.source, a.body, a.autolink, a.slug)), a.source, a.body_line,
                     lambda d, a=a: article_context(a, d)))  # type: ignore[misc]
    for t in site.terms:
        docs.append((digest((env, "term", t.loc.path, t.definition, t.slug)), t.loc.path, t.definition_line,
                     lambda d, t=t: term_context(t, d)))  # type: ignore[misc]
    todo = [i for i, doc in enumerate(docs) if doc[0] not in cache]
    if todo:
        renderer = MarkdownRenderer(site, extra_files)  # built before forking: workers inherit it

        def render_one(j: int) -> CachedDoc:
            local = Diagnostics()
            _, source, first, make = docs[todo[j]]
            rendered = renderer.render(make(local))
            return CachedDoc(rendered, _relative(tuple(local.items), source, first))

        for j, result in enumerate(parallel.ordered_map(render_one, len(todo), jobs=jobs)):
            cache[docs[todo[j]][0]] = result
    used = {doc[0] for doc in docs}
    for stale in [k for k in cache if k not in used]:
        del cache[stale]
    results = []
    for key, source, first, _ in docs:
        hit = cache[key]
        diags.extend(_replay(hit.found, source, first))
        results.append(hit.rendered)
    n = len(site.articles)
    return RenderedContent({a.slug: r for a, r in zip(site.articles, results[:n], strict=True)},
                           {t.slug: r for t, r in zip(site.terms, results[n:], strict=True)})
