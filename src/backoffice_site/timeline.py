"""The 制度改正タイムライン (issue 14): terms' dated ``changes`` → the values /changes/, the term pages and
/changes.ics show.

Pure: no Jinja, no clock. ``today`` is always handed in (the build's ``today()``, from SOURCE_DATE_EPOCH
when set), because which changes are "upcoming" and which are "past" is the one thing here that depends
on the day of the build. A month-only date (``2027-10``) counts as its first day everywhere: the change
is in force from then.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from backoffice_site import kana
from backoffice_site.diagnostics import Diagnostics
from backoffice_site.markdown_render import DocContext, Rendered
from backoffice_site.model import Change, SourceRef, Term
from backoffice_site.resolve import Site

PAGE_URL = "changes/"
ICS_PATH = "changes.ics"

# (term slug, index in the term's ``changes``) → the rendered summary
SummaryKey = tuple[str, int]


@dataclass(frozen=True)
class Entry:
    """One change as a reader sees it."""

    term_slug: str
    term_name: str
    term_reading: str
    term_url: str
    index: int  # position in the term's ``changes`` list
    ordinal: int  # 1 + how many earlier changes of the same term have the same date (ids that survive reordering)
    date: dt.date
    month_only: bool
    iso: str  # for <time datetime>: 2026-10-01 or 2027-10
    label: str  # 2026年10月1日 or 2027年10月
    status: str
    summary_html: str  # the rendered Markdown, sanitized, with phrase marks (for pages only)
    summary_text: str  # the same as plain text (calendar, meta)
    sources: tuple[tuple[str, str], ...]  # (title, url)
    revised: dt.date | None  # the newest date our sources for it state: the calendar's DTSTAMP

    @property
    def key(self) -> str:
        """Stable across builds and edits of the text: term slug, date, and the ordinal only when needed."""
        return f"{self.term_slug}-{self.iso}" + (f"-{self.ordinal}" if self.ordinal > 1 else "")

    @property
    def anchor(self) -> str:
        return f"change-{self.key}"


@dataclass(frozen=True)
class Month:
    key: str  # 2026-10
    label: str  # 2026年10月
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Timeline:
    """/changes/: upcoming months (oldest first) then past months (newest first)."""

    today: dt.date
    upcoming: tuple[Month, ...]
    past: tuple[Month, ...]

    @property
    def count(self) -> int:
        return sum(len(m.entries) for m in (*self.upcoming, *self.past))


@dataclass(frozen=True)
class TermChanges:
    """The two sections of a term page: これからの変更 (soonest first) and これまでの変更 (newest first)."""

    upcoming: tuple[Entry, ...]
    past: tuple[Entry, ...]


def date_label(d: dt.date, month_only: bool) -> str:
    return f"{d.year}年{d.month}月" if month_only else f"{d.year}年{d.month}月{d.day}日"


def is_upcoming(change: Change | Entry, today: dt.date) -> bool:
    """Upcoming on the day it takes effect too (date ≥ today); a month-only date is its first day."""
    return change.date >= today


def plain_text(fragment: str) -> str:
    """Rendered HTML → the text a reader sees, on one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def summary_context(t: Term, c: Change, diags: Diagnostics) -> DocContext:
    """A change's summary renders like a definition (links checked, [[term]] links), but without automatic
    term links: the entry already links its term, and a one-line summary full of links reads badly."""
    return DocContext(source=t.loc.path, body=c.summary, first_line=c.summary_line, page_url=PAGE_URL,
                      source_dir="content/glossary", diags=diags, autolink=False, self_slug=t.slug)


def summary_docs(site: Site) -> list[tuple[SummaryKey, Term, Change]]:
    """Every change summary to render, in a fixed order (terms in gojūon order, changes as written)."""
    return [((t.slug, i), t, c) for t in site.terms for i, c in enumerate(t.changes)]


def _sources(sources: Iterable[SourceRef]) -> tuple[tuple[str, str], ...]:
    return tuple((s.title, s.url) for s in sources)


