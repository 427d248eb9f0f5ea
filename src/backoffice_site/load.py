"""Load stage: files on disk → the typed content model, with every problem collected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from backoffice_site import frontmatter, heap, kana, yamlsrc
from backoffice_site.dates import as_partial_date
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc, did_you_mean
from backoffice_site.fields import Fields, parse_mapping, str_field
from backoffice_site.load_config import load_config as load_config  # re-exported: the loaders' entry points
from backoffice_site.model import (
    CHANGE_STATUSES,
    Article,
    Change,
    Content,
    Group,
    SiteConfig,
    SourceRef,
    Term,
)
from backoffice_site.romaji import romanize
from backoffice_site.sources import MAX_ARTICLE_BYTES, MAX_FILE_BYTES, read_text, rel, walk
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


# path → (stat signature, content hash, loaded value, its diagnostics): a file is parsed again only when
# its bytes change, and read again only when its stat signature moved (see ``_unchanged_since``).
LoadMemo = dict[str, tuple[tuple[int, int, int, int], str, object, tuple[Diagnostic, ...]]]
RACY_NS = 2_000_000_000  # file times are coarser than they look: see _unchanged_since


def _stat_sig(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, time.time_ns())


def _unchanged_since(old: tuple[int, int, int, int], st: os.stat_result) -> bool:
    """The file is the one we read: same size, time and inode, and its time was already RACY_NS older than
    the moment we read it (as git does: an edit in the same clock tick as our read could keep the time)."""
    size, mtime, ino, read_at = old
    return (st.st_size, st.st_mtime_ns, st.st_ino) == (size, mtime, ino) and mtime < read_at - RACY_NS


def _memoized(memo: LoadMemo | None, path: Path, root: Path, diags: Diagnostics,
              loader: Callable[[Path, Path, Diagnostics], T | None], trusted: bool = False, tag: str = "") -> T | None:
    """``trusted``: the caller knows the file did not change since the memo entry (dev server batches).
    ``tag``: part of the memo key, for a loader whose result also depends on something besides the file."""
    if memo is None:
        return loader(path, root, diags)
    key = f"{tag}|{path}" if tag else str(path)
    hit = memo.get(key)
    if trusted and hit is not None:
        diags.extend(hit[3])
        return hit[2]  # type: ignore[return-value]
    try:
        st = path.stat()
        if hit is not None and _unchanged_since(hit[0], st):
            diags.extend(hit[3])
            return hit[2]  # type: ignore[return-value]
        if st.st_size > MAX_FILE_BYTES:  # never read a huge file whole just to hash it
            return loader(path, root, diags)
        sig = _stat_sig(st)
        digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return loader(path, root, diags)
    if hit is not None and hit[1] == digest:
        memo[key] = (sig, digest, hit[2], hit[3])
        diags.extend(hit[3])
        return hit[2]  # type: ignore[return-value]
    local = Diagnostics()
    value = loader(path, root, local)
    if hit is not None:
        value = _keep_equal(hit[2], value)
    diags.extend(local.items)
    memo[key] = (sig, digest, value, tuple(local.items))
    return value


def _keep_equal(old: object, new: T) -> T:
    """``new``, with the terms equal to last time's being last time's objects (one term edited in a file of
    hundreds leaves the others the very same objects: later stages reuse their work by identity)."""
    if not isinstance(old, Group) or not isinstance(new, Group):
        return new
    before = {(t.slug, t.name): t for t in old.terms}
    terms = tuple(o if (o := before.get((t.slug, t.name))) is not None and o == t else t for t in new.terms)
    kept = dataclasses.replace(new, terms=terms)
    return old if kept == old else kept


# folder → (the files ``walk`` found there, its diagnostics): kept by a process between builds, so a batch
# that only changed files already known needs no new walk of the folder
Walks = dict[str, tuple[frozenset[Path], list[Path], tuple[Diagnostic, ...]]]


def load_content(root: Path, diags: Diagnostics, *, base_url: str | None = None,
                 drafts: bool = False, memo: LoadMemo | None = None,
                 changed: frozenset[Path] | None = None, walks: Walks | None = None) -> Content:
    """``changed``: when known (the dev server's batch), the only files that may differ from ``memo``."""
    with heap.paused():
        return _load_content(root, diags, base_url=base_url, drafts=drafts, memo=memo, changed=changed,
                             walks=walks)


def _files(folder: Path, suffixes: tuple[str, ...], root: Path, diags: Diagnostics,
           changed: frozenset[Path] | None, walks: Walks | None) -> list[Path]:
    """``walk(folder)``, or last time's list when every changed file in the folder was already in it and
    still is a file (an edit, not a file added, deleted or replaced by something else)."""
    key = str(folder)
    hit = walks.get(key) if walks is not None else None
    if hit is not None and changed is not None and all(
            p in hit[0] and p.is_file() for p in changed if p.suffix.lower() in suffixes and folder in p.parents):
        diags.extend(hit[2])
        return hit[1]
    local = Diagnostics()
    found = walk(folder, suffixes, root, local)
    diags.extend(local.items)
    if walks is not None:
        walks[key] = (frozenset(found), found, tuple(local.items))
    return found


def _load_content(root: Path, diags: Diagnostics, *, base_url: str | None, drafts: bool,
                  memo: LoadMemo | None, changed: frozenset[Path] | None, walks: Walks | None) -> Content:
    site_yaml = root / "content" / "site.yaml"
    config: SiteConfig | None = None
    if memo is not None and site_yaml.is_file():  # kept like any file: the config object stays the same
        config = _memoized(memo, site_yaml, root, diags, lambda _p, r, d: load_config(r, d, base_url),
                           changed is not None and site_yaml not in changed, tag=f"config:{base_url}")
    if config is None:  # never None from load_config; None here only without the memo
        config = load_config(root, diags, base_url)
    articles = []
    for p in _files(root / "content" / "articles", (".md", ".markdown"), root, diags, changed, walks):
        a = _memoized(memo, p, root, diags, load_article, changed is not None and p not in changed)
        if a is not None and (drafts or not a.draft):
            articles.append(a)
    articles.sort(key=lambda a: (a.order is None, a.order or 0, a.slug))
    groups = []
    for p in _files(root / "content" / "glossary", (".yaml", ".yml"), root, diags, changed, walks):
        g = _memoized(memo, p, root, diags, load_group, changed is not None and p not in changed)
        if g is not None:
            groups.append(g)
    return Content(config, tuple(articles), tuple(groups))

