"""Resolve stage: give everything its URL and check every cross reference before rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backoffice_site.diagnostics import Diagnostics, did_you_mean
from backoffice_site.load import default_slug
from backoffice_site.model import Article, Content, Group, Term


@dataclass(frozen=True)
class Site:
    """The content plus everything derived from it that rendering needs (all URLs are known)."""

    content: Content
    terms: tuple[Term, ...]  # gojūon order
    by_slug: dict[str, Term]
    by_name: dict[str, Term]  # term names, aliases and slugs (NFKC) → term
    see_also: dict[str, tuple[str, ...]]  # term slug → slugs of its see-also terms
    articles_by_source: dict[str, Article]
    page_urls: frozenset[str]  # every page URL relative to the base path ('' is the home page)
    # each article's page URL, in reading order; a URL comes from the slug alone, so ``patch`` (which keeps
    # every slug) keeps this very object, and the page list does not list a thousand URLs again at a save
    article_urls: tuple[str, ...] = ()
    # each article's (URL, slug, date of last change) in reading order, for its page's spec; kept by ``patch``
    # while no saved article's date moved
    article_pages: tuple[tuple[str, str, dt.date | None], ...] = ()

    @property
    def articles(self) -> tuple[Article, ...]:
        return self.content.articles

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.content.groups

    def lookup(self, name: str) -> Term | None:
        return self.by_name.get(unicodedata.normalize("NFKC", name).strip())


# id of a loaded term or group → (that object, what resolve made of it): kept by a process between builds
# so that an unchanged term stays the very same object (later stages reuse their work by identity)
Assigned = dict[int, tuple[object, object]]


def _assign_slugs(groups: tuple[Group, ...], memo: Assigned | None = None) -> tuple[Group, ...]:
    """Default slugs come from the reading; homophones get a short, order-independent suffix."""
    defaults: dict[str, list[Term]] = defaultdict(list)
    explicit = {t.slug for g in groups for t in g.terms if t.slug}
    for g in groups:
        for t in g.terms:
            if not t.slug:
                defaults[default_slug(t.reading)].append(t)
    chosen: dict[int, str] = {}
    for slug, terms in defaults.items():
        clash = len(terms) > 1 or slug in explicit
        for t in terms:
            suffix = hashlib.sha1(t.name.encode()).hexdigest()[:4] if clash else ""
            chosen[id(t)] = f"{slug}-{suffix}" if suffix else slug
    old = memo if memo is not None else {}
    new: Assigned = {}

    def kept(raw: Any, make: Callable[[], Any]) -> Any:
        hit = old.get(id(raw))
        value = hit[1] if hit is not None and hit[0] is raw else None
        fresh = make()
        if value is None or value != fresh:
            value = fresh
        new[id(raw)] = (raw, value)
        return value

    out: list[Group] = []
    for g in groups:
        given: list[Term] = []
        for t in g.terms:
            def slugged(t: Term = t) -> Term:
                return dataclasses.replace(t, slug=chosen[id(t)])
            given.append(kept(t, slugged) if not t.slug else t)

        def grouped(g: Group = g, terms: tuple[Term, ...] = tuple(given)) -> Group:
            return dataclasses.replace(g, terms=terms)
        out.append(kept(g, grouped))
    if memo is not None:
        memo.clear()
        memo.update(new)
    return tuple(out)


def resolve(content: Content, diags: Diagnostics, assigned: Assigned | None = None) -> Site:
    """``assigned``: a process's memo of the terms and groups given slugs last time (see ``Assigned``)."""
    groups = _assign_slugs(content.groups, assigned)
    content = dataclasses.replace(content, groups=groups)

    # Articles: one slug, one output path each.
    articles_by_slug: dict[str, Article] = {}
    for a in content.articles:
        if a.slug in articles_by_slug:
            first = articles_by_slug[a.slug]
            diags.error(a.field_locs.get("slug", a.loc), f"two articles have the slug '{a.slug}' "
                        f"(also {first.source}); each article needs its own slug")
        else:
            articles_by_slug[a.slug] = a
    articles = tuple(articles_by_slug.values())
    content = dataclasses.replace(content, articles=articles)

    # Groups: names unique.
    seen_groups: dict[str, Group] = {}
    for g in groups:
        if g.name in seen_groups:
            diags.error(g.loc, f"group '{g.name}' is also defined in {seen_groups[g.name].source}; "
                        "merge the two files")
        seen_groups.setdefault(g.name, g)

    # Terms: slugs, names and aliases unique across the whole glossary.
    by_slug: dict[str, Term] = {}
    by_name: dict[str, Term] = {}
    for t in content.terms:
        if t.slug in by_slug:
            other = by_slug[t.slug]
            diags.error(t.field_locs.get("slug", t.loc), f"term '{t.name}' has the slug '{t.slug}', "
                        f"already used by '{other.name}' ({other.loc}); set a different 'slug:'")
            continue
        by_slug[t.slug] = t
    for t in by_slug.values():
        for i, name in enumerate(t.names):
            prev = by_name.get(name)
            if prev is not None and prev is not t:
                other = prev
                what = "term" if i == 0 else "alias"
                if i == 0 and name == other.name and t.reading == other.reading:
                    msg = (f"term '{name}' with reading '{t.reading}' is defined twice (also at "
                           f"{other.loc}); remove one")
                else:
                    msg = (f"{what} '{name}' of '{t.name}' collides with '{other.name}' ({other.loc}); "
                           "every term and alias must be unique")
                diags.error(t.field_locs.get("aliases" if i else "term", t.loc), msg)
            elif prev is None:
                by_name[name] = t
    for t in by_slug.values():
        by_name.setdefault(t.slug, t)

    see_also: dict[str, tuple[str, ...]] = {}
    for t in by_slug.values():
        targets = []
        for name, loc in t.see_also:
            target = by_name.get(name)
            if target is None:
                diags.error(loc, f"see_also names unknown term '{name}'"
                            f"{did_you_mean(name, by_name)}")
            elif target is t:
                diags.error(loc, f"see_also of '{t.name}' points to itself; remove it")
            elif target.slug not in targets:
                targets.append(target.slug)
        see_also[t.slug] = tuple(targets)

    terms = tuple(sorted(by_slug.values(), key=lambda t: (t.order_key, t.name, t.slug)))
    return Site(
        content=content,
        terms=terms,
        by_slug=by_slug,
        by_name=by_name,
        see_also=see_also,
        articles_by_source={a.source: a for a in articles},
        page_urls=frozenset(),  # filled by the build from the page kinds (kinds.registry)
        article_urls=tuple(a.url for a in content.articles),
        article_pages=_article_pages(content.articles),
    )


