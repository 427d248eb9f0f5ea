"""Load stage: files on disk → the typed content model, with every problem collected."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import TypeVar

from backoffice_site import frontmatter, kana, yamlsrc
from backoffice_site.dates import as_partial_date
from backoffice_site.diagnostics import Diagnostics, Loc, did_you_mean
from backoffice_site.fields import Fields, parse_mapping, str_field
from backoffice_site.load_config import load_config as load_config  # re-exported: the loaders' entry points
from backoffice_site.model import (
    CHANGE_STATUSES,
    Article,
    Change,
    Group,
    SourceRef,
    Term,
)
from backoffice_site.romaji import romanize
from backoffice_site.sources import MAX_ARTICLE_BYTES, read_text, rel
from backoffice_site.yamlsrc import YMap, YNode, YScalar, YSeq, kind_name, one_line, shown

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
T = TypeVar("T")

ARTICLE_FIELDS = ("title", "description", "slug", "order", "date", "updated", "tags", "draft", "autolink")
GROUP_FIELDS = ("group", "description", "terms")
TERM_FIELDS = ("term", "reading", "definition", "slug", "en", "aliases", "summary", "see_also",
               "sources", "review_by", "not_in", "no_autolink", "changes", "variants")
SOURCE_FIELDS = ("title", "url", "as_of", "checked")
CHANGE_FIELDS = ("date", "summary", "status", "sources")
_CHANGE_DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def load_article(path: Path, root: Path, diags: Diagnostics) -> Article | None:
    name = rel(root, path)
    text = read_text(path, root, diags, MAX_ARTICLE_BYTES)
    if text is None:
        return None
    parts = frontmatter.split(text, name, diags)
    if parts is None:
        return None
    errors = len(diags.errors)
    node = parse_mapping(parts.yaml_text, name, diags, parts.yaml_first_line - 1, "front matter")
    if node is None:
        if len(diags.errors) == errors:  # only blank lines and comments: never drop an article silently
            diags.error(Loc(name, 1, 1), "front matter is empty: add 'title:' and 'description:'")
        return None
    f = Fields(node, ARTICLE_FIELDS, "article front matter", diags)
    title = f.get("title", str_field, required=True)
    description = f.get("description", str_field, required=True)
    slug = f.get("slug", str_field)
    if slug is None:
        slug = unicodedata.normalize("NFC", path.stem)
        if not SLUG_RE.match(slug):
            diags.error(Loc(name), f"file name '{shown(slug)}' is not a valid slug; rename the file using "
                        "a-z, 0-9 and '-', or set 'slug:'")
            return None
    elif not SLUG_RE.match(slug):
        diags.error(f.loc("slug") or node.loc, f"invalid slug '{shown(slug)}': use lowercase a-z, 0-9 and single "
                    "'-' (e.g. keiri-zaimu)")
        return None
    tags = f.get("tags", yamlsrc.as_str_list)
    # A missing title or description is reported above; the article still exists (titled by its slug)
    # so that links to it are not reported as dead too: one mistake, one error.
    return Article(
        source=name,
        slug=slug,
        title=title if title is not None else slug,
        description=description or "",
        order=f.get("order", yamlsrc.as_int),
        date=f.get("date", yamlsrc.as_date),
        updated=f.get("updated", yamlsrc.as_date),
        tags=tuple(t for t, _ in tags or ()),
        draft=bool(f.get("draft", yamlsrc.as_bool)),
        autolink=f.get("autolink", yamlsrc.as_bool) is not False,
        body=parts.body,
        body_line=parts.body_first_line,
        loc=Loc(name, 1, 1),
        field_locs={k: v[0] for k, v in node.items.items()},
    )


def _load_sources(node: YNode | None, diags: Diagnostics) -> tuple[SourceRef, ...]:
    if node is None:
        return ()
    if not isinstance(node, YSeq):
        diags.error(node.loc, "'sources' must be a list of entries with 'title:', 'url:' and 'checked:'")
        return ()
    out = []
    for item in node.items:
        if not isinstance(item, YMap):
            diags.error(item.loc, "each source needs 'title:', 'url:' and 'checked:'")
            continue
        f = Fields(item, SOURCE_FIELDS, "a source", diags)
        title = f.get("title", str_field, required=True, what=" in this source")
        url = f.get("url", str_field, required=True, what=" in this source")
        as_of = f.get("as_of", as_partial_date)
        checked = f.get("checked", as_partial_date)
        if url is not None and not re.match(r"^https?://\S+$", url):
            diags.error(f.loc("url") or item.loc, f"source url '{shown(url)}' must start with http:// or https://")
        if title and url:
            out.append(SourceRef(title, url, as_of, item.loc, checked,
                                 {k: v[1].loc for k, v in item.items.items()}))
    return tuple(out)


def _change_date(node: YNode, key: str, diags: Diagnostics) -> tuple[dt.date, bool] | None:
    """A change's date: YYYY-MM-DD, or YYYY-MM when only the month is known (→ its first day, month_only)."""
    text = node.value.strip() if isinstance(node, YScalar) else ""
    m = _CHANGE_DATE_RE.match(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1)), m[3] is None
        except ValueError:
            pass
    value = shown(node.value) if isinstance(node, YScalar) else kind_name(node)
    diags.error(node.loc, f"invalid date '{value}' in a change (expected YYYY-MM-DD, or YYYY-MM when only the "
                "month is known, e.g. 2026-10-01 or 2027-10)")
    return None


