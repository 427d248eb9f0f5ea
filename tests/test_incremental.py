"""Incremental builds equal cold builds: random sequences of edits, each built three ways.

- the dev server's way: one Builder kept in memory, told which paths changed;
- the CLI's way: a new Builder per build, from the persistent cache, writing public/;
- cold: a new Builder with no cache at all — the reference.

Every build after every edit must give byte-identical files and the same diagnostics.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice_site.build import Builder, BuildOptions
from backoffice_site.output import content

Edit = Callable[[Path], list[str]]  # applies itself to a site root; returns the paths it touched


def _sub(rel: str, old: str, new: str) -> Edit:
    def apply(root: Path) -> list[str]:
        p = root / rel
        if not p.exists():
            return []
        text = p.read_text(encoding="utf-8")
        p.write_text(text.replace(old, new, 1) if old in text else text + new, encoding="utf-8")
        return [rel]
    apply.__name__ = f"sub {rel}: {old[:10]!r} → {new[:10]!r}"
    return apply


def _write(rel: str, text: str) -> Edit:
    def apply(root: Path) -> list[str]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return [rel]
    apply.__name__ = f"write {rel}"
    return apply


def _delete(rel: str) -> Edit:
    def apply(root: Path) -> list[str]:
        p = root / rel
        if p.exists():
            p.unlink()
            return [rel]
        return []
    apply.__name__ = f"delete {rel}"
    return apply


A1, A2 = "content/articles/first.md", "content/articles/second.md"
G1, G2 = "content/glossary/gyomu.yaml", "content/glossary/roudou.yaml"
EDITS: list[Edit] = [
    _sub(A1, "有給休暇は働く人の権利です。", "有給休暇は働く人の権利です。人事の話もします。"),  # body: a new mention
    _sub(A2, "について説明します", "をくわしく説明します"),  # body
    _sub(A1, "description: 最初の記事です。", "description: 一番目の記事です。"),  # front matter
    _sub(A1, "title: はじめての記事", "title: 最初の記事"),  # title: the public surface
    _sub(A1, "order: 1", "order: 9"),  # reading order
    _sub(G1, "definition: 採用や評価を担当します。", "definition: 採用や評価、研修を担当します。"),  # definition
    _sub(G1, "summary: 仕事をしながら学ぶ研修です。", "summary: 働きながら学ぶ研修です。"),  # summary (toggletips)
    _sub(G2, "aliases: [年次有給休暇, 有休]", "aliases: [年次有給休暇]"),  # alias removed
    _sub(G2, "aliases: [年次有給休暇]", "aliases: [年次有給休暇, 有休]"),  # alias added back
    _sub(G1, "slug: ojt", "slug: ojt-kenshu"),  # slug renamed
    _sub(G1, "    definition: 備品や施設を管理します。\n",
         "\n\n    definition: 備品や施設を管理します。\n"),  # lines move
    _write("content/articles/third.md", "---\ntitle: 三つ目\ndescription: 追加の記事です。\norder: 3\n"
           "date: 2026-11-20\n---\n\nパートと総務の話です。[[OJT]]も出てきます。\n"),  # article added
    _delete("content/articles/third.md"),  # article deleted
    _sub(G2, "terms:\n", "terms:\n  - term: 休憩\n    reading: きゅうけい\n    summary: 休む時間です。\n"
         "    definition: 働く途中で休む時間です。\n    see_also: [休暇]\n"),  # term added
    _sub(G2, "  - term: 休憩\n", "  - term: 休憩時間\n"),  # term renamed
    _sub("templates/term.html", "用語集の一覧で見る", "用語集の一覧に戻る"),  # template used by term pages
    _sub("templates/base.html", "</footer>", "<p>フッターの追記</p></footer>"),  # template used by all
    _write("static/extra.txt", "extra\n"),  # static added
    _sub("static/css/site.css", "}", "}\n/* edited */", ),  # static changed (asset hashes move)
    _delete("static/extra.txt"),  # static deleted
    _sub("content/site.yaml", "title: テストサイト", "title: 改名したサイト"),  # site.yaml
    _sub(A2, "---\n\n", "---\n\n[[存在しない用語]]\n"),  # an error: the build fails …
    _sub(A2, "[[存在しない用語]]\n", ""),  # … and is fixed
    _sub(G1, "group: 業務\n", "group: 業務全般\n"),  # a group renamed (every entry of it links its name)
    # (new edits go last: other tests name edits by their index)
    _sub(A2, "order: 2\n", "order: 2\ndraft: true\n"),  # a draft now: it leaves the site …
    _sub(A2, "draft: true\n", ""),  # … and comes back
    _sub(A2, "order: 2\n", "order: 2\nslug: nibanme\n"),  # an article's slug set (its URL moves)
    _sub(A2, "title: 二番目の記事", "titel: 二番目の記事"),  # a front-matter typo: an error, the article kept
    _sub(A2, "updated: 2026-11-10", "updated: 2026-11-12"),  # its date of last change (the sitemap's lastmod)
]


def _snapshot(result_files: dict[str, bytes], statics: dict[str, Path]) -> dict[str, bytes]:
    return {**{k: v.read_bytes() for k, v in statics.items()}, **result_files}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("incremental") / "site")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(range(len(EDITS))), min_size=1, max_size=8))
def test_incremental_builds_equal_cold_builds(pristine: Path, tmp_path: Path, steps: list[int]) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "site"  # hypothesis reuses tmp_path across examples
    shutil.copytree(pristine, root)
    server = Builder(BuildOptions(root=root, jobs=1, search=False))
    server.build()
    cli = BuildOptions(root=root, out=root / "public", cache_dir=root / ".cache", jobs=1, search=False)
    Builder(cli).build()
    for i in steps:
        touched = EDITS[i](root)
        warm = server.build(changed=touched)
        from_cache = Builder(cli).build()
        cold = Builder(BuildOptions(root=root, out=tmp_path / "cold-public", jobs=1, search=False)).build()
        what = f"after {[EDITS[j].__name__ for j in steps]}"
        assert [d.format() for d in warm.diagnostics] == [d.format() for d in cold.diagnostics], what
        assert [d.format() for d in from_cache.diagnostics] == [d.format() for d in cold.diagnostics], what
        if cold.ok:
            # (a first build's pages are the files its workers wrote, and pages a rebuild did not render are
            # the output's files that hold them: compared by their bytes; _headers is made only when writing,
            # which the dev server's way does not do)
            cold_files = {k: content(v) for k, v in cold.files.items() if k != "_headers"}
            assert warm.files == cold_files, what
            if from_cache.page_count is None:  # else the no-change fast path answered, without files
                assert {k: content(v) for k, v in from_cache.files.items() if k != "_headers"} == cold_files, what
            assert _tree(root / "public") == _tree(tmp_path / "cold-public"), what


def test_an_unchanged_site_renders_nothing_and_one_edit_renders_its_pages(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    b = Builder(BuildOptions(root=root, jobs=1, search=False))
    assert b.build().ok
    again = b.build(changed=[])
    assert again.rendered == () and again.viewed_pages == 0
    EDITS[5](root)  # 人事's definition: its term page and glossary.json (the lists show summaries only)
    one = b.build(changed=[G1])
    assert set(one.rendered) == {"glossary/jinji/index.html", "glossary.json"}
    EDITS[6](root)  # OJT's summary: also the toggletip list of the one article that uses it
    two = b.build(changed=[G1])
    assert "articles/first/index.html" in two.rendered and "articles/second/index.html" not in two.rendered


def test_a_term_added_renders_its_neighbours_not_every_term_page(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    b = Builder(BuildOptions(root=root, jobs=1, search=False))
    first = b.build()
    assert first.ok
    terms = [p for p in first.files if p.startswith("glossary/") and p.count("/") == 2 and "/group/" not in p]
    EDITS[13](root)  # 休憩 added to 労働: a new term page, its gojūon neighbours, the lists
    added = b.build(changed=[G2])
    assert added.ok and "glossary/kyukei/index.html" in added.rendered
    redone = [p for p in terms if p in added.rendered]
    # the new page's neighbours (their pager links it) may change; an entry's group link does not
    assert len(redone) <= 2, redone
    cold = Builder(BuildOptions(root=root, jobs=1, search=False)).build()
    assert added.files == cold.files
