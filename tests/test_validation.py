"""Every validation case of the foundation, through the real CLI: file:line, exit status, public/ untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_site, run_cli, snapshot

FM = "---\ntitle: 記事\ndescription: 説明です。\n{extra}---\n\n本文です。\n"


# (id, files to write, expected "path:line" prefix, message fragment)
CASES: list[tuple[str, dict[str, str | bytes], str, str]] = [
    ("malformed-yaml-front-matter",
     {"content/articles/bad.md": "---\ntitle: [記事\ndescription: x\n---\n本文\n"},
     "content/articles/bad.md:3:", "malformed YAML"),
    ("malformed-yaml-glossary",
     {"content/glossary/bad.yaml": "group: x\nterms:\n  - term: a\n   reading: あ\n"},
     "content/glossary/bad.yaml:4:", "malformed YAML"),
    ("missing-front-matter",
     {"content/articles/bad.md": "# タイトル\n\n本文\n"},
     "content/articles/bad.md:1:1", "missing front matter"),
    ("unterminated-front-matter",
     {"content/articles/bad.md": "---\ntitle: 記事\ndescription: x\n\n本文\n"},
     "content/articles/bad.md:1:1", "front matter is not closed"),
    ("missing-required-field",
     {"content/articles/bad.md": "---\ntitle: 記事\n---\n本文\n"},
     "content/articles/bad.md:2:1", "missing required field 'description'"),
    ("wrong-type-tags",
     {"content/articles/bad.md": FM.format(extra="tags: 3\n")},
     "content/articles/bad.md:4:7", "'tags' must be a list"),
    ("invalid-slug",
     {"content/articles/bad.md": FM.format(extra="slug: Bad_Slug\n")},
     "content/articles/bad.md:4:7", "invalid slug 'Bad_Slug'"),
    ("slug-escaping-output",
     {"content/articles/bad.md": FM.format(extra="slug: ../../x\n")},
     "content/articles/bad.md:4:7", "invalid slug"),
    ("invalid-date",
     {"content/articles/bad.md": FM.format(extra="date: 2026-02-30\n")},
     "content/articles/bad.md:4:7", "invalid date '2026-02-30'"),
    ("invalid-order",
     {"content/articles/bad.md": FM.format(extra="order: first\n")},
     "content/articles/bad.md:4:8", "'order' must be a whole number"),
    ("reading-not-kana",
     {"content/glossary/bad.yaml": "group: x\nterms:\n  - term: 経理\n    reading: けいri\n"
      "    definition: 定義です。\n"},
     "content/glossary/bad.yaml:4:", "not kana"),
    ("duplicate-article-slug",
     {"content/articles/zz.md": FM.format(extra="slug: first\n")},
     "content/articles/zz.md:4:1", "two articles have the slug 'first'"),
    ("duplicate-term-slug",
     {"content/glossary/zz.yaml": "group: x\nterms:\n  - term: 別の用語\n    reading: べつ\n    slug: part\n"
      "    definition: 定義です。\n    see_also: [パート]\n"},
     "content/glossary/zz.yaml:5:5", "already used by 'パート'"),
    ("alias-collision",
     {"content/glossary/zz.yaml": "group: x\nterms:\n  - term: 年休\n    reading: ねんきゅう\n"
      "    definition: 定義です。\n    aliases: [有休]\n    see_also: [パート]\n"},
     "content/glossary/zz.yaml:6:5", "alias '有休' of '年休' collides with '有給休暇'"),
    ("same-name-and-reading",
     {"content/glossary/zz.yaml": "group: x\nterms:\n  - term: パート\n    reading: ぱーと\n"
      "    slug: part-two\n    definition: 定義です。\n"},
     "content/glossary/zz.yaml:3:5", "defined twice"),
    ("non-utf8",
     {"content/articles/bad.md": "---\ntitle: 記事\ndescription: x\n---\n本文\n".encode("shift_jis")},
     "content/articles/bad.md:2:8", "not UTF-8"),
    ("dead-md-link",
     {"content/articles/bad.md": FM.replace("本文です。", "[リンク](nothere.md)を見てください。").format(extra="")},
     "content/articles/bad.md:6:", "there is no article"),
    ("dead-root-link",
     {"content/articles/bad.md": FM.replace("本文です。", "[リンク](/nowhere/)を見てください。").format(extra="")},
     "content/articles/bad.md:6:", "no such page"),
    ("unknown-wikilink",
     {"content/articles/bad.md": FM.replace("本文です。", "前の文。[[存在しない用語]]です。").format(extra="")},
     "content/articles/bad.md:6:5", "unknown glossary term '存在しない用語'"),
    ("see-also-unknown",
     {"content/glossary/zz.yaml": "group: x\nterms:\n  - term: 残業\n    reading: ざんぎょう\n"
      "    definition: 定義です。\n    see_also: [有給休暇, 有給休聴]\n"},
     "content/glossary/zz.yaml:6:22", "see_also names unknown term '有給休聴' (did you mean '有給休暇'?)"),
    ("see-also-self",
     {"content/glossary/zz.yaml": "group: x\nterms:\n  - term: 残業\n    reading: ざんぎょう\n"
      "    definition: 定義です。\n    see_also: [残業]\n"},
     "content/glossary/zz.yaml:6:16", "points to itself"),
    ("empty-glossary-file",
     {"content/glossary/zz.yaml": "\n"},
     "content/glossary/zz.yaml:1:1", "empty glossary file"),
    ("empty-terms-list",
     {"content/glossary/zz.yaml": "group: x\nterms: []\n"},
     "content/glossary/zz.yaml:2:8", "empty glossary group"),
    ("duplicate-key",
     {"content/articles/bad.md": "---\ntitle: 記事\ndescription: x\ntitle: 二つ目\n---\n本文\n"},
     "content/articles/bad.md:4:1", "duplicate key 'title' (first defined at line 2)"),
    ("yaml-not-a-mapping",
     {"content/glossary/zz.yaml": "- term: a\n- term: b\n"},
     "content/glossary/zz.yaml:1:1", "must be a YAML mapping"),
    ("front-matter-not-a-mapping",
     {"content/articles/bad.md": "---\n- a\n- b\n---\n本文\n"},
     "content/articles/bad.md:2:1", "must be a YAML mapping"),
    ("alias-bomb",
     {"content/glossary/zz.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"},
     "content/glossary/zz.yaml:1:1", "alias bomb"),
    ("python-tag",
     {"content/glossary/zz.yaml": "group: !!python/object/apply:os.system ['touch /tmp/pwned-bos']\n"
      "terms:\n  - term: 残業\n    reading: ざんぎょう\n    definition: 定義です。\n"},
     "content/glossary/zz.yaml:1:8", "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("missing-term-definition",
     {"content/glossary/zz.yaml": "group: x\nterms:\n  - term: 残業\n    reading: ざんぎょう\n"},
     "content/glossary/zz.yaml:3:5", "missing required field 'definition'"),
    ("bool-where-list-expected",
     {"content/articles/bad.md": FM.format(extra="draft: maybe\n")},
     "content/articles/bad.md:4:8", "'draft' must be true or false"),
]


@pytest.fixture
def built_site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site")
    r = run_cli("build", "--root", root)
    assert r.code == 0, r.err
    return root


@pytest.mark.parametrize(("files", "where", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_content_error_is_reported_and_public_untouched(built_site: Path, files: dict[str, str | bytes],
                                                        where: str, fragment: str) -> None:
    before = snapshot(built_site / "public")
    make_site(built_site, files=files)
    r = run_cli("build", "--root", built_site)
    assert r.code == 1, (r.code, r.err)
    assert "Traceback" not in r.err
    matching = [d for d in r.diagnostics if d.startswith(where) and fragment in d and ": error: " in d]
    assert matching, f"expected {where} … {fragment!r} in:\n{r.err}"
    assert snapshot(built_site / "public") == before
    assert not list(built_site.glob(".public.*")), "temporary folders left behind"
    # check reports exactly what build reported, and writes nothing
    c = run_cli("check", "--root", built_site)
    assert c.code == 1
    assert c.diagnostics == r.diagnostics
    assert not Path("/tmp/pwned-bos").exists()


def test_every_problem_is_reported_in_one_run(built_site: Path) -> None:
    make_site(built_site, files={
        "content/articles/a.md": FM.format(extra="tags: 3\n"),
        "content/articles/b.md": FM.format(extra="date: 2026-13-01\n"),
        "content/glossary/zz.yaml": "group: x\nterms:\n  - term: 残業\n    reading: zangyo\n    definition: d\n",
    })
    r = run_cli("build", "--root", built_site)
    assert r.code == 1
    files = {d.split(":")[0] for d in r.diagnostics}
    assert {"content/articles/a.md", "content/articles/b.md", "content/glossary/zz.yaml"} <= files
    errors = sum(": error: " in d for d in r.diagnostics)
    warnings = sum(": warning: " in d for d in r.diagnostics)
    assert errors >= 3
    expected = f"{errors} errors" + (f", {warnings} warning{'s' if warnings > 1 else ''}" if warnings else "")
    assert r.err.strip().splitlines()[-2] == expected


def test_unknown_field_is_a_warning_and_strict_makes_it_an_error(built_site: Path) -> None:
    make_site(built_site, files={"content/articles/first.md": (built_site / "content/articles/first.md")
              .read_text(encoding="utf-8").replace("order: 1\n", "order: 1\ntitel: 誤字\n")})
    r = run_cli("build", "--root", built_site)
    assert r.code == 0, r.err
    assert "content/articles/first.md:5:1: warning: unknown field 'titel' in article front matter " \
           "(did you mean 'title'?)" in r.err
    assert "1 warning" in r.err
    before = snapshot(built_site / "public")
    strict = run_cli("build", "--root", built_site, "--strict")
    assert strict.code == 1
    assert "content/articles/first.md:5:1: error: unknown field 'titel'" in strict.err
    assert snapshot(built_site / "public") == before
    assert run_cli("check", "--root", built_site, "--strict").code == 1


def test_yaml_1_1_scalars_keep_the_authors_text(site) -> None:  # type: ignore[no-untyped-def]
    root = site(files={
        "content/glossary/zz.yaml": "group: x\nterms:\n  - term: no\n    reading: のー\n    slug: no-term\n"
        "    summary: 12:30\n    definition: 'on'\n    see_also: [パート]\n    en: yes\n",
        "content/articles/third.md": "---\ntitle: 12:30\ndescription: off\norder: 3\n---\n\nno の話。\n",
    })
    r = run_cli("build", "--root", root)
    assert r.code == 0, r.err
    import json

    data = json.loads((root / "public/glossary.json").read_text(encoding="utf-8"))
    term = next(t for t in data["terms"] if t["slug"] == "no-term")
    assert (term["term"], term["summary"], term["en"]) == ("no", "12:30", "yes")
    page = (root / "public/articles/third/index.html").read_text(encoding="utf-8")
    assert "<h1>12:30</h1>" in page


@pytest.mark.parametrize("out", ["content", "content/sub", "templates", "static/x", "."])
def test_output_inside_sources_is_a_usage_error(built_site: Path, out: str) -> None:
    before = snapshot(built_site)
    r = run_cli("build", "--root", built_site, "--out", built_site / out)
    assert r.code == 2, r.err
    assert "error:" in r.err and "Traceback" not in r.err
    assert snapshot(built_site) == before


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("build", "--root", tmp_path / "missing").code == 2
    assert run_cli("frobnicate").code == 2
    assert run_cli("build", "--bogus").code == 2
    for cmd in (["build"], ["check"], ["new", "article"], ["new", "term"], ["serve"]):
        h = run_cli(*cmd, "--help")
        assert h.code == 0 and "usage:" in h.out
