"""Web conventions around the pages: sitemap.xml, robots.txt, the Atom feed and the /search/ page.

Pure like ``pages``: everything is computed from the resolved site and the page list. Dates come from the
content only (an article's ``updated`` or ``date``), never from the clock, so two builds of the same
content give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import Any

from backoffice_site import pages as _pages  # a module import: pages imports this module too
from backoffice_site import search
from backoffice_site.model import Article
from backoffice_site.resolve import Site

AbsUrl = Callable[[str], str]

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
EPOCH = dt.date(1970, 1, 1)


def pages(site: Site, rendered: _pages.RenderedContent, abs_url: AbsUrl,
          built: Sequence[_pages.Page], memo: _pages.DocMemo | None = None) -> list[_pages.Page]:
    """The extra files: the search page, then sitemap.xml (over ``built`` and the search page), feed, robots.

    The XML documents are made again only when what they show changed (``memo``, kept by the Builder)."""
    search = search_page(site)
    listed = [*built, search]
    sitemap = _pages.memoized_doc(
        memo, "sitemap.xml",
        (abs_url(""), tuple((p.path, bool(p.context.get("noindex")), _page_date(p)) for p in listed)),
        lambda: sitemap_xml(listed, abs_url))
    cfg = site.content.config
    feed = _pages.memoized_doc(
        memo, "feed.xml",
        (abs_url(""), cfg.title, cfg.description, cfg.language, cfg.author,
         tuple((a.slug, a.title, a.description, a.date, a.updated, a.tags,
                rendered.articles[a.slug].digest if a.slug in rendered.articles else None) for a in site.articles)),
        lambda: atom_feed(site, rendered, abs_url))
    return [
        search,
        _pages.Page("sitemap.xml", None, {}, sitemap),
        _pages.Page("feed.xml", None, {}, feed),
        _pages.Page("robots.txt", None, {}, robots_txt(abs_url)),
    ]


def page_url(path: str) -> str:
    """Output path → URL relative to the base path ('articles/x/index.html' → 'articles/x/')."""
    if path == "index.html":
        return ""
    if path.endswith("/index.html"):
        return path[: -len("index.html")]
    return path


def article_lastmod(a: Article) -> dt.date | None:
    return a.updated or a.date


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def sitemap_xml(built: Sequence[_pages.Page], abs_url: AbsUrl) -> bytes:
    """Every indexable HTML page once, by its canonical URL; <lastmod> where the content has a date."""
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    newest = max((d for p in built if (d := _page_date(p)) is not None), default=None)
    seen: set[str] = set()
    for p in built:
        if not p.path.endswith(".html") or p.context.get("noindex"):
            continue
        loc = abs_url(page_url(p.path))
        if loc in seen:
            continue
        seen.add(loc)
        el = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(el, f"{{{SITEMAP_NS}}}loc").text = loc
        # the home page lists the articles, so it changes when the newest one does
        lastmod = _page_date(p) or (newest if p.path == "index.html" else None)
        if lastmod is not None:
            ET.SubElement(el, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()
    return _xml(root)


def _page_date(p: _pages.Page) -> dt.date | None:
    a = p.context.get("article")
    return article_lastmod(a) if isinstance(a, Article) else None


def robots_txt(abs_url: AbsUrl) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {abs_url('sitemap.xml')}\n".encode()


def _stamp(d: dt.date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def atom_feed(site: Site, rendered: _pages.RenderedContent, abs_url: AbsUrl) -> bytes:
    """An Atom feed of the dated articles, newest first (ties in reading order), with their full text."""
    cfg = site.content.config
    order = {a.slug: i for i, a in enumerate(site.articles)}
    dated = [a for a in site.articles if article_lastmod(a) is not None]
    dated.sort(key=lambda a: (-(article_lastmod(a) or EPOCH).toordinal(), order[a.slug]))
    ET.register_namespace("", ATOM_NS)
    A = f"{{{ATOM_NS}}}"
    feed = ET.Element(f"{A}feed", {f"{{{XML_NS}}}lang": cfg.language, f"{{{XML_NS}}}base": abs_url("")})
    ET.SubElement(feed, f"{A}title").text = cfg.title
    if cfg.description:
        ET.SubElement(feed, f"{A}subtitle").text = cfg.description
    ET.SubElement(feed, f"{A}id").text = abs_url("")
    ET.SubElement(feed, f"{A}link", {"rel": "alternate", "type": "text/html", "href": abs_url("")})
    ET.SubElement(feed, f"{A}link", {"rel": "self", "type": "application/atom+xml", "href": abs_url("feed.xml")})
    newest = max((article_lastmod(a) or EPOCH for a in dated), default=EPOCH)
    ET.SubElement(feed, f"{A}updated").text = _stamp(newest)
    author = ET.SubElement(feed, f"{A}author")
    ET.SubElement(author, f"{A}name").text = cfg.author or cfg.title
    for a in dated:
        entry = ET.SubElement(feed, f"{A}entry")
        ET.SubElement(entry, f"{A}title").text = a.title
        ET.SubElement(entry, f"{A}id").text = abs_url(a.url)
        ET.SubElement(entry, f"{A}link", {"rel": "alternate", "type": "text/html", "href": abs_url(a.url)})
        if a.date:
            ET.SubElement(entry, f"{A}published").text = _stamp(a.date)
        ET.SubElement(entry, f"{A}updated").text = _stamp(article_lastmod(a) or EPOCH)
        if a.description:
            ET.SubElement(entry, f"{A}summary").text = a.description
        body = rendered.articles.get(a.slug)
        if body is not None:
            ET.SubElement(entry, f"{A}content", {"type": "html"}).text = body.html
        for tag in a.tags:
            ET.SubElement(entry, f"{A}category", {"term": tag})
    return _xml(feed)


def search_terms(site: Site) -> list[dict[str, Any]]:
    """What the search page matches readings against before the full-text index answers."""
    return [{"name": t.name, "reading": t.reading, "aliases": list(t.aliases), "en": t.en, "url": t.url,
             "summary": t.summary} for t in site.terms]


def search_page(site: Site) -> _pages.Page:
    cfg = site.content.config
    terms = search_terms(site)
    # inside <script type="application/json">: '<' can never close the element
    terms_json = json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    terms_json = terms_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    crumbs = [("ホーム", ""), ("サイト内検索", "search/")]
    return _pages.Page("search/index.html", "search.html", {
        "site": cfg, "page_url": "search/", "title": "サイト内検索",
        "description": f"{cfg.title}の記事と用語集を検索します。",
        "noindex": True, "breadcrumbs": crumbs, "search_terms": terms_json,
        "term_count": len(terms), "article_count": len(site.articles),
        "search_bundles": search.bundle_dirs(len(site.articles), len(terms)),  # issue 12: index parts
    }, deps=(terms_json, len(site.articles)))
