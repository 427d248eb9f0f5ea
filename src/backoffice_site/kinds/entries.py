"""What a full term entry shows (templates/macros.html ``term_entry``/``term_body``), for the pages that
show entries: the term pages and the glossary lists. Only the listed terms' data goes into the view."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backoffice_site.incremental import Reads
from backoffice_site.linked import LinkedSite
from backoffice_site.model import Term


def entry_view(ls: LinkedSite, r: Reads, slugs: Iterable[str]) -> tuple[list[Term], dict[str, Any]]:
    """The terms (in the given order) and the lookups their entries use."""
    terms: list[Term] = []
    definitions: dict[str, str] = {}
    see_also: dict[str, tuple[str, ...]] = {}
    backlinks: dict[str, Any] = {}
    overdue: set[str] = set()
    today = None  # read only when an entry has review_by: only those depend on the day
    for slug in slugs:
        t, rendered, also = ls.term(r, slug)
        terms.append(t)
        if t.review_by is not None:
            today = today or ls.today_(r)
            if t.review_by < today:
                overdue.add(slug)
        definitions[slug] = rendered.marked  # with phrase breaks (phrase.py)
        see_also[slug] = also
        backlinks[slug] = ls.linked_from(r, slug)
    by_slug = {s: ls.term_summary(r, s) for also in see_also.values() for s in also}
    group_of = {t.group: ls.group_link(r, t.group) for t in terms}  # the listed terms' groups only
    return terms, {"definitions": definitions, "see_also": see_also, "by_slug": by_slug,
                   "backlinks": backlinks, "group_of": group_of,
                   "review_overdue": frozenset(overdue)}
