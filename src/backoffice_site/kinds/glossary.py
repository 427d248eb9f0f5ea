"""The glossary's listing pages: /glossary/, one per group, and — for a large glossary — one per kana row
(glossary_index decides which pages exist and what each lists: name, reading and summary of each term)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backoffice_site import glossary_index
from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, base_view, breadcrumb_ld, per_item
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site

CRUMBS = [("ホーム", ""), ("用語集", "glossary/")]


def urls(site: Site) -> Iterable[str]:
    yield "glossary/"
    yield from (g.url for g in site.groups)
    yield from sorted(glossary_index.page_urls(site.terms, site.groups))


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    for lst in ls.glossary_listings_unrecorded():
        yield PageSpec(lst.path, per_item(_page, lst.url))


def _description(lst: glossary_index.Listing) -> str:
    g = lst.group
    if lst.row is not None:
        return f"{g.name + 'の' if g else ''}用語のうち、{lst.row_label}の {len(lst.terms)} 語を五十音順に解説します。"
    if g is None:
        return f"アルバイト・パートとバックオフィスの用語 {lst.total} 語を五十音順に解説します。"
    return str(getattr(g, "description", "")) or f"{g.name}に関する用語 {lst.total} 語の解説です。"


def _page(ls: LinkedSite, r: Reads, url: str) -> Page:
    cfg = ls.config(r)
    lst = next(x for x in ls.glossary_listings(r) if x.url == url)
    crumbs = list(lst.crumbs)
    ld: list[dict[str, Any]] = [breadcrumb_ld(crumbs, cfg.base_url)]
    if lst.group is None:  # the term set, with the terms this page lists (all of them on a single page)
        term_set: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "DefinedTermSet",
            "@id": abs_url(cfg.base_url, "glossary/"), "name": f"{cfg.title} 用語集",
            "url": abs_url(cfg.base_url, "glossary/"), "inLanguage": cfg.language,
        }
        if lst.terms:
            term_set["hasDefinedTerm"] = [{"@type": "DefinedTerm", "name": t.name, "url": abs_url(cfg.base_url, t.url)}
                                          for t in lst.terms]
        ld.insert(0, term_set)
    return Page(lst.path, "glossary.html", {
        **base_view(ls, r, lst.url, lst.title, _description(lst)),
        "listing": lst, "current_group": lst.group, "groups": ls.groups(r), "breadcrumbs": crumbs, "jsonld": ld,
    })
