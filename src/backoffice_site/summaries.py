"""What pages show of an article, a term or a group without its body: small frozen values that lists,
neighbours, term cards and backlinks read (linked.LinkedSite hands them out, one input key each)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from backoffice_site.model import Article, Group, Term, article_url, group_url, term_url


@dataclass(frozen=True)
class ArticleSummary:
    """What lists, neighbours and backlinks show of an article (never its body)."""

    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset()  # none left out; digested once (incremental._kept)

    slug: str
    title: str
    description: str
    date: dt.date | None
    updated: dt.date | None
    order: int | None
    tags: tuple[str, ...]

    @property
    def url(self) -> str:
        return article_url(self.slug)


@dataclass(frozen=True)
class TermSummary:
    """What lists, toggletips and neighbours show of a term (never its definition)."""

    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset()  # none left out; digested once (incremental._kept)

    slug: str
    name: str
    reading: str
    summary: str
    en: str
    aliases: tuple[str, ...]
    group: str

    @property
    def url(self) -> str:
        return term_url(self.slug)


@dataclass(frozen=True)
class GroupSummary:
    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset()  # none left out; digested once (incremental._kept)

    slug: str
    name: str
    description: str
    terms: tuple[str, ...]  # slugs, in file order

    @property
    def url(self) -> str:
        return group_url(self.slug)


def article_summary(a: Article) -> ArticleSummary:
    return ArticleSummary(a.slug, a.title, a.description, a.date, a.updated, a.order, a.tags)


def term_summary(t: Term) -> TermSummary:
    return TermSummary(t.slug, t.name, t.reading, t.summary, t.en, t.aliases, t.group)


def group_summary(g: Group) -> GroupSummary:
    return GroupSummary(g.slug, g.name, g.description, tuple(t.slug for t in g.terms))


@dataclass(frozen=True)
class GroupLink:
    """What a term entry shows of its group: a link with the group's name (not the group's terms, so a term
    added elsewhere in the glossary leaves every other entry's view as it was)."""

    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset()  # none left out; digested once (incremental._kept)

    slug: str
    name: str

    @property
    def url(self) -> str:
        return group_url(self.slug)
