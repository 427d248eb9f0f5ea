"""Page kinds: each kind of page is one small unit that turns the linked site into its pages.

A kind is a module with two functions:

- ``urls(site)`` — the URLs it will produce, known right after resolve; together they are the URL
  registry that Markdown link checking uses (a link to any of them is not dead);
- ``specs(ls)`` — one ``PageSpec`` per page: its output path and a function that builds the page's
  ``Page`` (template + view) from the linked site through a ``Reads`` recorder.

The view is the only thing the template (or serializer) sees, so its digest is the page's dependency:
nothing is listed by hand. To add a kind: write the module, add it to ``PAGE_KINDS``, add its template.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from backoffice_site.incremental import Reads
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site


@dataclass(frozen=True)
class Page:
    path: str  # output file, relative to the output folder
    template: str | None  # a Jinja template; None: ``write(view)`` makes the bytes
    view: dict[str, Any]
    write: Callable[[dict[str, Any]], bytes] | None = None


@dataclass(frozen=True)
class PageSpec:
    path: str
    build: Callable[[LinkedSite, Reads], Page]
    noindex: bool = False  # left out of the sitemap
    lastmod: dt.date | None = None  # for the sitemap


class Kind(Protocol):
    def urls(self, site: Site) -> Iterable[str]: ...

    def specs(self, ls: LinkedSite) -> Iterable[PageSpec]: ...


def per_item(fn: Callable[[LinkedSite, Reads, str], Page], item: str) -> Callable[[LinkedSite, Reads], Page]:
    """A page builder for one item (an article, a term, a group) of a kind."""

    def build(ls: LinkedSite, r: Reads) -> Page:
        return fn(ls, r, item)

    return build


def abs_url(base_url: str, rel: str) -> str:
    return base_url + rel.lstrip("/")


def base_view(ls: LinkedSite, r: Reads, page_url: str, title: str, description: str) -> dict[str, Any]:
    """What base.html needs on every page."""
    return {"site": ls.config(r), "page_url": page_url, "title": title, "description": description}


def breadcrumb_ld(crumbs: list[tuple[str, str]], base_url: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org", "@type": "BreadcrumbList",
        "itemListElement": [{"@type": "ListItem", "position": i + 1, "name": name, "item": abs_url(base_url, url)}
                            for i, (name, url) in enumerate(crumbs)],
    }


_TAG = re.compile(r"<[^>]+>")


def plain(fragment: str) -> str:
    """Text of an HTML fragment (our own sanitized output) for JSON-LD and glossary.json."""
    return html.unescape(_TAG.sub("", fragment)).strip().replace("\n", " ")


def position(ls: LinkedSite, name: str, seq: tuple[str, ...], slug: str) -> int:
    """Where ``slug`` is in ``seq`` (an order the page read from ``ls``): a map made once per order, as
    thousands of pages each looking themselves up in it (``seq.index``) grew with the square of the site."""
    at = ls.derive(("positions", name), (seq,), lambda: {s: i for i, s in enumerate(seq)})
    return at[slug]


def neighbours(seq: tuple[str, ...], i: int) -> tuple[str | None, str | None]:
    return (seq[i - 1] if i > 0 else None), (seq[i + 1] if i + 1 < len(seq) else None)
