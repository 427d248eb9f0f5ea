"""Render stage, part 1: turn the resolved site into the list of pages to write, with their data.

Pure: no Jinja and no file system here. Each page is (output path, template, context); the glossary's
derived facts (gojūon rows, backlinks, JSON-LD, glossary.json) are computed once and shared.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backoffice_site import glossary_index, kana, parallel, webmeta
from backoffice_site.diagnostics import Diagnostic, Diagnostics
from backoffice_site.markdown_render import DocContext, MarkdownRenderer, Rendered
from backoffice_site.model import Article, Term
from backoffice_site.resolve import Site


@dataclass(frozen=True)
class Page:
    path: str  # output file, relative to the output folder
    template: str | None  # None: ``body`` is the finished file
    context: dict[str, Any]
    body: bytes = b""
    # Everything the page shows, in small comparable form: the page is re-rendered only when this
    # (or a template, or site.yaml) changes. Too little here means stale pages, so err on the side of more.
    deps: tuple[Any, ...] = ()


@dataclass(frozen=True)
class RenderedContent:
    articles: dict[str, Rendered]  # by article slug
    definitions: dict[str, Rendered]  # by term slug


MarkdownCache = dict[str, tuple[Rendered, tuple[Diagnostic, ...]]]


def environment_key(site: Site, extra_files: frozenset[str]) -> str:
    """What every rendered document depends on besides its own text: the names that can be linked,
    the pages links can point to, and the base path."""
    terms = tuple((t.slug, t.names, t.no_autolink, t.not_in) for t in site.terms)
    return digest((terms, sorted(site.articles_by_source), sorted(site.page_urls), sorted(extra_files),
                    site.content.config.base_path))


def digest(value: object) -> str:
    """A stable digest of plain data (tuples, strings, numbers, dates); pickle is several times faster
    than repr() on Japanese text and just as deterministic for these types."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True  # no memo: equal values give equal bytes whether or not they are the same object
    pickler.dump(value)
    return hashlib.blake2b(buf.getvalue(), digest_size=16).hexdigest()


def render_markdown(site: Site, diags: Diagnostics, extra_files: frozenset[str],
                    cache: MarkdownCache | None = None, jobs: int | None = None) -> RenderedContent:
    """Render every article body and term definition, reusing ``cache`` entries whose inputs are unchanged;
    what is left is spread over the cores."""
    env = environment_key(site, extra_files)
    docs: list[tuple[str, Callable[[Diagnostics], DocContext]]] = []
    for a in site.articles:
        docs.append((digest((env, "article", a.source, a.body, a.body_line, a.autolink, a.slug)),
                     lambda d, a=a: article_context(a, d)))  # type: ignore[misc]
    for t in site.terms:
        docs.append((digest((env, "term", t.loc.path, t.definition, t.definition_line, t.slug)),
                     lambda d, t=t: term_context(t, d)))  # type: ignore[misc]
    cache = cache if cache is not None else {}
    todo = [i for i, (key, _) in enumerate(docs) if key not in cache]
    if todo:
        renderer = MarkdownRenderer(site, extra_files)  # built before forking: workers inherit it

        def render_one(j: int) -> tuple[Rendered, tuple[Diagnostic, ...]]:
            local = Diagnostics()
            rendered = renderer.render(docs[todo[j]][1](local))
            return rendered, tuple(local.items)

        for j, result in enumerate(parallel.ordered_map(render_one, len(todo), jobs=jobs)):
            cache[docs[todo[j]][0]] = result
    used = {key for key, _ in docs}
    for stale in [k for k in cache if k not in used]:
        del cache[stale]
    results = []
    for key, _ in docs:
        rendered, found = cache[key]
        diags.extend(found)
        results.append(rendered)
    n = len(site.articles)
    return RenderedContent({a.slug: r for a, r in zip(site.articles, results[:n], strict=True)},
                           {t.slug: r for t, r in zip(site.terms, results[n:], strict=True)})


