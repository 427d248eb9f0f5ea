"""The page list: every kind's URLs and specs, kept between builds by what each kind looked at.

A kind's ``urls(site)`` and ``specs(ls)`` are functions of the (frozen) values they read. Each call gets a
recording stand-in for the site or the linked site that notes every attribute (and every method's
result) the kind takes, and the list is kept with those values. The next build asks the same questions
of the new site; when every answer is the very same object, the kind's list is the same and is reused:
a save of one article's text does not list 3,000 term pages again. Nothing is declared by hand, and a
kind that reads something new (a custom kind reading ``ls.rendered``) is simply listed more often.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from backoffice_site.incremental import same_objects
from backoffice_site.kinds import Kind, PageSpec
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site

Path_ = tuple[str, ...]  # ("site", "terms"), ("glossary_listings_unrecorded", "()")


class _Recorder:
    """Stands in for an object: attribute reads (and method results) are noted with their values; ``site``
    of a linked site is itself a recorder, so ``ls.site.terms`` is noted as such."""

    def __init__(self, target: object, seen: dict[Path_, object], prefix: Path_ = ()) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_seen", seen)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        target, seen, prefix = self._target, self._seen, self._prefix
        value = getattr(target, name)
        path = (*prefix, name)
        if name == "site" and isinstance(value, Site):
            return _Recorder(value, seen, path)
        if callable(value) and not isinstance(value, type):
            def call(*args: Any) -> Any:
                result = value(*args)
                seen[(*path, repr(args))] = result
                return result
            return call
        seen[path] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a page kind must not change the site")


def _answer(root: object, path: Path_) -> object:
    """The value ``path`` names on ``root``: attributes, and a last element '(...)' for a method's result
    (only methods without arguments are asked again; others never match, so the kind is listed again)."""
    value = root
    for i, name in enumerate(path):
        if name.startswith("(") and i == len(path) - 1:
            return value() if name == "()" and callable(value) else _NEVER
        value = getattr(value, name)
    return value


_NEVER = object()


@dataclass(frozen=True)
class Listed:
    """Every page of a build: the specs in order, as (path, noindex, lastmod) for the sitemap, and the paths."""

    specs: list[PageSpec]
    pages: tuple[tuple[str, bool, dt.date | None], ...]
    paths: frozenset[str]


@dataclass
class PageList:
    """Each kind's last URLs and specs with what they were made from (kept by one Builder)."""

    _urls: dict[int, tuple[dict[Path_, object], tuple[str, ...]]] = field(default_factory=dict)
    _specs: dict[int, tuple[dict[Path_, object], tuple[PageSpec, ...]]] = field(default_factory=dict)
    _registry: tuple[list[tuple[str, ...]], frozenset[str]] | None = None  # each kind's last URLs, and as one set
    _listed: tuple[list[tuple[PageSpec, ...]], Listed] | None = None  # each kind's last specs, and the list

    def urls(self, kinds: tuple[Kind, ...], site: Site) -> frozenset[str]:
        parts = []
        for i, k in enumerate(kinds):
            def make(s: object, k: Kind = k) -> tuple[str, ...]:
                return tuple(k.urls(cast(Site, s)))
            parts.append(_kept(self._urls, i, site, make))
        last = self._registry
        if last is not None and same_objects(parts, last[0]):
            return last[1]  # every kind's list kept: the same set, not thousands of URLs hashed into a new one
        out = frozenset(u for part in parts for u in part)
        self._registry = (parts, out)
        return out

    def specs(self, kinds: tuple[Kind, ...], ls: LinkedSite) -> Listed:
        parts = []
        for i, k in enumerate(kinds):
            def make(x: object, k: Kind = k) -> tuple[PageSpec, ...]:
                return tuple(k.specs(cast(LinkedSite, x)))
            parts.append(_kept(self._specs, i, ls, make))
        last = self._listed
        if last is not None and same_objects(parts, last[0]):
            return last[1]  # every kind's specs kept (an article's text saved): the same list and what is made of it
        specs = [s for part in parts for s in part]
        listed = Listed(specs, tuple((s.path, s.noindex, s.lastmod) for s in specs), frozenset(s.path for s in specs))
        self._listed = (parts, listed)
        return listed


def _kept(memo: dict[int, tuple[dict[Path_, object], tuple[Any, ...]]], i: int, root: object,
          make: Callable[[object], tuple[Any, ...]]) -> tuple[Any, ...]:
    hit = memo.get(i)
    if hit is not None and all(_answer(root, path) is value for path, value in hit[0].items()):
        return hit[1]
    seen: dict[Path_, object] = {}
    out = make(_Recorder(root, seen))
    memo[i] = (seen, out)
    return out
