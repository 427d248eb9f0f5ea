"""The home page: the reading path, the glossary's rows and groups, the most-linked terms."""

from __future__ import annotations

from collections.abc import Iterable

from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, base_view
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site

KEY_TERMS = 12


def urls(site: Site) -> Iterable[str]:
    return ("",)


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    yield PageSpec("index.html", _page)


def _page(ls: LinkedSite, r: Reads) -> Page:
    cfg = ls.config(r)
    terms = ls.terms(r)
    counts = {t.slug: ls.link_count(r, t.slug) for t in terms}
    ranked = sorted(terms, key=lambda t: -counts[t.slug])  # stable: ties stay in gojūon order
    return Page("index.html", "index.html", {
        **base_view(ls, r, "", cfg.title, cfg.description),
        "articles": ls.articles(r), "glossary_bar": ls.glossary_listings(r)[0].bar, "term_count": len(terms),
        "key_terms": [t for t in ranked if counts[t.slug]][:KEY_TERMS], "groups": ls.groups(r),
        "jsonld": [{"@context": "https://schema.org", "@type": "WebSite", "name": cfg.title,
                    "url": abs_url(cfg.base_url, ""), "inLanguage": cfg.language, "description": cfg.description}],
    })
