"""Property-based tests (hypothesis): parsers never raise, orders are total, slugs are always valid, linking
never changes text, and the dev server's path resolver never leaves the site.

Bounded for CI: the default profile ``ci`` runs a fixed, derandomized set of examples (the same every run,
under 10 s in all). ``BOS_FUZZ_PROFILE=thorough`` runs ten times as many random ones; a failure prints the
example and a ``@reproduce_failure`` blob.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import pytest
import yaml
from conftest import NS, parse_html
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backoffice_site import autolink, frontmatter, kana, load, yamlsrc
from backoffice_site.autolink import TermMatcher
from backoffice_site.diagnostics import Diagnostics, Loc
from backoffice_site.markdown_render import DocContext, MarkdownRenderer
from backoffice_site.model import Article, Content, Group, SiteConfig, Term
from backoffice_site.resolve import resolve
from backoffice_site.romaji import romanize

settings.register_profile("ci", max_examples=250, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("thorough", max_examples=1500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PROFILE = settings.get_profile(os.environ.get("BOS_FUZZ_PROFILE", "ci"))
F = TypeVar("F", bound=Callable[..., Any])


def fuzz(scale: float = 1.0) -> Callable[[F], F]:
    """The profile's settings, with ``scale`` times its number of examples (slow properties run fewer)."""
    return settings(PROFILE, max_examples=max(10, int(PROFILE.max_examples * scale)))


def assert_well_formed(diags: Diagnostics, path: str) -> None:
    for d in diags.items:
        text = d.format()
        assert len(text.splitlines()) == 1, text  # one diagnostic, one line
        assert d.loc.path == path and d.loc.line >= 1 and d.loc.col >= 1, text


# --- front matter and YAML ------------------------------------------------------------------------------

YAML_TOKENS = [
    "title", "description", "tags", "slug", "order", "date", "draft", "x", ":", ": ", " ", "  ", "\n", "\n  ",
    "\t", "- ", "-", "[", "]", "{", "}", ",", "'", '"', "\\", "&a ", "*a", "<<: *a", "!!python/object:os.system",
    "!!str ", "!tag ", "|", ">", "#", "---", "...", "%YAML 1.1", "?", "no", "on", "12:30", "2026-02-30",
    "2026-01-01", "1e3", "~", "null", "記事", "かな", "ﾊﾞｲﾄ", "\u200b", "\ufeff", "\x00", "\x07", "\ud7ff", "😀",
]
yamlish = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join)
front_matter_files = st.one_of(
    st.text(max_size=200),
    st.builds(lambda y, b: f"---\n{y}\n---\n{b}", yamlish, st.text(max_size=40)),
    st.builds(lambda y: f"---\n{y}", yamlish),
    st.builds(lambda y: f"---\ntitle: 記事\ndescription: 説明\n{y}\n---\n本文", yamlish),
)


@fuzz()
@given(yamlish)
def test_yaml_parse_never_raises_and_returns_a_value_or_a_diagnostic(text: str) -> None:
    diags = Diagnostics()
    node = yamlsrc.parse(text, "f.yaml", diags, line_offset=3)
    assert node is None or isinstance(node, yamlsrc.YScalar | yamlsrc.YSeq | yamlsrc.YMap)
    if node is None and not diags.errors:
        # only allowed when YAML itself sees no document: blank lines, comments, markers (libyaml also
        # skips any number of leading byte-order marks, the pure-Python loader only one)
        assert yaml.compose(text.lstrip("\ufeff"), Loader=yaml.SafeLoader) is None
    assert_well_formed(diags, "f.yaml")
    assert all(d.loc.line > 3 for d in diags.items), "line_offset ignored"


@fuzz()
@given(front_matter_files)
def test_front_matter_split_never_raises(text: str) -> None:
    diags = Diagnostics()
    parts = frontmatter.split(text, "a.md", diags)
    if parts is None:
        assert diags.errors
    else:
        assert parts.yaml_first_line == 2 and parts.body_first_line >= 3
        lines = text.split("\n")
        assert "\n".join(lines[parts.body_first_line - 1:]) == parts.body
    assert_well_formed(diags, "a.md")


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "content/articles").mkdir(parents=True)
        yield Path(d)


