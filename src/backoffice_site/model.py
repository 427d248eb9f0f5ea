"""The content model: immutable, typed, and every item knows where it came from."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urlsplit

from backoffice_site import kana
from backoffice_site.dates import PartialDate
from backoffice_site.diagnostics import Loc


@dataclass(frozen=True)
class NavItem:
    title: str
    url: str


@dataclass(frozen=True)
class StyleRule:
    """One entry of site.yaml ``style:``: a spelling to avoid in prose and the one to write instead."""

    avoid: str  # NFKC
    prefer: str
    note: str
    loc: Loc  # the 'avoid' value


def article_url(slug: str) -> str:
    """The page URLs of content items (relative to the base path), in one place for the items and their
    summaries (summaries.py)."""
    return f"articles/{slug}/"


def term_url(slug: str) -> str:
    return f"glossary/{slug}/"


def group_url(slug: str) -> str:
    return f"glossary/group/{slug}/"


@dataclass(frozen=True)
class SiteConfig:
    # what pages never show (see incremental.digest): places, and the proofreading rules
    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset({"loc", "value_locs", "style"})

    title: str
    description: str
    base_url: str  # always ends with '/'
    language: str
    author: str
    nav: tuple[NavItem, ...]
    loc: Loc
    # The month (or day) up to which the site's facts were checked; pages show it, and no source's
    # ``checked`` and no 時点 a page claims may lie after it (issue 13).
    facts_checked: PartialDate | None = None
    value_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)  # field → its value
    # Proofreading rules change no page: kept out of equality (which keys the renderer) and of page
    # digests (DIGEST_SKIP), so editing a rule does not re-render the whole site.
    style: tuple[StyleRule, ...] = field(default=(), compare=False, repr=False)

    @functools.cached_property
    def base_path(self) -> str:
        """The path part of base_url ('/' or '/project/'): every site URL starts with it."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class Article:
    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset({"loc", "field_locs", "body_line"})  # see incremental

    source: str  # path relative to the root, e.g. content/articles/keiri.md
    slug: str
    title: str
    description: str
    order: int | None
    date: dt.date | None
    updated: dt.date | None
    tags: tuple[str, ...]
    draft: bool
    autolink: bool
    body: str
    body_line: int  # 1-based line of the body's first line in the source file
    loc: Loc
    field_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)

    @property
    def url(self) -> str:  # relative to the site's base path
        return article_url(self.slug)


@dataclass(frozen=True)
class SourceRef:
    title: str
    url: str
    as_of: PartialDate | None  # a date the source itself states (publication, effect, update)
    loc: Loc
    checked: PartialDate | None = None  # how far our verification of this source reaches
    value_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)  # field → its value


CHANGE_STATUSES = ("決定", "予定", "検討中")  # decided / scheduled (date or details not final) / under discussion


@dataclass(frozen=True)
class Change:
    """A dated change to what a term describes (the ``changes:`` field; issue 14)."""

    date: dt.date  # a month-only date is its first day (the change is in force from then)
    month_only: bool  # written as YYYY-MM: only the month is known
    summary: str  # one sentence, Markdown inline
    status: str  # one of CHANGE_STATUSES
    sources: tuple[SourceRef, ...]
    loc: Loc  # the list item
    summary_line: int  # 1-based line where the summary's text starts
    field_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)

    @property
    def iso(self) -> str:
        """The date as the author wrote it: 2026-10-01, or 2027-10 when only the month is known."""
        return self.date.isoformat()[:7] if self.month_only else self.date.isoformat()


@dataclass(frozen=True)
class Term:
    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset({"loc", "field_locs", "definition_line"})

    name: str
    reading: str
    slug: str
    group: str  # the group's slug (its file stem)
    definition: str  # Markdown
    en: str
    aliases: tuple[str, ...]
    summary: str
    see_also: tuple[tuple[str, Loc], ...]
    sources: tuple[SourceRef, ...]
    review_by: dt.date | None
    not_in: tuple[str, ...]
    no_autolink: bool
    loc: Loc  # the list item
    definition_line: int  # 1-based line where the definition's text starts
    field_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)
    changes: tuple[Change, ...] = ()  # in the order written
    # Spellings to avoid (NFKC) with where each is written; unlike aliases they never link (issue 15).
    variants: tuple[tuple[str, Loc], ...] = ()

    @property
    def url(self) -> str:
        return term_url(self.slug)

    @functools.cached_property
    def order_key(self) -> tuple[object, ...]:
        """The reading's place in gojūon order (``kana.sort_key``), worked out once per term object: the
        loader's cache keeps the object, and with it this, so a new process does not sort-key 3,000 readings."""
        return kana.sort_key(self.reading)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Group:
    slug: str
    name: str
    description: str
    source: str
    terms: tuple[Term, ...]
    loc: Loc

    @property
    def url(self) -> str:
        return group_url(self.slug)


@dataclass(frozen=True)
class Content:
    config: SiteConfig
    articles: tuple[Article, ...]  # reading order
    groups: tuple[Group, ...]

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for g in self.groups for t in g.terms)
