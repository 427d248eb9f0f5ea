"""The linked site: the resolved site, its rendered Markdown and the link facts derived from both.

Built once per build, after the Markdown stage; page kinds and lints read it, nothing writes it. Every
accessor a page kind uses takes the page's ``Reads`` recorder and names the input it reads, and
``version`` gives that input's digest, so the build can tell which pages an edit touches.

**Carry-over.** A rebuild in the same process links against the previous linked site (``prev``): an input
whose value is the same as last time (the very objects, or equal plain values: see ``_same``) takes the
previous value object and its digest instead of being digested again. Identity then flows on: the
glossary's listings, the timeline's entries and per-item summaries are reused whole when what they are
made of is the same object. A save of one article thus costs a handful of digests, not thousands.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from backoffice_site import glossary_index, kana, timeline
from backoffice_site.incremental import Key, Reads, digest, same_objects
from backoffice_site.markdown_render import Rendered
from backoffice_site.model import Article, SiteConfig, Term
from backoffice_site.resolve import Site
from backoffice_site.summaries import (
    ArticleSummary,
    GroupLink,
    GroupSummary,
    TermSummary,
    article_summary,
    group_summary,
    term_summary,
)

T = TypeVar("T")
Item = TypeVar("Item")
Made = TypeVar("Made")


@dataclass(frozen=True)
class RenderedContent:
    articles: dict[str, Rendered]  # by article slug
    definitions: dict[str, Rendered]  # by term slug
    changes: dict[timeline.SummaryKey, Rendered] = field(default_factory=dict)  # change summaries


@dataclass
class LinkedSite:
    site: Site
    rendered: RenderedContent
    backlinks: dict[str, tuple[str, ...]]  # term slug → slugs of the articles linking it (reading order)
    referenced: frozenset[str]  # terms named by another term (see_also or its definition)
    today: dt.date  # the build's today (SOURCE_DATE_EPOCH when set): what is upcoming, what has passed
    # every page as (path, noindex, lastmod): set by the build once the kinds have listed their pages
    pages: tuple[tuple[str, bool, dt.date | None], ...] = ()
    # the previous build's linked site in this process (carry-over, see the module's doc); the build drops
    # it once done, so sites never chain
    prev: LinkedSite | None = field(default=None, repr=False, compare=False)
    _articles: dict[str, Article] = field(init=False, repr=False)
    _versions: dict[Key, str] = field(default_factory=dict, init=False, repr=False)
    _memo: dict[Key, Any] = field(default_factory=dict, init=False, repr=False)
    _summaries: dict[str, tuple[Article, ArticleSummary]] = field(default_factory=dict, init=False, repr=False)
    _term_summaries: dict[str, tuple[Term, TermSummary]] = field(default_factory=dict, init=False, repr=False)
    _derived: dict[tuple[str, str], tuple[Basis, Any]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._articles = {a.slug: a for a in self.site.articles}

    # -- the inputs pages read, each under its key ------------------------------------------------------
    # Each accessor returns exactly ``_value(key)`` for the key it records, so an input's version is the
    # digest of what the page saw.
    def read(self, r: Reads, key: Key) -> Any:
        r.add(key)
        return self._cached(key)

    def _cached(self, key: Key) -> Any:
        """Each input is computed once per linked site: thousands of pages read the same lists."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        v = self._value(key)
        p = self.prev
        if p is not None:
            old = p._memo.get(key, _MISSING)
            if old is not _MISSING and _same(key[0], old, v):
                v = old  # the previous object: what is made of it can be reused by identity
                known = p._versions.get(key)
                if known is not None:
                    self._versions[key] = known
        self._memo[key] = v
        return v

    def config(self, r: Reads) -> SiteConfig:
        return self.read(r, ("config",))  # type: ignore[no-any-return]

    def articles(self, r: Reads) -> tuple[ArticleSummary, ...]:
        return self.read(r, ("articles",))  # type: ignore[no-any-return]

    def article(self, r: Reads, slug: str) -> tuple[Article, Rendered]:
        return self.read(r, ("article", slug))  # type: ignore[no-any-return]

    def article_summary(self, r: Reads, slug: str) -> ArticleSummary:
        return self.read(r, ("article_sig", slug))  # type: ignore[no-any-return]

    def article_order(self, r: Reads) -> tuple[str, ...]:
        """Article slugs in reading order (positions, neighbours)."""
        return self.read(r, ("article_order",))  # type: ignore[no-any-return]

    def terms(self, r: Reads) -> tuple[TermSummary, ...]:
        return self.read(r, ("terms",))  # type: ignore[no-any-return]

    def term(self, r: Reads, slug: str) -> tuple[Term, Rendered, tuple[str, ...]]:
        """The whole term: its fields, rendered definition and resolved see-also slugs."""
        return self.read(r, ("term", slug))  # type: ignore[no-any-return]

    def term_summary(self, r: Reads, slug: str) -> TermSummary:
        return self.read(r, ("term_sig", slug))  # type: ignore[no-any-return]

    def term_order(self, r: Reads) -> tuple[str, ...]:
        """Term slugs in gojūon order (neighbours)."""
        return self.read(r, ("term_order",))  # type: ignore[no-any-return]

    def linked_from(self, r: Reads, slug: str) -> tuple[ArticleSummary, ...]:
        """The articles linking a term (its backlinks), in reading order."""
        return self.read(r, ("backlinks", slug))  # type: ignore[no-any-return]

    def link_count(self, r: Reads, slug: str) -> int:
        return len(self.linked_from(r, slug))

    def groups(self, r: Reads) -> tuple[GroupSummary, ...]:
        return self.read(r, ("groups",))  # type: ignore[no-any-return]

    def group_link(self, r: Reads, slug: str) -> GroupLink | None:
        return self.read(r, ("group_link", slug))  # type: ignore[no-any-return]

    def today_(self, r: Reads) -> dt.date:
        return self.read(r, ("today",))  # type: ignore[no-any-return]

    def changes(self, r: Reads) -> tuple[timeline.Entry, ...]:
        """Every dated change of every term (the timeline's entries, unordered)."""
        return self.read(r, ("changes",))  # type: ignore[no-any-return]

    def term_changes(self, r: Reads, slug: str) -> tuple[timeline.Entry, ...]:
        return self.read(r, ("term_changes", slug))  # type: ignore[no-any-return]

    def glossary_listings(self, r: Reads) -> tuple[glossary_index.Listing, ...]:
        """The glossary's listing pages (glossary_index): the whole glossary's first, then each group's."""
        return self.read(r, ("listings",))  # type: ignore[no-any-return]

    def listed_at(self, r: Reads, slug: str) -> str:
        """Where a term's entry is in the whole glossary's listing ('glossary/#slug' or its row page)."""
        return self.read(r, ("listed_at", slug))  # type: ignore[no-any-return]

    def glossary_listings_unrecorded(self) -> tuple[glossary_index.Listing, ...]:
        """The listing pages, for listing the page set (which is not a read: a new set rebuilds every view)."""
        return self._listings

    @functools.cached_property
    def _listings(self) -> tuple[glossary_index.Listing, ...]:
        terms: tuple[TermSummary, ...] = self._cached(("terms",))
        groups: tuple[GroupSummary, ...] = self._cached(("groups",))
        p = self.prev
        if (p is not None and "_listings" in p.__dict__ and p._memo.get(("terms",)) is terms
                and p._memo.get(("groups",)) is groups):
            return p._listings  # made of the very same values
        row_of = {t.slug: kana.row_of(t.reading) for t in terms}
        return glossary_index.listings(terms, groups, row_of)

    def places_moved(self, before: LinkedSite) -> list[str] | None:
        """The terms whose place in the listing pages differs from ``before``'s, when ``before`` knew its own
        (else None). A term whose place did not move has the version ``before`` had for it, which the pages
        reading it were made with: comparing the thousands of others' versions finds nothing."""
        if "_anchors" not in before.__dict__:
            return None
        now, then = self._anchors, before._anchors
        return [slug for slug, at in now.items() if then.get(slug) != at]

    @functools.cached_property
    def _anchors(self) -> dict[str, str]:
        p = self.prev
        if p is not None and "_listings" in p.__dict__ and p._listings is self._listings:
            return p._anchors
        return glossary_index.term_anchors(self._listings)

    @functools.cached_property
    def _entries(self) -> dict[str, tuple[timeline.Entry, ...]]:
        """The timeline's entries by term slug (every term's, in the order ``timeline.entries`` gives)."""
        p = self.prev
        if (p is not None and "_entries" in p.__dict__ and p.site.terms is self.site.terms
                and p.rendered.changes is self.rendered.changes):
            return p._entries  # the same terms and the same rendered summaries
        out: dict[str, list[timeline.Entry]] = {}
        for e in timeline.entries(self.site, self.rendered.changes):
            out.setdefault(e.term_slug, []).append(e)
        return {k: tuple(v) for k, v in out.items()}

    def derive(self, key: tuple[str, str], basis: Basis, make: Callable[[], T]) -> T:
        """A value a page kind makes from ``basis`` (values it read from this site), kept from the previous
        build when ``basis`` is the very same objects: a kind that shows thousands of items (glossary.json)
        makes again only the parts of the items that changed. ``make`` may use only ``basis``."""
        for memo in (self._derived, self.prev._derived if self.prev is not None else None):
            hit = memo.get(key) if memo is not None else None
            if hit is not None and same_objects(hit[0], basis):
                self._derived[key] = hit
                return hit[1]  # type: ignore[no-any-return]
        value = make()
        self._derived[key] = (basis, value)
        return value

    def _term_summary(self, t: Term) -> TermSummary:
        """A term's summary, once per term object: a term saved on 3,000 makes one new summary, and the others
        keep their digests (``incremental._kept``)."""
        p = self.prev
        return _once_per_object(self._term_summaries, p._term_summaries if p is not None else None, t.slug, t,
                                term_summary)

    def _summary(self, a: Article) -> ArticleSummary:
        """An article's summary, once per article object."""
        p = self.prev
        return _once_per_object(self._summaries, p._summaries if p is not None else None, a.slug, a,
                                article_summary)

    def page_list(self, r: Reads) -> tuple[tuple[str, bool, dt.date | None], ...]:
        """Every page of the site as (path, noindex, lastmod), for the sitemap."""
        return self.read(r, ("pages",))  # type: ignore[no-any-return]

    def _value(self, key: Key) -> Any:
        kind = key[0]
        p = self.prev
        if p is not None and kind in _WHOLE_GLOSSARY and p.site.terms is self.site.terms \
                and p.site.groups is self.site.groups and key in p._memo:
            if kind == "terms":  # (the summaries it is made of, for the next build: see _term_summary)
                self._term_summaries = p._term_summaries
            return p._memo[key]  # made of the very same terms and groups
        if kind == "config":
            return self.site.content.config
        if kind == "articles":
            return tuple(self._summary(a) for a in self.site.articles)
        if kind == "article":
            a = self._articles.get(key[1])
            return (a, self.rendered.articles[key[1]]) if a else None
        if kind == "article_sig":
            a = self._articles.get(key[1])
            return self._summary(a) if a else None
        if kind == "article_order":
            return tuple(a.slug for a in self.site.articles)
        if kind == "terms":
            return tuple(self._term_summary(t) for t in self.site.terms)
        if kind == "term":
            t = self.site.by_slug.get(key[1])
            return (t, self.rendered.definitions[key[1]], self.site.see_also.get(key[1], ())) if t else None
        if kind == "term_sig":
            t = self.site.by_slug.get(key[1])
            return self._term_summary(t) if t else None
        if kind == "term_order":
            return tuple(t.slug for t in self.site.terms)
        if kind == "backlinks":
            return tuple(self._summary(self._articles[s]) for s in self.backlinks.get(key[1], ()))
        if kind == "groups":
            return tuple(group_summary(g) for g in self.site.groups)
        if kind == "group_link":
            g = next((g for g in self.site.groups if g.slug == key[1]), None)
            return GroupLink(g.slug, g.name) if g else None
        if kind == "pages":
            return self.pages
        if kind == "listings":
            return self._listings
        if kind == "listed_at":
            return self._anchors.get(key[1])
        if kind == "today":
            return self.today
        if kind == "changes":
            return tuple(e for es in self._entries.values() for e in es)
        if kind == "term_changes":
            t = self.site.by_slug.get(key[1])
            return self._entries.get(key[1], ()) if t and t.changes else ()
        raise KeyError(key)

    def version(self, key: Key) -> str:
        """The digest of one input, as pages see it (computed once per linked site, or carried over)."""
        v = self._versions.get(key)
        if v is None:
            value = self._cached(key)
            v = self._versions.get(key)  # carried over with the value
            if v is None:
                v = self._versions[key] = digest(value)
        return v