def _article_pages(articles: tuple[Article, ...]) -> tuple[tuple[str, str, dt.date | None], ...]:
    return tuple((a.url, a.slug, a.updated or a.date) for a in articles)


def patch(before: Content, site: Site, content: Content) -> Site | None:
    """``site`` (resolved from ``before`` with no problem found) updated for ``content`` without resolving
    again, when only articles changed and each kept its place, slug and file: nothing resolve decides can
    have moved. None when anything else changed (then resolve it all)."""
    if content.config is not before.config or len(content.groups) != len(before.groups) or \
            len(content.articles) != len(before.articles):
        return None
    if any(g is not h for g, h in zip(content.groups, before.groups, strict=True)):
        return None
    by_source = None
    dated = False  # a saved article's date of last change moved
    for a, b in zip(content.articles, before.articles, strict=True):
        if a is b:
            continue
        if a.slug != b.slug or a.source != b.source:
            return None
        by_source = by_source if by_source is not None else dict(site.articles_by_source)
        by_source[a.source] = a
        dated = dated or (a.updated or a.date) != (b.updated or b.date)
    if by_source is None:
        return site
    return dataclasses.replace(site, content=dataclasses.replace(site.content, articles=content.articles),
                               articles_by_source=by_source,
                               article_pages=_article_pages(content.articles) if dated else site.article_pages)
