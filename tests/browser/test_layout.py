"""Phone widths never scroll sideways; screenshots of the main pages are kept as test artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browserkit import ARTICLE, html_pages

pytestmark = pytest.mark.browser

OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def test_no_page_scrolls_sideways_at_360px(new_page: Any, site_url: str, built_site: Path) -> None:
    page = new_page(width=360, height=740)
    wide = {}
    paths = html_pages(built_site)
    assert len(paths) > 100
    for path in paths:
        page.goto(site_url + path, wait_until="domcontentloaded")  # after the deferred script: CSS is in
        extra = page.evaluate(OVERFLOW)
        if extra > 0:
            wide[path] = extra
    assert not wide, f"pages wider than 360 px (by px): {wide}"


@pytest.mark.parametrize("path", ["", ARTICLE, "glossary/", "glossary/yukyu-kyuka/", "changes/", "search/?q=扶養",
                                  "404.html"])
def test_key_pages_fit_at_320px(new_page: Any, site_url: str, path: str) -> None:
    page = new_page(width=320, height=640)
    page.goto(site_url + path)
    assert page.evaluate(OVERFLOW) <= 0


def test_tables_scroll_in_their_own_box(new_page: Any, site_url: str) -> None:
    page = new_page(width=360, height=740)
    page.goto(site_url + ARTICLE)
    tables = page.locator(".prose table")
    assert tables.count() > 0
    for i in range(tables.count()):
        box = tables.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360


def test_measure_is_about_37_zenkaku_characters_on_desktop(new_page: Any, site_url: str) -> None:
    page = new_page(width=1280)
    page.goto(site_url + ARTICLE)
    per_line = page.evaluate("""() => {
        const p = document.querySelector('.prose > p');
        const s = getComputedStyle(p);
        const em = parseFloat(s.fontSize) + (parseFloat(s.letterSpacing) || 0);
        return p.clientWidth / em; }""")
    assert 34 <= per_line <= 41, per_line


@pytest.mark.parametrize("path,name", [("", "home"), (ARTICLE, "article"), ("glossary/", "glossary")])
@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots(new_page: Any, site_url: str, artifacts: Path, path: str, name: str, width: int) -> None:
    page = new_page(width=width, height=800 if width > 400 else 740)
    page.goto(site_url + path)
    shot = artifacts / f"{name}-{width}.png"
    page.screenshot(path=str(shot), full_page=name != "glossary")
    assert shot.stat().st_size > 1000
