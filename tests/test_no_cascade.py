"""One mistake, one diagnostic: an item with broken fields still exists for link and name checks."""

from __future__ import annotations

from pathlib import Path

from conftest import make_site, run_cli


def test_titel_typo_gives_one_error_and_one_warning(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    second = root / "content/articles/second.md"
    second.write_text(second.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    r = run_cli("check", "--root", root)
    assert r.code == 1
    assert r.diagnostics == [
        "content/articles/second.md:2:1: error: missing required field 'title'",
        "content/articles/second.md:2:1: warning: unknown field 'titel' in article front matter "
        "(did you mean 'title'?)",
    ], r.err


def test_term_without_reading_is_still_a_link_target(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    g = root / "content/glossary/roudou.yaml"
    g.write_text(g.read_text(encoding="utf-8").replace("    reading: ぱーと\n", ""), encoding="utf-8")
    r = run_cli("check", "--root", root)
    assert r.code == 1
    assert len(r.diagnostics) == 1 and "missing required field 'reading'" in r.diagnostics[0], r.err
