"""One page per article: the rendered body, its outline, the terms it uses, its neighbours."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, base_view, breadcrumb_ld, neighbours, per_item, position
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site


def urls(site: Site) -> Iterable[str]:
    return site.article_urls


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    for url, slug, lastmod in ls.site.article_pages:  # (not ls.site.articles: a save of a text keeps this)
        yield PageSpec(f"{url}index.html", per_item(_page, slug), lastmod=lastmod)


def _page(ls: LinkedSite, r: Reads, slug: str) -> Page:
    cfg = ls.config(r)
    a, rendered = ls.article(r, slug)
    order = ls.article_order(r)
    i = position(ls, "articles", order, slug)
    prev, nxt = neighbours(order, i)
    crumbs = [("ホーム", ""), (a.title, a.url)]
    ld: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Article", "headline": a.title,
        "description": a.description, "inLanguage": cfg.language, "url": abs_url(cfg.base_url, a.url),
        "mainEntityOfPage": abs_url(cfg.base_url, a.url),
    }
    if a.date:
        ld["datePublished"] = a.date.isoformat()
    if a.updated or a.date:
        ld["dateModified"] = (a.updated or a.date).isoformat()  # type: ignore[union-attr]
    if cfg.author:
        ld["author"] = {"@type": "Organization", "name": cfg.author}
    return Page(f"{a.url}index.html", "article.html", {
        **base_view(ls, r, a.url, a.title, a.description), "article": a,
        "content": rendered.marked, "toc": rendered.toc,  # marked: with phrase breaks (phrase.py)
        "used_terms": [ls.term_summary(r, s) for s in rendered.mentions], "breadcrumbs": crumbs,
        "prev": ls.article_summary(r, prev) if prev else None,
        "next": ls.article_summary(r, nxt) if nxt else None,
        "position": i + 1, "total": len(order), "og_type": "article",
        "jsonld": [ld, breadcrumb_ld(crumbs, cfg.base_url)],
    })
