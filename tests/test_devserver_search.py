"""The dev server's search index (issue 12): made in the background after the page is served, refreshed
after each save, swapped in whole.

The server runs on a real socket (``Dev`` from test_devserver); the served Pagefind bundle is read back over
HTTP and its index chunks decompressed, so "found" means the word is in the index the browser would load.
Waits poll with a deadline; nothing asserts timings (the refresh time is printed for the record).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import time
from pathlib import Path

import pytest
from conftest import make_site
from test_devserver import FIRST, Dev

from backoffice_site import search
from backoffice_site.devserver.search_refresh import Bundle, SearchRefresher

pytestmark = pytest.mark.skipif(search.find_binary()[0] is None, reason="no Pagefind binary")

WAIT = 60.0  # seconds: the first index loads Pagefind's dictionary; generous for a loaded machine


def _bundles(dev: Dev) -> list[str]:
    page = dev.text("/search/")
    m = re.search(r'data-bundles="([^"]*)"', page)
    assert m is not None
    return html.unescape(m.group(1)).split()


def _chunk_names(meta: bytes) -> list[str]:
    """The index chunks a bundle's metadata names: CBOR text strings ``ja_<hash>`` (the byte before a short
    string is 0x60 + its length)."""
    names = set()
    for m in re.finditer(rb"ja_[0-9a-f]", meta):
        size = meta[m.start() - 1] - 0x60
        if 0 < size < 24:
            names.add(meta[m.start():m.start() + size].decode())
    assert names
    return sorted(names)


def _index_words(dev: Dev) -> bytes:
    """Every index chunk of every bundle the served search page loads, decompressed and joined."""
    out = []
    for bundle in _bundles(dev):
        status, _, entry = dev.get(bundle + "pagefind-entry.json")
        assert status == 200
        lang = json.loads(entry)["languages"]["ja"]["hash"]
        status, _, meta = dev.get(f"{bundle}pagefind.{lang}.pf_meta")
        assert status == 200
        for chunk in _chunk_names(gzip.decompress(meta)):
            status, _, data = dev.get(f"{bundle}index/{chunk}.pf_index")
            if status != 200:  # the metadata also names each page's fragment
                status, _, data = dev.get(f"{bundle}fragment/{chunk}.pf_fragment")
                assert status == 200, chunk
                continue
            out.append(gzip.decompress(data))
    return b"\n".join(out)


def _wait(check: object, what: str, deadline: float = WAIT) -> float:
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - start > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def test_a_word_added_in_a_save_is_found_in_the_served_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(search.SWITCH, raising=False)
    dev = Dev(make_site(tmp_path / "site"), search=True)
    try:
        _wait(lambda: dev.status()["search"]["refreshes"] >= 1, "the first index")
        bundles = _bundles(dev)
        assert bundles[0] == "/pagefind/" and all(b.startswith("/pagefind/") for b in bundles)
        before = _index_words(dev)
        assert b"zebrafinchword" not in before and before  # the index holds the site's words, not this one
        refreshes = dev.status()["search"]["refreshes"]
        article = dev.root / FIRST
        article.write_text(article.read_text(encoding="utf-8") + "\nzebrafinchword を追記しました。\n",
                           encoding="utf-8")
        saved = time.monotonic()
        _wait(lambda: "zebrafinchword" in dev.text("/articles/first/"), "the edited page")
        page_served = time.monotonic() - saved
        _wait(lambda: b"zebrafinchword" in _index_words(dev), "the new word in the served index")
        found = time.monotonic() - saved
        print(f"save → page served {page_served * 1000:.0f} ms, → word found in the index {found * 1000:.0f} ms")
        assert dev.status()["search"]["refreshes"] > refreshes
        assert _bundles(dev) == bundles  # same parts: the edit moved no page
        assert dev.get("/pagefind/pagefind.js")[0] == 200
    finally:
        dev.close()


def test_search_off_serves_no_index(tmp_path: Path) -> None:
    dev = Dev(make_site(tmp_path / "site"), search=False)
    try:
        assert "search" not in dev.status()
        assert dev.get("/pagefind/pagefind-entry.json")[0] == 404
    finally:
        dev.close()


def _pages(root: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    from backoffice_site import build
    builder = build.Builder(build.BuildOptions(root=root, out=None))
    result = builder.build()
    assert result.ok
    return dict(result.files), {p: rec[0] for p, rec in builder.cache.pages.items()}


def test_a_newer_build_supersedes_a_running_refresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(search.SWITCH, raising=False)
    files, templates = _pages(make_site(tmp_path / "site"))
    applied: list[Bundle] = []
    refresher = SearchRefresher(applied.append, err=__import__("io").StringIO())
    try:
        edited = {p: d.replace(b"</article>", b"<p>kingfisherword</p></article>", 1) if p == "articles/first/index.html"
                  else d for p, d in files.items()}
        for _ in range(3):  # three builds in a row: only the newest must end up served
            refresher.submit(files, templates)
        refresher.submit(edited, templates)
        _wait(lambda: not refresher.busy, "the refresher to go idle")
        assert applied and applied[-1].generation == 4
        assert [b.generation for b in applied] == sorted({b.generation for b in applied})  # never an older one last
        words = b"".join(gzip.decompress(d) for p, d in applied[-1].files.items() if p.endswith(".pf_index"))
        assert b"kingfisherword" in words
        refresher.submit(files, templates)  # the service is still usable after the cancelled refreshes
        _wait(lambda: not refresher.busy, "the refresher to go idle")
        assert applied[-1].generation == 5
        assert not any(b"kingfisherword" in gzip.decompress(d)
                       for p, d in applied[-1].files.items() if p.endswith(".pf_index"))
    finally:
        refresher.close()


def test_the_served_search_page_names_the_dev_servers_bundles(tmp_path: Path) -> None:
    from types import MappingProxyType

    from backoffice_site.devserver.app import Snapshot, with_bundles

    page = b'<div id="search-app" data-base="/p/" data-bundles="/p/pagefind/ /p/pagefind/articles/" data-x="1">'
    snap = Snapshot(MappingProxyType({}), MappingProxyType({}), tmp_path, "/p/")
    assert with_bundles(page, snap) == page  # no index yet: as built
    snap = Snapshot(MappingProxyType({}), MappingProxyType({}), tmp_path, "/p/",
                    search_dirs=("pagefind/", "pagefind/terms-2/", "pagefind/articles/"))
    served = with_bundles(page, snap)
    m = re.search(rb'data-bundles="([^"]*)"', served)
    assert m is not None and m.group(1).split() == [b"/p/pagefind/", b"/p/pagefind/terms-2/", b"/p/pagefind/articles/"]
    assert served.replace(m.group(0), b"") == page.replace(re.search(rb'data-bundles="[^"]*"', page).group(0), b"")  # type: ignore[union-attr]
    assert with_bundles(b"<p>no search here</p>", snap) == b"<p>no search here</p>"
