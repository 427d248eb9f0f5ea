"""Convert a backoffice-site corpus into a peer tool's own layout, with equivalent content.

    python bench/adapt.py TOOL CORPUS OUTDIR        # TOOL: hugo | mkdocs | pelican

Every tool gets one page per article and per term, an article index and a term index (by reading), and
the same internal links in that tool's own checked form (Hugo ``relref``, MkDocs relative ``.md`` links,
Pelican ``{filename}``). Our engine links the first mention of each term by itself; peers have no such
feature, so the adapter writes those links out explicitly (same rule: first mention per page, longest name,
not in headings or existing links, katakana names not inside longer katakana words). Without that the
peers would render fewer links than we do and look cheaper than they are.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KATA = "\u30a1-\u30fa\u30fc"
TOOLS = ("hugo", "mkdocs", "pelican")


@dataclass(frozen=True)
class Article:
    file: str  # a00012.md
    slug: str
    title: str
    description: str
    date: str
    tags: tuple[str, ...]
    order: int
    body: str


@dataclass(frozen=True)
class Term:
    name: str
    reading: str
    slug: str
    summary: str
    definition: str
    see_also: tuple[str, ...]  # slugs
    source: str  # one line: title (as of date)
    group: str


@dataclass(frozen=True)
class Corpus:
    title: str
    description: str
    articles: tuple[Article, ...]
    terms: tuple[Term, ...]  # in reading order


def _split_front_matter(text: str) -> tuple[dict[str, object], str]:
    _, fm, body = text.split("---\n", 2)
    return yaml.load(fm, Loader=_Loader), body


def load_corpus(root: Path) -> Corpus:
    site = yaml.load((root / "content" / "site.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    articles = []
    for path in sorted((root / "content" / "articles").glob("*.md")):
        meta, body = _split_front_matter(path.read_text(encoding="utf-8"))
        articles.append(Article(path.name, str(meta.get("slug") or path.stem), str(meta["title"]),
                                str(meta["description"]), str(meta.get("date", "2024-01-01")),
                                tuple(str(t) for t in meta.get("tags") or ()),  # type: ignore[attr-defined]
                                int(meta.get("order") or 0), body))  # type: ignore[call-overload]
    raw: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((root / "content" / "glossary").glob("*.yaml")):
        group = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        raw.extend((path.stem, t) for t in group["terms"])
    slug_of = {t["term"]: t["slug"] for _, t in raw}
    terms = []
    for stem, t in raw:
        src = t["sources"][0]
        terms.append(Term(t["term"], t["reading"], t["slug"], t.get("summary", ""), t["definition"].strip(),
                          tuple(slug_of[s] for s in t.get("see_also", ())),
                          f"{src['title']}（{src['as_of']}時点）", stem))
    terms.sort(key=lambda t: (t.reading, t.name))
    return Corpus(site["title"], site.get("description", ""), tuple(articles), tuple(terms))


# ---------------------------------------------------------------------------------------------------------
# Links: our syntax → explicit links in a tool's syntax


def trie_regex(names: list[str]) -> re.Pattern[str]:
    """One alternation shaped like a trie: cost grows with text length, not with the number of names
    (a flat 10,000-way alternation would be tried at every character)."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def is_kata(ch: str) -> bool:
        return bool(re.match(f"[{_KATA}]", ch))

    def emit(node: dict, last: str) -> str:  # type: ignore[type-arg]
        branches = [re.escape(ch) + emit(child, ch) for ch, child in sorted(node.items()) if ch]
        if "" in node:  # ending here is tried last, so the longest name wins
            branches.append(f"(?![{_KATA}])" if is_kata(last) else "")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    tops = [(f"(?<![{_KATA}])" if is_kata(ch) else "") + re.escape(ch) + emit(child, ch)
            for ch, child in sorted(trie.items())]
    return re.compile("|".join(tops))


# Spans the auto-linker must not touch, and our two link syntaxes.
_SPAN = re.compile(r"\[\[(?P<wiki>[^\]|\n]+)(?:\|(?P<wtext>[^\]\n]+))?\]\]"
                   r"|\[(?P<text>[^\]\n]*)\]\((?P<href>[^)\s]+)\)|`[^`\n]*`")

