"""Helpers shared by the browser tests (a plain module: conftest.py holds only fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The pages the accessibility checks visit: (name, path under the site root)
KEY_PAGES = [
    ("home", ""),
    ("article", "articles/hataraku-rule/"),
    ("glossary", "glossary/"),
    ("term", "glossary/yukyu-kyuka/"),
    ("changes", "changes/"),
    ("search", "search/?q=有給"),
    ("404", "404.html"),
]
ARTICLE = "articles/hataraku-rule/"

# WCAG 2.0, 2.1 and 2.2, levels A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def run_axe(page: Any, axe_js: Path) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (the script is inlined: no network)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    result: list[dict[str, Any]] = page.evaluate(
        """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                  resultTypes: ['violations']}))
             .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' +
                                                                        n.failureSummary)}))""",
        AXE_TAGS)
    return result


def html_pages(site: Path) -> list[str]:
    """Every HTML page of the built site as a URL path ('' for the home page)."""
    out = []
    for p in sorted(site.rglob("*.html")):
        rel = p.relative_to(site).as_posix()
        if rel.startswith("pagefind/"):
            continue
        out.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return out


def visible_count(page: Any, selector: str) -> int:
    n: int = page.evaluate("s => [...document.querySelectorAll(s)].filter(e => e.offsetParent !== null).length",
                           selector)
    return n
