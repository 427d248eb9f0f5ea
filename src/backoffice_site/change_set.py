"""Which inputs of pages may have changed since the last build: the candidates whose versions the build
compares (``Builder._pages_to_view``), so that a save digests a handful of inputs, not every one.

Two ways to know, one per situation. In the process that made the last build (the dev server) the last
linked site is at hand, and an item whose value is the very same object (or equal) did not change
(``in_process``). A new process (the CLI) has only the cache file: there an item is unchanged when its
file has the same bytes and its Markdown the same key as at the last build (``from_files``). Inputs made
of the whole site (lists, the config, today) are always candidates: there are few, and they are cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from backoffice_site.incremental import Key
from backoffice_site.linked import LinkedSite

WHOLE_SITE: frozenset[Key] = frozenset({("config",), ("articles",), ("terms",), ("groups",), ("article_order",),
                                        ("term_order",), ("pages",), ("today",), ("changes",), ("listings",)})
# made of the glossary's files alone (terms, groups, their rendered change summaries): see ``from_files``
GLOSSARY_ONLY: frozenset[Key] = frozenset({("terms",), ("term_order",), ("groups",), ("listings",), ("changes",)})


@dataclass
class LastBuild:
    """What the last build's inputs were made of, kept in the cache file for ``from_files``: each article's
    Markdown key by its file ("" for the whole glossary's documents), the files as loaded (path → content
    digest), and the backlinks (term slug → article slugs)."""

    doc_keys: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    backlinks: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _every_site(ls: LinkedSite) -> set[Key]:
    """The inputs always looked at: the whole-site lists, and each group's link (ten small values)."""
    return {*WHOLE_SITE, *(("group_link", g.slug) for g in ls.site.groups)}


def in_process(prev: LinkedSite, ls: LinkedSite) -> set[Key]:
    """Inputs that may differ between two linked sites: those of items whose values are not equal, and
    every whole-site list (cheap to digest)."""
    keys = _every_site(ls)
    old_a = prev._articles
    for a in ls.site.articles:
        r = ls.rendered.articles[a.slug]
        o = old_a.get(a.slug)
        if (o is not a and o != a) or prev.rendered.articles.get(a.slug) is not r:
            keys.update({("article", a.slug), ("article_sig", a.slug)})
            was = prev.rendered.articles.get(a.slug)
            # the terms it links show it among their backlinks (title, description, date)
            keys.update(("backlinks", t) for t in {*r.mentions, *(was.mentions if was else ())})
    if not (prev.site.terms is ls.site.terms and prev.rendered.definitions is ls.rendered.definitions
            and prev.site.see_also is ls.site.see_also):
        for t in ls.site.terms:
            ot = prev.site.by_slug.get(t.slug)
            if ((ot is not t and ot != t) or prev.rendered.definitions.get(t.slug) is not
                    ls.rendered.definitions[t.slug] or prev.site.see_also.get(t.slug) != ls.site.see_also.get(t.slug)):
                keys.update({("term", t.slug), ("term_sig", t.slug), ("term_changes", t.slug)})
    if prev.backlinks is not ls.backlinks:
        for slug, back in ls.backlinks.items():
            if prev.backlinks.get(slug) != back:
                keys.add(("backlinks", slug))
    return keys


def from_files(ls: LinkedSite, root: Path, digests: dict[str, str], doc_keys: dict[str, str],
               last: LastBuild) -> set[Key]:
    """``in_process`` for a process without the last linked site (the CLI's).

    An article whose file has the same bytes as at the last build (``digests`` now, ``last.files`` then) and
    the same Markdown key (``doc_keys``: same text, same link environment) is the same article with the same
    rendering; the glossary likewise, as a whole (a term's slug and see-also depend on the other terms).
    Backlinks are compared as lists of slugs, plus those naming a changed article (they show its title)."""
    keys = _every_site(ls)
    now, before = digests, last.files
    glossary = str(root / "content" / "glossary") + os.sep
    if doc_keys.get("") == last.doc_keys.get("") and all(
            now.get(p) == before.get(p) for p in {*now, *before} if p.startswith(glossary)):
        # the same glossary files, rendered with the same keys: the lists made of it alone are as they were
        # (digesting them again was 30 ms of a CLI edit: the listings alone hold every term's summary)
        keys -= GLOSSARY_ONLY
        keys -= {k for k in keys if k[0] == "group_link"}
    else:
        for t in ls.site.terms:
            keys.update({("term", t.slug), ("term_sig", t.slug), ("term_changes", t.slug)})
    naming: dict[str, set[str]] = {}  # article slug → the terms whose backlinks listed it
    for term, slugs in last.backlinks.items():
        for slug in slugs:
            naming.setdefault(slug, set()).add(term)
    for a in ls.site.articles:
        path = str(root / a.source)
        if doc_keys.get(a.source) != last.doc_keys.get(a.source) or now.get(path) != before.get(path):
            keys.update({("article", a.slug), ("article_sig", a.slug)})
            keys.update(("backlinks", t) for t in {*ls.rendered.articles[a.slug].mentions, *naming.get(a.slug, ())})
    for slug, back in ls.backlinks.items():
        if last.backlinks.get(slug) != back:
            keys.add(("backlinks", slug))
    return keys


def changed_files(root: Path, changed: Iterable[str | Path] | None) -> frozenset[Path] | None:
    """The changed files as the loader names them; None (look at every file) when a change names a folder
    (or anything without a file suffix), which may stand for files the watcher did not list one by one."""
    if changed is None:
        return None
    out = set()
    for p in changed:
        full = root / p
        if full.is_dir() or not full.suffix:
            return None
        out.add(full)
    return frozenset(out)


@dataclass(frozen=True)
class Sources:
    """What a new process knows of the sources (for ``from_files``): the site folder, the loaded files'
    content digests, the Markdown keys of the documents used now, and the last build's record."""

    root: Path
    digests: dict[str, str]
    doc_keys: dict[str, str]
    last: LastBuild


def pages_to_view(paths: frozenset[str], reads: dict[str, frozenset[Key]], versions: dict[Key, str],
                  ls: LinkedSite, prev: LinkedSite | None, sources: Sources,
                  readers: dict[Key, set[str]] | None = None) -> set[str]:
    """The pages whose view must be built again: the new pages and those that read an input whose digest
    moved (the reverse index ``reads``: page → inputs it read; ``versions``: input → digest when last read;
    ``readers``, when given: the same index the other way round, input → pages, kept by a live process).
    A page that is gone is dropped by the build; the page set itself is an input (``("pages",)``, the
    sitemap's)."""
    new = set(paths - reads.keys())  # (few: the pages new since the last build)
    if prev is not None:  # same process: only inputs whose values are not equal can have changed
        candidates = in_process(prev, ls)
    elif sources.last.doc_keys:  # a new process: the inputs of the items whose files or Markdown changed
        candidates = from_files(ls, sources.root, sources.digests, sources.doc_keys, sources.last)
    else:
        candidates = {k for keys in reads.values() for k in keys}
    moved = {k for k in candidates if versions.get(k) != ls.version(k)}
    if ("listings",) in moved:  # the glossary's pages moved: a term's place in them may have too
        slugs = ls.places_moved(prev) if prev is not None else None
        places = {("listed_at", slug) for slug in (slugs if slugs is not None else (t.slug for t in ls.site.terms))}
        moved |= {k for k in places if versions.get(k) != ls.version(k)}
    if not moved:
        return new
    if readers is not None:
        return new | {p for k in moved for p in readers.get(k, ()) if p in paths}
    return new | {p for p, keys in reads.items() if p in paths and not keys.isdisjoint(moved)}
