"""Phrase breaks in a browser without ``word-break: auto-phrase`` (Safari, Firefox): the build's <wbr> and
``keep-all`` alone must keep every heading whole between BudouX phrases, and add no character anywhere."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import budoux
import html5lib
import pytest

from backoffice_site import search

from .browserkit import KEY_PAGES, html_pages

pytestmark = pytest.mark.browser

PARSER = budoux.load_default_japanese_parser()

# Chromium is the only browser with auto-phrase; turning it into keep-all wherever it applies leaves exactly
# what other browsers do with site.css.
WITHOUT_AUTO_PHRASE = """() => {
    for (const el of document.querySelectorAll('*'))
        if (getComputedStyle(el).wordBreak === 'auto-phrase')
            el.style.setProperty('word-break', 'keep-all', 'important');
}"""

# For every visible heading: its text as read (ruby readings left out) and the code-point offsets at which
# a new line box starts, from the boxes of the characters themselves.
LINE_STARTS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .filter(h => h.getClientRects().length)
    .map(h => {
        const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT, {acceptNode: n =>
            n.parentElement.closest('rt, rp') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
        let text = '', starts = [], widths = [], prev = null, node;
        while ((node = walker.nextNode())) {
            let unit = 0;
            for (const ch of node.data) {
                const at = [...text].length;
                text += ch;
                widths.push(0);
                if (/\\s/.test(ch)) { unit += ch.length; continue; }
                const r = document.createRange();
                r.setStart(node, unit);
                r.setEnd(node, unit + ch.length);
                unit += ch.length;
                const box = r.getClientRects()[0];
                if (!box || !box.height) continue;
                widths[at] = box.width;
                if (prev && box.top >= prev.top + prev.height / 2) starts.push(at);
                prev = box;
            }
        }
        const cs = getComputedStyle(h);
        const line = h.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        return {text, starts, widths, line};
    })"""


def _inside_phrase(h: dict[str, Any]) -> list[int]:
    """The line starts that are neither a BudouX boundary nor after a space — except in a phrase wider than
    the heading's line, which has to break somewhere."""
    text, widths = h["text"], h["widths"]
    bad, pos = [], 0
    for chunk in PARSER.parse(text):
        end = pos + len(chunk)
        inside = [i for i in h["starts"] if pos < i < end and not text[i - 1].isspace()]
        if inside and sum(widths[pos:end]) <= h["line"]:
            bad += inside
        pos = end
    return bad


