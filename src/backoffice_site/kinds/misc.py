"""Small pages: 404, the search page and robots.txt."""

from __future__ import annotations

import json
from collections.abc import Iterable

from backoffice_site import search
from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, base_view
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site


def urls(site: Site) -> Iterable[str]:
    return ("search/", "404.html", "robots.txt")


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    yield PageSpec("404.html", _not_found, noindex=True)
    yield PageSpec("search/index.html", _search, noindex=True)
    yield PageSpec("robots.txt", _robots)


def _not_found(ls: LinkedSite, r: Reads) -> Page:
    return Page("404.html", "404.html", {
        **base_view(ls, r, "404.html", "ページが見つかりません", ""), "articles": ls.articles(r), "noindex": True,
    })


def _search(ls: LinkedSite, r: Reads) -> Page:
    cfg = ls.config(r)
    terms = [{"name": t.name, "reading": t.reading, "aliases": list(t.aliases), "en": t.en, "url": t.url,
              "summary": t.summary} for t in ls.terms(r)]
    # what the page matches readings against before the full-text index answers; inside
    # <script type="application/json">, so '<' can never close the element
    terms_json = json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    terms_json = terms_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Page("search/index.html", "search.html", {
        **base_view(ls, r, "search/", "サイト内検索", f"{cfg.title}の記事と用語集を検索します。"),
        "noindex": True, "breadcrumbs": [("ホーム", ""), ("サイト内検索", "search/")],
        "search_terms": terms_json, "term_count": len(terms), "article_count": len(ls.article_order(r)),
        "search_bundles": search.bundle_dirs(len(ls.article_order(r)), len(terms)),  # the index parts
    })


def _robots(ls: LinkedSite, r: Reads) -> Page:
    return Page("robots.txt", None, {"sitemap": abs_url(ls.config(r).base_url, "sitemap.xml")},
                lambda v: f"User-agent: *\nAllow: /\n\nSitemap: {v['sitemap']}\n".encode())
