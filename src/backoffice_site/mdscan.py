"""Which characters of a Markdown source are prose a reader sees, by offset in the source.

Proofreading must point at ``line:col`` and rewrite exactly the bytes it flagged, so it needs positions in
the text the author wrote. Python-Markdown's element tree keeps none (and has already dropped the code,
URLs and attributes we must leave alone), so this is a light scanner over the raw source instead. It
mirrors the constructs our renderer enables (fenced code, tables, footnotes, attr_list, def_list,
admonition, our ``[[wikilinks]]``) and, where unsure, treats text as not prose: a missed warning is
better than a ``--fix`` that edits code or a URL.

``mask(text)`` returns a string of the same length where everything that is not prose is ``\\0``:
fenced and indented code, code spans, link and image targets, reference definitions, autolinks, bare
URLs, HTML comments, tags with their attributes, the contents of ``<pre>``/``<code>``/``<kbd>``/
``<script>``/``<style>``, entities, attribute lists ``{#id .class}``, footnote labels, admonition types
and wikilink targets. Headings, link texts, image alt texts, table cells and emphasis stay prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable

HOLE = "\0"  # no rule can contain it (YAML and our sources reject NUL), so nothing matches across it

_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_CONTAINER = re.compile(r"^ {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|!!!|\?\?\?|:[ \t]|\[\^[^\]]+\]:)")
_REF_DEF = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S.*$", re.M)
_FOOTNOTE_LABEL = re.compile(r"\[\^[^\]\n]*\]:?")
_ADMONITION = re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?)[ \t]*[\w-]*(?:[ \t]+[\w-]+)*", re.M)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LITERAL_ELEMENT = re.compile(r"<(pre|code|kbd|samp|script|style|textarea)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.S | re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<![A-Za-z][^<>]*>|<\?.*?\?>", re.S)
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
_BARE_URL = re.compile(rf"(?:https?|ftp)://{_URL_CHARS}|www\.[A-Za-z0-9-]+\.{_URL_CHARS}|mailto:{_URL_CHARS}")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ATTR_ITEM = r"(?:[#.][\w-]+|[\w-]+=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s}]+))"
_ATTR_LIST = re.compile(r"\{:?[ \t]*" + _ATTR_ITEM + r"(?:[ \t]+" + _ATTR_ITEM + r")*[ \t]*\}")
_WIKI_TARGET = re.compile(r"\[\[([^\]|\n]*)(\|?)")
_REF_LABEL = re.compile(r"\]\[[^\]\n]*\]")
_BACKTICKS = re.compile(r"(?<!\\)`+")


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))


def _blocks(text: str, holes: list[tuple[int, int]]) -> None:
    """Fenced and indented code blocks and reference definitions, line by line."""
    pos = 0
    fence: str | None = None
    prev_blank = True
    container = False  # inside a list item, admonition, definition or footnote: indentation continues it
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if fence is not None:
            holes.append((start, end))
            m = _FENCE.match(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and \
                    not line[m.end():].strip():
                fence = None
            prev_blank = False
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group(1)
            holes.append((start, end))
            prev_blank = False
            continue
        blank = not line.strip()
        if not blank:
            code_indent = 8 if container else 4
            if prev_blank and _indent(line) >= code_indent:
                holes.append((start, end))  # an indented code block (its blank lines hold no prose)
                continue
            if _indent(line) < 4 and prev_blank:
                container = bool(_CONTAINER.match(line))
            elif _CONTAINER.match(line):
                container = True
        prev_blank = blank  # (an indented code line 'continue's above: the next indented line goes on with it)
    for m in _REF_DEF.finditer(text):
        holes.append(m.span())


def _code_spans(text: str, holes: list[tuple[int, int]]) -> None:
    """Backtick code spans: a run of n backticks up to the next run of exactly n, within a paragraph."""
    pos = 0
    while True:
        m = _BACKTICKS.search(text, pos)
        if m is None:
            return
        n = len(m.group(0))
        close = m.end()
        while True:
            c = text.find("`" * n, close)
            if c < 0:
                break
            run_end = c
            while run_end < len(text) and text[run_end] == "`":
                run_end += 1
            if run_end - c == n:
                break
            close = run_end
        if c < 0 or re.search(r"\n[ \t]*\n", text[m.end():c]):
            pos = m.end()  # no closing run in this paragraph: the backticks are literal
            continue
        holes.append((m.start(), c + n))
        pos = c + n


def _link_targets(text: str, holes: list[tuple[int, int]]) -> None:
    """``](target "title")``: from the parenthesis to its balanced closing one, on the same line."""
    pos = 0
    while True:
        i = text.find("](", pos)
        if i < 0:
            return
        depth, j = 0, i + 1
        while j < len(text) and text[j] != "\n":
            ch = text[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    holes.append((i + 1, j + 1))
                    break
            j += 1
        pos = i + 2


def _fill(chars: list[str], holes: list[tuple[int, int]]) -> None:
    for s, e in holes:
        for k in range(s, e):
            if chars[k] != "\n":  # keep line structure for the scanners that follow
                chars[k] = HOLE


def mask(text: str) -> str:
    """``text`` with every character that is not prose replaced by ``HOLE`` (same length, same lines)."""
    holes: list[tuple[int, int]] = []
    _blocks(text, holes)
    chars = list(text)
    _fill(chars, holes)
    # Each pass sees what the passes before it left, so a backtick in a fenced block opens no code span,
    # and a URL inside a code span is not looked at twice.
    passes: list[Callable[[str, list[tuple[int, int]]], None]] = [
        _code_spans,
        lambda t, h: h.extend(m.span() for m in _COMMENT.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _LITERAL_ELEMENT.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _AUTOLINK.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _TAG.finditer(t)),
        _link_targets,
        lambda t, h: h.extend(m.span() for m in _REF_LABEL.finditer(t)),
        lambda t, h: h.extend((m.start(), m.end()) for m in _WIKI_TARGET.finditer(t) if m.group(2)),
        lambda t, h: h.extend(m.span(1) for m in _WIKI_TARGET.finditer(t) if not m.group(2)),
        lambda t, h: h.extend(m.span() for m in _BARE_URL.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _ENTITY.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _ATTR_LIST.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _FOOTNOTE_LABEL.finditer(t)),
        lambda t, h: h.extend(m.span() for m in _ADMONITION.finditer(t)),
    ]
    for scan in passes:
        found: list[tuple[int, int]] = []
        scan("".join(chars), found)
        _fill(chars, found)
    return "".join(chars)