@fuzz()
@given(text=front_matter_files)
def test_loading_an_article_gives_an_article_or_an_error(scratch: Path, text: str) -> None:
    path = scratch / "content/articles/fuzz.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    diags = Diagnostics()
    article = load.load_article(path, scratch, diags)
    assert article is not None or diags.errors  # never dropped silently (an article may come with errors)
    if article is not None:
        assert article.title.strip() and load.SLUG_RE.match(article.slug)
    assert_well_formed(diags, "content/articles/fuzz.md")


GLOSSARY_TOKENS = [*YAML_TOKENS, "group: ", "terms:", "\n  - term: ", "\n    reading: ", "\n    definition: ",
                   "\n    aliases: ", "\n    see_also: ", "\n    slug: ", "\n    sources:\n      - url: ", "x-y",
                   "ゆうきゅう", "有給", "パート"]
glossary_files = st.one_of(
    st.lists(st.sampled_from(GLOSSARY_TOKENS), max_size=50).map("".join),
    st.builds(lambda y: f"group: 追加\nterms:\n  - term: 残業\n    reading: ざんぎょう\n    definition: d\n{y}",
              st.lists(st.sampled_from(GLOSSARY_TOKENS), max_size=30).map("".join)),
)


@fuzz()
@given(text=glossary_files)
def test_loading_a_glossary_file_gives_a_group_or_an_error(scratch: Path, text: str) -> None:
    path = scratch / "content/glossary/fuzz.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    diags = Diagnostics()
    group = load.load_group(path, scratch, diags)
    assert group is not None or diags.errors
    for t in group.terms if group else ():
        assert t.name and t.reading and len(t.name.splitlines()) == 1
    assert_well_formed(diags, "content/glossary/fuzz.yaml")


MD_TOKENS = ["*", "**", "_", "`", "```", "~~~", "[", "]", "(", ")", "<", ">", "&", "&#x61;", "#", "## ", "!", "|",
             "- ", "1. ", "\n", "\n\n", "    ", "\t", "{: ", "{#x}", "}", "[[", "]]", "|", "javascript:", "<script>",
             "</script>", "<a href=", "onclick=", '"', "'", ":", "[^1]", "[^1]: ", "!!! point ", "> ", "---", "\\",
             "有給休暇", "休暇", "パート", "アパート", "OJT", "ＯＪＴ", "x.md", "/glossary/", "https://example.org/",
             "<ruby>", "<rt>", "</ruby>", "<!--", "-->", "<div markdown=\"1\">", "</div>", "=", "本文", "。"]
SCRIPT_URL = re.compile(r"^[\x00-\x20]*(javascript|vbscript|data)[\t\r\n]*:", re.I)
markdown_bodies = st.lists(st.sampled_from(MD_TOKENS), max_size=60).map("".join)


@fuzz(0.7)
@given(markdown_bodies)
def test_any_markdown_renders_without_raising_and_without_script(body: str) -> None:
    renderer, _ = _renderer(["有給休暇", "休暇", "パート", "OJT"], body)
    out, diags = _render(renderer, body)
    assert_well_formed(diags, "content/articles/a.md")
    for el in parse_html(f"<body>{out}</body>").iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.replace(NS, "") not in ("script", "style", "iframe", "object", "embed"), out
        for attr, value in el.attrib.items():
            assert not attr.lower().startswith("on"), out
            assert attr not in ("href", "src") or not SCRIPT_URL.match(value), out


# one of each inline pattern alone in its text (the random bodies above rarely hold just one)
ONE_PATTERN_EACH = [
    "本文  \n本文", "本文`コード`", "本文\\*本文", "[本文](x.md)", "![画像](/a.png)", "[本文][r]\n\n[r]: /a",
    "[本文]\n\n[本文]: /a", "![画像][r]\n\n[r]: /a.png", "<https://example.org/>", "<a@example.org>",
    "本文<span>本文</span>", "本文&amp;本文", "*強調*", "_強調_", "**強調**", "本文 * 本文", "本文[^1]\n\n[^1]: 注",
    "[[有給休暇]]", "{: #x}", "本文&#x61;",
]


