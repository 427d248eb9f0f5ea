"""Finding glossary terms in running Japanese text: one pass per text, whatever the number of terms.

All names (terms and aliases) are compiled once into a single regular expression shaped like a trie
(``有給(?:休暇)?``), so the regex engine tries only the branches that match the next character: the cost
grows with the length of the text, not with the number of terms. Longer names are tried first at each
position, so the longest name wins (有給休暇 beats 休暇). Word boundaries follow the script:

- a name that starts or ends with katakana must not touch more katakana (パート is not in アパート or
  パートナー), which the engine itself enforces with lookarounds, so a shorter valid name still matches;
- a name that starts or ends with a Latin letter or digit needs non-alphanumeric neighbours (OJT, IT);
- kanji names may sit inside longer kanji words (人事 in 人事部) except in the words a term lists in
  ``not_in`` (総務 in 総務省).

Text is compared after NFKC (ＯＪＴ is OJT) while offsets always refer to the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_KATA = "\u30a1-\u30fa\u30fc\uff66-\uff9f"
_ALNUM = "A-Za-z0-9"


def _script(ch: str) -> str:
    if re.match(f"[{_KATA}]", ch):
        return "kata"
    if re.match(f"[{_ALNUM}]", ch):
        return "alnum"
    return "other"


_BEFORE_CLASS = {"kata": f"[{_KATA}]", "alnum": f"[{_ALNUM}]", "other": ""}
_AFTER = {"kata": f"(?![{_KATA}])", "alnum": f"(?![{_ALNUM}])", "other": ""}


@dataclass(frozen=True)
class Match:
    start: int  # offsets in the original text
    end: int
    key: str  # what the name was registered under (a term slug)
    name: str  # the matched name, normalized


class TermMatcher:
    """Compiled once per build from ``(name, key)`` pairs; ``not_in`` maps a key to excluded words."""

    def __init__(self, names: Iterable[tuple[str, str]], not_in: dict[str, tuple[str, ...]] | None = None):
        self.key_of: dict[str, str] = {}
        for name, key in names:
            n = unicodedata.normalize("NFKC", name).strip()
            if n:
                self.key_of.setdefault(n, key)
        self.not_in = {k: tuple(unicodedata.normalize("NFKC", w) for w in ws)
                       for k, ws in (not_in or {}).items() if ws}
        # The pattern of every name is compiled only once enough text has been searched: a build that renders
        # one edited article (the CLI's, with the cache) would spend longer compiling it (53 ms for 3,000
        # names) than searching. Until then each text is searched with a pattern of only the names it
        # contains (4 ms for an article's 45 text nodes against 3,000 names; 0.8 ms with the whole pattern):
        # a name absent from the text cannot match, so the matches are the same.
        self._regex: re.Pattern[str] | None = None
        self._narrowed: dict[tuple[str, ...], re.Pattern[str]] = {}
        self._searched = 0  # characters searched before the whole pattern was compiled
        self._by_first: dict[str, tuple[str, ...]] | None = None  # first character → the names it begins

    def _pattern(self, norm: str) -> re.Pattern[str] | None:
        """The pattern for ``norm`` while the whole one is not compiled (``finditer`` uses that one directly)."""
        if self._searched >= _NARROW_CHARS:
            self._regex = _compile(self.key_of)
            return self._regex
        self._searched += len(norm)
        if self._by_first is None:
            firsts: dict[str, list[str]] = {}
            for n in self.key_of:
                firsts.setdefault(n[0], []).append(n)
            self._by_first = {c: tuple(ns) for c, ns in firsts.items()}
        by_first = self._by_first
        # only the names that begin with a character of the text can be in it (a text node holds a few
        # dozen distinct characters: a few hundred checks instead of one per name)
        present = tuple(sorted(n for c in set(norm) for n in by_first.get(c, ()) if n in norm))
        if not present:
            return None
        hit = self._narrowed.get(present)
        if hit is None:
            hit = self._narrowed[present] = _compile(present)
        return hit

    def finditer(self, text: str) -> Iterator[Match]:
        if not self.key_of or not text or text.isspace():  # (half the text nodes are the newlines between blocks)
            return
        norm, offsets = _normalize_with_offsets(text)
        regex = self._regex or self._pattern(norm)  # (called for every text node: the common case inline)
        if regex is None:
            return
        pos = 0
        while True:
            m = regex.search(norm, pos)
            if m is None:
                return
            name = m.group(0)
            key = self.key_of[name]
            # A match must begin and end between original characters: in '0ﾟ' the mark belongs to the '0'.
            cut = not (_boundary(offsets, m.start()) and _boundary(offsets, m.end()))
            if cut or self._excluded(norm, m.start(), name, key):
                pos = m.start() + 1
                continue
            yield Match(offsets[m.start()], offsets[m.end()], key, name)
            pos = m.end()

    def _excluded(self, text: str, start: int, name: str, key: str) -> bool:
        for word in self.not_in.get(key, ()):
            i = word.find(name)
            while i >= 0:
                s = start - i
                if s >= 0 and text.startswith(word, s):
                    return True
                i = word.find(name, i + 1)
        return False


# About ten articles' worth of text: past it, compiling every name costs less than narrowing each text.
_NARROW_CHARS = 20_000


def _compile(names: Iterable[str]) -> re.Pattern[str]:
    names = list(names)
    try:
        return re.compile(_trie_pattern(names))
    except (RecursionError, OverflowError, re.error):
        # Hundreds of names each extending the one before (長, 長長, 長長長 …) nest the trie too deeply for
        # the regex compiler; a flat alternation, longest first, matches the same.
        return re.compile(_flat_pattern(names))


def _first(ch: str) -> str:
    """A name's first character, then the check that the character before it does not continue the word.

    The check comes *after* the character (``ア(?<![ァ-ヺ]ア)``, not ``(?<![ァ-ヺ])ア``): when every branch of
    the pattern begins with a literal, the regex engine knows the set of characters a match can start with
    and skips every other position in C. One branch beginning with a lookbehind loses that, and each
    position then tries every branch: 0.59 against 0.07 ms per article of the medium corpus."""
    before = _BEFORE_CLASS[_script(ch)]
    return re.escape(ch) + (f"(?<!{before}{re.escape(ch)})" if before else "")


def _flat_pattern(names: Iterable[str]) -> str:
    ordered = sorted(names, key=lambda n: (-len(n), n))
    return "|".join(_first(n[0]) + re.escape(n[1:]) + _AFTER[_script(n[-1])] for n in ordered)


def _trie_pattern(names: Iterable[str]) -> str:
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict, last: str) -> str:  # type: ignore[type-arg]
        prefix = ""
        while len(node) == 1 and "" not in node:  # a chain without branches is a plain string
            last, node = next(iter(node.items()))
            prefix += re.escape(last)
        return prefix + branch(node, last)

    def branch(node: dict, last: str) -> str:  # type: ignore[type-arg]
        branches = [re.escape(ch) + emit(child, ch) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            # Ending here comes last: longer names are tried first at every position.
            branches.append(_AFTER[_script(last)])
        if len(branches) == 1:
            return str(branches[0])
        return "(?:" + "|".join(branches) + ")"

    tops = [_first(ch) + emit(child, ch) for ch, child in sorted(trie.items())]
    return "|".join(tops)


def _boundary(offsets: list[int], i: int) -> bool:
    """Whether normalized index ``i`` falls between two pieces of the original text."""
    return i == 0 or i == len(offsets) - 1 or offsets[i] != offsets[i - 1]


# Characters NFKC leaves alone whatever surrounds them (ASCII, kana, unified ideographs, 、。「」): Japanese
# prose is mostly these, so runs of them are copied whole; only the rest goes character by character.
_STABLE_RUN = re.compile("[\x00-\x7f\u3001\u3002\u300c\u300d\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff]+")


def _normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC of ``text`` and, for each normalized index (plus the end), the original offset."""
    if unicodedata.is_normalized("NFKC", text):
        return text, list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        run = _STABLE_RUN.match(text, i)
        if run is not None:
            j = run.end()
            if j < n and (unicodedata.combining(text[j]) or text[j] in "\uff9e\uff9f"):
                j -= 1  # the last one goes with the mark after it
            if j > i:
                out.append(text[i:j])
                offsets.extend(range(i, j))
                i = j
                continue
        j = i + 1
        # Keep a base character together with combining or half-width voicing marks that follow it.
        while j < n and (unicodedata.combining(text[j]) or text[j] in "\uff9e\uff9f"):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j])
        out.append(piece)
        offsets.extend([i] * len(piece))
        i = j
    offsets.append(n)
    return "".join(out), offsets
