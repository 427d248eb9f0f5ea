"""Resolve stage: give everything its URL and check every cross reference before rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from backoffice_site import glossary_index, kana
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

    @property
    def articles(self) -> tuple[Article, ...]:
        return self.content.articles

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.content.groups

    def lookup(self, name: str) -> Term | None:
        return self.by_name.get(unicodedata.normalize("NFKC", name).strip())


def _assign_slugs(groups: tuple[Group, ...]) -> tuple[Group, ...]:
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
    return tuple(
        dataclasses.replace(g, terms=tuple(
            dataclasses.replace(t, slug=chosen[id(t)]) if not t.slug else t for t in g.terms))
        for g in groups
    )


def resolve(content: Content, diags: Diagnostics, today: dt.date | None = None) -> Site:
    groups = _assign_slugs(content.groups)
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
        if today is not None and t.review_by is not None and t.review_by < today:
            diags.warning(t.field_locs.get("review_by", t.loc),
                          f"review_by {t.review_by.isoformat()} of '{t.name}' has passed: re-check the "
                          "facts and sources, then move the date")

    terms = tuple(sorted(by_slug.values(), key=lambda t: (kana.sort_key(t.reading), t.name, t.slug)))
    urls = {"", "glossary/", "search/"}
    urls.update(a.url for a in articles)
    urls.update(t.url for t in terms)
    urls.update(g.url for g in groups)
    urls.update(glossary_index.page_urls(terms, groups))  # glossary row pages (issue 12)
    return Site(
        content=content,
        terms=terms,
        by_slug=by_slug,
        by_name=by_name,
        see_also=see_also,
        articles_by_source={a.source: a for a in articles},
        page_urls=frozenset(urls),
    )
