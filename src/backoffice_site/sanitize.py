"""The sanitizer: rendered Markdown keeps only what Markdown and our extensions produce, nothing that runs.

nh3 (ammonia) applies one allowlist; ``warn_dropped`` reports at its source line what it will remove, as
the HTML keeps no positions.
"""

from __future__ import annotations

import html
import re

import nh3

from backoffice_site.diagnostics import Diagnostics, Loc

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "b", "i", "u", "s", "del",
    "ins", "code", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
    "tfoot", "tr", "th", "td", "caption", "img", "div", "span", "sup", "sub", "ruby", "rt", "rp", "wbr",
    "kbd", "mark", "small", "abbr", "figure", "figcaption", "details", "summary", "section", "aside",
}
ALLOWED_ATTRS: dict[str, set[str]] = {
    "*": {"class", "id", "title", "lang", "role", "aria-label", "aria-hidden"},
    "a": {"href", "data-term", "rel"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "th": {"style", "colspan", "rowspan", "scope"},
    "td": {"style", "colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
_DROPPED_TAGS = ("script|iframe|frame|frameset|object|embed|applet|style|form|input|button|select|textarea|link|"
                 "meta|base|svg|math|template|noscript")
# Browsers ignore tabs and line breaks inside a URL's scheme: 'java<TAB>script:' is javascript:.
_SCHEMES = "|".join("[\t\r\n]*".join(word) for word in ("javascript", "vbscript", "data"))
_URL_ATTRS = r"(?:xlink:)?(?:href|src|srcset|action|formaction|poster|background|cite|data|codebase|lowsrc|dynsrc)"
_EVENT_ATTR = re.compile(r"(?:^|\s)(on[a-z]+)\s*=", re.I)
_DROPPED_PATTERNS = [
    (re.compile(rf"<\s*({_DROPPED_TAGS})\b", re.I), "raw <{0}> removed from the page"),
    (re.compile(r"<[^>]*\s(on[a-z]+)\s*=", re.I), "event handler attribute '{0}' removed"),
    (re.compile(r"\{:?[^}\n]*\s?(on[a-z]+)\s*=", re.I), "event handler attribute '{0}' removed"),
    # [x](javascript:…), [x](<javascript:…>), [ref]: javascript:…, <javascript:…>, href="javascript:…"
    (re.compile(rf"(?:\]\(\s*<?|^\s{{0,3}}\[[^\]]+\]:\s*<?|<|{_URL_ATTRS}\s*=\s*['\"]?)[\x00-\x20]*({_SCHEMES})"
                r"[\t\r\n]*:", re.I),
     "'{0}:' URL removed"),
]
SCRIPT_URL = re.compile(rf"[\x00-\x20]*(?:{_SCHEMES})[\t\r\n]*:", re.I)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_MAY_DROP = re.compile(r"[<{:&]")
_OPEN_TAG_AT_END = re.compile(r"<[a-z][^<>]*$", re.I)



def _filter_style(tag: str, attr: str, value: str) -> str | None:
    if attr == "style":
        m = re.fullmatch(r"\s*text-align:\s*(left|right|center);?\s*", value)
        return f"text-align: {m.group(1)};" if m else None
    return value


def sanitize(fragment: str) -> str:
    """Allowlist sanitizer: what Markdown and our extensions produce, nothing that runs."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
        strip_comments=True,
        # the filter only rewrites style="…"; without one in the fragment, calling back into Python for every
        # other attribute would cost a third of the sanitizer's time for the same result
        attribute_filter=_filter_style if "style" in fragment else None,
    )


def warn_dropped(body: str, source: str, first_line: int, diags: Diagnostics) -> None:
    """A warning at the source line of everything the sanitizer will drop (the HTML keeps no positions).

    Lines are read as the author wrote them, with code spans and fenced code left out (they are shown as
    text, never dropped), entities decoded (``jav&#x61;script:``) and tags that span lines followed.
    """
    in_fence = False
    in_tag = False
    for i, line in enumerate(body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or (not in_tag and not _MAY_DROP.search(line)):
            continue  # nothing here can be a tag, an attribute list or a URL scheme
        text = html.unescape(_CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line))
        found: list[tuple[int, str]] = []
        if in_tag:  # the attributes of a tag opened on an earlier line
            head = text.split(">", 1)[0]
            found += [(m.start(1), f"event handler attribute '{m.group(1).lower()}' removed")
                      for m in _EVENT_ATTR.finditer(head)]
            in_tag = ">" not in text
        for pattern, message in _DROPPED_PATTERNS:
            found += [(m.start(1), message.format(re.sub(r"\s", "", m.group(1)).lower()))
                      for m in pattern.finditer(text)]
        if _OPEN_TAG_AT_END.search(text):
            in_tag = True
        for start, message in found:
            col = min(start, len(line) - 1) + 1 if line else 1
            diags.warning(Loc(source, first_line + i, col), message + " (content may not run script)")