def _change_status(node: YNode, key: str, diags: Diagnostics) -> str | None:
    text = str_field(node, key, diags)
    if text is None:
        return None
    status = unicodedata.normalize("NFKC", text).strip()
    if status not in CHANGE_STATUSES:
        diags.error(node.loc, f"unknown status '{shown(text)}' in a change (use one of "
                    f"{', '.join(CHANGE_STATUSES)}){did_you_mean(status, CHANGE_STATUSES)}")
        return None
    return status


def _load_changes(node: YNode | None, diags: Diagnostics) -> tuple[Change, ...]:
    """The term's ``changes:`` list (issue 14); a broken entry is reported and left out."""
    if node is None:
        return ()
    if not isinstance(node, YSeq):
        diags.error(node.loc, "'changes' must be a list of entries with 'date:', 'summary:' and 'status:'")
        return ()
    out = []
    for item in node.items:
        if not isinstance(item, YMap):
            diags.error(item.loc, "each change needs 'date:', 'summary:' and 'status:'")
            continue
        f = Fields(item, CHANGE_FIELDS, "a change", diags)
        date = f.get("date", _change_date, required=True, what=" in this change (YYYY-MM-DD or YYYY-MM)")
        summary = f.get("summary", str_field, required=True, what=" in this change (one sentence)")
        status = f.get("status", _change_status, required=True,
                       what=f" in this change ({', '.join(CHANGE_STATUSES)})")
        summary_node = f.node_of("summary")
        if summary is not None and not one_line(summary, f.loc("summary") or item.loc, "summary", diags):
            summary = None
        sources = _load_sources(f.node_of("sources"), diags)
        if date is None or summary is None or status is None:
            continue
        out.append(Change(
            date=date[0], month_only=date[1], summary=summary.strip(), status=status, sources=sources,
            loc=item.loc, summary_line=summary_node.text_line if isinstance(summary_node, YScalar) else item.loc.line,
            field_locs={k: v[0] for k, v in item.items.items()},
        ))
    return tuple(out)


