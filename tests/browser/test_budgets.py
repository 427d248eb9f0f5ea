"""Budgets on the built site (no browser needed): page weight, no external resources, image attributes."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import html5lib

BUDGET = 60_000  # bytes: an article's HTML + CSS + JS, uncompressed, without the search index
NS = "{http://www.w3.org/1999/xhtml}"


def _doc(p: Path) -> object:
    return html5lib.parse(p.read_text(encoding="utf-8"), namespaceHTMLElements=True)


def _local(site: Path, ref: str) -> Path:
    path = urlsplit(ref).path
    assert path.startswith("/"), ref
    return site / path.lstrip("/")


def _subresources(doc: object) -> list[str]:
    """URLs the browser fetches on its own while loading the page."""
    out = []
    for el in doc.iter():  # type: ignore[attr-defined]
        tag = el.tag.replace(NS, "")
        if tag == "link" and {"stylesheet", "icon", "preload", "modulepreload"} & set(el.get("rel", "").split()):
            out.append(el.get("href"))
        elif tag in ("script", "img", "iframe", "source", "video", "audio", "embed") and el.get("src"):
            out.append(el.get("src"))
    return out


def test_article_pages_stay_under_60_kb(built_site: Path) -> None:
    weights = {}
    for page in sorted((built_site / "articles").glob("*/index.html")):
        total = page.stat().st_size
        for ref in _subresources(_doc(page)):
            if ref.endswith((".css", ".js")) or ".css?" in ref or ".js?" in ref:
                total += _local(built_site, ref).stat().st_size
        weights[page.parent.name] = total
    assert weights
    print("article weights (HTML + CSS + JS):", max(weights.values()), "bytes at most")
    assert max(weights.values()) < BUDGET, weights


def test_no_page_loads_anything_from_another_host(built_site: Path) -> None:
    for page in built_site.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        for ref in _subresources(_doc(page)):
            assert not re.match(r"^(https?:)?//", ref), (page, ref)
            assert _local(built_site, ref).is_file(), (page, ref)
    css = "".join(p.read_text(encoding="utf-8") for p in (built_site / "css").glob("*.css"))
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@font-face" not in css, "system fonts only"


def test_every_image_has_alt_text_and_dimensions(built_site: Path) -> None:
    for page in built_site.rglob("*.html"):
        for img in _doc(page).iter(f"{NS}img"):  # type: ignore[attr-defined]
            assert img.get("alt") is not None, page
            assert img.get("width") and img.get("height"), page