TermLink = Callable[[str, str], str]  # (term slug, text) → Markdown
ArticleLink = Callable[[str, str, str], str]  # (target file, fragment, text) → Markdown


class Linker:
    """Rewrites one document's links; remembers which terms it already linked (first mention only)."""

    def __init__(self, corpus: Corpus, term_link: TermLink, article_link: ArticleLink):
        self.slug_of = {t.name: t.slug for t in corpus.terms}
        self.slug_of.update({t.slug: t.slug for t in corpus.terms})
        self.regex = trie_regex([t.name for t in corpus.terms])
        self.term_link, self.article_link = term_link, article_link

    def convert(self, body: str, self_slug: str | None = None) -> str:
        linked: set[str] = {self_slug} if self_slug else set()
        return "\n".join(self._line(line, linked) for line in body.split("\n"))

    def _line(self, line: str, linked: set[str]) -> str:
        heading = line.startswith("#")
        out, pos = [], 0
        for m in _SPAN.finditer(line):
            out.append(line[pos:m.start()] if heading else self._autolink(line[pos:m.start()], linked))
            out.append(self._span(m, linked))
            pos = m.end()
        out.append(line[pos:] if heading else self._autolink(line[pos:], linked))
        return "".join(out)

    def _span(self, m: re.Match[str], linked: set[str]) -> str:
        if m.group("wiki"):
            slug = self.slug_of[m.group("wiki").strip()]
            linked.add(slug)
            return self.term_link(slug, (m.group("wtext") or m.group("wiki")).strip())
        href = m.group("href")
        if href and href.split("#")[0].endswith(".md"):
            file, _, frag = href.partition("#")
            return self.article_link(file, frag, m.group("text"))
        return m.group(0)

    def _autolink(self, text: str, linked: set[str]) -> str:
        def repl(m: re.Match[str]) -> str:
            slug = self.slug_of[m.group(0)]
            if slug in linked:
                return m.group(0)
            linked.add(slug)
            return self.term_link(slug, m.group(0))

        return self.regex.sub(repl, text)


def _yaml(value: object) -> str:
    """A flow-style YAML value on one line (JSON is valid YAML and never adds a document marker)."""
    return json.dumps(value, ensure_ascii=False)


def _yaml_front(meta: Mapping[str, object]) -> str:
    return "---\n" + "".join(f"{k}: {_yaml(v)}\n" for k, v in meta.items()) + "---\n\n"


def _term_body(t: Term, linked_definition: str, link: Callable[[Term], str],
               by_slug: dict[str, Term]) -> str:
    """What our term page shows: the definition, related terms and the source."""
    related = "".join(f"- {link(by_slug[s])}\n" for s in t.see_also)
    return f"{linked_definition}\n\n## 関連用語\n\n{related}\n## 出典\n\n{t.source}\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------------------------------------
# Hugo

HUGO_CONFIG = """\
baseURL = "https://example.org/"
languageCode = "ja"
title = {title}
hasCJKLanguage = true
[taxonomies]
  tag = "tags"
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!DOCTYPE html>
<html lang="ja">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a>
<nav><a href="{{ "/articles/" | relURL }}">記事</a> <a href="{{ "/glossary/" | relURL }}">用語集</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "_default/single.html": """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
{{ with .Params.description }}<p class="lead">{{ . }}</p>{{ end }}
<nav class="toc">{{ .TableOfContents }}</nav>
{{ .Content }}
{{ with .Params.tags }}<ul class="tags">{{ range . }}
<li><a href="{{ "/tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>{{ end }}
</article>
{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ with .Params.description }} — {{ . }}{{ end }}</li>
{{ end }}
</ul>
{{ end }}
""",
    # The term index: every term in reading order, as our glossary page shows them.
    "glossary/list.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<dl>
{{ range .Pages.ByParam "reading" }}<dt><a href="{{ .RelPermalink }}">{{ .Title }}</a>（{{ .Params.reading }}）</dt>
<dd>{{ .Params.summary }}</dd>
{{ end }}
</dl>
{{ end }}
""",
}