def _same_without_the_plain_text_shortcut(body: str) -> None:
    names = ["有給休暇", "休暇", "パート", "OJT"]
    fast, _ = _renderer(names, body)
    slow, _ = _renderer(names, body)
    slow.md.treeprocessors.deregister("bos_plain_text")
    ctxs = [DocContext("content/articles/a.md", body, 5, "articles/a/", "content/articles", Diagnostics())
            for _ in range(2)]
    a, b = fast.render(ctxs[0]), slow.render(ctxs[1])
    assert (a.html, a.toc, a.mentions, a.occurrences) == (b.html, b.toc, b.mentions, b.occurrences)
    assert [d.format() for d in ctxs[0].diags.items] == [d.format() for d in ctxs[1].diags.items]


@pytest.mark.parametrize("body", ONE_PATTERN_EACH)
def test_skipping_plain_text_changes_no_single_pattern(body: str) -> None:
    _same_without_the_plain_text_shortcut(body)


@fuzz(0.7)
@given(markdown_bodies)
def test_skipping_plain_text_changes_no_document(body: str) -> None:
    """``markdown_plain``: text holding nothing an inline pattern needs skips the inline patterns; every
    document must come out exactly as when each text goes through them."""
    _same_without_the_plain_text_shortcut(body)


def test_an_unknown_inline_pattern_turns_the_plain_text_shortcut_off() -> None:
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    renderer, _ = _renderer(["有給休暇"], "")
    body = "~~消す~~と有給休暇"
    assert "<del>" not in _render(renderer, body)[0]
    renderer.md.inlinePatterns.register(SimpleTagInlineProcessor(r"()~~(.+?)~~", "del"), "del", 65)
    out = _render(renderer, body)[0]
    assert "<del>消す</del>" in out and 'data-term="t0"' in out


# --- the gojūon sort key --------------------------------------------------------------------------------

HIRAGANA = "".join(chr(c) for c in range(kana.HIRAGANA_FIRST, kana.HIRAGANA_LAST + 1))
KATAKANA = "".join(chr(c) for c in range(kana.KATAKANA_FIRST, kana.KATAKANA_LAST + 1))
readings = st.text(alphabet=HIRAGANA + KATAKANA + "ー", max_size=10)
hira_readings = st.text(alphabet=HIRAGANA + "ー", max_size=10)
any_readings = st.one_of(readings, st.text(alphabet=HIRAGANA + "ーｱｶﾞﾊﾟｰ\u3099\u309aA1漢", max_size=8))
ROW_ORDER = {r: i for i, r in enumerate((*kana.ROWS, "その他"))}


@fuzz()
@given(any_readings, any_readings, any_readings)
def test_sort_key_is_a_total_order(a: str, b: str, c: str) -> None:
    ka, kb, kc = kana.sort_key(a), kana.sort_key(b), kana.sort_key(c)
    assert (ka < kb) + (ka == kb) + (ka > kb) == 1  # trichotomy
    if ka <= kb and kb <= ka:
        assert ka == kb  # antisymmetry
    if ka <= kb and kb <= kc:
        assert ka <= kc  # transitivity
    # consistent: equal keys only for the same reading, so sorting never depends on input order
    assert (ka == kb) == (unicodedata.normalize("NFKC", a) == unicodedata.normalize("NFKC", b))
    assert kana.sort_key(a) == ka  # deterministic


@fuzz()
@given(readings)
def test_sort_key_ignores_script_at_the_first_level(r: str) -> None:
    first = kana.sort_key(r)[0]
    assert kana.sort_key(kana.to_hiragana(r))[0] == first
    assert kana.sort_key(kana.to_katakana(r))[0] == first
    assert kana.row_of(kana.to_katakana(r)) == kana.row_of(r)


@fuzz()
@given(st.lists(readings.filter(bool), min_size=2, max_size=8))
def test_sorted_readings_fall_into_rows_in_gojuon_order(rs: list[str]) -> None:
    ordered = sorted(rs, key=kana.sort_key)
    rows = [ROW_ORDER[kana.row_of(r)] for r in ordered]
    assert rows == sorted(rows)
    assert sorted(reversed(rs), key=kana.sort_key) == ordered  # the order does not depend on input order


# --- slugs ----------------------------------------------------------------------------------------------

ROMAJI_RE = re.compile(r"^[a-z0-9-]*$")