def article_context(a: Article, diags: Diagnostics) -> DocContext:
    return DocContext(source=a.source, body=a.body, first_line=a.body_line, page_url=a.url,
                      source_dir=a.source.rsplit("/", 1)[0], diags=diags, autolink=a.autolink)


def term_context(t: Term, diags: Diagnostics) -> DocContext:
    return DocContext(source=t.loc.path, body=t.definition, first_line=t.definition_line,
                      page_url=t.url, source_dir="content/glossary", diags=diags, self_slug=t.slug)


def backlinks(site: Site, rendered: RenderedContent) -> dict[str, list[Article]]:
    """term slug → the articles (reading order) that link it."""
    out: dict[str, list[Article]] = {t.slug: [] for t in site.terms}
    for a in site.articles:
        r = rendered.articles.get(a.slug)
        for slug in r.mentions if r else ():
            out[slug].append(a)
    return out


def term_usage(site: Site, rendered: RenderedContent) -> dict[str, Counter[str]]:
    """Per term: linked / repeat / excluded / opted_out occurrences over all articles."""
    usage: dict[str, Counter[str]] = {t.slug: Counter() for t in site.terms}
    for r in rendered.articles.values():
        for slug, c in r.occurrences.items():
            usage[slug].update(c)
    return usage


def referenced_by_terms(site: Site, rendered: RenderedContent) -> set[str]:
    refs: set[str] = set()
    for t in site.terms:
        refs.update(site.see_also.get(t.slug, ()))
        r = rendered.definitions.get(t.slug)
        refs.update(r.mentions if r else ())
    return refs


def _date(d: Any) -> str | None:
    return d.isoformat() if d else None


DocMemo = dict[str, tuple[str, bytes]]  # document name → (digest of its inputs, bytes)


def memoized_doc(memo: DocMemo | None, name: str, inputs: object, make: Callable[[], bytes]) -> bytes:
    """A derived document (glossary.json, sitemap.xml …), made again only when its inputs change."""
    key = digest((name, inputs))
    hit = memo.get(name) if memo is not None else None
    if hit is not None and hit[0] == key:
        return hit[1]
    data = make()
    if memo is not None:
        memo[name] = (key, data)
    return data


