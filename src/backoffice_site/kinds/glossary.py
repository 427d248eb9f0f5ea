"""The glossary: the whole list at /glossary/ and one list per group, under kana-row headings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backoffice_site import kana
from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, base_view, breadcrumb_ld, per_item
from backoffice_site.kinds.entries import entry_view
from backoffice_site.linked import LinkedSite
from backoffice_site.model import Term
from backoffice_site.resolve import Site

CRUMBS = [("ホーム", ""), ("用語集", "glossary/")]


def urls(site: Site) -> Iterable[str]:
    yield "glossary/"
    yield from (g.url for g in site.groups)


def specs(ls: LinkedSite, earlier: list[PageSpec]) -> Iterable[PageSpec]:
    yield PageSpec("glossary/index.html", _index)
    for g in ls.site.groups:
        yield PageSpec(f"{g.url}index.html", per_item(_group, g.slug))


def _rows(terms: list[Term]) -> list[tuple[str, list[Term]]]:
    by_row: dict[str, list[Term]] = {}
    for t in terms:
        by_row.setdefault(kana.row_of(t.reading), []).append(t)
    return [(row, by_row[row]) for row in (*kana.ROWS, "その他") if row in by_row]


def _list_view(ls: LinkedSite, r: Reads, slugs: list[str]) -> dict[str, Any]:
    terms, lookups = entry_view(ls, r, slugs)
    return {**lookups, "rows": _rows(terms), "groups": ls.groups(r)}


def _index(ls: LinkedSite, r: Reads) -> Page:
    cfg = ls.config(r)
    terms = ls.terms(r)
    term_set_ld = {
        "@context": "https://schema.org", "@type": "DefinedTermSet", "@id": abs_url(cfg.base_url, "glossary/"),
        "name": f"{cfg.title} 用語集", "url": abs_url(cfg.base_url, "glossary/"), "inLanguage": cfg.language,
        "hasDefinedTerm": [{"@type": "DefinedTerm", "name": t.name, "url": abs_url(cfg.base_url, t.url)}
                           for t in terms],
    }
    return Page("glossary/index.html", "glossary.html", {
        **base_view(ls, r, "glossary/", "用語集",
                    f"アルバイト・パートとバックオフィスの用語 {len(terms)} 語を五十音順に解説します。"),
        **_list_view(ls, r, [t.slug for t in terms]),
        "current_group": None, "breadcrumbs": CRUMBS,
        "jsonld": [term_set_ld, breadcrumb_ld(CRUMBS, cfg.base_url)],
    })


def _group(ls: LinkedSite, r: Reads, slug: str) -> Page:
    cfg = ls.config(r)
    g = next(g for g in ls.groups(r) if g.slug == slug)
    members = set(g.terms)
    slugs = [t.slug for t in ls.terms(r) if t.slug in members]
    crumbs = [*CRUMBS, (g.name, g.url)]
    return Page(f"{g.url}index.html", "glossary.html", {
        **base_view(ls, r, g.url, f"{g.name}の用語",
                    g.description or f"{g.name}に関する用語 {len(slugs)} 語の解説です。"),
        **_list_view(ls, r, slugs),
        "current_group": g, "breadcrumbs": crumbs, "jsonld": [breadcrumb_ld(crumbs, cfg.base_url)],
    })
