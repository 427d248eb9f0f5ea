"""The Markdown stage: every article body and term definition rendered, reusing what did not change.

A document is rendered again only when its text or the *environment* changes (the names that can be
linked, the pages links may point to, the base path). Results are kept by a digest of those inputs,
without line numbers: a document that only moved within its file is not rendered again, and its
diagnostics are replayed at the new lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

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


def environment_key(site: Site, extra_files: frozenset[str], session: Session | None = None) -> str:
    """A digest of everything a document's rendering depends on besides its own text: the names that
    can be linked, the pages links may point to, the static files, the base path. Its two large parts
    are kept by the identity of what they are made of (``Session``), so a rebuild that did not touch the
    glossary or the page set does not digest them again."""
    memo = session.env_parts if session is not None else {}

    def part(name: str, basis: object, make: Callable[[], object]) -> str:
        hit = memo.get(name)
        if hit is not None and hit[0] is basis:
            return hit[1]
        d = digest(make())
        memo[name] = (basis, d)
        return d

    terms = part("terms", site.terms, lambda: tuple((t.slug, t.names, t.no_autolink, t.not_in) for t in site.terms))
    urls = part("urls", site.page_urls, lambda: sorted(site.page_urls))
    return digest((terms, sorted(site.articles_by_source), urls, sorted(extra_files), site.content.config.base_path))


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


Doc = tuple[str, str, int, Callable[[Diagnostics], DocContext]]


@dataclass
class _Glossary:
    """The term definitions and change summaries of one build, with what they were made from."""

    terms: tuple[Term, ...]
    env: str
    keys: list[str]
    definitions: dict[str, Rendered]
    changes: dict[timeline.SummaryKey, Rendered]
    found: list[Diagnostic]
    keys_digest: str  # of ``keys``: the glossary's documents as one (Session.used)


@dataclass
class _Articles:
    """The article documents of one build, what each rendered to and the diagnostics it replayed."""

    articles: tuple[Article, ...]
    env: str
    docs: list[Doc]
    found: list[list[Diagnostic]]
    rendered: dict[str, Rendered]  # by article slug


@dataclass
class Session:
    """What the stage keeps between builds of one process (the dev server's): documents' keys by identity,
    the Markdown pipeline per environment, the environment's parts, and the last glossary, reused whole
    when the terms are the same objects and the environment is the same (an article save)."""

    keys: KeyMemo = field(default_factory=dict)
    renderers: dict[str, MarkdownRenderer] = field(default_factory=dict)
    env_parts: dict[str, tuple[object, str]] = field(default_factory=dict)
    glossary: _Glossary | None = None
    articles: _Articles | None = None  # the last build's article documents (``_patch``)

    def used(self) -> dict[str, str]:
        """The key of every document of the last build by its file ("" for the whole glossary's): what a
        later process compares to tell which documents changed (``change_set.from_files``)."""
        out: dict[str, str] = {}
        if self.articles is not None:
            out.update((a.source, doc[0]) for a, doc in zip(self.articles.articles, self.articles.docs, strict=True))
        if self.glossary is not None:
            out[""] = self.glossary.keys_digest
        return out


def _key(keys: KeyMemo, kind: str, name: str, value: object, env: str, parts: tuple[object, ...]) -> str:
    hit = keys.get((kind, name))
    if hit is not None and hit[0] is value and hit[1] == env:
        return hit[2]
    key = digest((env, kind, *parts))
    keys[(kind, name)] = (value, env, key)
    return key


def _article_doc(a: Article, env: str, keys: KeyMemo) -> Doc:
    return (_key(keys, "article", a.source, a, env, (a.source, a.body, a.autolink, a.slug)), a.source,
            a.body_line, lambda d: article_context(a, d))


def _article_docs(site: Site, env: str, keys: KeyMemo) -> list[Doc]:
    return [_article_doc(a, env, keys) for a in site.articles]


def _glossary_docs(site: Site, env: str, keys: KeyMemo) -> list[Doc]:
    docs: list[Doc] = [(_key(keys, "term", t.slug, t, env, (t.loc.path, t.definition, t.slug)), t.loc.path,
                        t.definition_line, lambda d, t=t: term_context(t, d))  # type: ignore[misc]
                       for t in site.terms]
    for (slug, i), t, c in timeline.summary_docs(site):  # each change's one-line Markdown summary (the timeline)
        docs.append((_key(keys, "change", f"{slug}/{i}", c, env, (t.loc.path, t.slug, c.summary)), t.loc.path,
                     c.summary_line, lambda d, t=t, c=c: timeline.summary_context(t, c, d)))  # type: ignore[misc]
    return docs


def _forget_gone(keys: KeyMemo, site: Site, glossary_kept: bool, glossary_docs: int) -> None:
    """Drop the keys of documents that are gone (they hold on to old items, and the memo is pickled).
    Every live document has its key by now, so when the counts match nothing is gone (most builds)."""
    if len(keys) == len(site.articles) + glossary_docs:
        return
    live = {("article", a.source) for a in site.articles}
    if not glossary_kept:
        live.update(("term", t.slug) for t in site.terms)
        live.update(("change", f"{slug}/{i}") for (slug, i), _, _ in timeline.summary_docs(site))
    for k in [k for k in keys if k not in live and (k[0] == "article" or not glossary_kept)]:
        del keys[k]


def render_markdown(site: Site, diags: Diagnostics, extra_files: frozenset[str],
                    cache: MarkdownCache, jobs: int | None = None, session: Session | None = None) -> RenderedContent:
    """Render what is not in ``cache`` (spread over the cores), drop cache entries no longer used."""
    session = Session() if session is None else session
    env = environment_key(site, extra_files, session)
    last = session.glossary
    same_glossary = last is not None and last.terms is site.terms and last.env == env
    edited = _edited(session.articles, site, env) if same_glossary else None
    if edited is not None:
        return _patch(site, diags, extra_files, cache, jobs, session, env, edited)
    docs = _article_docs(site, env, session.keys)
    if not same_glossary:
        docs += _glossary_docs(site, env, session.keys)
    _render_missing(docs, cache, site, extra_files, env, jobs, session)
    _forget_gone(session.keys, site, same_glossary,
                 len(last.keys) if same_glossary and last is not None else len(docs) - len(site.articles))
    used = {doc[0] for doc in docs}
    if same_glossary:
        assert last is not None
        used.update(last.keys)
    for stale in [k for k in cache if k not in used]:
        del cache[stale]
    n = len(site.articles)
    results, found, per_article = [], [], []
    for i, (key, source, first, _) in enumerate(docs):
        hit = cache[key]
        replayed = _replay(hit.found, source, first)
        diags.extend(replayed)
        if i >= n:
            found.extend(replayed)  # the glossary's, kept with it
        else:
            per_article.append(replayed)
        results.append(hit.rendered)
    if same_glossary:
        assert last is not None
        glossary = last
        diags.extend(last.found)
    else:
        m = n + len(site.terms)
        summaries = timeline.summary_docs(site)
        keys = [doc[0] for doc in docs[n:]]
        glossary = _Glossary(site.terms, env, keys,
                             {t.slug: r for t, r in zip(site.terms, results[n:m], strict=True)},
                             {key: r for (key, _, _), r in zip(summaries, results[m:], strict=True)}, found,
                             digest(keys))
        session.glossary = glossary
    articles = {a.slug: r for a, r in zip(site.articles, results[:n], strict=True)}
    session.articles = _Articles(site.articles, env, docs[:n], per_article, articles)
    return RenderedContent(articles, glossary.definitions, glossary.changes)


def _render_missing(docs: list[Doc], cache: MarkdownCache, site: Site, extra_files: frozenset[str], env: str,
                    jobs: int | None, session: Session) -> None:
    todo = [i for i, doc in enumerate(docs) if doc[0] not in cache]
    if not todo:
        return
    # built before forking (workers inherit it); kept while the environment is the same, since its
    # compiled term matcher depends on nothing else
    renderer = session.renderers.get(env)
    if renderer is None:
        renderer = MarkdownRenderer(site, extra_files)
        session.renderers.clear()
        session.renderers[env] = renderer

    def render_one(j: int) -> CachedDoc:
        local = Diagnostics()
        _, source, first, make = docs[todo[j]]
        rendered = renderer.render(make(local))
        return CachedDoc(rendered, _relative(tuple(local.items), source, first))

    for j, result in enumerate(parallel.ordered_map(render_one, len(todo), jobs=jobs)):
        cache[docs[todo[j]][0]] = result


def _edited(last: _Articles | None, site: Site, env: str) -> list[int] | None:
    """Where the articles differ from the last build's, when every other article is the very same object
    (a save of articles' text: see ``loading``); None when anything else may have changed."""
    if last is None or last.env != env or len(last.articles) != len(site.articles):
        return None
    now, before = site.articles, last.articles
    edited = [i for i, (a, b) in enumerate(zip(now, before, strict=True)) if a is not b] if now is not before else []
    if any(now[i].slug != before[i].slug or now[i].source != before[i].source for i in edited):
        return None
    return edited


def _patch(site: Site, diags: Diagnostics, extra_files: frozenset[str], cache: MarkdownCache, jobs: int | None,
           session: Session, env: str, edited: list[int]) -> RenderedContent:
    """``render_markdown`` when only the ``edited`` articles changed: the last build's documents with
    theirs made again, without a pass over every article. The same result: the glossary is reused whole
    either way, each article's key names its file (so the old key of an edited one is nobody else's), and the
    cache held exactly the last build's documents."""
    last, glossary = session.articles, session.glossary
    assert last is not None and glossary is not None
    docs, found, articles = last.docs.copy(), last.found.copy(), dict(last.rendered)
    before = [docs[i][0] for i in edited]
    for i in edited:
        docs[i] = _article_doc(site.articles[i], env, session.keys)
    _render_missing([docs[i] for i in edited], cache, site, extra_files, env, jobs, session)
    for i in edited:
        key, source, first, _ = docs[i]
        hit = cache[key]
        found[i] = _replay(hit.found, source, first)
        articles[site.articles[i].slug] = hit.rendered
    now = {docs[i][0] for i in edited}
    for key in before:
        if key not in now:
            cache.pop(key, None)
    diags.extend(itertools.chain.from_iterable(found))  # (one call: a thousand files have mostly none)
    diags.extend(glossary.found)
    session.articles = _Articles(site.articles, env, docs, found, articles)
    return RenderedContent(articles, glossary.definitions, glossary.changes)