@fuzz(2)
@given(st.one_of(st.text(max_size=30), readings))
def test_romanize_is_always_slug_text_and_deterministic(text: str) -> None:
    out = romanize(text)
    assert ROMAJI_RE.match(out), out
    assert not out.startswith("-") and not out.endswith("-") and "--" not in out
    assert romanize(text) == out
    slug = load.default_slug(text)
    assert load.SLUG_RE.match(slug), slug


@fuzz()
@given(hira_readings)
def test_romanize_does_not_depend_on_the_script(r: str) -> None:
    assert romanize(kana.to_katakana(r)) == romanize(r)


# --- auto-linking through the Markdown pipeline ----------------------------------------------------------

NAME_CHARS = "有給休暇人事総務部省パートアイOJTab0"
TEXT_CHARS = NAME_CHARS + "のはをでです、。ーアパナ ＯＪＴﾊﾟｰﾄ　"
names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=5)
term_sets = st.lists(names, min_size=1, max_size=6,
                     unique_by=lambda n: unicodedata.normalize("NFKC", n))
texts = st.text(alphabet=TEXT_CHARS, min_size=1, max_size=60).map(str.strip).filter(bool)
CFG = SiteConfig("t", "", "/", "ja", "", (), Loc("content/site.yaml"))


def _renderer(term_names: list[str], body: str) -> tuple[MarkdownRenderer, Any]:
    terms = tuple(
        Term(name=n, reading="あ", slug=f"t{i}", group="g", definition="定義", en="", aliases=(), summary="",
             see_also=(), sources=(), review_by=None, not_in=(), no_autolink=False,
             loc=Loc("content/glossary/g.yaml", 3, 5), definition_line=5)
        for i, n in enumerate(term_names))
    art = Article("content/articles/a.md", "a", "A", "d", 1, dt.date(2026, 1, 1), None, (), False, True, body, 5,
                  Loc("content/articles/a.md"))
    diags = Diagnostics()
    site = resolve(Content(CFG, (art,), (Group("g", "G", "", "content/glossary/g.yaml", terms, Loc("x")),)), diags)
    assert not diags.errors
    return MarkdownRenderer(site), site


def _render(renderer: MarkdownRenderer, body: str) -> tuple[str, Diagnostics]:
    diags = Diagnostics()
    ctx = DocContext("content/articles/a.md", body, 5, "articles/a/", "content/articles", diags)
    return renderer.render(ctx).html, diags


def _parse(fragment: str) -> ET.Element:
    return ET.fromstring(f"<div>{fragment}</div>")  # strict: raises on anything not well-formed


def _check_links(root: ET.Element, term_names: list[str]) -> None:
    normalized = {unicodedata.normalize("NFKC", n) for n in term_names}
    for a in root.iter("a"):
        assert not list(a.iter("a"))[1:], "nested link"
        assert a.get("class") == "term" and a.get("href", "").startswith("/glossary/t")
        assert unicodedata.normalize("NFKC", "".join(a.itertext())).strip() in normalized


@fuzz(0.7)
@given(term_sets, texts)
def test_autolink_never_changes_text_and_is_idempotent(term_names: list[str], text: str) -> None:
    renderer, _ = _renderer(term_names, text)
    out, diags = _render(renderer, text)
    assert not diags.items, [d.format() for d in diags.items]
    root = _parse(out)
    assert "".join(root.itertext()).strip() == text
    _check_links(root, term_names)
    slugs = [a.get("data-term") for a in root.iter("a")]
    assert len(slugs) == len(set(slugs)), "a term linked twice"
    again, _ = _render(renderer, "".join(root.itertext()).strip())
    assert again == out  # idempotent (and the reused Markdown instance carries no state over)
    fresh, _ = _renderer(term_names, text)
    assert _render(fresh, text)[0] == out


@fuzz(0.5)
@given(term_sets, st.lists(st.tuples(texts, st.integers(min_value=0, max_value=5)), min_size=1, max_size=4))
def test_forced_links_keep_the_text_and_never_nest(term_names: list[str], parts: list[tuple[str, int]]) -> None:
    body = "".join(f"{t}[[{term_names[i % len(term_names)]}]]" for t, i in parts)
    expected = "".join(f"{t}{term_names[i % len(term_names)]}" for t, i in parts)
    renderer, _ = _renderer(term_names, body)
    out, diags = _render(renderer, body)
    assert not diags.errors, [d.format() for d in diags.items]
    root = _parse(out)
    assert "".join(root.itertext()).strip() == expected.strip()
    _check_links(root, term_names)