def _revised(sources: Iterable[SourceRef]) -> dt.date | None:
    # as_of only: a date the source states (``checked`` is our verification, not the source's own date)
    return max((s.as_of.first for s in sources if s.as_of is not None), default=None)


def entries(site: Site, summaries: dict[SummaryKey, Rendered]) -> list[Entry]:
    """Every change of every term, in no particular order yet."""
    out = []
    for key, t, c in summary_docs(site):
        ordinal = 1 + sum(1 for other in t.changes[: key[1]] if other.iso == c.iso)
        r = summaries.get(key)
        summary_html = r.marked if r is not None else html.escape(c.summary)  # with phrase marks: for pages
        out.append(Entry(
            term_slug=t.slug, term_name=t.name, term_reading=t.reading, term_url=t.url, index=key[1],
            ordinal=ordinal,
            date=c.date, month_only=c.month_only, iso=c.iso, label=date_label(c.date, c.month_only),
            status=c.status, summary_html=summary_html, summary_text=plain_text(summary_html),
            sources=_sources(c.sources), revised=_revised(c.sources or t.sources),
        ))
    return out


def _tie(e: Entry) -> tuple[object, ...]:
    # same date: gojūon order of the terms, then the order the changes are written in
    return (kana.sort_key(e.term_reading), e.term_name, e.term_slug, e.index)


def chronological(items: Iterable[Entry]) -> list[Entry]:
    """Oldest first; the same date in gojūon order of the terms."""
    return sorted(items, key=lambda e: (e.date, _tie(e)))


def split(items: Iterable[Entry], today: dt.date) -> tuple[list[Entry], list[Entry]]:
    """(upcoming soonest first, past newest first); a month-only date sorts as its first day."""
    items = list(items)
    upcoming = chronological(e for e in items if is_upcoming(e, today))
    past = sorted((e for e in items if not is_upcoming(e, today)), key=_tie)
    past.sort(key=lambda e: e.date, reverse=True)  # stable: ties keep the gojūon order
    return upcoming, past


def _months(items: list[Entry]) -> tuple[Month, ...]:
    """Consecutive entries of one month under one heading (the order of ``items`` is kept)."""
    months: list[Month] = []
    for e in items:
        key = e.date.isoformat()[:7]
        if months and months[-1].key == key:
            months[-1] = Month(key, months[-1].label, (*months[-1].entries, e))
        else:
            months.append(Month(key, date_label(e.date, True), (e,)))
    return tuple(months)


def timeline(items: Iterable[Entry], today: dt.date) -> Timeline:
    upcoming, past = split(items, today)
    return Timeline(today, _months(upcoming), _months(past))


def term_changes(items: Iterable[Entry], today: dt.date) -> dict[str, TermChanges]:
    """term slug → its own changes, split the same way as /changes/ (only terms that have changes)."""
    upcoming, past = split(items, today)
    out: dict[str, TermChanges] = {}
    for e in upcoming:
        tc = out.get(e.term_slug, TermChanges((), ()))
        out[e.term_slug] = TermChanges((*tc.upcoming, e), tc.past)
    for e in past:
        tc = out.get(e.term_slug, TermChanges((), ()))
        out[e.term_slug] = TermChanges(tc.upcoming, (*tc.past, e))
    return out


NO_CHANGES = TermChanges((), ())


def page_context(tl: Timeline, abs_url: Callable[[str], str]) -> dict[str, object]:
    """What templates/changes.html needs besides the common values."""
    crumbs = [("ホーム", ""), ("制度改正タイムライン", PAGE_URL)]
    return {
        "page_url": PAGE_URL, "title": "制度改正タイムライン",
        "description": "アルバイト・パートにかかわる制度が、いつ、どう変わるかを日付順にまとめています。",
        "timeline": tl, "breadcrumbs": crumbs, "ics_url": ICS_PATH,
        "jsonld": [{
            "@context": "https://schema.org", "@type": "BreadcrumbList",
            "itemListElement": [{"@type": "ListItem", "position": i + 1, "name": name, "item": abs_url(url)}
                                for i, (name, url) in enumerate(crumbs)],
        }],
    }
