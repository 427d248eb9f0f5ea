"""The Markdown stage: every article body and term definition rendered, reusing what did not change.

A document is rendered again only when its text or the *environment* changes (the names that can be
linked, the pages links may point to, the base path). Results are kept by a digest of those inputs,
without line numbers: a document that only moved within its file is not rendered again, and its
diagnostics are replayed at the new lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backoffice_site import parallel, timeline
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


# (kind, item) → (the item's value, environment, key): a document whose value is the very object it was
# last time needs no new digest (the loader hands back the same object for a file that did not change).
KeyMemo = dict[tuple[str, str], tuple[object, str, str]]


def _key(keys: KeyMemo, kind: str, name: str, value: object, env: str, parts: tuple[object, ...]) -> str:
    hit = keys.get((kind, name))
    if hit is not None and hit[0] is value and hit[1] == env:
        return hit[2]
    key = digest((env, kind, *parts))
    keys[(kind, name)] = (value, env, key)
    return key


def render_markdown(site: Site, diags: Diagnostics, extra_files: frozenset[str],
                    cache: MarkdownCache, jobs: int | None = None, keys: KeyMemo | None = None,
                    renderers: dict[str, MarkdownRenderer] | None = None) -> RenderedContent:
    """Render what is not in ``cache`` (spread over the cores), drop cache entries no longer used."""
    env = environment_key(site, extra_files)
    keys = {} if keys is None else keys
    docs: list[tuple[str, str, int, Callable[[Diagnostics], DocContext]]] = []
    for a in site.articles:
        docs.append((_key(keys, "article", a.source, a, env, (a.source, a.body, a.autolink, a.slug)), a.source,
                     a.body_line, lambda d, a=a: article_context(a, d)))  # type: ignore[misc]
    for t in site.terms:
        docs.append((_key(keys, "term", t.slug, t, env, (t.loc.path, t.definition, t.slug)), t.loc.path,
                     t.definition_line, lambda d, t=t: term_context(t, d)))  # type: ignore[misc]
    summaries = timeline.summary_docs(site)  # each change's one-line Markdown summary (the timeline)
    for (slug, i), t, c in summaries:
        docs.append((_key(keys, "change", f"{slug}/{i}", c, env, (t.loc.path, t.slug, c.summary)), t.loc.path,
                     c.summary_line, lambda d, t=t, c=c: timeline.summary_context(t, c, d)))  # type: ignore[misc]
    todo = [i for i, doc in enumerate(docs) if doc[0] not in cache]
    if todo:
        # built before forking (workers inherit it); kept while the environment is the same, since its
        # compiled term matcher depends on nothing else
        if renderers is not None and renderers.get(env) is not None:
            renderer = renderers[env]
        else:
            renderer = MarkdownRenderer(site, extra_files)
            if renderers is not None:
                renderers.clear()
                renderers[env] = renderer

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
    n, m = len(site.articles), len(site.articles) + len(site.terms)
    return RenderedContent({a.slug: r for a, r in zip(site.articles, results[:n], strict=True)},
                           {t.slug: r for t, r in zip(site.terms, results[n:m], strict=True)},
                           {key: r for (key, _, _), r in zip(summaries, results[m:], strict=True)})
