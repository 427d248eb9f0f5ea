"""Whole builds through the CLI: output shape, determinism, atomic swaps, incremental = full."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import NS, REPO, find_all, parse_html, run_cli, snapshot, without_phrase_marks

from backoffice_site.build import Builder, BuildOptions


def test_build_writes_pretty_urls_and_a_summary_line(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    r = run_cli("build", "--root", root)
    assert r.code == 0, r.err
    assert re.fullmatch(r"wrote 15 pages \(2 articles, 6 terms\) in \d+\.\d\d s to .*public\n", r.out)
    out = root / "public"
    for rel in ("index.html", "articles/first/index.html", "glossary/index.html", "glossary/part/index.html",
                "glossary/group/roudou/index.html", "404.html", "glossary.json", "css/site.css",
                "changes/index.html", "changes.ics"):
        assert (out / rel).is_file(), rel
    index = parse_html(out / "index.html")
    listed = [a.get("href") for a in find_all(index, "a", "article-list__title")]
    assert listed == ["/articles/first/", "/articles/second/"]  # reading order


def test_same_input_gives_byte_identical_output(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root, "--out", tmp_path / "a").code == 0
    assert run_cli("build", "--root", root, "--out", tmp_path / "b", env={"PYTHONHASHSEED": "123"}).code == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_no_change_rebuild_writes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root).code == 0
    stats = {p: p.stat().st_ino for p in (root / "public").rglob("*") if p.is_file()}
    assert run_cli("build", "--root", root).code == 0
    assert {p: p.stat().st_ino for p in (root / "public").rglob("*") if p.is_file()} == stats


def test_incremental_rebuild_equals_a_full_build(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = site()
    builder = Builder(BuildOptions(root=root))
    first = builder.build()
    assert first.ok and first.rendered_pages >= 12
    assert builder.build().rendered_pages == 0  # nothing changed, nothing rendered
    article = root / "content/articles/second.md"
    article.write_text(article.read_text(encoding="utf-8").replace("について説明します", "をくわしく説明します"),
                       encoding="utf-8")
    one_edit = builder.build()
    # only that article's page, and the feed that carries its text
    assert one_edit.ok and set(one_edit.rendered) == {"articles/second/index.html", "feed.xml"}
    assert one_edit.files == Builder(BuildOptions(root=root)).build().files

    glossary = root / "content/glossary/gyomu.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace("人に関する仕事です。", "人の仕事です。"),
                        encoding="utf-8")
    (root / "content/articles/first.md").unlink()
    again = builder.build()
    fresh = Builder(BuildOptions(root=root)).build()
    assert again.ok and fresh.ok
    assert again.files == fresh.files
    assert "articles/first/index.html" not in again.files


def test_check_writes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    r = run_cli("check", "--root", root)
    assert r.code == 0 and "checked 2 articles and 6 terms" in r.err
    assert not (root / "public").exists()


def test_drafts_are_left_out_unless_asked(site) -> None:  # type: ignore[no-untyped-def]
    root = site(files={"content/articles/draft.md": "---\ntitle: 下書き\ndescription: まだです。\ndraft: true\n"
                       "order: 3\n---\n本文\n"})
    assert run_cli("build", "--root", root).code == 0
    assert not (root / "public/articles/draft").exists()
    assert run_cli("build", "--root", root, "--drafts").code == 0
    assert (root / "public/articles/draft/index.html").is_file()


def test_base_url_with_a_sub_path(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root, "--base-url", "https://example.org/project/").code == 0
    page = parse_html(root / "public/articles/first/index.html")
    hrefs = [a.get("href") or "" for a in page.iter(NS + "a")]
    internal = [h for h in hrefs if h.startswith("/")]
    assert internal and all(h.startswith("/project/") for h in internal), internal
    canonical = [link.get("href") for link in page.iter(NS + "link") if link.get("rel") == "canonical"]
    assert canonical == ["https://example.org/project/articles/first/"]


def test_bom_crlf_and_nfd_files_work(site) -> None:  # type: ignore[no-untyped-def]
    import unicodedata

    text = "---\r\ntitle: ＢＯＭ付きの記事\r\ndescription: 改行がCRLFです。\r\norder: 3\r\n---\r\n\r\nパートの話。\r\n"
    nfd = unicodedata.normalize(
        "NFD", "---\ntitle: がぎぐ\ndescription: 濁点を分解した文字です。\norder: 4\n---\n本文\n")
    root = site(files={"content/articles/bom.md": b"\xef\xbb\xbf" + text.encode(),
                       "content/articles/nfd.md": nfd})
    r = run_cli("build", "--root", root)
    assert r.code == 0, r.err
    bom = parse_html(root / "public/articles/bom/index.html")
    assert [a.get("data-term") for a in find_all(bom, "a", "term")] == ["part"]
    nfd_page = (root / "public/articles/nfd/index.html").read_text(encoding="utf-8")
    assert "<h1>がぎぐ</h1>" in without_phrase_marks(nfd_page)  # NFC; phrase breaks are not the point here


def test_failed_write_leaves_old_output(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    assert run_cli("build", "--root", root).code == 0
    before = snapshot(root / "public")
    r = run_cli("build", "--root", root, "--out", root / "missing-parent/public")
    assert r.code == 1 and "does not exist" in r.err and "Traceback" not in r.err
    if os.geteuid() != 0:  # root ignores permissions
        os.chmod(root, 0o555)
        try:
            r = run_cli("build", "--root", root)
            assert r.code == 1
        finally:
            os.chmod(root, 0o755)
    assert snapshot(root / "public") == before


def test_new_article_and_term_create_valid_skeletons(site) -> None:  # type: ignore[no-untyped-def]
    root = site()
    r = run_cli("new", "article", "third-one", "--root", root)
    assert r.code == 0, r.err
    assert (root / "content/articles/third-one.md").is_file()
    assert run_cli("new", "article", "third-one", "--root", root).code == 1  # never overwrites
    assert run_cli("new", "article", "Bad Slug", "--root", root).code == 2
    r = run_cli("new", "term", "残業", "--reading", "ざんぎょう", "--group", "roudou", "--root", root)
    assert r.code == 0, r.err
    assert run_cli("new", "term", "残業", "--reading", "ざんぎょう", "--group", "roudou", "--root", root).code == 1
    assert run_cli("new", "term", "別", "--reading", "betsu", "--root", root).code == 2
    r = run_cli("build", "--root", root, "--drafts")
    assert r.code == 0, r.err
    assert (root / "public/articles/third-one/index.html").is_file()
    assert (root / "public/glossary/zangyo/index.html").is_file()


def test_repo_site_builds_and_check_matches(tmp_path: Path) -> None:
    r = run_cli("build", "--root", REPO, "--out", tmp_path / "out")
    assert r.code == 0, r.err
    c = run_cli("check", "--root", REPO)
    assert c.code == 0 and c.diagnostics == [line for line in r.err.splitlines() if ": warning: " in line]


def test_static_symlink_leading_outside_is_not_published(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("do not publish", encoding="utf-8")
    root = site()
    (root / "static/leak.txt").symlink_to(secret)
    (root / "static/inside.css").symlink_to(root / "static/css/site.css")
    r = run_cli("build", "--root", root)
    assert r.code == 0, r.err
    assert "static/leak.txt:1:1: warning: symlink leads outside static/" in r.err
    assert not (root / "public/leak.txt").exists()
    assert (root / "public/inside.css").is_file()