def test_no_heading_breaks_inside_a_phrase_at_360px(new_page: Any, site_url: str, built_site: Path,
                                                     artifacts: Path) -> None:
    page = new_page(width=360, height=740)
    bad: list[str] = []
    bad_without_wbr = 0
    headings = wrapped = 0
    for path in html_pages(built_site):
        page.goto(site_url + path, wait_until="load")
        page.evaluate(WITHOUT_AUTO_PHRASE)
        for h in page.evaluate(LINE_STARTS):
            headings += 1
            wrapped += bool(h["starts"])
            inside = _inside_phrase(h)
            if inside:
                t = h["text"].strip()
                bad.append(f"/{path}: " + " / ".join(t[a:b] for a, b in zip([0, *inside], [*inside, len(t)],
                                                                             strict=True)))
        # The same page without the marks: the check must be able to see what they prevent.
        page.evaluate("() => document.querySelectorAll('wbr').forEach(w => w.remove())")
        page.evaluate("() => document.querySelectorAll('.nobr').forEach(s => s.classList.remove('nobr'))")
        bad_without_wbr += sum(bool(_inside_phrase(h)) for h in page.evaluate(LINE_STARTS))
    report = {"headings": headings, "wrapped": wrapped, "broken_inside_a_phrase": bad,
              "broken_inside_a_phrase_without_wbr": bad_without_wbr}
    (artifacts / "phrase-breaks-360.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
    print(f"headings: {headings}, wrapped at 360 px: {wrapped}, broken inside a phrase: {len(bad)} "
          f"(without the <wbr>: {bad_without_wbr})")
    assert wrapped >= 10, "too few headings wrap at 360 px for this check to mean anything"
    assert bad_without_wbr > 0, "without the <wbr> no heading broke inside a phrase: the check sees nothing"
    assert not bad, bad


TEXTS = """() => {
    const sel = getSelection();
    sel.selectAllChildren(document.body);
    const copied = sel.toString();
    sel.removeAllRanges();
    return {inner: document.body.innerText, content: document.body.textContent, copied,
            names: [...document.querySelectorAll('a, h1, h2, h3, button')].map(e => e.textContent)};
}"""


@pytest.mark.parametrize("name,path", KEY_PAGES)
def test_copied_text_is_the_same_with_and_without_the_marks(new_page: Any, site_url: str, name: str,
                                                            path: str) -> None:
    page = new_page(width=360, height=740)
    page.goto(site_url + path, wait_until="load")
    page.evaluate(WITHOUT_AUTO_PHRASE)
    marked = page.evaluate(TEXTS)
    count = page.evaluate("() => { const w = document.querySelectorAll('wbr'); w.forEach(e => e.remove()); "
                          "return w.length; }")
    assert count > 0 or name == "404", "the page has no phrase marks at all"
    assert page.evaluate(TEXTS) == marked
    assert "\u200b" not in marked["inner"]


def _index(pages: dict[str, bytes]) -> dict[str, bytes]:
    """The search index parts of ``pages``, made the way the build makes them (search.Indexer)."""
    kinds = [(p, "article.html" if p.startswith("articles/") else "term.html") for p in sorted(pages)]
    indexer = search.start(kinds, None)
    assert indexer is not None
    try:
        for path, data in pages.items():
            indexer.add(path, data)
        problems: list[Any] = []
        bundle = indexer.finish(problems)
        assert not problems, problems
    finally:
        indexer.close()
    return bundle


def _fragments(bundle: dict[str, bytes]) -> dict[str, Any]:
    out = {}
    for name, data in bundle.items():
        if name.endswith(".pf_fragment"):
            raw = gzip.decompress(data)
            assert raw.startswith(b"pagefind_dcd")
            doc = json.loads(raw[len(b"pagefind_dcd"):])
            out[doc["url"]] = doc
    return out


def test_the_search_index_reads_the_same_text_as_without_the_marks(built_site: Path) -> None:
    """Pagefind reads the HTML: its record of every page (content, title, word count, filters) must be what
    it makes from the same pages with every <wbr> taken out."""
    binary, _ = search.find_binary()
    assert binary is not None
    pages = {p.relative_to(built_site).as_posix(): p.read_bytes() for p in built_site.rglob("*.html")
             if "pagefind" not in p.parts}
    pages = {k: v for k, v in pages.items() if search.MARK in v}
    assert sum(v.count(b"<wbr>") for v in pages.values()) > 100
    a = _fragments(_index(pages))
    b = _fragments(_index({k: v.replace(b"<wbr>", b"") for k, v in pages.items()}))
    assert len(a) == len(pages)
    assert a == b


def test_json_ld_and_data_files_carry_no_marks(built_site: Path) -> None:
    for p in built_site.rglob("*.html"):
        if "pagefind" in p.parts:
            continue
        doc = html5lib.parse(p.read_text(encoding="utf-8"), namespaceHTMLElements=False)
        h1 = doc.find(".//h1")
        for s in doc.iter("script"):
            if s.get("type") == "application/ld+json":
                assert not re.search(r"wbr|\\u003cwbr|\u200b", s.text or ""), p
                data = json.loads(s.text or "")
                if isinstance(data, dict) and "headline" in data and h1 is not None:
                    assert data["headline"] == "".join(h1.itertext()), p
    for name in ("glossary.json", "feed.xml", "sitemap.xml"):
        assert "wbr" not in (built_site / name).read_text(encoding="utf-8")
