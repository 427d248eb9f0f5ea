"""Web conventions through the real CLI: sitemap.xml, robots.txt, the Atom feed, meta tags and JSON-LD,
sub-path URLs, the search page and the Pagefind index (parsed, never compared as whole files)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import NS, find_all, make_site, parse_html, run_cli, snapshot, text_of

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/"
SUB = "https://example.org/project/"

EXTRA = {
    # a long article: h2 sections with h3 inside (the table of contents nests them)
    "content/articles/third.md": """---
title: 三番目の記事
description: 目次のある記事です。
order: 3
date: 2026-10-15
---

最初の段落です。

## 休暇の話

休暇の話です。

### 休暇の種類

種類の話です。

### 休暇の取り方

取り方の話です。

## 人事の話

人事の話です。
""",
    # no date: in the sitemap without <lastmod>, left out of the feed
    "content/articles/fourth.md": """---
title: 四番目の記事
description: 日付のない記事です。
order: 4
---

日付のない記事です。
""",
}


def _build(dest: Path, *args: str, env: dict[str, str] | None = None) -> Path:
    root = make_site(dest / "site", files=EXTRA)
    out = dest / "out"
    r = run_cli("build", "--root", root, "--out", out, *args, env=env)
    assert r.code == 0, r.err
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("webmeta"))


@pytest.fixture(scope="module")
def subpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("subpath"), "--base-url", SUB, env={"BACKOFFICE_SITE_SEARCH": "0"})


def _html_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "pagefind" not in p.relative_to(out).parts)


def _meta(doc: ET.Element) -> dict[str, str]:
    out = {}
    for m in doc.iter(f"{NS}meta"):
        key = m.get("property") or m.get("name")
        if key:
            out[key] = m.get("content", "")
    return out


def _canonical(doc: ET.Element) -> str | None:
    for link in doc.iter(f"{NS}link"):
        if link.get("rel") == "canonical":
            return link.get("href")
    return None


def _jsonld(doc: ET.Element) -> list[dict[str, object]]:
    return [json.loads(s.text or "") for s in doc.iter(f"{NS}script") if s.get("type") == "application/ld+json"]


# --- sitemap.xml and robots.txt ---------------------------------------------------------------------------

def test_sitemap_lists_every_indexable_page_by_its_canonical_url(built: Path) -> None:
    root = ET.parse(built / "sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    locs = [u.findtext(f"{SM}loc") for u in root.findall(f"{SM}url")]
    assert len(locs) == len(set(locs))
    canonicals = set()
    for page in _html_pages(built):
        doc = parse_html(page)
        if _meta(doc).get("robots") == "noindex":
            assert _canonical(doc) is None
            continue
        canonicals.add(_canonical(doc))
    assert set(locs) == canonicals
    assert all(loc and loc.startswith(BASE) for loc in locs)
    for must in ("", "articles/first/", "articles/third/", "glossary/", "glossary/yukyu-kyuka/",
                 "glossary/group/roudou/"):
        assert BASE + must in locs
    assert BASE + "404.html" not in locs and BASE + "search/" not in locs


def test_sitemap_lastmod_comes_from_article_dates(built: Path) -> None:
    root = ET.parse(built / "sitemap.xml").getroot()
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.findall(f"{SM}url")}
    assert lastmod[BASE + "articles/first/"] == "2026-11-01"
    assert lastmod[BASE + "articles/second/"] == "2026-11-10"  # updated wins over date
    assert lastmod[BASE + "articles/fourth/"] is None
    assert lastmod[BASE] == "2026-11-10"  # the home page changes with the newest article
    assert lastmod[BASE + "glossary/yukyu-kyuka/"] is None


def test_robots_txt_points_to_the_sitemap(built: Path) -> None:
    lines = (built / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {BASE}sitemap.xml" in lines


# --- Atom feed --------------------------------------------------------------------------------------------

def test_atom_feed_lists_dated_articles_newest_first(built: Path) -> None:
    feed = ET.parse(built / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "テストサイト"
    assert feed.findtext(f"{ATOM}id") == BASE
    assert feed.findtext(f"{ATOM}updated") == "2026-11-10T00:00:00Z"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "テスト編集部"
    self_link = [ln.get("href") for ln in feed.findall(f"{ATOM}link") if ln.get("rel") == "self"]
    assert self_link == [BASE + "feed.xml"]
    entries = feed.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert links == [BASE + "articles/second/", BASE + "articles/first/", BASE + "articles/third/"]
    second = entries[0]
    assert second.findtext(f"{ATOM}title") == "二番目の記事"
    assert second.findtext(f"{ATOM}published") == "2026-11-02T00:00:00Z"
    assert second.findtext(f"{ATOM}updated") == "2026-11-10T00:00:00Z"
    assert second.findtext(f"{ATOM}summary") == "二つ目の記事です。"
    content = second.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html" and "有休" in (content.text or "")


def test_feed_does_not_depend_on_the_build_time(built: Path, tmp_path: Path) -> None:
    other = _build(tmp_path, env={"SOURCE_DATE_EPOCH": "2000000000", "BACKOFFICE_SITE_SEARCH": "0"})
    for name in ("feed.xml", "sitemap.xml", "robots.txt"):
        assert (other / name).read_bytes() == (built / name).read_bytes(), name


# --- head meta and JSON-LD ----------------------------------------------------------------------------

def test_article_has_open_graph_twitter_and_article_json_ld(built: Path) -> None:
    doc = parse_html(built / "articles/second/index.html")
    meta = _meta(doc)
    assert _canonical(doc) == BASE + "articles/second/"
    assert meta["og:type"] == "article"
    assert meta["og:url"] == BASE + "articles/second/"
    assert meta["og:title"] == "二番目の記事"
    assert meta["og:description"] == meta["description"] == "二つ目の記事です。"
    assert meta["og:site_name"] == "テストサイト"
    assert meta["twitter:card"] == "summary"
    assert meta["article:published_time"] == "2026-11-02"
    assert meta["article:modified_time"] == "2026-11-10"
    ld = {d["@type"]: d for d in _jsonld(doc)}
    assert ld["Article"]["datePublished"] == "2026-11-02" and ld["Article"]["dateModified"] == "2026-11-10"
    assert ld["BreadcrumbList"]["itemListElement"][-1]["item"] == BASE + "articles/second/"  # type: ignore[index]
    hrefs = {link.get("rel"): link.get("href") for link in doc.iter(f"{NS}link")}
    assert hrefs["alternate"] == "/feed.xml"
    assert hrefs["icon"].startswith("/favicon.svg")


def test_glossary_and_term_pages_have_defined_term_json_ld(built: Path) -> None:
    glossary = {d["@type"]: d for d in _jsonld(parse_html(built / "glossary/index.html"))}
    assert glossary["DefinedTermSet"]["url"] == BASE + "glossary/"
    term = {d["@type"]: d for d in _jsonld(parse_html(built / "glossary/yukyu-kyuka/index.html"))}
    assert term["DefinedTerm"]["name"] == "有給休暇"
    assert term["DefinedTerm"]["inDefinedTermSet"] == BASE + "glossary/"
    assert "BreadcrumbList" in term


def test_404_and_favicon_exist(built: Path) -> None:
    doc = parse_html(built / "404.html")
    assert _meta(doc).get("robots") == "noindex"
    assert (built / "favicon.svg").is_file()


# --- sub-path sites ---------------------------------------------------------------------------------------

def test_every_url_starts_with_the_base_path_under_a_sub_path(subpath: Path) -> None:
    checked = 0
    for page in _html_pages(subpath):
        doc = parse_html(page)
        for el in doc.iter():
            for attr in ("href", "src", "action", "data-base", "data-bundle", "data-glossary"):
                value = el.get(attr)
                if value is None or value.startswith(("#", "mailto:")):
                    continue
                if re.match(r"^[a-z]+://", value):
                    if value.startswith("https://example.org"):
                        assert value.startswith(SUB), (page, value)
                    continue
                assert value.startswith("/project/"), (page, attr, value)
                checked += 1
        for key, value in _meta(doc).items():
            if key == "og:url":
                assert value.startswith(SUB), (page, value)
    assert checked > 100
    root = ET.parse(subpath / "sitemap.xml").getroot()
    assert all((u.findtext(f"{SM}loc") or "").startswith(SUB) for u in root.findall(f"{SM}url"))
    feed = ET.parse(subpath / "feed.xml").getroot()
    assert all((ln.get("href") or "").startswith(SUB) for ln in feed.iter(f"{ATOM}link"))
    assert f"Sitemap: {SUB}sitemap.xml" in (subpath / "robots.txt").read_text(encoding="utf-8")
    app = next(el for el in parse_html(subpath / "search/index.html").iter() if el.get("id") == "search-app")
    assert app.get("data-bundles") == "/project/pagefind/"  # a small site: one part (search.TOGETHER)
    assert app.get("data-base") == "/project/"


# --- article page structure -------------------------------------------------------------------------------

def test_toc_nests_h3_under_their_h2(built: Path) -> None:
    doc = parse_html(built / "articles/third/index.html")
    toc = find_all(doc, "nav", "toc")[0]
    top = toc.find(f"{NS}ol")
    assert top is not None
    items = top.findall(f"{NS}li")
    assert [text_of(li.find(f"{NS}a")) for li in items] == ["休暇の話", "人事の話"]  # type: ignore[arg-type]
    nested = items[0].find(f"{NS}ol")
    assert nested is not None
    assert [text_of(a) for a in nested.iter(f"{NS}a")] == ["休暇の種類", "休暇の取り方"]
    assert items[1].find(f"{NS}ol") is None


# --- search -------------------------------------------------------------------------------------------------

def test_search_page_works_without_javascript_only_as_a_pointer_to_the_glossary(built: Path) -> None:
    doc = parse_html(built / "search/index.html")
    assert _meta(doc).get("robots") == "noindex"
    forms = list(doc.iter(f"{NS}form"))
    assert [(f.get("action"), f.get("method")) for f in forms] == [("/search/", "get")]
    assert [i.get("name") for i in forms[0].iter(f"{NS}input")] == ["q"]
    nojs = next(el for el in doc.iter() if el.get("id") == "search-nojs")
    assert "JavaScript" in text_of(nojs)
    assert [a.get("href") for a in nojs.iter(f"{NS}a")] == ["/glossary/"]
    scripts = [s.get("src") or "" for s in doc.iter(f"{NS}script")]
    assert any(s.startswith("/js/search.js") for s in scripts)
    terms = next(s for s in doc.iter(f"{NS}script") if s.get("id") == "search-terms")
    data = json.loads(terms.text or "")
    assert {"name": "有給休暇", "reading": "ゆうきゅうきゅうか"}.items() <= next(
        t for t in data if t["name"] == "有給休暇").items()


def test_the_header_box_submits_to_the_search_page_and_only_that_page_loads_search(built: Path) -> None:
    doc = parse_html(built / "articles/first/index.html")
    form = next(iter(doc.iter(f"{NS}form")))
    assert form.get("action") == "/search/" and form.get("method") == "get"
    assert [i.get("name") for i in form.iter(f"{NS}input")] == ["q"]
    html = (built / "articles/first/index.html").read_text(encoding="utf-8")
    assert "pagefind" not in html.replace("data-pagefind", "") and "search.js" not in html


def test_only_main_content_is_marked_for_the_index(built: Path) -> None:
    for rel, marked in (("articles/first/index.html", True), ("glossary/yukyu-kyuka/index.html", True),
                        ("glossary/index.html", False), ("index.html", False), ("404.html", False),
                        ("search/index.html", False), ("glossary/group/roudou/index.html", False)):
        doc = parse_html(built / rel)
        bodies = [el for el in doc.iter() if el.get("data-pagefind-body") is not None]
        assert len(bodies) == (1 if marked else 0), rel
        main = next(doc.iter(f"{NS}main"))
        for body in bodies:
            assert body in list(main.iter()), rel
            assert not [el for el in body.iter() if el.tag in (f"{NS}header", f"{NS}footer")
                        and el.get("class") in ("site-header", "site-footer")]


def test_term_pages_index_reading_katakana_aliases_and_english(built: Path) -> None:
    doc = parse_html(built / "glossary/yukyu-kyuka/index.html")
    keyed = [el for el in doc.iter() if el.get("data-pagefind-index-attrs") == "data-search"]
    assert len(keyed) == 1
    keys = (keyed[0].get("data-search") or "").split()
    for want in ("有給休暇", "ゆうきゅうきゅうか", "ユウキュウキュウカ", "年次有給休暇", "有休", "paid"):
        assert want in keys, want


def test_build_writes_a_pagefind_index(built: Path) -> None:
    bundle = built / "pagefind"
    assert (bundle / "pagefind.js").is_file()
    assert (bundle / "pagefind-entry.json").is_file()
    # a small site is one part (search.TOGETHER; tests/test_search_parts.py covers the parts of larger ones)
    app = next(el for el in parse_html(built / "search/index.html").iter() if el.get("id") == "search-app")
    assert app.get("data-bundles") == "/pagefind/"
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["ja"]["page_count"] == 10  # 6 term pages and 4 articles, each text once
    assert not (bundle / "articles").exists()
    assert not list(bundle.rglob("pagefind-ui.js"))  # Pagefind's UI, which the site never loads, is left out


def test_same_input_gives_the_same_index_and_pages(built: Path, tmp_path: Path) -> None:
    again = _build(tmp_path)
    assert snapshot(again) == snapshot(built)


def test_missing_pagefind_warns_and_the_pages_stay_the_same(built: Path, tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", files=EXTRA)
    r = run_cli("build", "--root", root, "--out", tmp_path / "out", env={"PAGEFIND_BINARY_PATH": "/nonexistent"})
    assert r.code == 0, r.err
    warned = [ln for ln in r.err.splitlines() if ": warning: the Pagefind binary" in ln and "no search index" in ln]
    assert warned, r.err
    assert not (tmp_path / "out" / "pagefind").exists()
    without = {k: v for k, v in snapshot(tmp_path / "out").items() if not k.startswith("pagefind/")}
    with_index = {k: v for k, v in snapshot(built).items() if not k.startswith("pagefind/")}
    assert without == with_index
