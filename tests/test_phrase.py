"""Phrase breaks (phrase.py): <wbr> only at BudouX boundaries in short text, never anywhere it would change
what a page says — ruby, code, attributes, scripts, JSON-LD — and a second pass changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import budoux
import jinja2
import pytest
from conftest import NS, find_all, parse_html, run_cli, text_of, without_phrase_marks
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from backoffice_site.phrase import PhraseBreaker, PhraseFilter, insert_breaks

PARSER = budoux.load_default_japanese_parser()
TITLE = "バックオフィスとは？フロントオフィスとの違い"


@pytest.fixture(scope="module")
def breaks() -> PhraseBreaker:
    return PhraseBreaker()


unmarked = without_phrase_marks


def test_a_heading_breaks_exactly_between_budoux_phrases(breaks: PhraseBreaker) -> None:
    out = breaks(f"<h1>{TITLE}</h1>")
    assert out == "<h1>" + "<wbr>".join(PARSER.parse(TITLE)) + "</h1>"
    assert out.count("<wbr>") >= 2


def test_only_short_text_and_links_get_breaks(breaks: PhraseBreaker) -> None:
    page = (f"<nav><a href='/'>{TITLE}</a></nav><table><tr><th>{TITLE}</th><td>{TITLE}</td></tr></table>"
            f"<p>{TITLE}。<a href='/x'>{TITLE}</a>{TITLE}</p>")
    out = breaks(page)
    root = parse_html(out)
    for tag in ("a", "th", "td"):
        for el in find_all(root, tag):
            assert el.findall(f"{NS}wbr"), tag
    p = find_all(root, "p")[0]
    assert [c.tag for c in p] == [f"{NS}a"], "running text in a paragraph is left to the browser"
    assert unmarked(out) == page


def test_ruby_code_pre_script_style_head_and_attributes_are_untouched(breaks: PhraseBreaker) -> None:
    t = TITLE
    page = (f"<!DOCTYPE html><html><head><title>{t}</title>"
            f'<script type="application/ld+json">{{"headline": "{t}"}}</script>'
            f'<style>h1::after{{content:"{t}"}}</style>'
            f'</head><body><h2 title="{t}" data-search="{t}"><ruby>{t}<rp>（</rp><rt>ばっくおふぃす</rt><rp>）</rp>'
            f"</ruby></h2><h3><code>{t}</code></h3><pre><a href='/'>{t}</a></pre>"
            f"<h4><svg><text>{t}</text></svg></h4></body></html>")
    assert breaks(page) == page


def test_urls_english_and_numbers_are_never_split(breaks: PhraseBreaker) -> None:
    page = ("<h2>https://www.nenkin.go.jp/service/kounen/index.html を見る</h2>"
            "<h2>On the Job Training（OJT）とは</h2><h2>2026年10月1日から</h2>")
    out = breaks(page)
    for chunk in ("https://www.nenkin.go.jp/service/kounen/index.html", "On the Job Training", "OJT", "2026"):
        assert chunk in out


def test_a_phrase_may_run_across_inline_elements(breaks: PhraseBreaker) -> None:
    out = breaks("<h2><em>有給休暇</em>とは何ですか</h2>")
    assert unmarked(out) == "<h2><em>有給休暇</em>とは何ですか</h2>"
    assert "<wbr>" in out and "<em><wbr>" not in out


def test_character_references_are_kept_whole(breaks: PhraseBreaker) -> None:
    page = "<h2>社会保険&amp;労働保険の手続き&#x3001;雇用保険の届出</h2>"
    out = breaks(page)
    assert unmarked(out) == page
    assert "&amp;" in out and "&#x3001;" in out
    assert "&<wbr>" not in out and "&#<wbr>" not in out


def test_the_reading_of_ruby_does_not_shift_the_phrases_after_it(breaks: PhraseBreaker) -> None:
    base, tail = "年収の壁", "を超えたら何が変わるのか"
    out = breaks(f"<h2><ruby>{base}<rt>ねんしゅうのかべ</rt></ruby>{tail}</h2>")
    assert out.split("</ruby>")[0] == f"<h2><ruby>{base}<rt>ねんしゅうのかべ</rt>"
    # the phrases are those of the sentence as read, the reading left out
    cuts, pos = [], 0
    for chunk in PARSER.parse(base + tail)[:-1]:
        pos += len(chunk)
        cuts.append(pos - len(base))
    expected = "".join(("<wbr>" if i in cuts else "") + ch for i, ch in enumerate(tail))
    assert out.split("</ruby>")[1] == expected + "</h2>"


def test_a_short_phrase_with_punctuation_inside_is_kept_on_one_line(breaks: PhraseBreaker) -> None:
    out = breaks("<h1>在庫・受発注・出荷のしくみ</h1><h2>ITサポート（ヘルプデスク・情報システム）の仕事とは？</h2>")
    root = parse_html(out)
    kept = [text_of(s) for s in find_all(root, "span", "nobr")]
    assert kept == [p for p in PARSER.parse("在庫・受発注・出荷のしくみ") if "・" in p]
    assert "ヘルプデスク" not in "".join(kept), "a phrase too long for a phone's line is left to break"
    assert breaks(out) == out


def test_a_second_pass_changes_nothing(breaks: PhraseBreaker) -> None:
    page = f"<h1>{TITLE}</h1><nav><ol><li><a href='/'>ホーム</a></li><li>{TITLE}</li></ol></nav>"
    once = breaks(page)
    assert once != page
    assert breaks(once) == once


def test_the_memo_is_keyed_by_the_text(breaks: PhraseBreaker) -> None:
    memo: dict[str, list[str]] = {}
    pb = PhraseBreaker(memo)
    pb(f"<h1>{TITLE}</h1><h2>{TITLE}</h2>")
    assert len(memo) == 1 and next(iter(memo.values())) == PARSER.parse(TITLE)
    assert insert_breaks(f"<h1>{TITLE}</h1>", lambda text: [text]) == f"<h1>{TITLE}</h1>"


JA = st.sampled_from(["バックオフィス", "とは", "？", "フロント", "の", "違い", "社会保険", "に", "加入", "する",
                      " ", "&amp;", "&lt;", "OJT", "2026年", "、", "。", "\n"])
TAGS = st.sampled_from(["h1", "h2", "a", "p", "li", "td", "nav", "ruby", "rt", "code", "span", "em", "script"])


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 3 and draw(st.booleans()):
            tag = draw(TAGS)
            attr = draw(st.sampled_from(["", ' title="社会保険とは"', " data-x='バックオフィスの仕事'"]))
            parts.append(f"<{tag}{attr}>{draw(fragments(depth + 1))}</{tag}>")
        else:
            parts.append("".join(draw(st.lists(JA, max_size=6))))
    return "".join(parts)


# Markup the fast paths of a document scan must step over exactly as the tag-by-tag scan reads it.
ODD = st.sampled_from(["<wbr>", "<br>", "<a/>", '<a href="/x/"/>', "<!-- <a>リンク</a> -->", "<!x>", "<?x>", "< ",
                       "<3", "</ >", '<em title="<a>">', "<A HREF='/'>", "</A>", '<span class="nobr">', "</span>",
                       "<abbr>", "<blockquote>", "</p>", "<div>", "<strong>", "</strong>", "<a-b>", "<p/>", "</a>",
                       "<a>"])
# with text whose phrases hold a place to break (kept whole by <span class="nobr">, unless inside one already)
DOC_TEXT = st.sampled_from(["バックオフィス", "とは", "在庫・受発注の", "「年収の壁」", "社会保険", "に", " ", "&amp;",
                            "OJT", "、", "\n"])
DOC_TAGS = st.sampled_from(["p", "li", "a", "a", "h2", "td", "dd", "blockquote", "div", "strong", "code", "ruby",
                            "rt", "span", "dt", "em"])


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        choice = draw(st.integers(0, 3))
        if choice == 0 and depth < 4:
            tag = draw(DOC_TAGS)
            attr = draw(st.sampled_from(["", ' class="term" href="/glossary/x/"', ' class="nobr"', " title='a>b'"]))
            parts.append(f"<{tag}{attr}>{draw(documents(depth + 1))}</{tag}>")
        elif choice == 1:
            parts.append(draw(ODD))
        else:
            parts.append("".join(draw(st.lists(DOC_TEXT, max_size=6))))
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(documents())
@example("<p><a/>バックオフィスとは社会保険に加入する</a></p>")  # a self-closing <a/> opens no link
@example('<p><span class="nobr"><a href="/">在庫・受発注の</a></span></p>')  # no nobr inside a nobr
@example("<p><em><p></p><A HREF='/'></em>とはバックオフィス</p>")  # </em> closes the link opened inside it
@example('<li>在庫<em title="<a>">の</em><a class="term" href="/x/">バックオフィスとは</a>、社会保険</li>')
def test_the_document_scan_fast_paths_mark_exactly_as_the_tag_by_tag_scan(page: str) -> None:
    """Skipping body text and looking plain links up by their text (``fast``) changes no mark, even on odd
    markup: comments holding tags, self-closing links, quoted '>' and '<a>' in attributes, nobr spans."""
    pb = PhraseBreaker()
    assert insert_breaks(page, pb.segment, runs=pb.runs) == insert_breaks(page, pb.segment, fast=False)
    assert pb(page) == insert_breaks(page, pb.segment, fast=False), "and again, from the memo of runs"


def test_the_filter_escapes_then_marks_and_returns_markup(breaks: PhraseBreaker) -> None:
    phrase = PhraseFilter(breaks)
    text = f"<script>{TITLE}&"
    out = phrase(text)
    assert isinstance(out, Markup)
    assert unmarked(str(out)) == str(escape(text)), "only marks are added to the escaped text"
    assert "<script>" not in out and "&amp;" in out
    assert out.count("<wbr>") >= 2
    assert phrase(out) == out, "the filter's own output (Markup) passes through unchanged"


def test_the_filter_in_a_template_marks_what_the_template_prints(breaks: PhraseBreaker) -> None:
    env = jinja2.Environment(autoescape=True)
    env.filters["phrase"] = PhraseFilter(breaks)
    tpl = env.from_string('<h1 title="{{ t }}">{{ t | phrase }}</h1>'
                          '<a href="/">{% filter phrase %}<span>前の記事</span>{{ t }}{% endfilter %}</a>')
    t = TITLE + "<b>"
    h1, a = tpl.render(t=t).split("</h1>")
    assert h1 == f'<h1 title="{escape(t)}">' + breaks(f"<h1>{escape(t)}</h1>")[len("<h1>"):-len("</h1>")]
    assert h1.count("<wbr>") >= 2 and "<b>" not in h1, "escaped, marked, and the attribute left alone"
    assert a.startswith("<a href=\"/\"><span>前の<wbr>記事</span>") and "&lt;b&gt;" in a and "<b>" not in a


def test_the_filter_keeps_each_string_once(breaks: PhraseBreaker) -> None:
    phrase = PhraseFilter(breaks)
    first = phrase(TITLE)
    assert phrase(TITLE) is first
    assert phrase(Markup(escape(TITLE))) is first, "keyed by the HTML, so Markup and str of the same text share"
    assert len(phrase.memo) == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(JA, min_size=1, max_size=8).map("".join))
def test_the_filter_marks_text_as_the_page_pass_marks_a_heading(text: str) -> None:
    """A string printed through ``| phrase`` in an <h2> gets the marks the whole-page pass gave that <h2>."""
    pb = PhraseBreaker()
    text = text.replace("&amp;", "&").replace("&lt;", "<")  # a view hands over plain text; the filter escapes
    assert f"<h2>{PhraseFilter(pb)(text)}</h2>" == pb(f"<h2>{escape(text)}</h2>")


@settings(max_examples=200, deadline=None)
@given(fragments())
def test_only_wbr_is_ever_added_and_twice_is_once(page: str) -> None:
    pb = PhraseBreaker()
    once = pb(page)
    assert unmarked(once) == unmarked(page)
    assert pb(once) == once


def test_the_built_site_marks_headings_but_not_its_data(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = site()
    out = tmp_path / "out"
    r = run_cli("build", "--root", root, "--out", out, "--no-search")
    assert r.code == 0, r.err
    marked = 0
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        doc = parse_html(html)
        for h in find_all(doc, "h1") + find_all(doc, "h2"):
            marked += bool(h.findall(f".//{NS}wbr"))
        for script in find_all(doc, "script"):
            assert "wbr" not in (script.text or "")
            if script.get("type") == "application/ld+json":
                json.loads(script.text or "")
        for el in find_all(doc, "title") + find_all(doc, "ruby") + find_all(doc, "code"):
            assert not el.findall(f".//{NS}wbr")
        assert "<wbr" not in "".join(str(v) for el in doc.iter() for v in el.attrib.values())
        h1 = find_all(doc, "h1")
        if h1 and page.name == "index.html" and "articles" in page.parts:
            headline = next(json.loads(s.text or "") for s in find_all(doc, "script")
                            if s.get("type") == "application/ld+json")["headline"]
            assert headline == text_of(h1[0])
    assert marked > 0
    for name in ("glossary.json", "feed.xml", "sitemap.xml"):
        assert "wbr" not in (out / name).read_text(encoding="utf-8")


def test_markdown_is_marked_once_in_its_stage_and_data_files_keep_it_plain(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The Markdown stage marks a document's headings, cells and links (the page shows that HTML);
    glossary.json and the feed carry the same HTML without marks."""
    root = site(files={"content/articles/first.md": (
        "---\ntitle: 休暇の話\norder: 1\ndate: 2026-11-01\ndescription: 説明です。\n---\n\n"
        "## バックオフィスとは？フロントオフィスとの違い\n\n本文は社会保険の話です。\n\n"
        "| 項目 | 内容 |\n|---|---|\n| 社会保険の加入条件 | 週20時間以上 |\n")})
    out = tmp_path / "out"
    r = run_cli("build", "--root", root, "--out", out, "--no-search")
    assert r.code == 0, r.err
    doc = parse_html((out / "articles" / "first" / "index.html").read_text(encoding="utf-8"))
    prose = find_all(doc, "div", "prose")[0]
    h2 = prose.find(f".//{NS}h2")
    assert h2 is not None and len(h2.findall(f"{NS}wbr")) >= 2
    assert text_of(h2) == "バックオフィスとは？フロントオフィスとの違い"
    assert any(td.findall(f".//{NS}wbr") for td in prose.iter(f"{NS}td"))
    assert not any(p.findall(f"{NS}wbr") for p in prose.iter(f"{NS}p")), "running text is left to the browser"
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "フロントオフィスとの違い" in feed and "wbr" not in feed
