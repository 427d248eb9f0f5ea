"""Proofreading (表記): spellings to avoid, found in prose with the linker's word boundaries.

Two kinds of rules, one matcher:

- a glossary term's ``variants:`` (Wワーク for ダブルワーク): spellings of the term to avoid. Unlike aliases
  they never link; each occurrence is a warning that names the term;
- site.yaml ``style:`` entries ``{avoid, prefer, note}`` for words that are not terms (出来る → できる).

Every ``avoid`` is compiled into one ``autolink.TermMatcher``, so the boundaries are exactly the linker's: a
katakana spelling is not found inside a longer katakana word (パート is not in アパート), a spelling that
starts or ends with a Latin letter or digit needs non-alphanumeric neighbours, and text is compared
after NFKC (Ｗワーク is Wワーク). Term names and aliases are in the matcher too, so nothing inside an
accepted name is reported (a variant 有給 of 有給休暇 is not found in 有給休暇).

What is read: article bodies (headings included: an editor wants them consistent too), article titles and
descriptions, term definitions and summaries. What is never read: front matter keys, code (fenced,
indented, spans), link targets, URLs, HTML tags and their attributes (see ``mdscan``).

A finding carries its place in the file's text as ``sources.read_text`` returns it (LF line ends, no BOM,
NFC) and its ``line:col``; ``fix`` turns those back into bytes of the file on disk.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backoffice_site import frontmatter, mdscan, yamlsrc
from backoffice_site.autolink import TermMatcher
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc, Severity
from backoffice_site.resolve import Site
from backoffice_site.sources import MAX_ARTICLE_BYTES, read_text
from backoffice_site.yamlsrc import YMap, YNode, YScalar, YSeq


@dataclass(frozen=True)
class Rule:
    avoid: str  # NFKC
    prefer: str
    note: str
    loc: Loc  # where the avoided spelling is configured
    term: str | None = None  # the term's slug, for a term's variant

    def message(self, found: str) -> str:
        text = f"表記: '{found}' → '{self.prefer}'"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    col: int
    start: int  # offsets in the file's text (as sources.read_text returns it); -1 when not placeable
    end: int
    found: str  # as written
    rule: Rule

    @property
    def loc(self) -> Loc:
        return Loc(self.path, self.line, self.col)

    @property
    def prefer(self) -> str:
        return self.rule.prefer

    @property
    def fixable(self) -> bool:
        """False when the text went through a YAML escape or line folding: its bytes are not known."""
        return self.start >= 0

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.loc, Severity.WARNING, self.rule.message(self.found))


@dataclass(frozen=True)
class Segment:
    """A piece of a file to proofread: its value, and where each of its characters sits in the file."""

    value: str
    markdown: bool
    loc: Loc  # where the value starts (for a YAML scalar, where its node starts)
    start: int = -1  # the value is the file's text from this offset on; -1: a YAML scalar, placed by _aligned
    style: str = ""  # the YAML scalar's style ('' plain, quote, '|' or '>')


@dataclass(frozen=True)
class Document:
    path: str
    text: str  # the whole file, as sources.read_text returns it
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Proofread:
    rules: tuple[Rule, ...]
    findings: tuple[Finding, ...]


# ---------------------------------------------------------------------------------------------------------
# Rules


def rules_of(site: Site, diags: Diagnostics) -> tuple[Rule, ...]:
    """Term variants and style rules, checked against each other and the glossary; bad ones are dropped.

    A spelling cannot be both accepted and avoided (a variant equal to a term or an alias), nor be another
    rule's preferred spelling (``--fix`` would undo itself), nor be avoided twice; and a preferred spelling
    must not contain an avoided one (``--fix`` would never be done).
    """
    candidates = [Rule(v, t.name, "", loc, t.slug) for t in site.terms for v, loc in t.variants]
    candidates += [Rule(s.avoid, s.prefer, s.note, s.loc) for s in site.content.config.style]
    names = {unicodedata.normalize("NFKC", n): t for t in site.terms for n in t.names}
    prefers: dict[str, Rule] = {}
    for r in candidates:
        prefers.setdefault(unicodedata.normalize("NFKC", r.prefer), r)
    good: list[Rule] = []
    seen: dict[str, Rule] = {}
    for r in candidates:
        what = f"variant '{r.avoid}' of '{r.prefer}'" if r.term else f"style rule avoid '{r.avoid}'"
        owner = names.get(r.avoid)
        other = prefers.get(r.avoid)
        if not r.avoid:
            diags.error(r.loc, f"{what} is empty")
        elif owner is not None:
            kind = "the term" if owner.name == r.avoid else "an alias of"
            diags.error(r.loc, f"{what} is {kind} '{owner.name}' ({owner.loc}): a spelling cannot be both "
                        "accepted and avoided; remove one")
        elif unicodedata.normalize("NFKC", r.prefer) == r.avoid:
            diags.error(r.loc, f"{what} is the same as what it prefers; remove the rule")
        elif other is not None:
            diags.error(r.loc, f"{what} is what another rule prefers ({other.loc}: '{other.avoid}' → "
                        f"'{other.prefer}'); --fix would undo itself")
        elif r.avoid in seen:
            diags.error(r.loc, f"{what} is already avoided at {seen[r.avoid].loc}; keep one rule")
        else:
            seen[r.avoid] = r
            good.append(r)
    # A preferred spelling that itself holds an avoided one would be flagged again after every fix
    # (unless it is inside an accepted name there, as 有給 is in 有給休暇).
    suspects = [r for r in good if any(o.avoid in unicodedata.normalize("NFKC", r.prefer) for o in good)]
    matcher = matcher_for(tuple(good), names) if suspects else None
    loops = set()
    for r in suspects:
        assert matcher is not None
        for m in matcher.finditer(unicodedata.normalize("NFKC", r.prefer)):
            if m.key == _ACCEPTED:
                continue
            inner = good[int(m.key)]
            loops.add(id(r))
            diags.error(r.loc, f"'{r.avoid}' → '{r.prefer}': the preferred spelling contains the avoided "
                        f"'{inner.avoid}' ({inner.loc}); --fix would never be done")
            break
    return tuple(r for r in good if id(r) not in loops)


# ---------------------------------------------------------------------------------------------------------
# Finding


_ACCEPTED = ""  # matcher key of an accepted name: matched only so that nothing inside it is found


def matcher_for(rules: tuple[Rule, ...], accepted: Iterable[str] = ()) -> TermMatcher:
    """One matcher for every avoided spelling, plus the accepted names (terms and aliases).

    An accepted name is matched too, and longest wins, so a spelling inside it is not reported: a variant
    有給 of 有給休暇 is found in 有給を取る but not in 有給休暇 or 年次有給休暇 (and fixing it leaves
    nothing to find again).
    """
    return TermMatcher([(r.avoid, str(i)) for i, r in enumerate(rules)] + [(n, _ACCEPTED) for n in accepted])


def find(doc: Document, rules: tuple[Rule, ...], matcher: TermMatcher | None = None) -> tuple[Finding, ...]:
    """Every occurrence of an avoided spelling in the prose of ``doc`` (a pure function)."""
    if matcher is None:
        matcher = matcher_for(rules)
    lines = _line_starts(doc.text)
    out: list[Finding] = []
    for seg in doc.segments:
        prose = mdscan.mask(seg.value) if seg.markdown else seg.value
        origin: list[int] | None = None  # placed only when something is found (most values hold nothing)
        for m in matcher.finditer(prose):
            if m.key == _ACCEPTED:
                continue
            rule = rules[int(m.key)]
            found = seg.value[m.start:m.end]
            if seg.start >= 0:
                s, e = seg.start + m.start, seg.start + m.end - 1
            else:
                origin = origin or _aligned(seg, doc.text, lines)
                s, e = origin[m.start], origin[m.end - 1]
            if s >= 0 and e >= 0 and doc.text[s:e + 1] == found:
                line = bisect.bisect_right(lines, s)
                out.append(Finding(doc.path, line, s - lines[line - 1] + 1, s, e + 1, found, rule))
            else:
                out.append(Finding(doc.path, seg.loc.line, seg.loc.col, -1, -1, found, rule))
    return tuple(out)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    i = text.find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = text.find("\n", i + 1)
    return starts


def _offset(lines: list[int], text: str, loc: Loc) -> int:
    if loc.line - 1 >= len(lines):
        return len(text)
    return min(lines[loc.line - 1] + loc.col - 1, len(text))


def _scalar(node: YScalar, markdown: bool) -> Segment:
    return Segment(node.value, markdown, node.loc, style=node.style)


def _aligned(seg: Segment, text: str, lines: list[int]) -> list[int]:
    """Where each character of a YAML scalar's value was written.

    Quotes, indentation and line breaks are skipped; a character that cannot be found where it should
    be (an escape such as ``\\u3042``) leaves it and the rest of the value unplaced: those findings are
    still reported, at the value's start, but ``--fix`` leaves them to the editor.
    """
    value = seg.value
    origin = [-1] * (len(value) + 1)
    pos = _offset(lines, text, seg.loc)
    if seg.style in ("|", ">"):
        nl = text.find("\n", pos)
        pos = len(text) if nl < 0 else nl + 1
    for i, ch in enumerate(value):
        if ch in " \t\n":
            if pos < len(text) and text[pos] == ch:
                origin[i] = pos
                pos += 1
            continue  # folded or indented: a space of the value need not be in the file
        while pos < len(text) and text[pos] != ch and text[pos] in " \t\n\"'\\":
            pos += 1
        if pos >= len(text) or text[pos] != ch:
            break
        origin[i] = pos
        pos += 1
    return origin


def _body(text: str, first_line: int, path: str) -> Segment:
    lines = _line_starts(text)
    start = lines[first_line - 1] if first_line - 1 < len(lines) else len(text)
    body = text[start:]
    return Segment(body, True, Loc(path, first_line, 1), start=start)


def article_document(path: str, text: str) -> Document | None:
    """An article: its body, plus the title and description of its front matter (values only)."""
    parts = frontmatter.split(text, path, Diagnostics())
    if parts is None:
        return None
    segments = [_body(text, parts.body_first_line, path)]
    node = yamlsrc.parse(parts.yaml_text, path, Diagnostics(), parts.yaml_first_line - 1)
    if isinstance(node, YMap):
        for key in ("title", "description"):
            value = node.items.get(key)
            if value is not None and isinstance(value[1], YScalar):
                segments.insert(0, _scalar(value[1], markdown=False))
    return Document(path, text, tuple(segments))


def glossary_document(path: str, text: str) -> Document | None:
    """A glossary file: each term's definition (Markdown) and summary (plain text)."""
    node = yamlsrc.parse(text, path, Diagnostics())
    if not isinstance(node, YMap):
        return None
    terms = node.items.get("terms")
    if terms is None or not isinstance(terms[1], YSeq):
        return None
    segments = []
    for item in terms[1].items:
        if not isinstance(item, YMap):
            continue
        for key, markdown in (("summary", False), ("definition", True)):
            value: tuple[Loc, YNode] | None = item.items.get(key)
            if value is not None and isinstance(value[1], YScalar):
                segments.append(_scalar(value[1], markdown))
    return Document(path, text, tuple(segments))


