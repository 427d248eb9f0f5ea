"""The glossary's listing pages at any size: which pages exist, which terms each lists, how they link.

A listing shows each term compactly (name, reading, summary, a link to the term page, where the full
definition lives), so a page weighs about 0.5 KB per term. A small glossary is one page, ``/glossary/``,
with the terms under their kana-row headings, plus one page per group, as before.

A large glossary (more than ``SPLIT_ABOVE`` terms) is split the way printed Japanese dictionaries are:
``/glossary/`` becomes a short index (one link per kana row with its count, and the group links), and each
kana row gets its own page, ``/glossary/row/<romaji>/`` (``ka`` for か行, ``other`` for terms whose reading
starts with no kana), in gojūon order. A row longer than ``PAGE_CAP`` terms is cut into equal parts in
gojūon order (``/glossary/row/ka/``, ``/glossary/row/ka/2/`` …), each linked from the index with the
reading range it covers, so every term stays two clicks from ``/glossary/`` and no page grows without
bound. A group page with more than ``SPLIT_ABOVE`` terms is split the same way under its own URL.

Pure functions over the resolved terms; the results are frozen values the templates read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from backoffice_site import kana


class Term(Protocol):
    """What a listing needs of a term (linked.TermSummary has it)."""

    @property
    def slug(self) -> str: ...
    @property
    def reading(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def url(self) -> str: ...


class Group(Protocol):
    """What a listing needs of a group (linked.GroupSummary has it)."""

    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...

SPLIT_ABOVE = 300  # terms: a listing with more is split into one page per kana row (≈ 200 KB at 300 terms)
PAGE_CAP = 300  # terms per page at most: a longer row is cut into parts (≈ 200 KB of HTML at most)
OTHER = "その他"
ROW_SLUGS = {"あ": "a", "か": "ka", "さ": "sa", "た": "ta", "な": "na", "は": "ha", "ま": "ma", "や": "ya",
             "ら": "ra", "わ": "wa", OTHER: "other"}


def row_label(row: str) -> str:
    return row if row == OTHER else f"{row}行"


@dataclass(frozen=True)
class Section:
    """One kana-row heading on a page and the terms under it (in gojūon order)."""

    row: str  # あ … わ, or その他
    label: str  # あ行 …
    anchor: str  # element id of the heading's section
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class RowLink:
    """A link to the terms of one kana row (or one part of a long row)."""

    row: str
    label: str  # あ行, or か行（かいかけ〜きゅうよ） for one part of a long row
    url: str  # relative to the base path: 'glossary/#row-あ' on a single page, 'glossary/row/a/' when split
    count: int
    current: bool = False


@dataclass(frozen=True)
class Listing:
    """One glossary listing page: the whole glossary, a group, a short index, or one kana row of either."""

    url: str  # relative to the base path, ends with '/'
    title: str
    group: Group | None  # the group this page belongs to (None: the whole glossary)
    sections: tuple[Section, ...]  # the terms shown; empty on a short index
    bar: tuple[RowLink, ...]  # the kana-row links (anchors on a single page, pages when split)
    split: bool  # the bar links go to separate pages
    crumbs: tuple[tuple[str, str], ...]  # (name, url) from the home page to this page
    row: str | None = None  # the kana row this page lists (split pages only)
    prev: RowLink | None = None  # neighbouring row pages, in gojūon order
    next: RowLink | None = None
    total: int = 0  # terms in the whole listing (the glossary or the group)

    @property
    def path(self) -> str:
        return f"{self.url}index.html"

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for s in self.sections for t in s.terms)

    @property
    def row_label(self) -> str:
        """The label of the row (part) this page lists: か行, か行（かいかけ〜きゅうよ）; '' if none."""
        return next((b.label for b in self.bar if b.current), "")

    @property
    def is_index(self) -> bool:
        """A short index: row links only, no terms."""
        return self.split and self.row is None


def by_row(terms: Sequence[Term], row_of: dict[str, str]) -> list[tuple[str, tuple[Term, ...]]]:
    """Terms under their kana rows (あ … わ, その他), rows in gojūon order; ``terms`` keep their order."""
    grouped: dict[str, list[Term]] = {}
    for t in terms:
        grouped.setdefault(row_of[t.slug], []).append(t)
    return [(r, tuple(grouped[r])) for r in (*kana.ROWS, OTHER) if r in grouped]


def _parts(terms: tuple[Term, ...], cap: int) -> list[tuple[Term, ...]]:
    """Cut a row into as few parts as keep each within ``cap``, of nearly equal size, order kept."""
    n = max(1, -(-len(terms) // cap))
    size, extra = divmod(len(terms), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(terms[start:end])
        start = end
    return out


def listings(terms: Sequence[Term], groups: Sequence[Group], row_of: dict[str, str],
             split_above: int = SPLIT_ABOVE, page_cap: int = PAGE_CAP) -> tuple[Listing, ...]:
    """Every glossary listing page: the glossary's, then each group's (``terms`` in gojūon order)."""
    home = ("ホーム", "")
    top = (home, ("用語集", "glossary/"))
    out = list(_one(terms, None, "glossary/", "用語集", top, row_of, split_above, page_cap))
    for g in groups:
        g_terms = [t for t in terms if t.group == g.slug]
        out.extend(_one(g_terms, g, g.url, f"{g.name}の用語", (*top, (g.name, g.url)), row_of,
                        split_above, page_cap))
    return tuple(out)


def _one(terms: Sequence[Term], group: Group | None, url: str, title: str,
         crumbs: tuple[tuple[str, str], ...], row_of: dict[str, str],
         split_above: int, page_cap: int) -> list[Listing]:
    rows = by_row(terms, row_of)
    if len(terms) <= split_above:
        sections = tuple(Section(r, row_label(r), f"row-{r}", ts) for r, ts in rows)
        bar = tuple(RowLink(r, row_label(r), f"{url}#row-{r}", len(ts)) for r, ts in rows)
        return [Listing(url, title, group, sections, bar, False, crumbs, total=len(terms))]

    # One page per row, or per part of a long row: (row, part number, terms, url)
    pages: list[tuple[str, int, tuple[Term, ...], str]] = []
    for r, ts in rows:
        parts = _parts(ts, page_cap)
        for i, part in enumerate(parts, start=1):
            page_url = f"{url}row/{ROW_SLUGS[r]}/" + (f"{i}/" if i > 1 else "")
            pages.append((r, i if len(parts) > 1 else 0, part, page_url))

    def link(p: tuple[str, int, tuple[Term, ...], str], current: bool = False) -> RowLink:
        r, part, ts, page_url = p
        label = row_label(r)
        if part:  # the reading range tells a reader which part holds the word they look for
            label += f"（{ts[0].reading}〜{ts[-1].reading}）"
        return RowLink(r, label, page_url, len(ts), current)

    index_bar = tuple(link(p) for p in pages)
    out = [Listing(url, title, group, (), index_bar, True, crumbs, total=len(terms))]
    for i, p in enumerate(pages):
        r, _, ts, page_url = p
        here = link(p, current=True)
        bar = tuple(here if j == i else link(q) for j, q in enumerate(pages))
        out.append(Listing(
            page_url, f"{title}：{here.label}", group, (Section(r, row_label(r), f"row-{r}", ts),), bar, True,
            (*crumbs, (here.label, page_url)), row=r,
            prev=link(pages[i - 1]) if i > 0 else None, next=link(pages[i + 1]) if i + 1 < len(pages) else None,
            total=len(terms)))
    return out


def term_anchors(listing_pages: Sequence[Listing]) -> dict[str, str]:
    """Term slug → its entry in the whole glossary's listing ('glossary/#slug', or on its row page when
    split), for the term page's link back to the list."""
    return {t.slug: f"{p.url}#{t.slug}" for p in listing_pages if p.group is None for t in p.terms}


def page_urls(terms: Sequence[Term], groups: Sequence[Group]) -> frozenset[str]:
    """The URLs of the row pages a split glossary adds beyond /glossary/ and the group pages (so links
    to them check). ``terms`` in gojūon order."""
    if len(terms) <= SPLIT_ABOVE:  # then no listing (the glossary's or a group's) is split
        return frozenset()
    row_of = {t.slug: kana.row_of(t.reading) for t in terms}
    ordered = terms
    return frozenset(p.url for p in listings(ordered, groups, row_of) if p.row is not None)