def _load_term(item: YMap, group_slug: str, diags: Diagnostics) -> Term | None:
    f = Fields(item, TERM_FIELDS, "a glossary term", diags)
    name = f.get("term", str_field, required=True, what=" (the term itself)")
    reading = f.get("reading", str_field, required=True, what=" (the term's reading in kana)")
    definition_node = f.node_of("definition")
    definition = f.get("definition", str_field, required=True)
    if name is None:
        return None
    # A term missing its reading or definition (reported above) still exists for name and link checks,
    # so one mistake gives one error instead of one more per mention of the term.
    name = unicodedata.normalize("NFKC", name).strip()
    reading = unicodedata.normalize("NFKC", reading).strip() if reading is not None else ""
    definition = definition if definition is not None else ""
    if not one_line(name, f.loc("term") or item.loc, "term", diags):
        return None
    bad = kana.non_kana(reading) if reading else []
    rloc = f.loc("reading") or item.loc
    if bad:
        chars = "".join(sorted({c for _, c in bad}))
        diags.error(Loc(rloc.path, rloc.line, rloc.col + bad[0][0]),
                    f"reading '{shown(reading)}' of '{name}' has characters that are not kana: '{shown(chars)}' "
                    "(write it in hiragana or katakana; ー is allowed)")
    slug = f.get("slug", str_field)
    if slug is not None and not SLUG_RE.match(slug):
        diags.error(f.loc("slug") or item.loc, f"invalid slug '{shown(slug)}': use lowercase a-z, 0-9 and "
                    "single '-'")
        slug = None
    aliases = tuple(unicodedata.normalize("NFKC", a).strip() for a, loc in
                    f.get("aliases", yamlsrc.as_str_list) or () if one_line(a, loc, "aliases", diags))
    see_also = tuple((unicodedata.normalize("NFKC", s).strip(), loc) for s, loc in
                     f.get("see_also", yamlsrc.as_str_list) or () if one_line(s, loc, "see_also", diags))
    no_autolink = f.get("no_autolink", yamlsrc.as_bool)
    def_line = definition_node.text_line if isinstance(definition_node, YScalar) else item.loc.line
    return Term(
        name=name,
        reading=reading,
        slug=slug or "",  # filled in by resolve when empty
        group=group_slug,
        definition=definition,
        en=f.get("en", str_field) or "",
        aliases=aliases,
        summary=f.get("summary", str_field) or "",
        see_also=see_also,
        sources=_load_sources(f.node_of("sources"), diags),
        review_by=f.get("review_by", yamlsrc.as_date),
        not_in=tuple(unicodedata.normalize("NFKC", s) for s, loc in f.get("not_in", yamlsrc.as_str_list) or ()
                     if one_line(s, loc, "not_in", diags)),
        no_autolink=bool(no_autolink),
        loc=item.loc,
        definition_line=def_line,
        field_locs={k: v[0] for k, v in item.items.items()},
        changes=_load_changes(f.node_of("changes"), diags),
        variants=tuple((unicodedata.normalize("NFKC", v).strip(), loc) for v, loc in
                       f.get("variants", yamlsrc.as_str_list) or () if one_line(v, loc, "variants", diags)),
    )


def load_group(path: Path, root: Path, diags: Diagnostics) -> Group | None:
    name = rel(root, path)
    text = read_text(path, root, diags)
    if text is None:
        return None
    if not text.strip():
        diags.error(Loc(name), "empty glossary file: add 'group:' and a 'terms:' list, or delete the file")
        return None
    errors = len(diags.errors)
    node = parse_mapping(text, name, diags, what="a glossary file")
    if node is None:
        if len(diags.errors) == errors:  # only comments: never drop a group silently
            diags.error(Loc(name), "empty glossary file: add 'group:' and a 'terms:' list, or delete the file")
        return None
    stem = unicodedata.normalize("NFC", path.stem)
    if not SLUG_RE.match(stem):
        diags.error(Loc(name), f"glossary file name '{shown(stem)}' must be a slug (a-z, 0-9, '-'); it "
                    "becomes the group's URL")
        return None
    f = Fields(node, GROUP_FIELDS, "a glossary file", diags)
    group = f.get("group", str_field, required=True, what=" (the group's name, e.g. 雇用形態)")
    if group is not None and not one_line(group, f.loc("group") or node.loc, "group", diags):
        group = None
    terms_node = f.node_of("terms")
    terms: list[Term] = []
    if terms_node is None:
        diags.error(node.loc, "missing required field 'terms' (the list of terms in this group)")
    elif not isinstance(terms_node, YSeq):
        diags.error(terms_node.loc, f"'terms' must be a list, not {yamlsrc.kind_name(terms_node)}")
    elif not terms_node.items:
        diags.error(terms_node.loc, "empty glossary group: 'terms' has no entries")
    else:
        for item in terms_node.items:
            if not isinstance(item, YMap):
                diags.error(item.loc, "each term must be a mapping starting with 'term:'")
                continue
            t = _load_term(item, stem, diags)
            if t is not None:
                terms.append(t)
    if group is None:
        return None
    return Group(stem, group, f.get("description", str_field) or "", name, tuple(terms), node.loc)


def default_slug(reading: str) -> str:
    return romanize(reading) or "term"
