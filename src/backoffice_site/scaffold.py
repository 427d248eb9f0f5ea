"""``new article`` and ``new term``: valid skeletons, never overwriting what exists."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

from backoffice_site import kana
from backoffice_site.build import today
from backoffice_site.diagnostics import Diagnostics
from backoffice_site.load import SLUG_RE, default_slug
from backoffice_site.loading import load_content


def _fail(message: str, code: int = 1) -> int:
    print(f"backoffice-site: error: {message}", file=sys.stderr)
    return code


def new_article(root: Path, slug: str, title: str | None) -> int:
    if not SLUG_RE.match(slug):
        return _fail(f"'{slug}' is not a valid slug: use lowercase a-z, 0-9 and '-' (e.g. keiri-zaimu)", 2)
    path = root / "content" / "articles" / f"{slug}.md"
    if path.exists():
        return _fail(f"{path.relative_to(root)} already exists; choose another slug")
    diags = Diagnostics()
    content = load_content(root, diags, drafts=True)
    orders = [a.order for a in content.articles if a.order is not None]
    if any(a.slug == slug for a in content.articles):
        return _fail(f"an article with slug '{slug}' already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "---\n"
        f"title: {title or 'タイトルを書きます'}\n"
        "description: この記事で読者にわかることを一文で書きます。\n"
        f"order: {max(orders, default=0) + 1}\n"
        f"date: {today().isoformat()}\n"
        "draft: true\n"
        "---\n\n"
        "ここに本文を書きます。\n\n"
        "## 見出し\n\n"
        "本文。\n",
        encoding="utf-8",
    )
    print(f"created {path.relative_to(root)} (draft: true; build with --drafts to preview it)")
    return 0


def new_term(root: Path, term: str, reading: str, group: str | None) -> int:
    term = unicodedata.normalize("NFKC", term).strip()
    reading = unicodedata.normalize("NFKC", reading).strip()
    if not term:
        return _fail("the term is empty", 2)
    if not reading or kana.non_kana(reading):
        return _fail(f"--reading '{reading}' must be kana (hiragana or katakana; ー is allowed)", 2)
    gdir = root / "content" / "glossary"
    existing = sorted(gdir.glob("*.yaml")) if gdir.is_dir() else []
    if group is None:
        path = existing[0] if len(existing) == 1 else gdir / "inbox.yaml"
    else:
        path = Path(group) if group.endswith((".yaml", ".yml")) else gdir / f"{group}.yaml"
        if not path.is_absolute():
            path = (root / path) if "/" in group else path
    diags = Diagnostics()
    content = load_content(root, diags, drafts=True)
    for t in content.terms:
        if term in t.names:
            return _fail(f"'{term}' already exists in {t.loc}")
    slug = default_slug(reading)
    taken = {t.slug for t in content.terms}
    if slug in taken:
        return _fail(f"the slug '{slug}' is taken; add the term by hand with its own 'slug:'")
    entry = (
        f"  - term: {_quote(term)}\n"
        f"    reading: {_quote(reading)}\n"
        f"    slug: {slug}\n"
        "    summary: 一行の要約を書きます。\n"
        "    definition: |\n"
        "      ここに定義を書きます（2〜5文）。\n"
        "    see_also: []\n"
        "    sources: []\n"
        "    changes: []  # dated changes: - {date: 2027-10, summary: 一文, status: 決定|予定|検討中}\n"
    )
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if not re.search(r"^terms:\s*$", text, re.M) or re.search(r"^terms:\s*$[\s\S]*^\S", text, re.M):
            return _fail(f"{path.relative_to(root)}: 'terms:' must be the last field to append to; add "
                         "the term by hand")
        indent = re.search(r"^(\s*)- term:", text, re.M)
        if indent and indent.group(1) != "  ":
            entry = "\n".join(indent.group(1) + line[2:] if line else line for line in entry.split("\n"))
        path.write_text(text.rstrip("\n") + "\n" + entry, encoding="utf-8")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        name = "未分類" if path.stem == "inbox" else path.stem
        path.write_text(f"group: {name}\nterms:\n{entry}", encoding="utf-8")
    print(f"added '{term}' to {path.relative_to(root) if path.is_relative_to(root) else path}")
    return 0


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