def _sources(root: Path, site: Site) -> Iterable[tuple[str, object, Callable[[], str | None],
                                                     Callable[[str, str], Document | None]]]:
    """(path, the loaded item, how to read the file again, how to read it as a document) for every file the
    loaded site came from. The file is read only when asked: an item equal to last time's (the loader hands
    back the very same object for a file whose bytes did not change) needs no new look."""
    quiet = Diagnostics()  # load has already reported problems reading them

    def reader(path: str, limit: int | None = None) -> Callable[[], str | None]:
        if limit is None:
            return lambda: read_text(root / path, root, quiet)
        return lambda: read_text(root / path, root, quiet, limit)

    for a in site.articles:
        yield a.source, a, reader(a.source, MAX_ARTICLE_BYTES), article_document
    for g in site.groups:
        yield g.source, g, reader(g.source), glossary_document


def _quick(rules: tuple[Rule, ...]) -> Callable[[str], bool]:
    """Whether a file may hold an avoided spelling: most hold none, and such a file is not parsed at all. A
    file with a backslash always may (a YAML escape can spell what its text does not show)."""
    quick = re.compile("|".join(re.escape(r.avoid) for r in sorted(rules, key=lambda r: -len(r.avoid))))
    return lambda text: not rules or "\\" in text or quick.search(unicodedata.normalize("NFKC", text)) is not None


