"""content/site.yaml: the site's settings, its checked date and its proofreading rules."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from backoffice_site.dates import as_partial_date
from backoffice_site.diagnostics import Diagnostics, Loc
from backoffice_site.fields import Fields, parse_mapping, str_field
from backoffice_site.model import (
    NavItem,
    SiteConfig,
    StyleRule,
)
from backoffice_site.sources import read_text, rel
from backoffice_site.yamlsrc import YMap, YNode, YSeq, one_line, shown

SITE_FIELDS = ("title", "description", "base_url", "language", "author", "nav", "facts_checked", "style")
STYLE_FIELDS = ("avoid", "prefer", "note")


def load_config(root: Path, diags: Diagnostics, base_url: str | None = None) -> SiteConfig:
    path = root / "content" / "site.yaml"
    name = rel(root, path)
    fallback = SiteConfig("Site", "", base_url or "/", "ja", "", (), Loc(name))
    if not path.exists():
        diags.error(Loc(name), "missing content/site.yaml (it holds the site's title, description and "
                    "base_url)")
        return fallback
    text = read_text(path, root, diags)
    errors = len(diags.errors)
    node = parse_mapping(text, name, diags) if text is not None else None
    if node is None:
        if text is not None and len(diags.errors) == errors:  # only blank lines and comments
            diags.error(Loc(name), "content/site.yaml is empty: it needs at least 'title:' and 'base_url:'")
        return fallback
    f = Fields(node, SITE_FIELDS, "site.yaml", diags)
    title = f.get("title", str_field, required=True) or "Site"
    url = base_url or f.get("base_url", str_field) or "/"
    if not re.match(r"^(https?://[^/\s]+)?/\S*$|^https?://[^/\s]+$", url):
        diags.error(f.loc("base_url") or node.loc, f"base_url '{shown(url)}' must be an absolute URL "
                    "(https://example.org/) or a path starting with '/'")
        url = "/"
    if not url.endswith("/"):
        url += "/"
    nav: list[NavItem] = []
    nav_node = f.node_of("nav")
    if isinstance(nav_node, YSeq):
        for item in nav_node.items:
            if not isinstance(item, YMap):
                diags.error(item.loc, "each nav entry needs 'title:' and 'url:'")
                continue
            nf = Fields(item, ("title", "url"), "a nav entry", diags)
            t, u = nf.get("title", str_field, required=True), nf.get("url", str_field, required=True)
            if t and u:
                nav.append(NavItem(t, u))
    elif nav_node is not None:
        diags.error(nav_node.loc, "'nav' must be a list of entries with 'title:' and 'url:'")
    return SiteConfig(
        title=title,
        description=f.get("description", str_field) or "",
        base_url=url,
        language=f.get("language", str_field) or "ja",
        author=f.get("author", str_field) or "",
        nav=tuple(nav),
        loc=node.loc,
        facts_checked=f.get("facts_checked", as_partial_date),
        value_locs={k: v[1].loc for k, v in node.items.items()},
        style=_load_style(f.node_of("style"), diags),
    )


def _load_style(node: YNode | None, diags: Diagnostics) -> tuple[StyleRule, ...]:
    """site.yaml ``style:``; whether the rules agree with each other and the glossary is proofread's job."""
    if node is None:
        return ()
    if not isinstance(node, YSeq):
        diags.error(node.loc, "'style' must be a list of entries with 'avoid:' and 'prefer:' (optional 'note:')")
        return ()
    out = []
    for item in node.items:
        if not isinstance(item, YMap):
            diags.error(item.loc, "each style rule needs 'avoid:' and 'prefer:' (optional 'note:')")
            continue
        f = Fields(item, STYLE_FIELDS, "a style rule", diags)
        avoid = f.get("avoid", str_field, required=True, what=" (the spelling to avoid)")
        prefer = f.get("prefer", str_field, required=True, what=" (the spelling to write instead)")
        note = f.get("note", str_field) or ""
        aloc = f.loc("avoid") or item.loc
        if avoid is None or prefer is None:
            continue
        if not (one_line(avoid, aloc, "avoid", diags) and one_line(prefer, f.loc("prefer") or item.loc, "prefer",
                                                                  diags)):
            continue
        out.append(StyleRule(unicodedata.normalize("NFKC", avoid).strip(), prefer.strip(),
                             " ".join(note.split()), aloc))
    return tuple(out)