def build_pages(site: Site, rendered: RenderedContent, back: dict[str, list[Article]],
                abs_url: Callable[[str], str], memo: DocMemo | None = None) -> list[Page]:
    """Every page of the site with its template, context and dependencies.

    ``back`` is ``backlinks(site, rendered)``, computed once by the caller; ``memo`` keeps derived documents
    (glossary.json …) between builds, keyed by a digest of their inputs."""
    cfg = site.content.config
    term_index = {t.slug: i for i, t in enumerate(site.terms)}
    group_of = {g.slug: g for g in site.groups}
    row_of = {t.slug: kana.row_of(t.reading) for t in site.terms}
    sig = {t.slug: _term_sig(t) for t in site.terms}
    common = {"site": cfg, "groups": site.groups, "by_slug": site.by_slug, "see_also": site.see_also,
              "definitions": {s: r.html for s, r in rendered.definitions.items()}, "backlinks": back,
              "group_of": group_of}
    pages: list[Page] = []
    art_sigs = tuple(_art_sig(a) for a in site.articles)
    glossary_doc = memoized_doc(memo, "glossary.json", (abs_url(""), tuple(
        (sig[t.slug], rendered.definitions[t.slug].digest, site.see_also.get(t.slug),
         tuple(a.url for a in back[t.slug])) for t in site.terms),
        tuple((g.slug, g.name) for g in site.groups), cfg.title),
        lambda: glossary_json(site, rendered, back, abs_url))

    term_set_ld = {
        "@context": "https://schema.org", "@type": "DefinedTermSet", "@id": abs_url("glossary/"),
        "name": f"{cfg.title} 用語集", "url": abs_url("glossary/"), "inLanguage": cfg.language,
    }
    glossary_listings = glossary_index.listings(site.terms, site.groups, row_of)  # issue 12: bounded pages
    listed_at = glossary_index.term_anchors(glossary_listings)  # issue 12: a term's entry in the listings

    articles = site.articles
    key_terms = _key_terms(site, back)
    pages.append(Page("index.html", "index.html", {
        **common, "page_url": "", "title": cfg.title, "description": cfg.description,
        "articles": articles, "glossary_bar": glossary_listings[0].bar, "term_count": len(site.terms),  # issue 12
        "key_terms": key_terms,
        "jsonld": [{"@context": "https://schema.org", "@type": "WebSite", "name": cfg.title,
                    "url": abs_url(""), "inLanguage": cfg.language, "description": cfg.description}],
    }, deps=(art_sigs, glossary_listings[0].bar,
             tuple(t.slug for t in key_terms), tuple((g.slug, g.name, len(g.terms)) for g in site.groups))))

    for i, a in enumerate(articles):
        r = rendered.articles[a.slug]
        crumbs = [("ホーム", ""), (a.title, a.url)]
        used = [site.by_slug[s] for s in r.mentions]
        pages.append(Page(f"{a.url}index.html", "article.html", {
            **common, "page_url": a.url, "title": a.title, "description": a.description, "article": a,
            "content": r.html, "toc": r.toc, "used_terms": used, "breadcrumbs": crumbs,
            "prev": articles[i - 1] if i > 0 else None,
            "next": articles[i + 1] if i + 1 < len(articles) else None,
            "position": i + 1, "total": len(articles), "og_type": "article",
            "jsonld": [{
                "@context": "https://schema.org", "@type": "Article", "headline": a.title,
                "description": a.description, "inLanguage": cfg.language, "url": abs_url(a.url),
                "mainEntityOfPage": abs_url(a.url),
                **({"datePublished": _date(a.date)} if a.date else {}),
                **({"dateModified": _date(a.updated or a.date)} if (a.updated or a.date) else {}),
                **({"author": {"@type": "Organization", "name": cfg.author}} if cfg.author else {}),
            }, _breadcrumb_ld(crumbs, abs_url)],
        }, deps=(_art_sig(a), a.tags, r.digest, r.toc, tuple((t.slug, t.name, t.reading, t.summary) for t in used),
                 art_sigs[i - 1] if i > 0 else None, art_sigs[i + 1] if i + 1 < len(articles) else None,
                 len(articles))))

    # --- glossary listing pages (issue 12): views from glossary_index, one Page each ---------------------
    crumbs = [("ホーム", ""), ("用語集", "glossary/")]
    for lst in glossary_listings:
        g = lst.group
        if lst.row is not None:
            description = (f"{g.name + 'の' if g else ''}用語のうち、{lst.row_label}の {len(lst.terms)} 語を"
                           "五十音順に解説します。")
        elif g is None:
            description = f"アルバイト・パートとバックオフィスの用語 {lst.total} 語を五十音順に解説します。"
        else:
            description = g.description or f"{g.name}に関する用語 {lst.total} 語の解説です。"
        l_crumbs = list(lst.crumbs)
        l_ld: list[dict[str, Any]] = [_breadcrumb_ld(l_crumbs, abs_url)]
        if g is None:  # the term set, with the terms this page lists (all of them on a single page)
            l_ld.insert(0, {**term_set_ld, "hasDefinedTerm": [
                {"@type": "DefinedTerm", "name": t.name, "url": abs_url(t.url)} for t in lst.terms]})
            if not lst.terms:
                del l_ld[0]["hasDefinedTerm"]
        pages.append(Page(lst.path, "glossary.html", {
            **common, "page_url": lst.url, "title": lst.title, "description": description,
            "listing": lst, "current_group": g, "breadcrumbs": l_crumbs, "jsonld": l_ld,
        }, deps=(glossary_index.deps(lst, site.groups), description)))
    # --- end of the glossary listing block ------------------------------------------------------------

    for t in site.terms:
        i = term_index[t.slug]
        t_crumbs = [*crumbs, (t.name, t.url)]
        ld: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "DefinedTerm", "name": t.name,
            "url": abs_url(t.url), "description": t.summary or _plain(rendered.definitions[t.slug].html),
            "inDefinedTermSet": abs_url("glossary/"), "termCode": t.slug,
        }
        if t.aliases:
            ld["alternateName"] = list(t.aliases)
        pages.append(Page(f"{t.url}index.html", "term.html", {
            **common, "page_url": t.url, "title": f"{t.name}（{t.reading}）とは",
            "description": t.summary or _plain(rendered.definitions[t.slug].html)[:120],
            "term": t, "breadcrumbs": t_crumbs, "group": group_of[t.group], "listed_at": listed_at[t.slug],
            "prev": site.terms[i - 1] if i > 0 else None,
            "next": site.terms[i + 1] if i + 1 < len(site.terms) else None,
            "jsonld": [ld, _breadcrumb_ld(t_crumbs, abs_url)],
        }, deps=(sig[t.slug], rendered.definitions[t.slug].digest,
                 tuple(sig[s] for s in site.see_also.get(t.slug, ())),
                 tuple(_art_sig(a) for a in back[t.slug]),
                 sig[site.terms[i - 1].slug] if i > 0 else None,
                 sig[site.terms[i + 1].slug] if i + 1 < len(site.terms) else None,
                 (group_of[t.group].name, group_of[t.group].slug), listed_at[t.slug])))

    pages.append(Page("404.html", "404.html", {
        **common, "page_url": "404.html", "title": "ページが見つかりません", "description": "",
        "articles": articles, "noindex": True,
    }, deps=art_sigs))
    pages.append(Page("glossary.json", None, {}, glossary_doc))
    pages.extend(webmeta.pages(site, rendered, abs_url, pages, memo))  # search page, sitemap.xml, feed.xml, robots.txt
    return pages