def _once_per_object(mine: dict[str, tuple[Item, Made]], before: dict[str, tuple[Item, Made]] | None, slug: str,
                     item: Item, make: Callable[[Item], Made]) -> Made:
    """``make(item)``, kept in ``mine`` by slug and taken from ``before`` (the previous linked site's) while
    the item is the very same object."""
    hit = mine.get(slug)
    if hit is None or hit[0] is not item:
        hit = before.get(slug) if before is not None else None
        if hit is None or hit[0] is not item:
            hit = (item, make(item))
        mine[slug] = hit
    return hit[1]


_MISSING = object()
# values made of site.terms / site.groups only
_WHOLE_GLOSSARY = frozenset({"terms", "term_order", "groups", "group_link"})
# Inputs made only of strings, numbers, dates, tuples and frozen dataclasses of those: for them ``==``
# means "pickles to the same bytes", so an equal value may stand for the new one. The others (an article
# or a term with its rendered HTML, the timeline's entries, the config) must be the very same objects.
_PLAIN = frozenset({"articles", "article_sig", "article_order", "terms", "term_sig", "term_order", "backlinks",
                    "groups", "group_link", "pages", "today", "listed_at"})


def _same(kind: str, old: Any, new: Any) -> bool:
    if old is new:
        return True
    if kind in _PLAIN:
        return bool(old == new)
    if isinstance(old, tuple) and isinstance(new, tuple):  # ("article"/"term": the item and its rendering)
        return len(old) == len(new) and all(x is y or _strings(x, y) for x, y in zip(old, new, strict=True))
    return False