def write_hugo(corpus: Corpus, out: Path) -> None:
    _write(out / "config.toml", HUGO_CONFIG.format(title=_toml_str(corpus.title)))
    for name, text in HUGO_LAYOUTS.items():
        _write(out / "layouts" / name, text)
    content = out / "content"
    _write(content / "_index.md", _yaml_front({"title": corpus.title}) + corpus.description + "\n")
    _write(content / "articles" / "_index.md", _yaml_front({"title": "記事一覧"}))
    _write(content / "glossary" / "_index.md", _yaml_front({"title": "用語集"}))

    def term_link(slug: str, text: str) -> str:
        return f'[{text}]({{{{< relref "/glossary/{slug}.md" >}}}})'

    def article_link(file: str, frag: str, text: str) -> str:
        anchor = f'#{frag}' if frag else ""
        return f'[{text}]({{{{< relref "/articles/{file}" >}}}}{anchor})'

    linker = Linker(corpus, term_link, article_link)
    for a in corpus.articles:
        meta = {"title": a.title, "description": a.description, "date": a.date, "weight": a.order,
                "tags": list(a.tags)}
        _write(content / "articles" / a.file, _yaml_front(meta) + linker.convert(a.body))
    by_slug = {t.slug: t for t in corpus.terms}
    for t in corpus.terms:
        meta = {"title": t.name, "reading": t.reading, "summary": t.summary, "group": t.group}
        body = _term_body(t, linker.convert(t.definition, t.slug), lambda o: term_link(o.slug, o.name), by_slug)
        _write(content / "glossary" / f"{t.slug}.md", _yaml_front(meta) + body)


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------------------------
# MkDocs

MKDOCS_YML = """\
site_name: {title}
site_url: https://example.org/
docs_dir: docs
theme:
  name: mkdocs
plugins:
  - search:
      lang: ja
markdown_extensions:
  - toc
  - tables
# A small explicit nav: the automatic one lists every page on every page and makes the build quadratic
# (see shared/design/perf-anchors.md: 172 s instead of 11 s at medium).
nav:
  - ホーム: index.md
  - 記事一覧: articles/index.md
  - 用語集: glossary/index.md
not_in_nav: |
  /articles/a*.md
  /glossary/*.md
"""


def write_mkdocs(corpus: Corpus, out: Path) -> None:
    _write(out / "mkdocs.yml", MKDOCS_YML.format(title=_yaml(corpus.title)))
    docs = out / "docs"
    _write(docs / "index.md", _yaml_front({"title": corpus.title}) + corpus.description + "\n\n"
           "- [記事一覧](articles/index.md)\n- [用語集](glossary/index.md)\n")
    _write(docs / "articles" / "index.md", _yaml_front({"title": "記事一覧"}) + "".join(
        f"- [{a.title}]({a.file}) — {a.description}\n" for a in corpus.articles))
    _write(docs / "glossary" / "index.md", _yaml_front({"title": "用語集"}) + "".join(
        f"- [{t.name}]({t.slug}.md)（{t.reading}）— {t.summary}\n" for t in corpus.terms))

    def article_link(file: str, frag: str, text: str) -> str:
        return f"[{text}]({file}{'#' + frag if frag else ''})"

    art_linker = Linker(corpus, lambda slug, text: f"[{text}](../glossary/{slug}.md)", article_link)
    for a in corpus.articles:
        meta = {"title": a.title, "description": a.description, "date": a.date, "tags": list(a.tags)}
        _write(docs / "articles" / a.file, _yaml_front(meta) + art_linker.convert(a.body))
    term_linker = Linker(corpus, lambda slug, text: f"[{text}]({slug}.md)", article_link)
    by_slug = {t.slug: t for t in corpus.terms}
    for t in corpus.terms:
        body = _term_body(t, term_linker.convert(t.definition, t.slug), lambda o: f"[{o.name}]({o.slug}.md)",
                          by_slug)
        _write(docs / "glossary" / f"{t.slug}.md", _yaml_front({"title": t.name}) + body)