def _art_sig(a: Article) -> tuple[Any, ...]:
    return (a.slug, a.title, a.description, a.date, a.updated, a.order)


def _term_sig(t: Term) -> tuple[Any, ...]:
    return (t.slug, t.name, t.reading, t.summary, t.en, t.aliases, t.group,
            tuple((s.title, s.url, s.as_of) for s in t.sources), t.review_by)


def _key_terms(site: Site, back: dict[str, list[Article]]) -> list[Term]:
    """The most-used terms (by number of articles linking them), for the home page."""
    ranked = sorted(site.terms, key=lambda t: -len(back[t.slug]))  # stable: ties stay in gojūon order
    return [t for t in ranked if back[t.slug]][:12]


def _breadcrumb_ld(crumbs: list[tuple[str, str]], abs_url: Callable[[str], str]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org", "@type": "BreadcrumbList",
        "itemListElement": [{"@type": "ListItem", "position": i + 1, "name": name, "item": abs_url(url)}
                            for i, (name, url) in enumerate(crumbs)],
    }


def _plain(fragment: str) -> str:
    import html as _html
    import re

    return _html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip().replace("\n", " ")


def glossary_json(site: Site, rendered: RenderedContent, back: dict[str, list[Article]],
                  abs_url: Callable[[str], str]) -> bytes:
    data = {
        "version": 1,
        "title": f"{site.content.config.title} 用語集",
        "url": abs_url("glossary/"),
        "groups": [{"slug": g.slug, "name": g.name, "url": abs_url(g.url)} for g in site.groups],
        "terms": [{
            "slug": t.slug, "term": t.name, "reading": t.reading, "en": t.en, "aliases": list(t.aliases),
            "group": t.group, "summary": t.summary, "definition_html": rendered.definitions[t.slug].html,
            "definition_text": _plain(rendered.definitions[t.slug].html),
            "url": abs_url(t.url), "see_also": list(site.see_also.get(t.slug, ())),
            "sources": [{"title": s.title, "url": s.url, "as_of": _date(s.as_of)} for s in t.sources],
            "review_by": _date(t.review_by), "used_in": [abs_url(a.url) for a in back[t.slug]],
        } for t in site.terms],
    }
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
