"""The search page stays put while results arrive: cumulative layout shift < 0.1 (issue 12), and the glossary
while its filter box appears (none at all, issue 16); measured in
Chromium with a PerformanceObserver for 'layout-shift' entries, on a phone and on a desktop screen."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.browser

# Installed before any page script runs: sums every layout shift not caused by input (as CLS does; the page
# is short, so one session window holds them all and the sum is an upper bound of CLS).
OBSERVE_SHIFTS = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) window.__shifts.push({value: e.value, time: e.startTime,
      sources: (e.sources || []).map(s => s.node ? (s.node.id || s.node.className || s.node.nodeName) : '?')});
  }
}).observe({type: 'layout-shift', buffered: true});
"""


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 800)])
def test_search_results_arrive_without_layout_shift(new_page: Any, site_url: str, width: int, height: int) -> None:
    page = new_page(width=width, height=height)
    page.add_init_script(OBSERVE_SHIFTS)
    page.goto(f"{site_url}search/?q={quote('有給')}")
    page.locator("#search-status").filter(has_text="件").wait_for()
    page.locator(".search-result").first.wait_for()
    page.wait_for_timeout(500)  # anything late (fonts, the last results) shifts within this
    shifts = page.evaluate("() => window.__shifts")
    total = sum(s["value"] for s in shifts)
    assert page.locator(".search-result").count() >= 2
    assert total < 0.1, shifts


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 800)])
def test_glossary_filter_appears_without_moving_the_list(new_page: Any, site_url: str, width: int,
                                                         height: int) -> None:
    """The filter box (JS only) is shown before the list is painted, not by site.js after the parse, which
    pushed the whole list down (CLS 0.045 in Lighthouse, issue 16)."""
    page = new_page(width=width, height=height)
    page.add_init_script(OBSERVE_SHIFTS)
    page.goto(f"{site_url}glossary/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert page.locator(".glossary-filter").is_visible()
    assert page.evaluate("() => window.__shifts") == []


def test_glossary_filter_is_hidden_without_javascript(new_page: Any, site_url: str) -> None:
    page = new_page(width=360, height=740, java_script_enabled=False)
    page.goto(f"{site_url}glossary/")
    assert page.locator("[data-term-entry]").first.is_visible()
    assert not page.locator(".glossary-filter").is_visible()
