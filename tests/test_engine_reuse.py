"""What rebuilds reuse, checked against what a cold build makes: the standby output tree, glossary.json
assembled from kept entries, the linked site's carry-over and the dev server's heap policy.

(tests/test_incremental.py covers random sequences of edits end to end; these pin the pieces.)
"""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import make_site, run_cli

from backoffice_site import loading, markdown_stage
from backoffice_site.build import Builder, BuildOptions
from backoffice_site.diagnostics import Diagnostics
from backoffice_site.live_pages import LivePages
from backoffice_site.model import Article
from backoffice_site.output import write_site, write_tracked

_articles = loading._articles
_article_docs = markdown_stage._article_docs


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _append(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.write_text(p.read_text(encoding="utf-8") + text, encoding="utf-8")


def _cold(root: Path, tmp: Path) -> dict[str, bytes]:
    cold = tmp / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "public", ".public*"))
    assert run_cli("build", "--root", cold, "--no-search").code == 0
    return _tree(cold / "public")


def test_standby_tree_is_reused_and_never_trusted(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    out = root / "public"
    assert run_cli("build", "--root", root, "--no-search").code == 0
    standby = root / ".cache/backoffice-site/standby"
    assert not standby.exists()  # the first build had no old output to keep
    _append(root, "content/articles/first.md", "\n一度目の追記です。\n")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    assert standby.is_dir()  # the previous output, kept
    # Damage the standby tree every way the next build must not believe: a file changed in place (not
    # through a link), a stray file, a folder where a page goes, a symlink.
    page = sorted(standby.rglob("*.html"))[0]
    page.unlink()
    page.write_text("stale", encoding="utf-8")
    (standby / "stray.txt").write_text("x", encoding="utf-8")
    (standby / "robots.txt").unlink()
    (standby / "robots.txt").mkdir()
    (standby / "link.html").symlink_to(out / "index.html")
    _append(root, "content/articles/second.md", "\n二度目の追記です。\n")
    r = run_cli("build", "--root", root, "--no-search")
    assert r.code == 0, r.err
    assert _tree(out) == _cold(root, tmp_path)
    # unchanged pages are hard links between the output and the standby tree (the old output)
    same = [p for p in out.rglob("*.html") if (standby / p.relative_to(out)).exists()
            and os.stat(p).st_ino == os.stat(standby / p.relative_to(out)).st_ino]
    assert same, "unchanged pages should be shared with the kept tree, not copied"


def test_write_site_with_standby_matches_wanted_exactly(tmp_path: Path) -> None:
    out, standby = tmp_path / "public", tmp_path / "cache/standby"
    write_site(out, {"a/index.html": b"A", "b/index.html": b"B", "c.txt": b"C"}, {}, standby)
    write_site(out, {"a/index.html": b"A2", "b/index.html": b"B", "d/e/f.txt": b"F"}, {}, standby)
    assert _tree(standby) == {"a/index.html": b"A", "b/index.html": b"B", "c.txt": b"C"}
    wanted = {"a/index.html": b"A3", "d/e/f.txt": b"F", "g.txt": b"G"}
    write_site(out, wanted, {}, standby)
    assert _tree(out) == wanted
    assert not (out / "b").exists() and not (out / "c.txt").exists()
    assert not list(tmp_path.glob(".public*"))  # nothing left beside the output


def test_tokens_spare_reading_unchanged_files_but_any_move_of_a_file_is_seen(tmp_path: Path) -> None:
    out, standby = tmp_path / "public", tmp_path / "cache/standby"
    files = {"a.html": b"AAAA", "b.html": b"BBBB", "c.html": b"CCCC"}
    tokens = {"a.html": "ta", "b.html": "tb", "c.html": "tc"}
    _, known = write_tracked(out, files, {}, standby, tokens, None)
    assert set(known) == set(files)
    # Changed in place with its size and time put back: the record stands for it, so it is not read (the
    # same trust git's index and the no-change path give a file's size, time and inode).
    a = out / "a.html"
    st = os.stat(a)
    a.write_bytes(b"XXXX")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    # Changed the ordinary way: its time moves, so it is read, found different and written again.
    (out / "b.html").write_bytes(b"YYYY")
    written, known = write_tracked(out, files, {}, standby, tokens, known)
    assert _tree(out) == {"a.html": b"XXXX", "b.html": b"BBBB", "c.html": b"CCCC"}
    assert written == 1
    # A new token means new bytes whatever the file's stat says: compared, and written when different.
    files2 = {**files, "a.html": b"AAAA"}
    written, known = write_tracked(out, files2, {}, standby, {**tokens, "a.html": "ta2"}, known)
    assert _tree(out) == files and written == 1
    # Without the record nothing is trusted: every file is compared by its bytes.
    (out / "c.html").write_bytes(b"ZZZZ")
    os.utime(out / "c.html", ns=(st.st_atime_ns, os.stat(out / "a.html").st_mtime_ns))
    written, _ = write_tracked(out, files, {}, standby, tokens, None)
    assert _tree(out) == files and written == 1


def test_cli_rebuild_after_tampering_with_the_output_restores_it(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    page = next((root / "public").rglob("index.html"))
    page.write_bytes(page.read_bytes() + b"<!-- tampered -->")
    _append(root, "content/articles/first.md", "\n追記の一文です。\n")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    assert _tree(root / "public") == _cold(root, tmp_path)


def test_glossary_json_is_plain_json_dumps(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    r = Builder(BuildOptions(root=root, out=None, search=False)).build()
    raw = r.files["glossary.json"]
    data = json.loads(raw)
    assert data["terms"] and all("definition_html" in t for t in data["terms"])
    assert raw == (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def test_article_save_reuses_the_glossary_and_renders_one_page(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    b = Builder(BuildOptions(root=root, out=None, search=False))
    first = b.build()
    ls1 = first.linked
    assert ls1 is not None
    _append(root, "content/articles/first.md", "\n追記の一文です。\n")
    second = b.build(changed=["content/articles/first.md"])
    ls2 = second.linked
    assert ls2 is not None and second.ok
    assert ls2.site.terms is ls1.site.terms  # resolve patched the site: no term was touched
    assert ls2.rendered.definitions is ls1.rendered.definitions  # the Markdown stage kept the glossary
    assert ls2.backlinks is ls1.backlinks  # the article links the same terms as before
    # its page, and the feed (which carries the article's text); nothing of the glossary
    assert "articles/first/index.html" in second.rendered
    assert set(second.rendered) <= {"articles/first/index.html", "feed.xml"}
    cold = Builder(BuildOptions(root=root, out=None, search=False)).build()
    assert second.files == cold.files and second.diagnostics == cold.diagnostics


def test_article_save_loads_and_renders_that_article_alone_unless_the_reading_order_moves(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(tmp_path / "site")
    b = Builder(BuildOptions(root=root, out=None, search=False))
    assert b.build().ok
    read: list[str] = []
    real = loading.load_article

    def spy(path: Path, at: Path, diags: Diagnostics) -> Article | None:
        read.append(path.name)
        return real(path, at, diags)

    monkeypatch.setattr(loading, "load_article", spy)
    whole = []
    monkeypatch.setattr(loading, "_articles", lambda *a: whole.append(1) or _articles(*a))
    every_doc = []  # the Markdown stage, likewise: no pass over every article's document
    monkeypatch.setattr(markdown_stage, "_article_docs", lambda *a: every_doc.append(1) or _article_docs(*a))
    _append(root, "content/articles/first.md", "\n追記の一文です。\n")
    saved = b.build(changed=["content/articles/first.md"])
    assert read == ["first.md"] and whole == [] and every_doc == []  # the one article put in its place
    p = root / "content/articles/second.md"
    p.write_text(p.read_text(encoding="utf-8").replace("order: 2", "order: 0"), encoding="utf-8")
    moved = b.build(changed=["content/articles/second.md"])
    assert whole == [1] and every_doc == [1]  # it moves in the reading order: read the folder again
    cold = Builder(BuildOptions(root=root, out=None, search=False)).build()
    assert saved.ok and moved.ok and moved.files == cold.files and moved.diagnostics == cold.diagnostics
    assert [a.slug for a in moved.linked.site.articles][:1] == ["second"]  # type: ignore[union-attr]


def test_a_live_builder_recovers_from_pages_that_fail_and_from_a_build_that_stops_half_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The records a save changes in place (live_pages): a page that fails leaves them, and a build that
    stops while changing them makes the next look at every page; either way the next build is a cold one's."""
    root = make_site(tmp_path / "site")
    b = Builder(BuildOptions(root=root, out=None, search=False))
    assert b.build().ok
    template = root / "templates" / "article.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% block main %}", "{% block main %}{{ no_such_value.x }}", 1), encoding="utf-8")
    broken = b.build(changed=["templates/article.html"])
    assert not broken.ok and not any(p.startswith("articles/") for p in broken.files)
    template.write_text(good, encoding="utf-8")
    fixed = b.build(changed=["templates/article.html"])
    cold = Builder(BuildOptions(root=root, out=None, search=False)).build()
    assert fixed.ok and fixed.files == cold.files

    def stop(*a: object) -> None:  # (as a KeyboardInterrupt would, between two pages' records)
        raise RuntimeError("stopped half-way")

    monkeypatch.setattr(LivePages, "moved", stop)
    _append(root, "content/articles/first.md", "\n追記の一文です。\n")
    with pytest.raises(RuntimeError):
        b.build(changed=["content/articles/first.md"])
    monkeypatch.undo()
    again = b.build(changed=[])
    cold = Builder(BuildOptions(root=root, out=None, search=False)).build()
    assert again.ok and again.files == cold.files and len(again.rendered) >= 1


def test_a_term_added_to_a_split_glossary_moves_the_places_of_the_terms_after_it(tmp_path: Path) -> None:
    """Only terms whose place in the listing pages moved are compared (LinkedSite.places_moved); a term added
    early in a row that is split into parts pushes the others along, and every page stays a cold build's."""
    from bigglossary import big_glossary

    from backoffice_site.glossary_index import SPLIT_ABOVE
    root = make_site(tmp_path / "site", files={"content/glossary/big.yaml": big_glossary(SPLIT_ABOVE + 400)})
    b = Builder(BuildOptions(root=root, out=None, search=False))
    assert b.build().ok
    big = root / "content/glossary/big.yaml"
    text = big.read_text(encoding="utf-8")
    two = "".join(f"  - term: 追加語{k}\n    reading: かああ{k}\n    slug: tsuika-{i}\n    summary: 追加です。\n"
                  "    definition: 説明です。\n    see_also: [用語0000]\n" for i, k in enumerate("あい"))
    added = text.replace("terms:\n", "terms:\n" + two, 1)
    moved = []
    for edit in (text.replace("用語0005の要約です。", "用語0005の要約を変えました。"), added, text):
        before = b._last
        big.write_text(edit, encoding="utf-8")
        warm = b.build(changed=["content/glossary/big.yaml"])
        cold = Builder(BuildOptions(root=root, out=None, search=False)).build()
        assert warm.ok and warm.files == cold.files
        assert warm.linked is not None and before is not None
        moved.append(len(warm.linked.places_moved(before) or ()))
    # two terms at the head of the か row, which is cut in two parts of nearly equal size: the two, and the
    # term that crosses from the first part to the second (and back)
    assert moved == [0, 3, 1]


def test_term_save_keeps_the_other_terms_objects(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    b = Builder(BuildOptions(root=root, out=None, search=False))
    ls1 = b.build().linked
    assert ls1 is not None
    first = ls1.site.content.groups[0].terms[0]
    glossary = root / first.loc.path
    text = glossary.read_text(encoding="utf-8")
    edited = text.replace(first.summary, first.summary + "（追記）", 1)
    assert edited != text
    glossary.write_text(edited, encoding="utf-8")
    r = b.build(changed=[glossary.relative_to(root).as_posix()])
    ls2 = r.linked
    assert ls2 is not None and r.ok
    old = {t.slug: t for t in ls1.site.terms}
    kept = [t for t in ls2.site.terms if old.get(t.slug) is t]
    assert len(kept) == len(ls2.site.terms) - 1  # only the edited term is a new object
    cold = Builder(BuildOptions(root=root, out=None, search=False)).build()
    assert r.files == cold.files and r.diagnostics == cold.diagnostics


def test_dev_server_freezes_the_heap_after_a_build_and_tidies_when_idle(tmp_path: Path) -> None:
    from backoffice_site.devserver import DevServer

    root = make_site(tmp_path / "site")
    gc.unfreeze()
    with DevServer(root, port=0) as dev:
        assert gc.get_freeze_count() > 0  # what the first build left is out of the collector's walks
        rb = dev.rebuilder
        assert rb is not None
        rb._last_build -= 60  # as if idle for a minute
        assert rb.tidy_when_idle(10.0)
        assert not rb.tidy_when_idle(10.0)  # nothing built since
    gc.unfreeze()


def test_a_build_that_finds_the_standby_locked_leaves_it_alone(tmp_path: Path) -> None:
    import fcntl

    out, standby = tmp_path / "public", tmp_path / "cache/standby"
    write_site(out, {"a.txt": b"1"}, {}, standby)
    write_site(out, {"a.txt": b"2"}, {}, standby)
    before = _tree(standby)
    fd = os.open(standby.with_name("standby.lock"), os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another build is assembling its output there
        write_site(out, {"a.txt": b"3", "b.txt": b"B"}, {}, standby)
        assert _tree(out) == {"a.txt": b"3", "b.txt": b"B"}
        assert _tree(standby) == before  # not touched while locked
        assert not list(tmp_path.glob(".public*"))
    finally:
        os.close(fd)


def test_a_new_process_finds_one_edited_article_from_the_cache_file(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from backoffice_site import change_set

    root = make_site(tmp_path / "site")
    opts = BuildOptions(root=root, out=root / "public", search=False, cache_dir=root / ".cache/backoffice-site")
    assert Builder(opts).build().ok
    _append(root, "content/articles/first.md", "\n別の回の追記です。\n")
    found: list[set[tuple[str, ...]]] = []
    real = change_set.from_files
    monkeypatch.setattr(change_set, "from_files", lambda *a: found.append(real(*a)) or found[-1])
    r = Builder(opts).build()  # a fresh Builder: nothing in memory but what the cache file holds
    assert r.ok
    # the inputs compared: the whole-site lists and the edited article's own, not every term's
    (candidates,) = found
    items = {k for k in candidates if k not in change_set.WHOLE_SITE}
    assert ("article", "first") in items and not any(k[0] in ("term", "term_sig") for k in items)
    # only the pages that read the article's inputs were looked at again (its page, the feed, lists of
    # articles, the pages of the terms it links), not every page of the site
    assert 0 < r.viewed_pages < r.pages
    assert "articles/first/index.html" in r.rendered
    assert _tree(root / "public") == _cold(root, tmp_path)