def _strings(x: object, y: object) -> bool:
    """Equal tuples of strings (a term's see-also slugs, made anew by each resolve)."""
    return type(x) is tuple and type(y) is tuple and x == y and all(type(e) is str for e in x)


Basis = tuple[object, ...]


def link(site: Site, rendered: RenderedContent, today: dt.date, prev: LinkedSite | None = None) -> LinkedSite:
    glossary_same = (prev is not None and prev.site.terms is site.terms and prev.site.see_also is site.see_also
                     and prev.rendered.definitions is rendered.definitions)
    if prev is not None and glossary_same and _same_mentions(prev, site, rendered):
        return LinkedSite(site, rendered, prev.backlinks, prev.referenced, today, prev=prev)
    back: dict[str, list[str]] = {t.slug: [] for t in site.terms}
    for a in site.articles:
        r = rendered.articles.get(a.slug)
        for slug in r.mentions if r else ():
            back[slug].append(a.slug)
    if prev is not None and glossary_same:
        refs = prev.referenced
    else:
        found: set[str] = set()
        for t in site.terms:
            found.update(site.see_also.get(t.slug, ()))
            d = rendered.definitions.get(t.slug)
            found.update(d.mentions if d else ())
        refs = frozenset(found)
    return LinkedSite(site, rendered, {s: tuple(v) for s, v in back.items()}, refs, today, prev=prev)


def _same_mentions(prev: LinkedSite, site: Site, rendered: RenderedContent) -> bool:
    """The same articles in the same order, each linking the same terms as in ``prev``."""
    if len(prev.site.articles) != len(site.articles):
        return False
    for a, b in zip(site.articles, prev.site.articles, strict=True):
        if a.slug != b.slug:
            return False
        r, q = rendered.articles.get(a.slug), prev.rendered.articles.get(a.slug)
        if r is not q and (r is None or q is None or r.mentions != q.mentions):
            return False
    return True


def term_usage(ls: LinkedSite) -> dict[str, Counter[str]]:
    """Per term: linked / repeat / excluded / opted_out occurrences over all articles (check --terms)."""
    usage: dict[str, Counter[str]] = {t.slug: Counter() for t in ls.site.terms}
    for r in ls.rendered.articles.values():
        for slug, c in r.occurrences.items():
            usage[slug].update(c)
    return usage