def documents(root: Path, site: Site, rules: tuple[Rule, ...] = ()) -> Iterable[Document]:
    """The files the loaded site came from as documents (with ``rules``: only those that may hold one)."""
    may_hold = _quick(rules)
    for path, _, text_of, read in _sources(root, site):
        text = text_of()
        doc = read(path, text) if text is not None and may_hold(text) else None
        if doc is not None:
            yield doc


def lint(root: Path, site: Site, diags: Diagnostics, memo: dict[str, Any] | None = None) -> Proofread:
    """The build's proofreading step: configuration errors and one warning per finding into ``diags``.

    ``memo`` (kept by the dev server's builder) keeps the matcher while the rules and names are the same,
    and each file's findings while the loader hands back the same item for it (the file did not change): a
    rebuild reads and scans only the files that changed."""
    memo = {} if memo is None else memo
    # the rules, with what checking them found, kept while the terms and the style rules are the very same
    # (an article save): making them normalizes every name, 5-7 ms of a dev-server save on 3,000 terms
    made = memo.get("rules_of")
    if made is None or made[0] is not site.terms or made[1] is not site.content.config.style:
        local = Diagnostics()
        made = memo["rules_of"] = (site.terms, site.content.config.style, rules_of(site, local),
                                   tuple(local.items))
    diags.extend(made[3])
    rules: tuple[Rule, ...] = made[2]
    if not rules:
        return Proofread(rules, ())
    key = (rules, tuple(n for t in site.terms for n in t.names))
    if memo.get("key") != key:  # (every other entry of the memo is made anew)
        memo.update(key=key, matcher=matcher_for(rules, key[1]), may_hold=_quick(rules), files={})
    files: dict[str, tuple[object, tuple[Finding, ...]]] = memo["files"]
    findings: list[Finding] = []
    for path, item, text_of, read in _sources(root, site):
        hit = files.get(path)
        if hit is None or not (hit[0] is item or hit[0] == item):
            text = text_of()
            doc = read(path, text) if text is not None and memo["may_hold"](text) else None
            hit = files[path] = (item, tuple(find(doc, rules, memo["matcher"])) if doc is not None else ())
        findings.extend(hit[1])
    diags.extend(f.diagnostic() for f in findings)
    return Proofread(rules, tuple(findings))
