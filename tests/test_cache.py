"""The persistent cache and parallel rendering: faster, never different, never trusted blindly."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_site, run_cli, snapshot

from backoffice_site import build as build_mod
from backoffice_site import build_cache, cache
from backoffice_site.build import Builder, BuildOptions

CACHE = Path(".cache/backoffice-site") / cache.FILE


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    """Some tests here change what the cache key is made of; the key is kept per process otherwise."""
    cache.fingerprint.cache_clear()
    yield
    cache.fingerprint.cache_clear()


def opts(root: Path, **kw: object) -> BuildOptions:
    return BuildOptions(root=root, cache_dir=root / ".cache/backoffice-site", search=False, **kw)  # type: ignore[arg-type]


def test_parallel_and_serial_builds_are_identical(tmp_path: Path) -> None:
    # enough articles and terms that the work is really spread over forked workers
    files: dict[str, str | bytes] = {}
    for i in range(80):
        files[f"content/articles/p{i:03d}.md"] = (
            f"---\ntitle: 記事{i}\ndescription: 説明{i}。\norder: {i + 3}\n---\n\n"
            f"## 見出し{i}\n\n有給休暇とパートと人事の話{i}です。\n")
    root = make_site(tmp_path / "site", files=files)
    serial = Builder(BuildOptions(root=root, jobs=1, search=False)).build()
    parallel = Builder(BuildOptions(root=root, jobs=2, search=False)).build()
    assert serial.ok and parallel.ok
    assert serial.files == parallel.files
    assert [d.format() for d in serial.diagnostics] == [d.format() for d in parallel.diagnostics]


def test_cache_is_reused_across_processes(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root, "--no-search").code == 0
    assert (root / CACHE).is_file()
    warm = Builder(opts(root, out=root / "public")).build()
    assert warm.ok and warm.rendered_pages == 0 and warm.written == 0


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", b"\x80\x05truncated"])
def test_corrupt_or_truncated_cache_is_ignored(site, damage: bytes) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root, "--no-search").code == 0
    good = snapshot(root / "public")
    data = (root / CACHE).read_bytes()
    (root / CACHE).write_bytes(damage or data[: len(data) // 2])
    (root / "public/index.html").unlink()  # make the rebuild write something
    r = run_cli("build", "--root", root, "--no-search")
    assert r.code == 0, r.err
    assert "Traceback" not in r.err
    assert snapshot(root / "public") == good


def test_template_change_invalidates_cached_pages(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root, "--no-search").code == 0
    base = root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</footer>", "<p>テンプレート変更</p></footer>"),
                    encoding="utf-8")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    for page in ("index.html", "articles/first/index.html", "glossary/part/index.html"):
        assert "テンプレート変更" in (root / "public" / page).read_text(encoding="utf-8")


def test_config_and_engine_version_changes_invalidate(site, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    root = site()
    first = Builder(opts(root, out=root / "public")).build()
    assert first.ok
    cfg = root / "content/site.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("テストサイト", "改名したサイト"), encoding="utf-8")
    renamed = Builder(opts(root, out=root / "public")).build()
    html = {p for p in first.files if p.endswith(".html")}
    assert html and html <= set(renamed.rendered)  # every page shows the site title
    assert "robots.txt" not in renamed.rendered  # it does not
    assert "改名したサイト" in renamed.files["articles/first/index.html"].decode()
    monkeypatch.setattr(cache, "__version__", "99.0.0")
    cache.fingerprint.cache_clear()  # (kept for the process: an installed engine does not change under it)
    other_engine = Builder(opts(root, out=root / "public"))
    assert other_engine.cache.pages == {} and other_engine.cache.markdown == {}
    assert build_mod.Builder(opts(root, out=root / "public")).build().ok


def test_an_edited_engine_is_another_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key names the engine's source by content, not only its version: a development checkout edited
    without a new version does not reuse the cache; a copy with new file times (a fresh clone) does."""
    engine = tmp_path / "engine"
    shutil.copytree(Path(cache.__file__).parent, engine, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "__file__", str(engine / "cache.py"))
    cache.fingerprint.cache_clear()
    before = cache.fingerprint(("o",))
    edited = engine / "kinds" / "home.py"
    text = edited.read_text(encoding="utf-8")
    os.utime(edited, ns=(0, 0))
    cache.fingerprint.cache_clear()  # (kept for the process: an installed engine does not change under it)
    assert cache.fingerprint(("o",)) == before  # same bytes, other times
    edited.write_text(text + "\n# edited\n", encoding="utf-8")
    cache.fingerprint.cache_clear()
    assert cache.fingerprint(("o",)) != before


