"""axe-core (WCAG 2.2 A/AA rules) finds nothing on the key pages, in light and in dark mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browserkit import ARTICLE, KEY_PAGES, run_axe

pytestmark = pytest.mark.browser


def _report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
            lines.extend(f"    {n}" for n in v["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(new_page: Any, site_url: str, axe_js: Path, scheme: str) -> None:
    page = new_page(color_scheme=scheme)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, path in KEY_PAGES:
        page.goto(site_url + path)
        if name == "search":  # audit the page with its results shown
            page.locator(".search-result a").first.wait_for()
        found[f"{name} ({scheme})"] = run_axe(page, axe_js)
    # the article again, with a term card open
    page.goto(site_url + ARTICLE)
    page.locator(".prose a.term[data-term]").first.hover()
    page.locator(".term-card").wait_for()
    found[f"article with a term card ({scheme})"] = run_axe(page, axe_js)
    assert not any(found.values()), "\n" + _report(found)
