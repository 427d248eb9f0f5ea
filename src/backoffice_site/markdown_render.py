"""Markdown → HTML for articles and term definitions, with our tree processors.

Registered on Python-Markdown's registries (higher priority runs first):

| registry          | name            | priority | what                                                  |
|-------------------|-----------------|---------:|-------------------------------------------------------|
| inlinePatterns    | bos_wikilink    |      175 | ``[[term]]`` / ``[[term|text]]`` → link to the term   |
| treeprocessors    | bos_plain_text  |       21 | text without inline syntax skips the inline patterns  |
| treeprocessors    | bos_links       |        8 | ``x.md`` → page URL, base path on ``/…``, dead links  |
| treeprocessors    | bos_heading_ids |        5 | readable unique heading ids, the h2/h3 outline        |
| treeprocessors    | bos_autolink    |        4 | first mention of each term → link                     |
| treeprocessors    | bos_ja_lines    |        3 | join soft line breaks between Japanese characters     |

Everything per document (which page, where its body starts, what was found) lives in a ``DocContext``
handed to ``render``; the ``Markdown`` instance is reused across documents (``reset()``), never shared
between threads.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from backoffice_site.autolink import TermMatcher
from backoffice_site.diagnostics import Diagnostics, Loc, did_you_mean
from backoffice_site.markdown_plain import PRIORITY as PLAIN_TEXT_PRIORITY
from backoffice_site.markdown_plain import PlainText
from backoffice_site.phrase import PhraseBreaker
from backoffice_site.resolve import Site
from backoffice_site.sanitize import SCRIPT_URL, sanitize, warn_dropped

SKIP_TAGS = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style", "abbr", "kbd",
             "ruby", "rt", "rp", "button"}

def jp_slugify(value: str, separator: str = "-") -> str:
    """Readable, stable anchors that keep Japanese text (Python-Markdown's default drops it)."""
    text = unicodedata.normalize("NFKC", html.unescape(re.sub(r"<[^>]+>", "", value))).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"[\s_-]+", separator, text).strip(separator)
    if not text:
        text = "h-" + hashlib.sha1(value.encode()).hexdigest()[:8]
    return text


@dataclass
class DocContext:
    """One document being rendered: where it is, and what rendering found in it."""

    source: str  # path relative to root, for diagnostics
    body: str
    first_line: int  # 1-based line of the body in the source file
    page_url: str  # the page's URL relative to base path, e.g. 'articles/keiri/'
    source_dir: str  # folder of the source, relative to root (for relative .md links)
    diags: Diagnostics
    autolink: bool = True
    self_slug: str | None = None
    mentions: list[str] = field(default_factory=list)  # term slugs in first-link order
    # per term slug: counts of 'linked', 'repeat', 'excluded', 'opted_out'
    occurrences: dict[str, dict[str, int]] = field(default_factory=dict)
    toc: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text) of h2/h3

    def locate(self, needle: str) -> Loc:
        """Where ``needle`` first appears in the source (Python-Markdown keeps no positions)."""
        for i, line in enumerate(self.body.split("\n")):
            col = line.find(needle)
            if col >= 0:
                return Loc(self.source, self.first_line + i, col + 1)
        return Loc(self.source, self.first_line, 1)

    def count(self, slug: str, what: str) -> None:
        counts = self.occurrences.setdefault(slug, {})
        counts[what] = counts.get(what, 0) + 1


class _WikiLinkProcessor(InlineProcessor):
    def __init__(self, pattern: str, ext: BosExtension):
        super().__init__(pattern)
        self.ext = ext

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Any, int, int]:  # type: ignore[override]
        ctx, site = self.ext.ctx, self.ext.site
        name, text = m.group(1).strip(), (m.group(2) or m.group(1)).strip()
        assert ctx is not None
        term = site.lookup(name)
        if term is None:
            ctx.diags.error(ctx.locate(m.group(0)), f"unknown glossary term '{name}' in [[...]]"
                            f"{did_you_mean(name, site.by_name)}")
            el = etree.Element("span")
            el.text = text
            return el, m.start(0), m.end(0)
        el = etree.Element("a")
        el.set("href", self.ext.url(term.url))
        el.set("class", "term")
        el.set("data-term", term.slug)
        el.text = text
        return el, m.start(0), m.end(0)


class _BosTreeprocessor(Treeprocessor):
    """A tree processor that reads the document being rendered from our extension."""

    def __init__(self, md: markdown.Markdown, ext: BosExtension):
        super().__init__(md)
        self.ext = ext