@fuzz()
@given(term_sets, texts)
def test_matches_are_ordered_disjoint_and_name_the_term(term_names: list[str], text: str) -> None:
    matcher = TermMatcher([(n, str(i)) for i, n in enumerate(term_names)])
    last = 0
    for m in matcher.finditer(text):
        assert last <= m.start < m.end <= len(text)
        assert unicodedata.normalize("NFKC", text[m.start:m.end]) == m.name
        assert m.name == unicodedata.normalize("NFKC", term_names[int(m.key)]).strip() or m.name in {
            unicodedata.normalize("NFKC", n) for n in term_names}
        last = m.end


@fuzz()
@given(term_sets, st.lists(texts, min_size=1, max_size=4))
def test_narrowed_patterns_match_what_the_whole_pattern_matches(term_names: list[str], texts_: list[str]) -> None:
    """The matcher searches a text with only the names it contains until enough text has gone by, then with
    every name: the two must find the very same matches (autolink.TermMatcher._pattern)."""
    names = [(n, str(i)) for i, n in enumerate(term_names)]
    narrow, whole = TermMatcher(names), TermMatcher(names)
    assert list(whole.finditer("。" * autolink._NARROW_CHARS)) == []  # past the budget: the whole pattern
    for text in texts_:
        assert list(narrow.finditer(text)) == list(whole.finditer(text))
    assert narrow._regex is None and whole._regex is not None  # each took the path it was meant to


# --- the dev server's URL path resolver -----------------------------------------------------------------

def _resolver() -> Callable[..., str | None]:
    try:
        from backoffice_site import devserver
    except Exception as exc:  # the dev server is being written in parallel
        pytest.skip(f"backoffice_site.devserver does not import yet: {exc}")
    fn = getattr(devserver, "resolve_request_path", None)
    if fn is None:
        pytest.skip("backoffice_site.devserver.resolve_request_path does not exist yet")
    return fn  # type: ignore[no-any-return]


SEGMENTS = ["", ".", "..", "...", "%2e", "%2E%2e", ".%2e", "%2f", "%2F", "%5c", "\\", "%00", "\x00", "%", "%zz",
            "%25", "%252e%252e", "a", "b.css", "index.html", "articles", "glossary", "用語", "%e7%94%a8",
            "%c0%ae", "%ff", "?q=1", "#frag", "~", ";x", "..;", " ", "\t", "%20", "project", "C:", "//"]
raw_paths = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(SEGMENTS), max_size=8).map(lambda s: "/" + "/".join(s)),
    st.lists(st.sampled_from(SEGMENTS), max_size=8).map("/".join),
)


def _assert_safe(result: str | None) -> None:
    if result is None:
        return
    assert isinstance(result, str)
    assert not result.startswith("/") and "\\" not in result and "\x00" not in result, result
    parts = result.rstrip("/").split("/") if result else []
    assert not any(p in ("", ".", "..") for p in parts), result
    if result:
        assert posixpath.normpath(result) == result.rstrip("/"), result
        root = Path("/srv/site")
        assert (root / result).resolve().is_relative_to(root), result


@fuzz(3)
@given(raw_paths, st.sampled_from(["/", "/project/", "/a/b/"]))
def test_request_paths_never_resolve_outside_the_site(raw: str, base: str) -> None:
    resolve_request_path = _resolver()
    result = resolve_request_path(raw, base)
    _assert_safe(result)
    if result is not None:  # only what lies under the base path, once decoded
        assert unquote(raw.split("#")[0].split("?")[0]).startswith(base), (raw, base, result)


@fuzz()
@given(st.lists(st.text(alphabet="abcxyz019-_用語ガ", min_size=1, max_size=8).filter(lambda s: s not in (".", "..")),
                min_size=1, max_size=5), st.booleans())
def test_ordinary_paths_resolve_to_themselves(segments: list[str], folder: bool) -> None:
    resolve_request_path = _resolver()
    path = "/".join(segments) + ("/" if folder else "")
    assume(unicodedata.is_normalized("NFC", path))
    assert resolve_request_path("/" + quote(path)) == path
    assert resolve_request_path("/" + quote(path) + "?v=1#top") == path