def test_check_does_not_write_the_cache(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("check", "--root", root).code == 0
    assert not (root / ".cache").exists()


def test_entry_log_appends_what_changed_and_survives_a_cut_tail(tmp_path: Path) -> None:
    key = ("test", 1)
    log = cache.EntryLog(tmp_path, key)
    assert log.load() == {}
    entries = {f"k{i}": ("doc", i, "x" * 1000) for i in range(50)}
    assert log.save(entries)
    whole = (tmp_path / cache.LOG).stat().st_size
    # a new process: reads it back, then appends one added and one dropped entry
    log = cache.EntryLog(tmp_path, key)
    assert log.load() == entries
    inode = (tmp_path / cache.LOG).stat().st_ino
    entries = {**{k: v for k, v in entries.items() if k != "k0"}, "new": ("doc", -1, "y")}
    assert log.save(entries)
    grown = (tmp_path / cache.LOG).stat()
    assert grown.st_ino == inode and 0 < grown.st_size - whole < 500  # appended, not written again
    assert cache.EntryLog(tmp_path, key).load() == entries
    # a build killed while appending leaves a cut record: reading stops before it, the next save rewrites
    data = (tmp_path / cache.LOG).read_bytes()
    (tmp_path / cache.LOG).write_bytes(data + data[-40:-10])
    log = cache.EntryLog(tmp_path, key)
    assert log.load() == entries
    assert log.save({**entries, "more": 1})
    assert cache.EntryLog(tmp_path, key).load() == {**entries, "more": 1}
    assert (tmp_path / cache.LOG).stat().st_ino != inode
    # another engine's file is not used
    assert cache.EntryLog(tmp_path, ("test", 2)).load() == {}


def test_entry_log_is_compacted_after_many_appends(tmp_path: Path) -> None:
    log = cache.EntryLog(tmp_path, ("k",))
    log.load()
    for i in range(100):  # (keys are digests of their entries: a new entry comes with a new key)
        entries = {f"a{i}": i, f"b{i}": -i} if i % 2 else {f"a{i}": i}
        assert log.save(entries)
        assert cache.EntryLog(tmp_path, ("k",)).load() == entries
    assert (tmp_path / cache.LOG).stat().st_size < 4000  # not a hundred records long


def test_cli_edit_appends_the_changed_document(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root, "--no-search").code == 0
    log = root / ".cache/backoffice-site" / cache.LOG
    before = log.stat()
    article = next((root / "content/articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n追記の一文です。\n", encoding="utf-8")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    after = log.stat()
    assert after.st_ino == before.st_ino and after.st_size > before.st_size
    fresh = Builder(opts(root, out=root / "public"))
    assert fresh.build().rendered_pages == 0  # everything, the edited document included, came from the cache


def test_the_entry_log_written_by_another_process_is_known_here(tmp_path: Path) -> None:
    """build_cache.Store.save_while writes the documents' log in a forked process (parallel.beside) while it
    writes the cache file: this process then knows what the file holds (the next save appends), or, when that process
    failed, that it must write the file afresh."""
    from backoffice_site import parallel

    log = cache.EntryLog(tmp_path, ("k",))
    log.load()
    entries = {f"k{i}": i for i in range(20)}
    change = log.pending(entries)
    assert change is not None and change.whole
    wrote_here: list[int] = []
    pid = tmp_path / "pid"
    assert parallel.beside(lambda: pid.write_text(str(os.getpid())) > 0 and log.write(change),
                           lambda: wrote_here.append(os.getpid()))
    assert wrote_here == [os.getpid()]  # ``here`` ran in this process, ``other`` in a forked one
    assert (pid.read_text() != str(os.getpid())) == parallel._can_fork()
    log.done(change, True)
    assert cache.EntryLog(tmp_path, ("k",)).load() == entries  # the child's file is whole
    more = {**entries, "new": -1}
    change = log.pending(more)
    assert change is not None and not change.whole and change.added == {"new": -1}  # an append
    assert not parallel.beside(lambda: 1 / 0 == 0, lambda: None), "a failing child is reported"
    running = threading.Event()  # with another thread running there is no fork: both run here, same answers
    other = threading.Thread(target=running.wait)
    other.start()
    try:
        assert not parallel._can_fork()
        assert not parallel.beside(lambda: 1 / 0 == 0, lambda: None)
        assert parallel.beside(lambda: True, lambda: None)
    finally:
        running.set()
        other.join()
    log.done(change, False)
    again = log.pending(more)
    assert again is not None and again.whole, "after a failed write the file is written afresh"
    assert log.save(more) and cache.EntryLog(tmp_path, ("k",)).load() == more


def test_the_record_of_the_last_write_is_used_only_with_its_own_cache_file(site) -> None:  # type: ignore[no-untyped-def]
    """The cache file is written while the output is, the record of that write after it (build_cache.Store):
    a record left by another build (a build killed between the two) is not used, and the output's files are
    then read instead of trusted, with the same result."""
    root = site()
    folder = root / ".cache/backoffice-site"
    assert run_cli("build", "--root", root, "--no-search").code == 0
    assert Builder(opts(root, out=root / "public")).cache.written[1], "the record of the build is used"
    older = (folder / build_cache.WRITTEN).read_bytes()
    article = next((root / "content/articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n追記の一文です。\n", encoding="utf-8")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    good = snapshot(root / "public")
    (folder / build_cache.WRITTEN).write_bytes(older)  # the record of the build before, with its token
    builder = Builder(opts(root, out=root / "public"))
    assert builder.cache.written == ("", {})
    again = builder.build()
    assert again.ok and again.rendered_pages > 0, "no page was taken from the output on trust"
    assert again.written == 0 and snapshot(root / "public") == good


def test_loaded_files_are_a_log_of_their_own_and_keep_their_identity(site) -> None:  # type: ignore[no-untyped-def]
    """The loaded articles and glossary files are entries of ``loaded.log`` (a CLI edit appends the one file
    it loaded); the cache file names them, so the memos kept by identity still point at the very objects
    the load memo holds; without the log the cache file is not used, and the build is the same."""
    root = site()
    folder = root / ".cache/backoffice-site"
    assert run_cli("build", "--root", root, "--no-search").code == 0
    log = folder / build_cache.LOADED
    before = log.stat()
    article = next((root / "content/articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n追記の一文です。\n", encoding="utf-8")
    assert run_cli("build", "--root", root, "--no-search").code == 0
    after = log.stat()
    assert after.st_ino == before.st_ino and after.st_size > before.st_size, "appended, not written again"
    good = snapshot(root / "public")

    c = Builder(opts(root, out=root / "public")).cache
    loaded = {id(v[2]) for v in c.load.values()}
    loaded |= {id(x) for v in c.load.values() for t in getattr(v[2], "terms", ()) for x in (t, *t.changes)}
    kept = [(kind, id(value) in loaded) for (kind, _name), (value, _env, _key) in c.doc_keys.items()]
    assert {kind for kind, _ in kept} >= {"article", "term"}
    # every article; the terms resolve did not remake (a term given a slug is a new object in each process)
    assert all(same for kind, same in kept if kind == "article") and any(same for kind, same in kept if kind == "term")
    assert Builder(opts(root, out=root / "public")).build().rendered_pages == 0

    log.write_bytes(log.read_bytes()[: before.st_size // 2])  # entries the cache file names are gone
    fresh = Builder(opts(root, out=root / "public"))
    assert fresh.cache.load == {} and fresh.cache.pages == {}
    again = fresh.build()
    assert again.ok and again.rendered_pages > 0 and snapshot(root / "public") == good
