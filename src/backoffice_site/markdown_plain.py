"""Text without inline Markdown syntax steps over Python-Markdown's inline patterns.

Python-Markdown tries every inline pattern (code, escapes, links, images, autolinks, raw HTML, entities, line
breaks, emphasis, footnotes, our ``[[term]]``) on every text of the tree, one Python call each, even where the
text holds none of their characters: a fifth of an article's Markdown time on the medium corpus (4.4 ms an
article without this module, 3.6 ms with it; the same HTML). This tree processor runs just before the inline
one and marks such text ``AtomicString``, Python-Markdown's own flag for "no inline processing here".

A text is plain when it holds nothing that every match of some registered pattern contains. What that is for
each pattern is listed by name below, read off its regular expression; a pattern not listed (another
extension's) may match anything, so one of those turns the shortcut off for the whole pipeline.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString, Registry

PRIORITY = 21  # just before Python-Markdown's "inline" (20)

# inline pattern name → a regular expression for what every one of its matches contains
_NEEDS = {
    "backtick": "`", "escape": r"\\",
    "reference": r"\[", "link": r"\[", "image_link": r"\[", "image_reference": r"\[", "short_reference": r"\[",
    "short_image_ref": r"\[", "footnote": r"\[", "bos_wikilink": r"\[",
    "autolink": "<", "automail": "<", "html": "<",
    "entity": "&",
    "linebreak": "  \n",
    "em_strong": r"[*_]", "em_strong2": r"[*_]", "not_strong": r"[*_]",
}


class PlainText(Treeprocessor):
    """Marks plain text ``AtomicString`` (registered at ``PRIORITY``)."""

    def run(self, root: etree.Element) -> None:
        syntax = _syntax(self.md.inlinePatterns)
        if syntax is None:
            return
        search = syntax.search
        for el in root.iter():
            text = el.text
            if text and type(text) is str and search(text) is None:  # (an AtomicString is one already)
                el.text = AtomicString(text)
            tail = el.tail
            if tail and type(tail) is str and search(tail) is None:
                el.tail = AtomicString(tail)


def _syntax(patterns: Registry[Any]) -> re.Pattern[str] | None:
    """What any registered inline pattern needs, or None when one of them is not known here."""
    needs = [need for name, need in _NEEDS.items() if name in patterns]
    return _compiled(frozenset(needs)) if len(needs) == len(patterns) else None


@functools.lru_cache(maxsize=8)
def _compiled(needs: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(sorted(needs)))
