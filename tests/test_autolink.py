"""Japanese-aware term linking: the matcher on strings, then the Markdown pipeline on documents."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from conftest import NS, find_all, parse_html, text_of

from backoffice_site.autolink import TermMatcher
from backoffice_site.diagnostics import Diagnostics, Loc
from backoffice_site.markdown_render import DocContext, MarkdownRenderer
from backoffice_site.model import Article, Content, Group, SiteConfig, Term
from backoffice_site.resolve import resolve


def spans(m: TermMatcher, text: str) -> list[str]:
    return [text[x.start:x.end] for x in m.finditer(text)]


def test_longest_match_wins() -> None:
    m = TermMatcher([("有給休暇", "a"), ("休暇", "b"), ("有給", "c")])
    assert [x.key for x in m.finditer("有給休暇を取る")] == ["a"]
    assert [x.key for x in m.finditer("有給で休む")] == ["c"]


def test_katakana_terms_need_katakana_boundaries() -> None:
    m = TermMatcher([("パート", "part")])
    assert spans(m, "アパートに住む") == []
    assert spans(m, "パートナーと") == []
    assert spans(m, "パートタイマーです") == []
    assert spans(m, "パートで働く") == ["パート"]
    assert spans(m, "（パート）") == ["パート"]
    # a longer katakana word that is itself a term still matches
    m2 = TermMatcher([("パート", "part"), ("パートタイマー", "pt")])
    assert [x.key for x in m2.finditer("パートタイマーです")] == ["pt"]


def test_latin_terms_need_non_alphanumeric_neighbours_after_nfkc() -> None:
    m = TermMatcher([("OJT", "ojt"), ("IT", "it")])
    assert spans(m, "ＯＪＴで学ぶ") == ["ＯＪＴ"]
    assert spans(m, "OJTs") == [] and spans(m, "xOJT") == []
    assert spans(m, "ITの仕事、WITH、IT化") == ["IT", "IT"]
    assert spans(m, "SUIT") == []


def test_trie_and_flat_patterns_find_the_same_words() -> None:
    # Each branch begins with its first character and checks the one before it afterwards (so the regex engine
    # can skip positions no name starts at); the flat fallback, for names nested too deeply for a trie, does
    # the same. Both must keep the boundaries: katakana and Latin names whole, at the text's start too.
    import re

    from backoffice_site import autolink

    names = ["パート", "パートタイマー", "アパート", "OJT", "IT", "人事", "人事部", "ア", "x"]
    texts = ["パートで", "アパートに", "ナパート", "パートタイマーです", "OJTとXOJT", "ITとIT化とSUIT", "人事部の人事",
             "ア", "アア", "xyz x", "（パート）", "ーパート"]
    trie = re.compile(autolink._trie_pattern(names))
    flat = re.compile(autolink._flat_pattern(names))
    for text in texts:
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)], text
    assert [m.group() for m in trie.finditer("アパートでパート。OJTとXOJT、ナア、ア")] == \
        ["アパート", "パート", "OJT", "ア"]
    assert not any(branch.startswith("(?<") for branch in trie.pattern.split("|"))  # (the old order failed here)


def test_kanji_terms_match_inside_words_except_not_in() -> None:
    m = TermMatcher([("人事", "jinji"), ("総務", "somu")], {"somu": ("総務省",)})
    assert spans(m, "人事部で") == ["人事"]
    assert spans(m, "総務省と総務部") == ["総務"]
    assert [x.start for x in m.finditer("総務省と総務部")] == [4]


def test_scales_with_text_not_terms() -> None:
    names = [(f"語{i:05d}", str(i)) for i in range(10_000)]
    m = TermMatcher(names)
    text = "本文" * 1000 + "語01234" + "本文" * 1000
    assert [x.key for x in m.finditer(text)] == ["1234"]


# --- through Markdown -----------------------------------------------------------------------------------

def _term(name: str, reading: str, slug: str, **kw: object) -> Term:
    base: dict[str, object] = dict(name=name, reading=reading, slug=slug, group="g", definition="定義です。",
                                   en="", aliases=(), summary="要約", see_also=(), sources=(), review_by=None,
                                   not_in=(), no_autolink=False, loc=Loc("content/glossary/g.yaml", 3, 5),
                                   definition_line=5)
    base.update(kw)
    return Term(**base)  # type: ignore[arg-type]


TERMS = (
    _term("有給休暇", "ゆうきゅうきゅうか", "yukyu", aliases=("有休",)),
    _term("休暇", "きゅうか", "kyuka"),
    _term("パート", "ぱーと", "part"),
    _term("総務", "そうむ", "somu", not_in=("総務省",)),
    _term("秘密", "ひみつ", "himitsu", no_autolink=True),
    _term("OJT", "おーじぇーてぃー", "ojt"),
)


def render(body: str, autolink: bool = True, self_slug: str | None = None) -> tuple[ET.Element, DocContext]:
    cfg = SiteConfig("t", "", "/", "ja", "", (), Loc("content/site.yaml"))
    art = Article("content/articles/a.md", "a", "A", "d", 1, dt.date(2026, 1, 1), None, (), False, autolink,
                  body, 5, Loc("content/articles/a.md"))
    diags = Diagnostics()
    site = resolve(Content(cfg, (art,), (Group("g", "G", "", "content/glossary/g.yaml", TERMS, Loc("x")),)), diags)
    ctx = DocContext("content/articles/a.md", body, 5, "articles/a/", "content/articles", diags,
                     autolink=autolink, self_slug=self_slug)
    out = MarkdownRenderer(site).render(ctx)
    return parse_html(f"<body>{out.html}</body>"), ctx


def links(root: ET.Element) -> list[tuple[str, str]]:
    return [(a.get("data-term") or "", text_of(a)) for a in find_all(root, "a", "term")]


def test_first_occurrence_only_and_aliases_count_as_the_term() -> None:
    root, ctx = render("有休を使います。有給休暇は権利です。有給休暇をもう一度。")
    assert links(root) == [("yukyu", "有休")]
    assert ctx.occurrences["yukyu"]["repeat"] == 2


def test_excluded_contexts() -> None:
    body = (
        "## 有給休暇の見出し\n\n"
        "[有給休暇のリンク](https://example.org/) と `有給休暇` と ![有給休暇の画像](/x.png)\n\n"
        "```\n有給休暇\n```\n\n"
        '<span title="有給休暇">属性</span>\n\n'
        "本文の有給休暇。"
    )
    root, ctx = render(body)
    assert links(root) == [("yukyu", "有給休暇")]
    anchor = find_all(root, "a", "term")[0]
    paragraphs = find_all(root, "p")
    assert anchor in list(paragraphs[-1])  # the link is the one in the last paragraph
    assert not any(find_all(h, "a") for h in find_all(root, "h2"))
    assert ctx.occurrences["yukyu"]["excluded"] >= 3
    assert not ctx.diags.errors


def test_links_never_nest() -> None:
    root, _ = render("[有給休暇と休暇](https://example.org/)の話。[[休暇]]と休暇。")
    for a in root.iter(NS + "a"):
        assert not list(a.iter(NS + "a"))[1:], "nested link"


def test_explicit_links_by_term_alias_and_slug() -> None:
    root, ctx = render("[[有休]]、[[part|パートさん]]、[[休暇]]。")
    assert links(root) == [("yukyu", "有休"), ("part", "パートさん"), ("kyuka", "休暇")]
    assert not ctx.diags.errors


def test_unknown_explicit_link_is_an_error_at_its_position() -> None:
    _, ctx = render("一行目\n\n二行目の[[なにか]]です。")
    assert [d.format() for d in ctx.diags.errors] == [
        "content/articles/a.md:7:5: error: unknown glossary term 'なにか' in [[...]]"]


def test_opt_outs() -> None:
    root, ctx = render("秘密と有給休暇。", autolink=True)
    assert links(root) == [("yukyu", "有給休暇")]
    assert ctx.occurrences["himitsu"]["opted_out"] == 1
    root, ctx = render("秘密と有給休暇。", autolink=False)
    assert links(root) == []
    root, _ = render("有給休暇と休暇。", self_slug="yukyu")
    assert links(root) == [("kyuka", "休暇")]


def test_japanese_line_breaks_are_joined() -> None:
    root, _ = render("一行目の文です。\n二行目の文です。\nEnglish line\nnext")
    p = find_all(root, "p")[0]
    assert text_of(p) == "一行目の文です。二行目の文です。\nEnglish line\nnext"


def test_headings_get_readable_japanese_anchors() -> None:
    root, _ = render("## 一日の流れ\n\n## Excel と Word\n\n## 一日の流れ\n\n## 独自 {#custom}\n\n## ！？\n")
    ids = [h.get("id") for h in find_all(root, "h2")]
    assert ids[0] == "一日の流れ" and ids[1] == "excel-と-word" and ids[3] == "custom"
    assert ids[2] not in (ids[0], "") and ids[4] and all(ids)
