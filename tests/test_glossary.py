"""The glossary as readers and tools see it: pages, order, rows, term pages, backlinks, JSON-LD, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bigglossary import big_glossary
from conftest import NS, find_all, make_site, parse_html, run_cli, text_of

from backoffice_site.kana import sort_key


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_site(tmp_path_factory.mktemp("g") / "site")
    r = run_cli("build", "--root", root)
    assert r.code == 0, r.err
    return root / "public"


def jsonld(page: Path) -> list[dict]:  # type: ignore[type-arg]
    root = parse_html(page)
    return [json.loads(text_of(s)) for s in root.iter(NS + "script") if s.get("type") == "application/ld+json"]


def test_glossary_page_lists_terms_in_gojuon_order_under_row_headings(built: Path) -> None:
    root = parse_html(built / "glossary/index.html")
    entries = [e.get("id") for e in find_all(root, "article", "term-entry")]
    data = json.loads((built / "glossary.json").read_text(encoding="utf-8"))
    readings = {t["slug"]: t["reading"] for t in data["terms"]}
    assert entries == sorted(entries, key=lambda s: sort_key(readings[s]))
    assert entries == ["ojt", "kyuka", "jinji", "somu", "part", "yukyu-kyuka"]
    rows = [h.get("id") for h in find_all(root, "section", "kana-row")]
    assert rows == ["row-あ", "row-か", "row-さ", "row-は", "row-や"]
    bar = [a.get("href") for nav in find_all(root, "ul", "kana-bar") for a in nav.iter(NS + "a")]
    assert bar == ["#row-あ", "#row-か", "#row-さ", "#row-は", "#row-や"]


def test_glossary_entry_is_compact_and_links_to_the_full_term_page(built: Path) -> None:
    """A listing shows name, reading and summary; the definition, sources and backlinks live on the term page."""
    root = parse_html(built / "glossary/index.html")
    entry = next(e for e in find_all(root, "article", "term-entry") if e.get("id") == "yukyu-kyuka")
    text = text_of(entry)
    assert "ゆうきゅうきゅうか" in text and "給料が出る休みです。" in text
    assert "6か月働くともらえる休みです" not in text and "2025年4月1日時点" not in text
    assert "この用語が出てくる記事" not in text
    assert [a.get("href") for a in entry.iter(NS + "a")] == ["/glossary/yukyu-kyuka/"]
    rt = [text_of(r) for r in entry.iter(NS + "rt")]
    assert rt == ["ゆうきゅうきゅうか"]
    # what the in-page filter matches: aliases and the English gloss stay in the entry's search key
    keys = entry.get("data-search", "")
    assert all(k in keys for k in ("年次有給休暇", "有休", "ユウキュウキュウカ", "paid annual leave"))
    term = text_of(next(iter(find_all(parse_html(built / "glossary/yukyu-kyuka/index.html"), "main"))))
    assert "6か月働くともらえる休みです" in term and "2025年4月1日時点" in term and "この用語が出てくる記事" in term


def test_group_filter_pages_work_without_javascript(built: Path) -> None:
    root = parse_html(built / "glossary/group/gyomu/index.html")
    ids = [e.get("id") for e in find_all(root, "article", "term-entry")]
    assert ids == ["ojt", "jinji", "somu"]
    current = [a for a in root.iter(NS + "a") if a.get("aria-current") == "page" and a.get("href")
               == "/glossary/group/gyomu/"]
    assert current


def test_term_page_has_ruby_see_also_backlinks_and_gojuon_neighbours(built: Path) -> None:
    root = parse_html(built / "glossary/somu/index.html")
    h1 = find_all(root, "h1")[0]
    ruby = list(h1.iter(NS + "ruby"))
    assert ruby and text_of(next(iter(ruby[0].iter(NS + "rt")))) == "そうむ"
    see = [a.get("href") for p in find_all(root, "p", "term-entry__see") for a in p.iter(NS + "a")]
    assert see == ["/glossary/jinji/"]
    prev_ = find_all(root, "a", "pager__prev")[0]
    next_ = find_all(root, "a", "pager__next")[0]
    assert prev_.get("href") == "/glossary/jinji/" and next_.get("href") == "/glossary/part/"
    back = [a.get("href") for d in find_all(root, "div", "term-entry__used") for a in d.iter(NS + "a")]
    assert back == ["/articles/first/", "/articles/second/"]


def test_json_ld_types(built: Path) -> None:
    glossary = jsonld(built / "glossary/index.html")
    term_set = next(d for d in glossary if d["@type"] == "DefinedTermSet")
    assert len(term_set["hasDefinedTerm"]) == 6
    term = next(d for d in jsonld(built / "glossary/yukyu-kyuka/index.html") if d["@type"] == "DefinedTerm")
    assert term["name"] == "有給休暇"
    assert term["inDefinedTermSet"] == "https://example.org/glossary/"
    assert term["url"] == "https://example.org/glossary/yukyu-kyuka/"
    assert term["alternateName"] == ["年次有給休暇", "有休"]
    assert term["description"] == "給料が出る休みです。"
    article = jsonld(built / "articles/second/index.html")
    a = next(d for d in article if d["@type"] == "Article")
    assert (a["datePublished"], a["dateModified"]) == ("2026-11-02", "2026-11-10")
    crumbs = next(d for d in article if d["@type"] == "BreadcrumbList")
    assert [i["position"] for i in crumbs["itemListElement"]] == [1, 2]


def test_glossary_json_for_other_tools(built: Path) -> None:
    data = json.loads((built / "glossary.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["facts_checked"] == "2026-02"
    assert {g["slug"] for g in data["groups"]} == {"gyomu", "roudou"}
    t = next(t for t in data["terms"] if t["slug"] == "yukyu-kyuka")
    assert t["sources"] == [{"title": "厚生労働省「年次有給休暇」", "url": "https://www.mhlw.go.jp/",
                             "as_of": "2025-04-01", "checked": "2026-02"}]
    assert t["used_in"] == ["https://example.org/articles/first/", "https://example.org/articles/second/"]
    assert t["see_also"] == ["kyuka"]


def test_article_ends_with_the_terms_it_uses(built: Path) -> None:
    root = parse_html(built / "articles/first/index.html")
    section = find_all(root, "section", "used-terms")[0]
    names = [a.get("data-term-card") for a in section.iter(NS + "a")]
    assert names == ["yukyu-kyuka", "part", "kyuka", "jinji", "somu", "ojt"]
    prose = find_all(root, "div", "prose")[0]
    linked = [a.get("data-term") for a in prose.iter(NS + "a") if a.get("data-term")]
    assert linked == names  # each linked once, in order of first mention


def test_terms_report(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    r = run_cli("check", "--root", root, "--terms")
    assert r.code == 0, r.err
    rows = {line.split("\t")[0]: line.split("\t") for line in r.out.splitlines() if "\t" in line}
    assert rows["有給休暇"][2:5] == ["2", "2", "1"]  # 2 articles, 2 links, 1 repeat
    assert int(rows["有給休暇"][5]) >= 1  # the `code` mention, excluded
    assert "term(s) used by no article" in r.out


def test_unused_term_and_past_review_date_are_warnings(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", files={"content/glossary/zz.yaml": (
        "group: その他\nterms:\n  - term: 孤立語\n    reading: こりつご\n    definition: だれも使いません。\n"
        "  - term: 古い話\n    reading: ふるいはなし\n    definition: 定義です。\n    review_by: 2020-01-01\n"
        "    see_also: [孤立語]\n")})
    r = run_cli("check", "--root", root)
    assert r.code == 0
    assert "content/glossary/zz.yaml:6:5: warning: term '古い話' is used by no article" in r.err
    assert "content/glossary/zz.yaml:9:5: warning: review_by 2020-01-01 of '古い話' has passed" in r.err
    assert "孤立語' is used by no article" not in r.err  # 古い話 refers to it
    assert run_cli("check", "--root", root, "--strict").code == 1


# --- a large glossary: one page per kana row, linked from a short index --------------------------------

@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from backoffice_site.glossary_index import SPLIT_ABOVE
    root = make_site(tmp_path_factory.mktemp("big") / "site",
                     files={"content/glossary/big.yaml": big_glossary(SPLIT_ABOVE + 400)})
    r = run_cli("build", "--root", root, env={"BACKOFFICE_SITE_SEARCH": "0"})
    assert r.code == 0, r.err
    return root / "public"


def _links(page: Path, cls: str) -> list[str]:
    return [a.get("href", "") for ul in find_all(parse_html(page), "ul", cls) for a in ul.iter(NS + "a")]


def test_large_glossary_index_links_every_row_page_and_every_term_is_two_clicks_away(big: Path) -> None:
    from backoffice_site.glossary_index import PAGE_CAP
    index = parse_html(big / "glossary/index.html")
    assert not find_all(index, "article", "term-entry")  # a short index: no terms on it
    rows = _links(big / "glossary/index.html", "row-index__list")
    assert rows[0] == "/glossary/row/a/" and all(h.startswith("/glossary/row/") for h in rows)
    counts = [text_of(s) for s in find_all(index, "span", "row-index__count")]
    data = json.loads((big / "glossary.json").read_text(encoding="utf-8"))
    assert sum(int(c.rstrip("語")) for c in counts) == len(data["terms"])
    reached: list[str] = []
    for href in rows:  # one click to the row page, a second to the term
        page = parse_html(big / href.strip("/") / "index.html")
        entries = find_all(page, "article", "term-entry")
        assert 0 < len(entries) <= PAGE_CAP
        reached += [next(e.iter(NS + "a")).get("href", "") for e in entries]
    # every term once, in the glossary's gojūon order
    assert reached == [f"/glossary/{t['slug']}/" for t in sorted(data["terms"], key=lambda t: sort_key(t["reading"]))]


def test_large_glossary_row_pages_have_neighbours_a_current_link_and_their_terms_in_json_ld(big: Path) -> None:
    page = big / "glossary/row/ka/index.html"
    root = parse_html(page)
    current = [a for ul in find_all(root, "ul", "kana-bar") for a in ul.iter(NS + "a")
               if a.get("aria-current") == "page"]
    assert [a.get("href") for a in current] == ["/glossary/row/ka/"]
    assert find_all(root, "a", "pager__prev")[0].get("href", "").startswith("/glossary/row/a/")
    term_set = next(d for d in jsonld(page) if d["@type"] == "DefinedTermSet")
    assert term_set["@id"] == "https://example.org/glossary/"
    shown = [next(e.iter(NS + "a")).get("href") for e in find_all(root, "article", "term-entry")]
    assert [d["url"] for d in term_set["hasDefinedTerm"]] == ["https://example.org" + h for h in shown]
    index_set = next(d for d in jsonld(big / "glossary/index.html") if d["@type"] == "DefinedTermSet")
    assert "hasDefinedTerm" not in index_set  # the terms are listed by the row pages


def test_term_page_links_back_to_its_entry_in_the_listing(built: Path, big: Path) -> None:
    back = find_all(parse_html(built / "glossary/somu/index.html"), "p", "back-to-glossary")[0]
    assert next(back.iter(NS + "a")).get("href") == "/glossary/#somu"
    row = parse_html(big / "glossary/row/ka/index.html")
    slug = find_all(row, "article", "term-entry")[0].get("id")
    back = find_all(parse_html(big / f"glossary/{slug}/index.html"), "p", "back-to-glossary")[0]
    assert next(back.iter(NS + "a")).get("href") == f"/glossary/row/ka/#{slug}"


def test_large_group_page_splits_too_and_small_groups_stay_single(big: Path) -> None:
    assert _links(big / "glossary/group/big/index.html", "row-index__list")[0] == "/glossary/group/big/row/a/"
    small = parse_html(big / "glossary/group/gyomu/index.html")
    assert [e.get("id") for e in find_all(small, "article", "term-entry")] == ["ojt", "jinji", "somu"]
