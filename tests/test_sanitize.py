"""Raw HTML and injection: rendered Markdown goes through the nh3 allowlist, YAML values are always escaped.

Content is written by trusted editors, but the published site must never carry script by accident: every
construct the sanitizer drops is a warning at its ``file:line``, and a value from YAML (term, alias, summary,
title) shows up as text in every page, in JSON-LD (escaped for the ``<script>`` context) and in glossary.json.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import NS, make_site, parse_html, run_cli, snapshot, text_of

from backoffice_site import yamlsrc
from backoffice_site.diagnostics import Diagnostics, Loc, Severity
from backoffice_site.markdown_render import DocContext, MarkdownRenderer
from backoffice_site.model import Article, Content, Group, SiteConfig, Term
from backoffice_site.resolve import resolve

FIRST_LINE = 7  # where the body starts in the (imaginary) source file
_SCRIPTY = re.compile(r"^[\x00-\x20]*(javascript|vbscript|data)[\t\r\n]*:", re.I)


def _term(name: str, reading: str, slug: str) -> Term:
    return Term(name=name, reading=reading, slug=slug, group="g", definition="定義です。", en="", aliases=(),
                summary="要約", see_also=(), sources=(), review_by=None, not_in=(), no_autolink=False,
                loc=Loc("content/glossary/g.yaml", 3, 5), definition_line=5)


def render(body: str, source: str = "content/articles/a.md", first_line: int = FIRST_LINE) -> tuple[str, Diagnostics]:
    cfg = SiteConfig("t", "", "/", "ja", "", (), Loc("content/site.yaml"))
    art = Article(source, "a", "A", "d", 1, dt.date(2026, 1, 1), None, (), False, True, body, first_line,
                  Loc(source))
    diags = Diagnostics()
    terms = (_term("有給休暇", "ゆうきゅうきゅうか", "yukyu"),)
    site = resolve(Content(cfg, (art,), (Group("g", "G", "", "content/glossary/g.yaml", terms, Loc("x")),)), diags)
    ctx = DocContext(source, body, first_line, "articles/a/", "content/articles", diags)
    return MarkdownRenderer(site).render(ctx).html, diags


def assert_inert(fragment: str) -> None:
    """Nothing in ``fragment`` can run: no script/style/iframe…, no on* attribute, no script-capable URL."""
    root = parse_html(f"<body>{fragment}</body>")
    for el in root.iter():
        tag = el.tag.replace(NS, "") if isinstance(el.tag, str) else ""
        assert tag not in {"script", "style", "iframe", "object", "embed", "form", "svg", "math", "base", "meta",
                           "link", "frame", "applet"}, fragment
        for attr, value in el.attrib.items():
            assert not attr.lower().startswith("on"), (attr, fragment)
            if attr in ("href", "src", "action", "formaction", "srcset", "poster"):
                assert not _SCRIPTY.match(value), (attr, value, fragment)


# (id, Markdown body, 0-based line of the construct, warning fragment)
DROPPED: list[tuple[str, str, int, str]] = [
    ("script", "<script>alert(1)</script>", 0, "raw <script> removed"),
    ("script-upper-src", "段落です。\n\n<SCRIPT SRC=//evil.example/x.js></SCRIPT>", 2, "raw <script> removed"),
    ("script-inline", "文の途中に<script>alert(1)</script>があります。", 0, "raw <script> removed"),
    ("iframe", "<iframe src=\"https://evil.example/\"></iframe>", 0, "raw <iframe> removed"),
    ("object", "<object data=\"x.swf\"></object>", 0, "raw <object> removed"),
    ("embed", "<embed src=\"x.swf\">", 0, "raw <embed> removed"),
    ("style", "<style>body { display: none }</style>", 0, "raw <style> removed"),
    ("form", "<form action=\"https://evil.example/\"><input name=q></form>", 0, "raw <form> removed"),
    ("svg-onload", "<svg onload=alert(1)></svg>", 0, "raw <svg> removed"),
    ("math", "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", 0, "raw <math> removed"),
    ("base", "<base href=\"https://evil.example/\">", 0, "raw <base> removed"),
    ("meta-refresh", "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">", 0,
     "raw <meta> removed"),
    ("img-onerror", "<img src=\"x.png\" onerror=\"alert(1)\">", 0, "event handler attribute 'onerror' removed"),
    ("img-onerror-unquoted", "<img src=x onerror=alert(1)//>", 0, "event handler attribute 'onerror' removed"),
    ("p-onclick", "<p onclick=\"alert(1)\">押す</p>", 0, "event handler attribute 'onclick' removed"),
    ("a-onmouseover-upper", "<a href=\"/\" ONMOUSEOVER=alert(1)>リンク</a>", 0,
     "event handler attribute 'onmouseover' removed"),
    ("onclick-on-next-line", "<div\n  onclick=\"alert(1)\">x</div>", 1, "event handler attribute 'onclick' removed"),
    ("attr-list-paragraph", "段落です。\n{: onclick=\"alert(1)\" }", 1, "event handler attribute 'onclick' removed"),
    ("attr-list-heading", "## 見出し {: onmouseover=\"alert(1)\" }", 0,
     "event handler attribute 'onmouseover' removed"),
    ("attr-list-link", "[リンク](https://example.org/){: onclick=\"alert(1)\" }", 0,
     "event handler attribute 'onclick' removed"),
    ("attr-list-href", "[リンク](https://example.org/){: href=\"javascript:alert(1)\" }", 0,
     "'javascript:' URL removed"),
    ("md-link-javascript", "[リンク](javascript:alert(1))", 0, "'javascript:' URL removed"),
    ("md-link-mixed-case", "[リンク](JaVaScRiPt:alert(1))", 0, "'javascript:' URL removed"),
    ("md-link-leading-space", "[リンク]( javascript:alert(1))", 0, "'javascript:' URL removed"),
    ("md-link-angle", "[リンク](<javascript:alert(1)>)", 0, "'javascript:' URL removed"),
    ("md-link-hex-entity", "[リンク](jav&#x61;script:alert(1))", 0, "'javascript:' URL removed"),
    ("md-link-dec-entity", "[リンク](&#106;avascript:alert(1))", 0, "'javascript:' URL removed"),
    ("md-link-named-entity", "[リンク](javascript&colon;alert(1))", 0, "'javascript:' URL removed"),
    ("md-link-vbscript", "[リンク](vbscript:msgbox(1))", 0, "'vbscript:' URL removed"),
    ("md-link-data", "[リンク](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", 0,
     "'data:' URL removed"),
    ("md-image-data", "![画像](data:image/svg+xml;base64,PHN2Zz4=)", 0, "'data:' URL removed"),
    ("reference-definition", "[リンク][r]を見る。\n\n[r]: javascript:alert(1)", 2, "'javascript:' URL removed"),
    ("angle-autolink", "<javascript:alert(1)>", 0, "'javascript:' URL removed"),
    ("html-href-javascript", "<a href=\"javascript:alert(1)\">リンク</a>", 0, "'javascript:' URL removed"),
    ("html-href-upper", "<a href=\"JAVASCRIPT:alert(1)\">リンク</a>", 0, "'javascript:' URL removed"),
    ("html-href-entity", "<a href=\"jav&#x61;script:alert(1)\">リンク</a>", 0, "'javascript:' URL removed"),
    ("html-href-tab-entity", "<a href=\"java&#9;script:alert(1)\">リンク</a>", 0, "'javascript:' URL removed"),
    ("html-href-newline-entity", "<a href=\"java&#x0A;script:alert(1)\">リンク</a>", 0,
     "'javascript:' URL removed"),
    ("html-img-src-vbscript", "<img src=\"vbscript:msgbox(1)\">", 0, "'vbscript:' URL removed"),
    ("html-img-src-data", "<img src=\"data:image/png;base64,iVBORw0KGgo=\">", 0, "'data:' URL removed"),
    ("later-line", "一行目。\n\n二行目。\n\n三行目に<script>alert(1)</script>。", 4, "raw <script> removed"),
]


@pytest.mark.parametrize(("body", "line", "fragment"), [c[1:] for c in DROPPED], ids=[c[0] for c in DROPPED])
def test_dropped_construct_is_removed_with_a_warning_at_its_line(body: str, line: int, fragment: str) -> None:
    out, diags = render(body)
    assert_inert(out)
    assert "alert(1)" not in out or "<script" not in out.lower()
    assert not diags.errors, [d.format() for d in diags.errors]
    warnings = [d for d in diags.items if d.severity is Severity.WARNING]
    hits = [d for d in warnings if d.loc.line == FIRST_LINE + line and fragment in d.message]
    assert hits, f"no warning {fragment!r} at line {FIRST_LINE + line}: {[d.format() for d in warnings]}"
    assert all(d.loc.path == "content/articles/a.md" for d in warnings)


def test_script_content_is_removed_not_shown() -> None:
    out, _ = render("前<script>document.title = 'pwned'</script>後")
    assert "pwned" not in out and "前" in out and "後" in out


KEPT = ("<ruby>漢字<rp>（</rp><rt>かんじ</rt><rp>）</rp></ruby>と<kbd>Ctrl</kbd>+<kbd>C</kbd>、"
        "<mark>大事</mark>、x<sup>2</sup>、H<sub>2</sub>O、長い<wbr>単語")


def test_allowed_inline_tags_are_kept_without_warnings() -> None:
    out, diags = render(KEPT)
    for tag in ("ruby", "rt", "rp", "wbr", "kbd", "mark", "sup", "sub"):
        assert f"<{tag}>" in out, (tag, out)
    assert "<rt>かんじ</rt>" in out and "<mark>大事</mark>" in out
    assert not diags.items, [d.format() for d in diags.items]


def test_what_markdown_makes_survives_the_sanitizer() -> None:
    body = ("## 見出し {#midashi}\n\n本文[^1]と[外部](https://example.org/ \"題\")。\n\n"
            "| 左 | 右 |\n|:--|--:|\n| a | b |\n\n!!! point \"ポイント\"\n    箱の中。\n\n"
            "用語\n:   定義\n\n```python\nprint('x')\n```\n\n[^1]: 注です。\n")
    out, diags = render(body)
    assert not diags.items, [d.format() for d in diags.items]
    assert '<h2 id="midashi">' in out
    assert 'href="https://example.org/"' in out and 'title="題"' in out
    assert 'style="text-align: left;"' in out and 'style="text-align: right;"' in out
    assert 'class="admonition point"' in out and "<dl>" in out and "<dt>用語</dt>" in out
    assert '<sup id="fnref-1"><a class="footnote-ref" href="#fn-1">1</a></sup>' in out
    assert '<li id="fn-1">' in out and 'class="footnote-backref" href="#fnref-1"' in out
    assert "<pre><code" in out


@pytest.mark.parametrize("body", [
    "`<script>alert(1)</script>` はコードです。",
    "``<img src=x onerror=alert(1)>`` もコード。",
    "```html\n<script>alert(1)</script>\n<a href=\"javascript:x\" onclick=\"y\">z</a>\n```",
    "~~~\n[x](javascript:alert(1))\n~~~",
])
def test_code_shows_html_as_text_and_warns_about_nothing(body: str) -> None:
    out, diags = render(body)
    assert_inert(out)
    assert "&lt;" in out or "javascript:alert(1)" in out  # shown, as text
    assert not diags.items, [d.format() for d in diags.items]


def test_dropped_in_a_term_definition_is_reported_at_the_yaml_line() -> None:
    out, diags = render("一行目。\n<img src=x onerror=alert(1)>", source="content/glossary/g.yaml", first_line=12)
    assert_inert(out)
    assert [(d.loc.path, d.loc.line) for d in diags.warnings] == [("content/glossary/g.yaml", 13)]


def test_style_attribute_only_keeps_text_align() -> None:
    out, _ = render("| a |\n|:-:|\n| b |\n\n<td style=\"background:url(javascript:alert(1))\">x</td>")
    assert 'style="text-align: center;"' in out
    assert "background" not in out


# --- YAML values: escaped everywhere -------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(2)</script><!--"
ATTR = "\"><img src=x onerror=alert(3)>"
TEMPLATE = "{{ 7*7 }}{% raw %}"
NAME = f"悪意{SCRIPT}"
ALIASES = [f"別名{ATTR}", "悪い例"]
SUMMARY = f"要約{BREAKOUT}{TEMPLATE}"
TITLE = f"記事{BREAKOUT}"


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    glossary = (
        "group: 危険\nterms:\n"
        f"  - term: {_yaml_str(NAME)}\n    reading: あくい\n    slug: xss\n"
        f"    aliases: [{', '.join(_yaml_str(a) for a in ALIASES)}]\n"
        f"    summary: {_yaml_str(SUMMARY)}\n    en: {_yaml_str(ATTR)}\n"
        "    definition: 危ない値を含む用語です。\n    see_also: [パート]\n"
    )
    article = (f"---\ntitle: {_yaml_str(TITLE)}\ndescription: {_yaml_str(ATTR)}\ntags: [{_yaml_str(SCRIPT)}]\n"
               "order: 3\n---\n\n悪い例の話です。[[xss]]も見てください。\n\n<script>alert(4)</script>\n")
    root = make_site(tmp_path_factory.mktemp("xss") / "site", files={
        "content/glossary/xss.yaml": glossary, "content/articles/xss.md": article})
    r = run_cli("build", "--root", root, "--no-search")
    assert r.code == 0, r.err
    assert "content/articles/xss.md:10:2: warning: raw <script> removed" in r.err, r.err
    return root


PAGES = ["glossary/index.html", "glossary/xss/index.html", "articles/xss/index.html", "glossary/group/xss/index.html",
         "index.html"]


def _ld_blocks(page: str) -> list[str]:
    return re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", PAGES)
def test_yaml_values_never_become_markup(xss_site: Path, name: str) -> None:
    page = (xss_site / "public" / name).read_text(encoding="utf-8")
    for raw in (SCRIPT, BREAKOUT, ATTR, "<img src=x", "alert(4)"):
        assert raw not in page, (raw, name)
    root = parse_html(page)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        assert not any(a.lower().startswith("on") for a in el.attrib), (el.tag, el.attrib)
        if el.tag == NS + "script":
            assert el.get("src") or el.get("type") == "application/ld+json", ET.tostring(el)
        assert el.tag != NS + "img" or el.get("src") != "x"


def test_values_appear_as_text_on_the_pages(xss_site: Path) -> None:
    public = xss_site / "public"
    term = parse_html(public / "glossary/xss/index.html")
    h1 = text_of(next(term.iter(NS + "h1")))
    assert NAME in h1
    body = text_of(next(term.iter(NS + "main")))
    assert SUMMARY in body and ALIASES[0] in body  # SUMMARY holds '{{ 7*7 }}{% raw %}': shown, never run
    glossary = text_of(next(parse_html(public / "glossary/index.html").iter(NS + "main")))
    assert NAME in glossary
    article = parse_html(public / "articles/xss/index.html")
    assert text_of(next(article.iter(NS + "h1"))) == TITLE
    used = next(el for el in article.iter(NS + "section") if "used-terms" in (el.get("class") or ""))
    assert NAME in text_of(used) and SUMMARY in text_of(used)
    card = next(a for a in used.iter(NS + "a") if a.get("data-term-card") == "xss")
    assert card.get("data-term-name", NAME) == NAME  # an attribute value, intact and inert
    title = text_of(next(article.iter(NS + "title")))
    assert TITLE in title
    metas = {m.get("name") or m.get("property"): m.get("content") for m in article.iter(NS + "meta")}
    assert metas.get("description") == ATTR


@pytest.mark.parametrize("name", ["glossary/index.html", "glossary/xss/index.html", "articles/xss/index.html"])
def test_json_ld_is_escaped_for_the_script_context(xss_site: Path, name: str) -> None:
    page = (xss_site / "public" / name).read_text(encoding="utf-8")
    blocks = _ld_blocks(page)
    assert blocks
    found: list[str] = []
    for block in blocks:
        assert "</script" not in block.lower() and "<!--" not in block and "<" not in block
        found += _strings(json.loads(block))
    wanted = {"glossary/index.html": [NAME], "glossary/xss/index.html": [NAME, *ALIASES, SUMMARY],
              "articles/xss/index.html": [TITLE, ATTR]}[name]
    for value in wanted:
        assert value in found, (value, name)


def test_glossary_json_round_trips_the_values(xss_site: Path) -> None:
    data = json.loads((xss_site / "public/glossary.json").read_text(encoding="utf-8"))
    term = next(t for t in data["terms"] if t["slug"] == "xss")
    assert (term["term"], term["aliases"], term["summary"], term["en"]) == (NAME, ALIASES, SUMMARY, ATTR)


# --- YAML tags that would construct objects -------------------------------------------------------------

TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/object:os.system {{}}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
    "!custom 'x'",
]


@pytest.mark.parametrize("tag", TAGS)
def test_object_tags_are_errors_and_never_run(tag: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    diags = Diagnostics()
    node = yamlsrc.parse(f"title: ok\nvalue: {tag.format(marker=marker)}\n", "content/x.yaml", diags)
    assert node is not None
    assert [(d.loc.line, "is not allowed" in d.message) for d in diags.errors] == [(2, True)]
    assert not marker.exists()


@pytest.mark.parametrize(("file", "text"), [
    ("content/site.yaml", "title: !!python/object/apply:os.system ['touch {marker}']\nbase_url: https://example.org/\n"),
    ("content/articles/tag.md",
     "---\ntitle: 記事\ndescription: !!python/object/apply:os.system ['touch {marker}']\n---\n本文\n"),
    ("content/glossary/tag.yaml", "group: x\nterms:\n  - term: 残業\n    reading: ざんぎょう\n"
     "    definition: !!python/object/new:os.system ['touch {marker}']\n"),
])
def test_object_tag_in_any_yaml_file_fails_the_build_and_creates_nothing(tmp_path: Path, file: str,
                                                                        text: str) -> None:
    marker = tmp_path / "pwned"
    root = make_site(tmp_path / "site")
    (root / "public").mkdir()
    (root / "public/keep.txt").write_text("old", encoding="utf-8")
    before = snapshot(root / "public")
    (root / file).write_text(text.format(marker=marker), encoding="utf-8")
    r = run_cli("build", "--root", root)
    assert r.code == 1 and "Traceback" not in r.err
    assert any(d.startswith(file + ":") and "is not allowed" in d for d in r.diagnostics), r.err
    assert not marker.exists()
    assert snapshot(root / "public") == before
