"""One page per term: the full entry, its neighbours in gojūon order, DefinedTerm JSON-LD."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backoffice_site import timeline
from backoffice_site.incremental import Reads
from backoffice_site.kinds import (
    Page,
    PageSpec,
    abs_url,
    base_view,
    breadcrumb_ld,
    neighbours,
    per_item,
    plain,
    position,
)
from backoffice_site.kinds.entries import entry_view
from backoffice_site.kinds.glossary import CRUMBS
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site


def urls(site: Site) -> Iterable[str]:
    return (t.url for t in site.terms)


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    for t in ls.site.terms:
        yield PageSpec(f"{t.url}index.html", per_item(_page, t.slug))


def _page(ls: LinkedSite, r: Reads, slug: str) -> Page:
    cfg = ls.config(r)
    (t,), lookups = entry_view(ls, r, (slug,))
    text = plain(lookups["definitions"][slug])
    order = ls.term_order(r)
    prev, nxt = neighbours(order, position(ls, "terms", order, slug))
    crumbs = [*CRUMBS, (t.name, t.url)]
    ld: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "DefinedTerm", "name": t.name,
        "url": abs_url(cfg.base_url, t.url), "description": t.summary or text,
        "inDefinedTermSet": abs_url(cfg.base_url, "glossary/"), "termCode": t.slug,
    }
    if t.aliases:
        ld["alternateName"] = list(t.aliases)
    return Page(f"{t.url}index.html", "term.html", {
        **base_view(ls, r, t.url, f"{t.name}（{t.reading}）とは", t.summary or text[:120]),
        **lookups, "term": t, "breadcrumbs": crumbs, "group": lookups["group_of"][t.group],
        "listed_at": ls.listed_at(r, slug),
        "changes": timeline.term_changes(ls.term_changes(r, slug), ls.today_(r)).get(slug, timeline.NO_CHANGES),
        "prev": ls.term_summary(r, prev) if prev else None,
        "next": ls.term_summary(r, nxt) if nxt else None,
        "jsonld": [ld, breadcrumb_ld(crumbs, cfg.base_url)],
    })
