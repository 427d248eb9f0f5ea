"""Phrase-aware line breaks for Japanese: ``<wbr>`` at BudouX phrase boundaries in rendered pages.

Where it runs (never over a whole page: tokenizing every page's chrome cost 10x the rest of a build):
the Markdown stage marks each document's HTML once (``markdown_render``; cached per document, computed
in the parallel workers), and templates mark the short texts they print themselves with the ``phrase``
filter (``PhraseFilter``, registered by ``render.Renderer``, memoized per string).

Japanese has no spaces, so a browser may break a line between any two characters — in a heading that
splits words (「フ / ロントオフィス」). Chromium's ``word-break: auto-phrase`` avoids that, but only
Chromium has it. BudouX (the segmenter ``auto-phrase`` itself is modelled on) run at build time marks
the phrase boundaries with ``<wbr>``; with ``word-break: keep-all`` in the CSS every browser then breaks
only there (``overflow-wrap: anywhere`` stays the safety net for a phrase wider than the screen).

What gets the marks (``SHORT_TEXT``): headings, table cells, captions, terms in lists, labels and
buttons, everything inside ``<nav>`` (breadcrumbs, the pager, the table of contents) and link texts (a
link inside a sentence is phrased on its own, so a term's name is not split). Body paragraphs are left
to the browser, as Chromium's ``auto-phrase`` is only used on headings here: a ragged right edge on a
360 px phone costs more than it gives in running text (docs/line-breaks.md has the measured cost in
bytes). The CSS in static/css/site.css names the same elements.

Never touched: anything in ``<head>``, scripts and styles (so JSON-LD), ``<ruby>`` (a break would
separate a base from its reading), code, ``<pre>``, form fields, SVG/MathML, attributes, and the
boundary between two ASCII characters (URLs, English words, numbers). ``<wbr>`` is an element without
text, so copied text, the search index, accessible names and reading-aloud text gain no character.

The HTML is tokenized in one regex pass (see ``_TOKEN``) and the marks are inserted at source offsets, so every byte
of the input that is not a new ``<wbr>`` is kept as it was. Running it twice changes nothing.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import re
from collections.abc import Callable
from typing import NamedTuple

from markupsafe import Markup, escape

WBR = "<wbr>"
NOBR_OPEN, NOBR_CLOSE = '<span class="nobr">', "</span>"
# Even under keep-all a browser may break after closing punctuation and 「・」 or before an opening bracket
# (「在庫・ / 受発注の」). A phrase with such a place inside it, short enough to fit any heading line on a
# 320 px phone, is kept on one line by a <span class="nobr"> (white-space: nowrap in site.css).
NOBR_MAX = 12
BREAK_AFTER = frozenset("、。，．・：；！？）」』】〕〉》］｝”’")
BREAK_BEFORE = frozenset("（「『【〔〈《［｛“‘")

Segmenter = Callable[[str], list[str]]
RunMemo = dict[str, list[tuple[int, int, str]]]

# Elements whose whole text is short and gets phrase breaks.
SHORT_TEXT = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "th", "td", "caption", "dt", "figcaption",
                        "summary", "legend", "label", "button", "nav", "a"})
# Body text: left to the browser, except that a link inside it is phrased on its own.
BODY_TEXT = frozenset({"p", "li", "dd", "blockquote"})
# Never a break inside these.
OPAQUE = frozenset({"head", "script", "style", "template", "textarea", "select", "option", "pre", "code",
                    "kbd", "samp", "var", "ruby", "rt", "rp", "svg", "math", "noscript", "title"})
ANNOTATION = frozenset({"rt", "rp"})
# Inline elements: text runs on across them (a phrase may span 「<a>用語</a>とは」); any other element
# ends the run.
INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s",
                    "small", "span", "strong", "sub", "sup", "time", "u", "wbr", "code", "kbd", "samp", "var",
                    "ruby", "rt", "rp", "svg", "math"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                  "track", "wbr"})


class _Piece(NamedTuple):  # a tuple: a page makes hundreds of them, and a frozen dataclass is slow to make
    text: str  # decoded text (an entity such as &amp; decodes to one piece of its own)
    start: int  # source offset of the piece
    raw: bool  # text maps one to one onto the source (False for a character reference)
    marked: bool  # breaks may go inside or right before this piece
    kept: bool = False  # already inside a <span class="nobr">


def _breakable_inside(phrase: str) -> bool:
    return any(phrase[k - 1] in BREAK_AFTER or phrase[k] in BREAK_BEFORE for k in range(1, len(phrase)))


def _boundaries(chunks: list[str]) -> list[int]:
    """Offsets in the joined text where one chunk ends and the next begins."""
    out, pos = [], 0
    for c in chunks[:-1]:
        pos += len(c)
        out.append(pos)
    return out


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and not ch.isspace()


# One pass over the page, tag by tag. Our pages are our own well-formed output (templates, and Markdown
# already normalized by nh3), so a tokenizer this small is exact for them, and several times faster than
# html.parser, whose line/column bookkeeping dominated the build; text between tags is split at character
# references, which decode to one piece each.
_TOKEN = re.compile(
    r"<!--.*?-->|<![^>]*>|<\?[^>]*>"
    r"|</(?P<end>[A-Za-z][A-Za-z0-9:-]*)\s*>"
    r"|<(?P<start>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(?P<close>/?)>",
    re.S)
# Body text outside any short element takes no mark: in that state ``_DEAD`` steps over its text,
# comments, declarations and void elements at once, in C (the same tokens as ``_TOKEN``); any other tag is
# read as usual, since it moves the stack of open elements (even misnested: ``<em><a></em>`` closes the a).
_VOIDS = "|".join(sorted(VOID, key=lambda t: (-len(t), t)))
_DEAD = re.compile(
    r"(?:[^<]+|<!--.*?-->|<![^>]*>|<\?[^>]*>"
    rf"|<(?i:{_VOIDS})(?![A-Za-z0-9:-])(?:[^>\"']|\"[^\"]*\"|'[^']*')*?/?>"
    r"|<(?![A-Za-z/!?]))*+",
    re.S)
# In that state, a link whose text is plain (no tag, no character reference) is one run of its own: its marks
# are looked up by its text (``_Scanner.runs``) without entering it tag by tag. Self-closing <a/> is not one.
_PLAIN_LINK = re.compile(r"<[Aa](?![A-Za-z0-9:-])(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?<!/)>([^<&]*)</[Aa]\s*>")
# A heading or a table cell whose text is plain (no tag, no character reference) is one run of its own as well:
# looked up by its text right at its start tag (``_plain_element``), a third of the tags of an article.
_PLAIN_BLOCK = SHORT_TEXT - INLINE
_PLAIN_ELEMENT_END: dict[str, re.Pattern[str]] = {
    tag: re.compile(rf"([^<&]*)</{tag}\s*>", re.I) for tag in _PLAIN_BLOCK}
_REF = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})
_NOBR_ATTR = re.compile(r"""\bclass\s*=\s*(?:"nobr"|'nobr'|nobr\b)""")


class _Scanner:
    """Collects the text runs of a page and where in the source ``<wbr>`` marks belong."""

    def __init__(self, source: str, segment: Segmenter, short: bool = False, fast: bool = True,
                 runs: RunMemo | None = None):
        self.source = source
        self.fast = fast  # step over body text with ``_DEAD`` (False: tag by tag, the reference in tests)
        # a plain run's text → its marks, relative to the run's start (kept by the caller between pages)
        self.runs: RunMemo | None = (runs if runs is not None else {}) if fast else None
        self.segment = segment
        self.stack: list[str] = []  # open elements
        self.kept: list[bool] = []  # for each open element: is it a <span class="nobr">
        self.nobr = 0  # how many of them are
        self.run: list[_Piece] = []
        self.run_marked = False  # some piece of the run may take a break (most runs are body text: none)
        self.existing: set[int] = set()  # text offsets in the run where a <wbr> already is
        self.inserts: list[tuple[int, int, str]] = []  # (source offset, order at that offset, markup)
        self.opaque = 0
        self.short = int(short)  # 1: the whole source is short text (a string a template prints)
        self.body = 0
        self.annotation = 0  # inside <rt>/<rp>: a reading is not part of the sentence's phrases

    def scan(self) -> None:
        src, pos, fast = self.source, 0, self.fast
        while True:
            if fast and self.body and not (self.short or self.opaque or self.annotation or self.run_marked):
                pos = _DEAD.match(src, pos).end()  # type: ignore[union-attr]  # (it matches the empty string)
                link = _PLAIN_LINK.match(src, pos) if not self.nobr else None
                if link is not None:
                    self.run, self.existing = [], set()  # (what the <a> would flush: body text, no marks)
                    self._plain_run(link.group(1), link.start(1))
                    pos = link.end()
                    continue
            m = _TOKEN.search(src, pos)
            text_end = m.start() if m else len(src)
            if text_end > pos:
                self._data(pos, text_end)
            if m is None:
                break
            pos = m.end()
            if m["end"]:
                self._end_tag(m["end"].lower())
            elif m["start"]:
                tag = m["start"].lower()
                if m["close"]:
                    self._startend_tag(tag)
                elif fast and tag in _PLAIN_BLOCK and (end := self._plain_element(tag, pos)):
                    pos = end
                else:
                    self._start_tag(tag, tag == "span" and bool(_NOBR_ATTR.search(m["attrs"])))
                    if tag in _RAW_TEXT:  # its text is not markup: skip to its end tag
                        close = re.compile(rf"</{tag}\s*>", re.I).search(src, pos)
                        pos = close.start() if close else len(src)
        self._flush()

    def _marked(self) -> bool:
        return self.opaque == 0 and self.short > 0

    def _data(self, start: int, end: int) -> None:
        if self.annotation:
            return
        marked, kept, src, at = self._marked(), self.nobr > 0, self.source, start
        self.run_marked = self.run_marked or marked
        if src.find("&", start, end) < 0:  # no character reference: one piece (most text)
            self.run.append(_Piece(src[start:end], start, True, marked, kept))
            return
        for ref in _REF.finditer(src, start, end):
            if ref.start() > at:
                self.run.append(_Piece(src[at:ref.start()], at, True, marked, kept))
            self.run.append(_Piece(html.unescape(ref.group()), ref.start(), False, marked))
            at = ref.end()
        if end > at:
            self.run.append(_Piece(src[at:end], at, True, marked, kept))

    def _flush(self) -> None:
        run, existing = self.run, self.existing
        if not self.run_marked:
            if run:
                self.run = []
            if existing:
                self.existing = set()
            return
        self.run, self.existing, self.run_marked = [], set(), False
        if len(run) == 1 and not existing and self.runs is not None:
            p = run[0]
            if p.raw and p.marked and not p.kept:  # most runs: a link's or a heading's plain text
                self._plain_run(p.text, p.start)
                return
        self.inserts.extend(self._marks(run, existing))

    def _plain_element(self, tag: str, at: int) -> int:
        """Where a short element starting at ``at`` whose text is plain ends (0: it is not one, or marks inside
        it would not be plain: a reading, code, a nobr span around it). Its marks are in ``inserts`` then,
        as the tag-by-tag scan would leave them: the run before it ended, its text phrased on its own."""
        if self.opaque or self.annotation or self.nobr:
            return 0
        m = _PLAIN_ELEMENT_END[tag].match(self.source, at)
        if m is None:
            return 0
        self._flush()
        self._plain_run(m.group(1), at)
        return m.end()

    def _plain_run(self, text: str, start: int) -> None:
        """The marks of a run that is one raw, marked piece of text starting at ``start`` in the source."""
        assert self.runs is not None
        rel = self.runs.get(text)
        if rel is None:
            rel = self.runs[text] = self._marks([_Piece(text, 0, True, True)], set())
        self.inserts.extend((start + at, order, markup) for at, order, markup in rel)

    def _marks(self, run: list[_Piece], existing: set[int]) -> list[tuple[int, int, str]]:
        """Where the marks of one run of text go: (source offset, order at that offset, markup)."""
        out: list[tuple[int, int, str]] = []
        text = "".join(p.text for p in run)
        if not text.strip():
            return out
        starts, pos = [], 0
        for p in run:
            starts.append(pos)
            pos += len(p.text)
        phrases = self.segment(text)
        self._keep_phrases_whole(run, starts, phrases, out)
        for b in _boundaries(phrases):
            if b in existing or text[b - 1].isspace() or text[b].isspace():
                continue
            if _ascii_word(text[b - 1]) and _ascii_word(text[b]):
                continue
            i = bisect.bisect_right(starts, b) - 1
            p = run[i]
            # A boundary at a piece's start belongs to that piece; inside, only raw text can be split.
            if not p.marked or (b > starts[i] and not p.raw):
                continue
            out.append((p.start + (b - starts[i]), 1, WBR))
        return out

    def _keep_phrases_whole(self, run: list[_Piece], starts: list[int], phrases: list[str],
                            out: list[tuple[int, int, str]]) -> None:
        pos = 0
        for phrase in phrases:
            lead = len(phrase) - len(phrase.lstrip())
            core = phrase.strip()
            s = pos + lead
            e = s + len(core)
            pos += len(phrase)
            if len(core) > NOBR_MAX or not _breakable_inside(core):
                continue
            i = bisect.bisect_right(starts, s) - 1
            p = run[i]
            if p.marked and p.raw and not p.kept and e <= starts[i] + len(p.text):
                out.append((p.start + s - starts[i], 2, NOBR_OPEN))
                out.append((p.start + e - starts[i], 0, NOBR_CLOSE))

    def _enter(self, tag: str, kept: bool = False) -> None:
        self.stack.append(tag)
        self.kept.append(kept)
        self.nobr += kept
        self.opaque += tag in OPAQUE
        self.short += tag in SHORT_TEXT
        self.body += tag in BODY_TEXT
        self.annotation += tag in ANNOTATION

    def _leave(self) -> str:
        tag = self.stack.pop()
        self.nobr -= self.kept.pop()
        self.opaque -= tag in OPAQUE
        self.short -= tag in SHORT_TEXT
        self.body -= tag in BODY_TEXT
        self.annotation -= tag in ANNOTATION
        return tag

    def _ends_run(self, tag: str) -> bool:
        """A block ends the text run; so does a link in body text, whose words are phrased by themselves."""
        return tag not in INLINE or (tag == "a" and self.body > 0)

    def _existing_wbr(self) -> None:
        self.existing.add(sum(len(p.text) for p in self.run))

    def _start_tag(self, tag: str, nobr: bool) -> None:
        if tag == "wbr":
            self._existing_wbr()
            return
        if self._ends_run(tag):
            self._flush()
        if tag not in VOID:
            self._enter(tag, tag == "span" and nobr)

    def _startend_tag(self, tag: str) -> None:
        if tag == "wbr":
            self._existing_wbr()
        elif tag not in INLINE:
            self._flush()

    def _end_tag(self, tag: str) -> None:
        if tag in VOID or tag not in self.stack:
            return
        if self._ends_run(tag):
            self._flush()
        while self.stack and self._leave() != tag:  # close what the page left open inside it, as browsers do
            pass


def insert_breaks(page: str, segment: Segmenter, short: bool = False, *, fast: bool = True,
                  runs: RunMemo | None = None) -> str:
    """``page`` with ``<wbr>`` at the phrase boundaries ``segment`` finds in its short text.

    ``page`` may be a whole page or a fragment of body content (the Markdown of one document); with
    ``short``, all of it is short text, as where a template prints a heading or a link's name."""
    scanner = _Scanner(page, segment, short, fast, runs)
    scanner.scan()
    out, last = [], 0
    for at, _, markup in sorted(set(scanner.inserts)):
        out.append(page[last:at])
        out.append(markup)
        last = at
    out.append(page[last:])
    return "".join(out)


