"""A glossary large enough to be split into kana-row pages (issue 12): axe, the Nu checker, 360 px, and the
in-page filter on a row page, in real Chromium."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import run_axe

pytestmark = pytest.mark.browser

SPLIT_PAGES = ["glossary/", "glossary/row/a/", "glossary/row/ka/", "glossary/row/ka/2/",
               "glossary/group/big/", "glossary/group/big/row/sa/", "glossary/group/gyomu/", ""]


@pytest.fixture
def big_page(browser: Any, big_site_url: str) -> Iterator[Any]:
    """``big_page(width=…, color_scheme=…)``: a page of the big site; no request may leave its server."""
    contexts: list[Any] = []
    seen: list[str] = []

    def make(width: int = 1280, height: int = 800, **kw: Any) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP", **kw)
        ctx.on("request", lambda r: seen.append(r.url))
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    foreign = [u for u in seen if not u.startswith((big_site_url, "data:", "about:"))]
    assert not foreign, foreign[:10]


def test_the_split_pages_exist(big_site: Path) -> None:
    for path in SPLIT_PAGES:
        assert (big_site / path / "index.html").is_file(), path


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_on_split_glossary_pages(big_page: Any, big_site_url: str, axe_js: Path,
                                                         scheme: str) -> None:
    page = big_page(color_scheme=scheme)
    found = {}
    for path in SPLIT_PAGES:
        page.goto(big_site_url + path)
        found[path] = run_axe(page, axe_js)
    assert not any(found.values()), json.dumps(found, ensure_ascii=False, indent=1)


def test_split_glossary_pages_validate(big_site: Path, vnu: list[str]) -> None:
    p = subprocess.run([*vnu, "--skip-non-html", "--format", "json", str(big_site / "glossary" / "index.html"),
                        str(big_site / "glossary" / "row"), str(big_site / "glossary" / "group"),
                        str(big_site / "index.html")], capture_output=True, text=True, timeout=300)
    messages = json.loads(p.stderr or p.stdout or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '').split(str(big_site))[-1]}:{m.get('lastLine', '?')}: {m.get('message')}"
              for m in messages if m.get("type") in ("error", "non-document-error")]
    assert not errors, "\n".join(errors[:40])


def test_split_glossary_pages_fit_at_360px(big_page: Any, big_site_url: str) -> None:
    page = big_page(width=360, height=740)
    wide = {}
    for path in SPLIT_PAGES:
        page.goto(big_site_url + path)
        extra = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
        if extra > 0:
            wide[path] = extra
    assert not wide, wide


def test_filter_narrows_a_row_page_and_the_index_has_no_filter(big_page: Any, big_site_url: str) -> None:
    page = big_page()
    page.goto(big_site_url + "glossary/")
    assert page.locator("#glossary-filter-input").count() == 0  # nothing to filter on a short index
    page.locator(".row-index__list a").nth(1).click()
    page.wait_for_url("**/glossary/row/ka/")
    entries = page.locator("[data-term-entry]")
    total = entries.count()
    box = page.locator("#glossary-filter-input")
    box.wait_for()
    first = page.locator("[data-term-entry] h3 a").first.text_content().strip()
    box.fill(first.replace("（", " ").split()[0][:6])
    visible = page.locator("[data-term-entry]:not([hidden])")
    assert 0 < visible.count() < total
    assert "語が見つかりました" in page.locator("#glossary-filter-status").text_content()


def test_group_links_on_a_split_index_open_the_group_page(big_page: Any, big_site_url: str) -> None:
    page = big_page()
    page.goto(big_site_url + "glossary/")
    page.locator(".group-filter a[data-group='big']").click()
    page.wait_for_url("**/glossary/group/big/")
    assert page.locator(".row-index__list a").first.get_attribute("href") == "/glossary/group/big/row/a/"