class _LinkProcessor(_BosTreeprocessor):
    def run(self, root: etree.Element) -> None:
        ctx = self.ext.ctx
        assert ctx is not None
        for el in root.iter():
            if el.tag == "a" and el.get("href") is not None and el.get("data-term") is None:
                el.set("href", self._rewrite(el.get("href", ""), ctx))
            elif el.tag == "img" and el.get("src"):
                el.set("src", self._rewrite(el.get("src", ""), ctx, check=False))
            elif el.tag == "div" and "admonition" in (el.get("class") or "").split():
                el.set("role", "note")

    def _rewrite(self, href: str, ctx: DocContext, check: bool = True) -> str:
        if SCRIPT_URL.match(html.unescape(href)):
            return href  # 'jav&#x61;script:' is no page to look for: the sanitizer drops it, with a warning
        parts = urlsplit(href)
        if parts.scheme or href.startswith("//") or href.startswith("#") or not href:
            return href
        frag = f"#{parts.fragment}" if parts.fragment else ""
        site = self.ext.site
        path = parts.path
        if path.endswith((".md", ".markdown")):
            target = posixpath.normpath(posixpath.join(ctx.source_dir, path))
            article = site.articles_by_source.get(target)
            if article is None:
                known = [posixpath.relpath(s, ctx.source_dir) for s in site.articles_by_source]
                ctx.diags.error(ctx.locate(path), f"link to '{path}', but there is no article "
                                f"{target}{did_you_mean(path, known)}")
                return href
            return self.ext.url(article.url) + frag
        if path.startswith("/"):
            rel = path.lstrip("/")
        else:
            rel = posixpath.normpath(posixpath.join(ctx.page_url, path)).lstrip("./")
            if path.endswith("/") and not rel.endswith("/"):
                rel += "/"
            if rel == ".":
                rel = ""
        if check and not self._exists(rel):
            ctx.diags.error(ctx.locate(path), f"link to '{path}', but the site has no such page"
                            f"{did_you_mean(rel, self.ext.site.page_urls)}")
            return href
        query = f"?{parts.query}" if parts.query else ""
        return self.ext.url(rel) + query + frag

    def _exists(self, rel: str) -> bool:
        site = self.ext.site
        if rel in site.page_urls or rel in self.ext.extra_files:
            return True
        return (rel + "/") in site.page_urls or rel.rstrip("/") + "/" in site.page_urls


class _AutolinkProcessor(_BosTreeprocessor):
    def run(self, root: etree.Element) -> None:
        ctx = self.ext.ctx
        assert ctx is not None
        self.linked: set[str] = set()
        self._walk(root, ctx, excluded=False)

    def _walk(self, el: etree.Element, ctx: DocContext, excluded: bool) -> None:
        if el.tag == "a" and el.get("data-term"):
            slug = el.get("data-term", "")
            if slug not in self.linked:
                self.linked.add(slug)
                ctx.mentions.append(slug)
            ctx.count(slug, "linked")
            excluded = True
        inside = excluded or el.tag in SKIP_TAGS
        i = 0
        if el.text:
            before = len(el)
            el.text = self._process(el, 0, el.text, ctx, inside, is_tail=False)
            i = len(el) - before  # the links just inserted are done, tails included
        while i < len(el):
            child = el[i]
            self._walk(child, ctx, inside)
            if child.tail:
                before = len(el)
                child.tail = self._process(el, i + 1, child.tail, ctx, inside, is_tail=True)
                i += len(el) - before  # skip the links we inserted after the child
            i += 1

    def _process(self, parent: etree.Element, index: int, text: str, ctx: DocContext,
                 excluded: bool, is_tail: bool) -> str:
        """Link term mentions in ``text``; new <a> elements go into ``parent`` at ``index``."""
        matcher = self.ext.matcher
        if matcher is None:
            return text
        head = text
        pieces: list[etree.Element] = []
        last = 0
        for m in matcher.finditer(text):
            slug = m.key
            term = self.ext.site.by_slug[slug]
            if excluded or slug == ctx.self_slug:
                ctx.count(slug, "excluded")
                continue
            if not ctx.autolink or term.no_autolink:
                ctx.count(slug, "opted_out")
                continue
            if slug in self.linked:
                ctx.count(slug, "repeat")
                continue
            self.linked.add(slug)
            ctx.mentions.append(slug)
            ctx.count(slug, "linked")
            a = etree.Element("a")
            a.set("href", self.ext.url(term.url))
            a.set("class", "term")
            a.set("data-term", slug)
            a.text = text[m.start : m.end]
            if pieces:
                pieces[-1].tail = text[last : m.start]
            else:
                head = text[: m.start]
            pieces.append(a)
            last = m.end
        if not pieces:
            return text
        pieces[-1].tail = text[last:]
        for offset, a in enumerate(pieces):
            parent.insert(index + offset, a)
        return head


_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])\n[ \t]*(?=[{_CJK}])")


class _HeadingIds(_BosTreeprocessor):
    """Readable, unique ids on every heading (an explicit ``{#id}`` wins) and the h2/h3 outline.

    Does what the toc extension did for us at a fraction of its cost: no table-of-contents HTML is built
    here (the template renders the outline)."""

    def run(self, root: etree.Element) -> None:
        ctx = self.ext.ctx
        assert ctx is not None
        used = {el.get("id", "") for el in root.iter() if el.get("id")}
        for el in root.iter():
            if el.tag not in _HEADINGS:
                continue
            text = "".join(el.itertext()).strip()
            hid = el.get("id")
            if not hid:
                base = jp_slugify(text)
                hid, n = base, 1
                while hid in used:
                    hid = f"{base}_{n}"
                    n += 1
                used.add(hid)
                el.set("id", hid)
            if el.tag in ("h2", "h3"):
                ctx.toc.append((int(el.tag[1]), hid, html.unescape(text)))


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