# ---------------------------------------------------------------------------------------------------------
# Pelican

# pelican-quickstart's development settings, plus what a 4,000-page site needs: terms are pages, and
# pages are kept off the menu (otherwise every page lists all term pages: quadratic output).
PELICAN_CONF = """\
AUTHOR = "bench"
SITENAME = {title!r}
SITEURL = ""
PATH = "content"
TIMEZONE = "Asia/Tokyo"
DEFAULT_LANG = "ja"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
LINKS = ()
SOCIAL = ()
DEFAULT_PAGINATION = 10
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
SLUGIFY_SOURCE = "basename"
DISPLAY_PAGES_ON_MENU = False
"""


def _pelican_meta(meta: dict[str, str]) -> str:
    return "".join(f"{k}: {v}\n" for k, v in meta.items()) + "\n"


def write_pelican(corpus: Corpus, out: Path) -> None:
    _write(out / "pelicanconf.py", PELICAN_CONF.format(title=corpus.title))
    content = out / "content"

    def term_link(slug: str, text: str) -> str:
        return f"[{text}]({{filename}}/pages/glossary/{slug}.md)"

    def article_link(file: str, frag: str, text: str) -> str:
        return f"[{text}]({{filename}}/articles/{file}{'#' + frag if frag else ''})"

    linker = Linker(corpus, term_link, article_link)
    for a in corpus.articles:
        meta = {"Title": a.title, "Date": a.date, "Slug": a.slug, "Tags": ", ".join(a.tags),
                "Summary": a.description}
        _write(content / "articles" / a.file, _pelican_meta(meta) + linker.convert(a.body))
    by_slug = {t.slug: t for t in corpus.terms}
    for t in corpus.terms:
        body = _term_body(t, linker.convert(t.definition, t.slug), lambda o: term_link(o.slug, o.name), by_slug)
        _write(content / "pages" / "glossary" / f"{t.slug}.md", _pelican_meta({"Title": t.name}) + body)
    _write(content / "pages" / "yogoshu.md", _pelican_meta({"Title": "用語集", "Slug": "yogoshu"}) + "".join(
        f"- {term_link(t.slug, t.name)}（{t.reading}）— {t.summary}\n" for t in corpus.terms))


WRITERS: dict[str, Callable[[Corpus, Path], None]] = {
    "hugo": write_hugo, "mkdocs": write_mkdocs, "pelican": write_pelican}


def edited_source(tool: str, root: Path, article_file: str) -> Path:
    """The file to edit in an adapted corpus for an edit of ``content/articles/<article_file>``."""
    return {
        "ours": root / "content" / "articles" / article_file,
        "hugo": root / "content" / "articles" / article_file,
        "mkdocs": root / "docs" / "articles" / article_file,
        "pelican": root / "content" / "articles" / article_file,
    }[tool]


def page_path(tool: str, article_slug: str) -> str:
    """Where each tool puts an article's HTML, relative to its output folder (and as a URL path)."""
    if tool == "pelican":
        return f"{article_slug}.html"
    return f"articles/{article_slug}/index.html"


def adapt(tool: str, corpus_root: Path, out: Path) -> None:
    corpus = load_corpus(corpus_root)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    WRITERS[tool](corpus, out)


def iter_tools(arg: str) -> Iterator[str]:
    yield from (TOOLS if arg == "all" else arg.split(","))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert a backoffice-site corpus into a peer tool's layout.")
    ap.add_argument("tool", help=f"one of {', '.join(TOOLS)}, a comma list, or 'all'")
    ap.add_argument("corpus", type=Path, help="site folder in our layout (content/...)")
    ap.add_argument("outdir", type=Path, help="folder to create (replaced if it exists); with several "
                    "tools, one sub-folder per tool")
    args = ap.parse_args(argv)
    tools = list(iter_tools(args.tool))
    for tool in tools:
        if tool not in WRITERS:
            ap.error(f"unknown tool {tool!r}")
        adapt(tool, args.corpus, args.outdir / tool if len(tools) > 1 else args.outdir)
        print(f"adapted {args.corpus} for {tool}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