PhraseMemo = dict[str, list[str]]  # digest of a text run → its phrases


class PhraseBreaker:
    """BudouX's Japanese model, with the phrases of every text run kept by a digest of the text.

    Pages repeat most of their short text (navigation, link names), so a rebuild and the pages after
    the first mostly look phrases up. The memo lives as long as its owner (the Renderer).
    """

    def __init__(self, memo: PhraseMemo | None = None):
        import budoux  # imported here: loading the model costs a little, and only builds need it

        self._parser = budoux.load_default_japanese_parser()
        self.memo: PhraseMemo = {} if memo is None else memo
        self.runs: RunMemo = {}  # the marks of a run that is one plain text (a link's, a heading's), by text

    def segment(self, text: str) -> list[str]:
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = list(self._parser.parse(text))
        return hit

    def __call__(self, page: str) -> str:
        return insert_breaks(page, self.segment, runs=self.runs)


class PhraseFilter:
    """The Jinja filter ``phrase``: the text a template prints in a heading, a link, a nav … with its marks.

    A plain string is escaped first; ``Markup`` (a ``{% filter phrase %}`` block, or HTML a view hands
    over) is taken as HTML. Either way it is all short text. Results are kept by the HTML itself: a
    term's or an article's name is printed on hundreds of pages, and each is phrased once per process.
    """

    def __init__(self, breaker: PhraseBreaker):
        self.breaker = breaker
        self.memo: dict[str, Markup] = {}  # by the HTML
        # by the plain string itself, most calls (a name printed on hundreds of pages): one lookup, no escaping
        self.plain: dict[str, Markup] = {}

    def __call__(self, value: object) -> Markup:
        if type(value) is str:
            hit = self.plain.get(value)
            if hit is None:
                hit = self.plain[value] = self._marked(value)
            return hit
        return self._marked(value)

    def _marked(self, value: object) -> Markup:
        source = str(escape(value))
        hit = self.memo.get(source)
        if hit is None:
            hit = self.memo[source] = Markup(insert_breaks(source, self.breaker.segment, short=True))
        return hit
