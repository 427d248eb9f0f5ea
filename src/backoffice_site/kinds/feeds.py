"""Machine-readable outputs: glossary.json, sitemap.xml and the Atom feed.

Dates come from the content only (an article's ``updated`` or ``date``), never from the clock, so two
builds of the same content give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, plain
from backoffice_site.linked import LinkedSite
from backoffice_site.markdown_render import Rendered
from backoffice_site.model import Term
from backoffice_site.resolve import Site
from backoffice_site.summaries import ArticleSummary

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
EPOCH = dt.date(1970, 1, 1)
FEED_ENTRIES = 20  # the newest articles; a feed reader needs what is new, not the whole site


def urls(site: Site) -> Iterable[str]:
    return ("glossary.json", "sitemap.xml", "feed.xml")


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    yield PageSpec("glossary.json", _glossary_json)
    yield PageSpec("feed.xml", _feed)
    yield PageSpec("sitemap.xml", _sitemap)  # over ``LinkedSite.pages``, the list of every page


def page_url(path: str) -> str:
    """Output path → URL relative to the base path ('articles/x/index.html' → 'articles/x/')."""
    if path == "index.html":
        return ""
    if path.endswith("/index.html"):
        return path[: -len("index.html")]
    return path


def _glossary_json(ls: LinkedSite, r: Reads) -> Page:
    cfg = ls.config(r)
    base = cfg.base_url
    entries = []
    for s in ls.term_order(r):
        (t, d, also), used = ls.term(r, s), ls.linked_from(r, s)

        def make(t: Term = t, d: Rendered = d, also: tuple[str, ...] = also,
                 used: tuple[ArticleSummary, ...] = used) -> _Entry:
            return _Entry(_json_entry(t, d, also, used, base).encode())
        # each entry is encoded once and kept while the term, its backlinks and the base URL are the same
        entries.append(ls.derive(("glossary.json", s), (t, d, also, used, base), make))
    head = {
        "version": 1, "title": f"{cfg.title} 用語集", "facts_checked": _iso(cfg.facts_checked),
        "url": abs_url(base, "glossary/"),
        "groups": [{"slug": g.slug, "name": g.name, "url": abs_url(base, g.url)} for g in ls.groups(r)],
        "terms": [],
    }
    return Page("glossary.json", None, {"head": _dumps(head), "terms": tuple(entries)}, _glossary_bytes)


@dataclass(frozen=True)
class _Entry:
    """One term's entry of glossary.json, as the bytes it is in the file. The page's view holds 3,000 of them
    (megabytes of JSON on the benchmark's glossary): with DIGEST_SKIP each is digested once and the view's
    digest is made of those (``incremental._kept``), and the file is joined from bytes encoded once, so a term
    saved costs neither a digest nor an encoding of the whole file."""

    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset()  # none left out; digested once (incremental._kept)
    data: bytes


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


def _json_entry(t: Term, d: Rendered, also: tuple[str, ...], used: tuple[ArticleSummary, ...], base: str) -> str:
    """One term of glossary.json, encoded as it sits in the file (two levels deep)."""
    entry = {
        "slug": t.slug, "term": t.name, "reading": t.reading, "en": t.en, "aliases": list(t.aliases),
        "group": t.group, "summary": t.summary, "definition_html": d.html, "definition_text": plain(d.html),
        "url": abs_url(base, t.url), "see_also": list(also),
        "sources": [{"title": src.title, "url": src.url, "as_of": _iso(src.as_of), "checked": _iso(src.checked)}
                    for src in t.sources],
        "review_by": t.review_by.isoformat() if t.review_by else None,
        "used_in": [abs_url(base, a.url) for a in used],
    }
    return _dumps(entry).replace("\n", "\n  ")  # JSON strings hold no raw newline: only the layout's


def _glossary_bytes(view: dict[str, Any]) -> bytes:
    """The same bytes as ``json.dumps(whole, sort_keys=True, indent=1)``: the encoded entries put in place
    of the empty list (the key "terms" appears once; inside a string its quotes would be escaped)."""
    terms = b"[\n  " + b",\n  ".join(e.data for e in view["terms"]) + b"\n ]" if view["terms"] else b"[]"
    head: str = view["head"]
    before, _, after = head.partition('"terms": []')
    return before.encode() + b'"terms": ' + terms + after.encode() + b"\n"


def _iso(d: Any) -> str | None:
    return d.isoformat() if d else None


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def _sitemap(ls: LinkedSite, r: Reads) -> Page:
    """Every indexable HTML page once, by its canonical URL; <lastmod> where the content has a date."""
    base = ls.config(r).base_url
    listed = [(p, m) for p, noindex, m in ls.page_list(r) if p.endswith(".html") and not noindex]
    newest = max((m for _, m in listed if m is not None), default=None)
    entries: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for path, lastmod in listed:
        loc = abs_url(base, page_url(path))
        if loc not in seen:
            seen.add(loc)
            # the home page lists the articles, so it changes when the newest one does
            m = lastmod or (newest if path == "index.html" else None)
            entries.append((loc, m.isoformat() if m else None))
    return Page("sitemap.xml", None, {"urls": entries}, _sitemap_xml)


def _sitemap_xml(view: dict[str, Any]) -> bytes:
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for loc, lastmod in view["urls"]:
        el = ET.SubElement(root, "url")
        ET.SubElement(el, "loc").text = loc
        if lastmod is not None:
            ET.SubElement(el, "lastmod").text = lastmod
    return _xml(root)


def _stamp(d: dt.date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def _feed(ls: LinkedSite, r: Reads) -> Page:
    """An Atom feed of the newest dated articles, newest first (ties in reading order), with their full text."""
    cfg = ls.config(r)
    summaries = ls.articles(r)
    order = {a.slug: i for i, a in enumerate(summaries)}
    dated = [a for a in summaries if (a.updated or a.date) is not None]
    dated.sort(key=lambda a: (-(a.updated or a.date or EPOCH).toordinal(), order[a.slug]))
    entries: list[dict[str, Any]] = []
    for a in dated[:FEED_ENTRIES]:
        entries.append({"title": a.title, "url": abs_url(cfg.base_url, a.url), "date": a.date,
                        "updated": a.updated or a.date, "summary": a.description, "tags": a.tags,
                        "html": ls.article(r, a.slug)[1].html})
    view = {"language": cfg.language, "base": abs_url(cfg.base_url, ""), "title": cfg.title,
            "description": cfg.description, "author": cfg.author or cfg.title,
            "self": abs_url(cfg.base_url, "feed.xml"), "entries": entries,
            "updated": max((a.updated or a.date or EPOCH for a in dated[:FEED_ENTRIES]), default=EPOCH)}
    return Page("feed.xml", None, view, _atom)


def _atom(v: dict[str, Any]) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, f"{{{XML_NS}}}lang": v["language"], f"{{{XML_NS}}}base": v["base"]})
    ET.SubElement(feed, "title").text = v["title"]
    if v["description"]:
        ET.SubElement(feed, "subtitle").text = v["description"]
    ET.SubElement(feed, "id").text = v["base"]
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": v["base"]})
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": v["self"]})
    ET.SubElement(feed, "updated").text = _stamp(v["updated"])
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = v["author"]
    for e in v["entries"]:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = e["title"]
        ET.SubElement(entry, "id").text = e["url"]
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": e["url"]})
        if e["date"]:
            ET.SubElement(entry, "published").text = _stamp(e["date"])
        ET.SubElement(entry, "updated").text = _stamp(e["updated"])
        if e["summary"]:
            ET.SubElement(entry, "summary").text = e["summary"]
        ET.SubElement(entry, "content", {"type": "html"}).text = e["html"]
        for tag in e["tags"]:
            ET.SubElement(entry, "category", {"term": tag})
    return _xml(feed)