class _JapaneseLineJoin(Treeprocessor):
    """A line break inside a Japanese paragraph is not a space: join the lines (outside code)."""

    def run(self, root: etree.Element) -> None:
        self._walk(root)

    def _walk(self, el: etree.Element) -> None:
        if el.tag in ("pre", "code", "script", "style"):
            return
        if el.text and "\n" in el.text:
            el.text = _CJK_BREAK.sub("", el.text)
        for child in el:
            self._walk(child)
            if child.tail and "\n" in child.tail:
                child.tail = _CJK_BREAK.sub("", child.tail)


class BosExtension(Extension):
    def __init__(self, site: Site, matcher: TermMatcher | None, base_path: str,
                 extra_files: frozenset[str]):
        super().__init__()
        self.site = site
        self.matcher = matcher
        self.base_path = base_path
        self.extra_files = extra_files
        self.ctx: DocContext | None = None

    def url(self, rel: str) -> str:
        return self.base_path + rel

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.inlinePatterns.register(
            _WikiLinkProcessor(r"\[\[([^\]|\n]+)(?:\|([^\]\n]+))?\]\]", self), "bos_wikilink", 175)
        md.treeprocessors.register(PlainText(md), "bos_plain_text", PLAIN_TEXT_PRIORITY)
        md.treeprocessors.register(_LinkProcessor(md, self), "bos_links", 8)
        md.treeprocessors.register(_HeadingIds(md, self), "bos_heading_ids", 5)
        md.treeprocessors.register(_AutolinkProcessor(md, self), "bos_autolink", 4)
        md.treeprocessors.register(_JapaneseLineJoin(md), "bos_ja_lines", 3)


@dataclass(frozen=True)
class Rendered:
    # In digests (incremental.digest) ``digest`` stands for ``html``, and ``marked`` is made from ``html``
    # alone: versions of inputs holding a rendered document need not pickle its HTML twice.
    DIGEST_SKIP: ClassVar[frozenset[str]] = frozenset({"html", "marked"})

    html: str
    toc: tuple[tuple[int, str, str], ...]  # (level, id, text)
    mentions: tuple[str, ...]
    occurrences: dict[str, dict[str, int]]  # term slug → {'linked': n, 'repeat': n, …}
    digest: str = ""  # of html, so pages can depend on it cheaply
    # html with the phrase marks (<wbr>, <span class="nobr">) pages show; ``html`` stays without them for
    # glossary.json and the feed. Made here, once per document, so it is cached and done in the workers.
    marked: str = ""


class MarkdownRenderer:
    """One per process: builds the Markdown pipeline once and renders documents with it."""

    def __init__(self, site: Site, extra_files: frozenset[str] = frozenset()):
        self.site = site
        names = [(n, t.slug) for t in site.terms for n in t.names]
        self.matcher = TermMatcher(names, {t.slug: t.not_in for t in site.terms}) if names else None
        self.ext = BosExtension(site, self.matcher, site.content.config.base_path, extra_files)
        self.phrases = PhraseBreaker()
        # Extensions as instances, not names: a name is looked up among every installed package's entry
        # points (importlib.metadata), 30-70 ms of a CLI build that renders one article.
        self.md = markdown.Markdown(
            extensions=[
                TableExtension(), FencedCodeExtension(),
                FootnoteExtension(BACKLINK_TITLE="本文の注 %d に戻る", SEPARATOR="-"),
                AttrListExtension(), DefListExtension(), AdmonitionExtension(), SaneListExtension(),
                self.ext,
            ],
            output_format="html",
        )

    def render(self, ctx: DocContext) -> Rendered:
        warn_dropped(ctx.body, ctx.source, ctx.first_line, ctx.diags)
        self.ext.ctx = ctx
        self.md.reset()
        try:
            out = self.md.convert(ctx.body)
        except RecursionError:  # Python-Markdown recurses once per level of nested lists or quotes
            ctx.diags.error(_deepest_line(ctx), "Markdown is nested too deeply (lists, quotes or emphasis "
                            "hundreds of levels inside each other); flatten it")
            out = ""
        finally:
            self.ext.ctx = None
        clean = sanitize(out)
        digest = hashlib.blake2b(clean.encode(), digest_size=16).hexdigest()
        # A fragment of body content (no <head>): phrase.py marks its headings, tables and links.
        marked = self.phrases(clean)
        return Rendered(clean, tuple(ctx.toc), tuple(ctx.mentions), ctx.occurrences, digest, marked)


def _deepest_line(ctx: DocContext) -> Loc:
    """The first of the most deeply indented or quoted lines: where a too-deep nesting is."""
    best, depth = 0, -1
    for i, line in enumerate(ctx.body.split("\n")):
        lead = re.match(r"[ >]*", line.expandtabs(4))
        d = len(lead.group(0)) + 3 * lead.group(0).count(">") if lead and line.strip() else -1
        if d > depth:
            best, depth = i, d
    return Loc(ctx.source, ctx.first_line + best, 1)
