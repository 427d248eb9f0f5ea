"""Page kinds: the URL registry comes from the kinds, and adding a kind is one module + one template
(the how-to in docs/architecture.md, done here with tests/fixtures/pagekind)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from conftest import FIXTURES, NS, make_site, parse_html

from backoffice_site.build import Builder, BuildOptions
from backoffice_site.kinds.registry import PAGE_KINDS


def _tags_kind() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tags_kind", FIXTURES / "pagekind" / "tags_kind.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site")
    shutil.copy(FIXTURES / "pagekind/templates/tags.html", root / "templates/tags.html")
    first = root / "content/articles/first.md"
    text = first.read_text(encoding="utf-8").replace("読んでください。", "読んでください。[タグ一覧](/tags/)")
    first.write_text(text, encoding="utf-8")
    return root


def test_a_link_to_an_unregistered_kind_is_dead(tmp_path: Path) -> None:
    result = Builder(BuildOptions(root=_site(tmp_path), jobs=1, search=False)).build()
    assert any("/tags/" in d.message for d in result.diagnostics), result.diagnostics


def test_adding_a_kind_is_one_module_and_one_template(tmp_path: Path) -> None:
    root = _site(tmp_path)
    builder = Builder(BuildOptions(root=root, out=root / "public", jobs=1, search=False),
                      kinds=(*PAGE_KINDS, _tags_kind()))  # type: ignore[arg-type]
    result = builder.build()
    assert result.ok, result.diagnostics
    page = parse_html(root / "public/tags/index.html")
    sections = [s for s in page.iter(NS + "section") if s.get("class") == "tag"]
    assert [s.find(NS + "h2").text for s in sections] == ["基本"]  # type: ignore[union-attr]
    assert b"/tags/</loc>" in (root / "public/sitemap.xml").read_bytes()  # listed like every page
    # its dependencies come from what it read: retitling a tagged article re-renders it …
    first = root / "content/articles/first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("title: はじめての記事", "title: 最初の記事"),
                     encoding="utf-8")
    assert "tags/index.html" in builder.build().rendered
    # … and an edit of a body it does not show does not
    second = root / "content/articles/second.md"
    second.write_text(second.read_text(encoding="utf-8") + "\n追記です。\n", encoding="utf-8")
    assert "tags/index.html" not in builder.build().rendered
