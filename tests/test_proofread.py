"""Proofreading (表記, issue 15): term variants and style rules, found at line:col, fixed in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import make_site, run_cli, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice_site import cli, fix, proofread
from backoffice_site.autolink import TermMatcher
from backoffice_site.diagnostics import Loc

ARTICLE = "content/articles/rei.md"
GLOSSARY = "content/glossary/hatarakikata.yaml"
SITE = "content/site.yaml"


def hyoki(lines: list[str]) -> set[str]:
    return {line for line in lines if "表記" in line}


def at(root: Path, rel: str, line: int, needle: str, nth: int = 0) -> str:
    """``rel:line:col`` of the ``nth`` occurrence of ``needle`` on that line (columns count characters)."""
    text = (root / rel).read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")[line - 1]
    col = -1
    for _ in range(nth + 1):
        col = text.index(needle, col + 1)
    return f"{rel}:{line}:{col + 1}"


def warn(where: str, found: str, prefer: str, note: str = "") -> str:
    return f"{where}: warning: 表記: '{found}' → '{prefer}'" + (f" ({note})" if note else "")


@pytest.fixture
def psite(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", "proofread")


def test_each_rule_kind_is_found_at_its_line_and_column(psite: Path) -> None:
    r = run_cli("check", "--root", psite)
    assert r.code == 0, r.err
    note = "可能の意味はひらがなで書きます"
    expected = {
        # a term's variant: in the title (front matter value), body prose, a heading and a link's text
        warn(at(psite, ARTICLE, 2, "Wワーク"), "Wワーク", "ダブルワーク"),
        warn(at(psite, ARTICLE, 7, "Wワーク"), "Wワーク", "ダブルワーク"),
        warn(at(psite, ARTICLE, 9, "W ワーク"), "W ワーク", "ダブルワーク"),
        warn(at(psite, ARTICLE, 15, "Wワーク", 1), "Wワーク", "ダブルワーク"),
        # style rules, with and without a note; 〜の様に inside その様に
        warn(at(psite, ARTICLE, 9, "出来る"), "出来る", "できる", note),
        warn(at(psite, ARTICLE, 25, "の様に"), "の様に", "のように"),
        warn(at(psite, ARTICLE, 25, "下さい"), "下さい", "ください"),
        # text between HTML tags is prose (the attribute is not)
        warn(at(psite, ARTICLE, 17, "下さい"), "下さい", "ください"),
        # katakana boundary: バイト in バイト先 but not in アルバイト
        warn(at(psite, ARTICLE, 11, "バイト先"), "バイト", "アルバイト"),
        # NFKC: full-width Latin is the same spelling
        warn(at(psite, ARTICLE, 13, "ＷＦＨ"), "ＷＦＨ", "テレワーク"),
        warn(at(psite, ARTICLE, 13, "Ｗワーク"), "Ｗワーク", "ダブルワーク"),
        # a term's summary and its definition (a block scalar)
        warn(at(psite, GLOSSARY, 7, "Wワーク"), "Wワーク", "ダブルワーク"),
        warn(at(psite, GLOSSARY, 9, "Wワーク"), "Wワーク", "ダブルワーク"),
    }
    assert hyoki(r.diagnostics) == expected
    assert r.diagnostics == sorted(r.diagnostics, key=lambda d: (d.split(":")[0], int(d.split(":")[1]),
                                                                 int(d.split(":")[2])))
    assert "13 表記 findings can be rewritten with: backoffice-site check --fix" in r.err


def test_boundaries_code_links_and_html_are_not_read(psite: Path) -> None:
    r = run_cli("check", "--root", psite)
    lines = {int(d.split(":")[1]) for d in hyoki(r.diagnostics) if d.startswith(ARTICLE)}
    assert 4 not in lines  # tags: [Wワーク] is a label, not prose
    assert 19 not in lines and 20 not in lines  # fenced code block
    assert 23 not in lines  # indented code block
    # line 13: AWワーク (Latin neighbour) and WFHX (a longer Latin word) are not found
    on13 = [d for d in r.diagnostics if d.startswith(f"{ARTICLE}:13:")]
    assert len(on13) == 2
    # line 15: the code span, the link's URL and the autolink are skipped; only the link text is found
    on15 = [d for d in r.diagnostics if d.startswith(f"{ARTICLE}:15:")]
    assert on15 == [warn(at(psite, ARTICLE, 15, "Wワーク", 1), "Wワーク", "ダブルワーク")]
    # line 17: the title="Wワーク" attribute is skipped
    assert [d for d in r.diagnostics if d.startswith(f"{ARTICLE}:17:")] == [
        warn(at(psite, ARTICLE, 17, "下さい"), "下さい", "ください")]


def test_front_matter_keys_and_other_fields_are_not_read(tmp_path: Path) -> None:
    root = make_site(tmp_path / "s", "proofread", files={
        ARTICLE: "---\ntitle: 始め方\ndescription: 説明です。\nWワーク: 1\n---\n\n"
                 "ダブルワークとテレワークとアルバイト。\n"})
    r = run_cli("check", "--root", root)
    assert any(f"{ARTICLE}:4:1: warning: unknown field 'Wワーク'" in d for d in r.diagnostics)
    assert not [d for d in hyoki(r.diagnostics) if d.startswith(ARTICLE)]


def test_strict_makes_them_errors_and_build_reports_them(psite: Path, tmp_path: Path) -> None:
    r = run_cli("check", "--root", psite, "--strict")
    assert r.code == 1
    assert f"{at(psite, ARTICLE, 25, '下さい')}: error: 表記: '下さい' → 'ください'" in r.diagnostics
    b = run_cli("build", "--root", psite, "--out", tmp_path / "out", "--no-search")
    assert b.code == 0, b.err
    assert warn(at(psite, ARTICLE, 25, "下さい"), "下さい", "ください") in b.diagnostics
    bs = run_cli("build", "--root", psite, "--out", tmp_path / "out2", "--no-search", "--strict")
    assert bs.code == 1 and not (tmp_path / "out2").exists()


def test_variants_do_not_link(psite: Path, tmp_path: Path) -> None:
    from conftest import find_all, parse_html
    run_cli("build", "--root", psite, "--out", tmp_path / "out", "--no-search")
    doc = parse_html(tmp_path / "out" / "articles" / "rei" / "index.html")
    linked = {a.get("data-term") for a in find_all(doc, "a", "term")}
    assert "double-work" in linked  # by ダブルワーク itself
    texts = ["".join(a.itertext()) for a in find_all(doc, "a", "term")]
    assert not any(t in ("Wワーク", "W ワーク", "バイト", "ＷＦＨ") for t in texts)


def test_configuration_errors_at_their_line_and_column(tmp_path: Path) -> None:
    site_yaml = (
        "title: 表記テスト\nbase_url: /\nstyle:\n"
        "  - avoid: 出来る\n    prefer: できる\n"
        "  - avoid: ダブルワーク\n    prefer: 二重就労\n"  # a term
        "  - avoid: バイト\n    prefer: アルバイト\n"  # already a term's variant
        "  - avoid: できる\n    prefer: 可能\n"  # another rule's preferred spelling
        "  - avoid: 下さい\n    prefer: 下さいませ\n"  # --fix would never finish
        "  - avoid: 頂く\n"  # no prefer
        "  - [not, a, mapping]\n"
    )
    gloss = (Path(__file__).parent / "fixtures/proofread" / GLOSSARY).read_text(encoding="utf-8")
    gloss = gloss.replace("    variants: [WFH]\n",
                          "    aliases: [在宅勤務]\n    variants: [WFH, 在宅勤務, テレワーク]\n")
    root = make_site(tmp_path / "s", "proofread", files={SITE: site_yaml, GLOSSARY: gloss})
    r = run_cli("check", "--root", root)
    assert r.code == 1
    errors = [d for d in r.diagnostics if ": error: " in d]
    gl = GLOSSARY

    def has(where: str, text: str) -> bool:
        return any(d.startswith(f"{where}: error: ") and text in d for d in errors)

    assert has(f"{SITE}:6:12", "style rule avoid 'ダブルワーク' is the term 'ダブルワーク'")
    assert has(f"{SITE}:8:12", "style rule avoid 'バイト' is already avoided at content/glossary/")
    assert has(f"{SITE}:10:12", "style rule avoid 'できる' is what another rule prefers (content/site.yaml:4:12")
    assert has(f"{SITE}:12:12", "the preferred spelling contains the avoided '下さい'")
    assert has(f"{SITE}:14:5", "missing required field 'prefer'")
    assert has(f"{SITE}:15:5", "each style rule needs 'avoid:' and 'prefer:'")
    assert has(at(root, gl, 22, "在宅勤務"), "variant '在宅勤務' of 'テレワーク' is an alias of 'テレワーク'")
    assert has(at(root, gl, 22, "テレワーク"), "variant 'テレワーク' of 'テレワーク' is the term 'テレワーク'")
    assert len(errors) == 8, "\n".join(errors)
    # no cascade: a dropped rule finds nothing, the good ones still work
    found = hyoki(r.diagnostics) - set(errors)
    assert warn(at(root, ARTICLE, 9, "出来る"), "出来る", "できる") in found
    assert not any("'下さい'" in d or "'できる' → '可能'" in d for d in found)


def test_a_site_without_rules_has_no_findings(tmp_path: Path) -> None:
    root = make_site(tmp_path / "s")
    r = run_cli("check", "--root", root, "--strict")
    assert r.code == 0 and not hyoki(r.err.splitlines())


# ---------------------------------------------------------------------------------------------------------
# --fix


def test_fix_on_a_bom_crlf_file_changes_exactly_the_flagged_bytes(psite: Path) -> None:
    art = psite / ARTICLE
    original = art.read_text(encoding="utf-8")
    crlf = b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8") + b"  \r\n"
    art.write_bytes(crlf)
    before = snapshot(psite / "content")
    r = run_cli("check", "--root", psite)  # without --fix nothing is written
    assert snapshot(psite / "content") == before
    assert r.code == 0

    last = at(psite, ARTICLE, 25, "下さい")
    r = run_cli("check", "--root", psite, "--fix")
    assert r.code == 0, r.err
    lines = crlf.decode("utf-8").split("\r\n")

    def sub(n: int, old: str, new: str, nth: int = 0) -> None:
        parts = lines[n - 1].split(old)
        lines[n - 1] = old.join(parts[:nth + 1]) + new + old.join(parts[nth + 1:])

    sub(2, "Wワーク", "ダブルワーク")
    sub(7, "Wワーク", "ダブルワーク")
    sub(9, "W ワーク", "ダブルワーク")
    sub(9, "出来る", "できる")
    sub(11, "バイト先", "アルバイト先")
    sub(13, "ＷＦＨ", "テレワーク")
    sub(13, "Ｗワーク", "ダブルワーク")
    sub(15, "Wワーク", "ダブルワーク", 1)
    sub(17, ">下さい<", ">ください<")
    sub(25, "その様に", "そのように")
    sub(25, "下さい", "ください")
    assert art.read_bytes() == "\r\n".join(lines).encode("utf-8")
    assert art.read_bytes().startswith(b"\xef\xbb\xbf")
    # what changed, per file, on stdout
    assert f"{ARTICLE}: fixed 11" in r.out and f"{GLOSSARY}: fixed 2" in r.out
    assert f"  {last}: '下さい' → 'ください'" in r.out.splitlines()
    assert "fixed 13 spans in 2 files" in r.out
    # the check after fixing is clean
    assert not hyoki(r.diagnostics)
    assert not list(psite.rglob(".*.tmp"))

    after = snapshot(psite / "content")
    again = run_cli("check", "--root", psite, "--fix", "--strict")
    assert again.code == 0, again.err
    assert "nothing to fix" in again.out
    assert snapshot(psite / "content") == after


def test_fix_keeps_yaml_structure_and_reports_escapes_it_cannot_place(tmp_path: Path) -> None:
    gloss = (Path(__file__).parent / "fixtures/proofread" / GLOSSARY).read_text(encoding="utf-8")
    gloss = gloss.replace("    definition: 自宅などで働く形です。\n",
                          '    definition: "自宅\\u306a\\u3069で働く形です。Wワーク"\n')
    gloss = gloss.replace("    summary: 短い期間や時間で働く形です。\n",
                          "    summary: '短い期間の''バイト''です。'\n")
    root = make_site(tmp_path / "s", "proofread", files={GLOSSARY: gloss})
    r = run_cli("check", "--root", root)
    ln_escape = next(i for i, s in enumerate(gloss.split("\n"), 1) if "\\u306a" in s)
    assert warn(f"{GLOSSARY}:{ln_escape}:17", "Wワーク", "ダブルワーク") in r.diagnostics  # the value's start
    assert warn(at(root, GLOSSARY, 15, "バイト"), "バイト", "アルバイト") in r.diagnostics
    f = run_cli("check", "--root", root, "--fix")
    assert f"{GLOSSARY}:{ln_escape}:17: warning: not fixed: 表記: 'Wワーク' → 'ダブルワーク'" in f.err
    text = (root / GLOSSARY).read_text(encoding="utf-8")
    assert "    summary: '短い期間の''アルバイト''です。'\n" in text
    assert '"自宅\\u306a\\u3069で働く形です。Wワーク"' in text
    # still the same YAML: the site checks, with only the escaped finding left
    again = run_cli("check", "--root", root)
    assert hyoki(again.diagnostics) == {warn(f"{GLOSSARY}:{ln_escape}:17", "Wワーク", "ダブルワーク")}


def test_a_failed_write_leaves_the_file_as_it_was(psite: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(psite / "content")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    code = cli.main(["check", "--root", str(psite), "--fix"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{ARTICLE}: error: cannot write: No space left on device; the file was not changed" in err
    assert snapshot(psite / "content") == before  # no temporary file left behind either


def test_a_file_changed_since_the_check_is_not_touched(psite: Path) -> None:
    doc = proofread.article_document(ARTICLE, (psite / ARTICLE).read_text(encoding="utf-8"))
    assert doc is not None
    rules = (proofread.Rule("Wワーク", "ダブルワーク", "", Loc(SITE)),)
    findings = proofread.find(doc, rules)
    (psite / ARTICLE).write_text("全部書き直しました。\n", encoding="utf-8")
    result = fix.fix_file(psite / ARTICLE, ARTICLE, findings)
    assert not result.changes and len(result.skipped) == len(findings) > 0
    assert (psite / ARTICLE).read_text(encoding="utf-8") == "全部書き直しました。\n"


def test_check_terms_lists_variants_found_per_term(psite: Path) -> None:
    r = run_cli("check", "--root", psite, "--terms")
    table = r.out.split("term\tvariant\tfound\tfirst at\n", 1)[1].strip().split("\n")
    rows = {tuple(line.split("\t")[:3]): line.split("\t")[3] for line in table}
    assert rows[("ダブルワーク", "Wワーク", "6")] == f"{ARTICLE}:2:8"
    assert rows[("ダブルワーク", "W ワーク", "1")] == at(psite, ARTICLE, 9, "W ワーク")
    assert rows[("アルバイト", "バイト", "1")] == at(psite, ARTICLE, 11, "バイト先")
    assert rows[("テレワーク", "WFH", "1")] == at(psite, ARTICLE, 13, "ＷＦＨ")


def test_dev_server_prints_the_warnings(psite: Path) -> None:
    import io
    import time

    from backoffice_site.devserver import DevServer

    out, err = io.StringIO(), io.StringIO()
    server = DevServer(psite, "127.0.0.1", 0, out=out, err=err)
    try:
        server.start()
        server.serve_in_background()
        assert warn(at(psite, ARTICLE, 25, "下さい"), "下さい", "ください") in err.getvalue().splitlines()
        art = psite / ARTICLE
        art.write_text(art.read_text(encoding="utf-8") + "\nまた出来る。\n", encoding="utf-8")
        new = warn(f"{ARTICLE}:27:3", "出来る", "できる", "可能の意味はひらがなで書きます")
        deadline = time.monotonic() + 20
        while new not in err.getvalue().splitlines():
            assert time.monotonic() < deadline, err.getvalue()
            time.sleep(0.05)
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------------------
# Properties


_RULES = (
    proofread.Rule("Wワーク", "ダブルワーク", "", Loc(SITE)),
    proofread.Rule("バイト", "アルバイト", "", Loc(SITE)),
    proofread.Rule("WFH", "テレワーク", "", Loc(SITE)),
    proofread.Rule("出来る", "できる", "", Loc(SITE)),
)
_WORDS = ["Wワーク", "バイト", "WFH", "出来る", "アルバイト", "ア", "W", "x", "ＷＦＨ", "の", "日", " ", "。",
          "**", "_"]
_prose = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8).map("".join).filter(
    lambda s: s.strip() != "" and not s.startswith((" ", "*", "_")))
_inner = st.lists(st.sampled_from([*_WORDS[:10], "(", ")", "[", "<", "\\", "~"]), min_size=1,
                  max_size=6).map("".join).filter(lambda s: s.strip() == s and s != "")
_url = st.lists(st.sampled_from(["Wワーク", "WFH", "バイト", "出来る", "/", "a", "-", "?q=", "#"]),
                min_size=1, max_size=5).map(lambda p: "https://example.org/" + "".join(p))


@st.composite
def _document(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """A Markdown body and the spans (code spans, fenced blocks, link targets) that must never change."""
    text = ""
    protected: list[tuple[int, int]] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["para", "code", "fence", "link", "image"]))
        if kind == "fence":
            body = "\n".join(draw(st.lists(_inner.map(lambda s: s.replace("~", "")), min_size=1, max_size=3)))
            block = f"```\n{body}\n```"
            protected.append((len(text), len(text) + len(block)))
            text += block + "\n\n"
            continue
        para = draw(_prose)
        if kind == "code":
            span = "`" + draw(_inner) + "`"
            protected.append((len(text) + len(para), len(text) + len(para) + len(span)))
            para += span + draw(_prose)
        elif kind in ("link", "image"):
            label = ("![" if kind == "image" else "[") + draw(_prose) + "]"
            target = "(" + draw(_url) + ")"
            start = len(text) + len(para) + len(label)
            protected.append((start, start + len(target)))
            para += label + target + draw(_prose)
        text += para + "\n\n"
    return text, protected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document(), st.booleans())
def test_fix_never_changes_code_or_link_targets(doc: tuple[str, list[tuple[int, int]]], crlf: bool) -> None:
    body, protected = doc
    text = "---\ntitle: t\ndescription: d\n---\n" + body
    offset = len(text) - len(body)
    parsed = proofread.article_document(ARTICLE, text)
    assert parsed is not None
    findings = proofread.find(parsed, _RULES)
    for f in findings:
        for s, e in protected:
            assert f.end <= s + offset or f.start >= e + offset, (f, text[s + offset:e + offset])
    raw = text.replace("\n", "\r\n") if crlf else text
    fixed, changes, skipped = fix.apply(raw, findings)
    assert len(changes) == len(findings) and not skipped
    # every protected piece is still there, in order, and the fix is done in one go
    pos = 0
    for s, e in protected:
        piece = text[s + offset:e + offset].replace("\n", "\r\n") if crlf else text[s + offset:e + offset]
        pos = fixed.index(piece, pos) + len(piece)
    normalized = fixed.replace("\r\n", "\n")
    again = proofread.article_document(ARTICLE, normalized)
    assert again is not None
    assert proofread.find(again, _RULES) == ()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="Wワークバイトア出来るWFHＷＦＨx日 \n`[]()<>!#*_~-:/|{}&;\\\t", max_size=80))
def test_scanner_keeps_length_and_lines_and_findings_are_real(text: str) -> None:
    from backoffice_site import mdscan

    masked = mdscan.mask(text)
    assert len(masked) == len(text)
    assert [i for i, c in enumerate(text) if c == "\n"] == [i for i, c in enumerate(masked) if c == "\n"]
    assert all(m == t or m == mdscan.HOLE for m, t in zip(masked, text, strict=True))
    doc = proofread.Document(ARTICLE, text, (proofread.Segment(text, True, Loc(ARTICLE), start=0),))
    for f in proofread.find(doc, _RULES):
        assert text[f.start:f.end] == f.found
        assert mdscan.HOLE not in masked[f.start:f.end]


def test_matcher_boundaries_are_the_linkers() -> None:
    m = TermMatcher([("パート", "p"), ("OJT", "o")])
    assert [x.name for x in m.finditer("アパートでパート。OJTとXOJT")] == ["パート", "OJT"]


def test_a_variant_inside_an_accepted_name_is_not_found(tmp_path: Path) -> None:
    """有給 for 有給休暇: found alone, not inside 有給休暇 or the alias 年次有給休暇; fixing it is final."""
    gloss = (Path(__file__).parent / "fixtures/basic/content/glossary/roudou.yaml").read_text(encoding="utf-8")
    gloss = gloss.replace("    aliases: [年次有給休暇, 有休]\n",
                          "    aliases: [年次有給休暇, 有休]\n    variants: [有給]\n")
    art = "content/articles/third.md"
    root = make_site(tmp_path / "s", files={
        "content/glossary/roudou.yaml": gloss,
        art: "---\ntitle: 三番目\ndescription: 三つ目です。\n---\n\n有給を取ります。年次有給休暇と有給休暇です。\n"})
    r = run_cli("check", "--root", root, "--fix")
    assert r.code == 0, r.err
    assert f"  {art}:6:1: '有給' → '有給休暇'" in r.out.splitlines()
    assert "fixed 1 span in 1 file" in r.out
    assert (root / art).read_text(encoding="utf-8").endswith("\n有給休暇を取ります。年次有給休暇と有給休暇です。\n")
    again = run_cli("check", "--root", root, "--fix")
    assert "nothing to fix" in again.out and not hyoki(again.diagnostics)


def _normalize_reference(text: str) -> tuple[str, list[int]]:
    """The character-by-character form of autolink's NFKC with offsets (before its fast path)."""
    import unicodedata
    out: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and (unicodedata.combining(text[j]) or text[j] in "\uff9e\uff9f"):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j])
        out.append(piece)
        offsets.extend([i] * len(piece))
        i = j
    offsets.append(len(text))
    return "".join(out), offsets


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aeZ9 ～。、「」（）ＡＷかがは\u3099\u309a\u0301ｶﾞﾊﾟｱ㍿ｰー人事\u3000①ﬁ")),
               max_size=40) | st.text(max_size=30))
def test_fast_nfkc_with_offsets_equals_the_reference(text: str) -> None:
    """Proofreading made the linker's NFKC faster on Japanese runs; it must give the very same answer."""
    import unicodedata

    from backoffice_site.autolink import _normalize_with_offsets

    expected = (text, list(range(len(text) + 1))) if unicodedata.is_normalized("NFKC", text) \
        else _normalize_reference(text)
    assert _normalize_with_offsets(text) == expected


def test_fix_through_a_symlink_rewrites_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("---\ntitle: t\ndescription: d\n---\n\nWワークです。\n", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    doc = proofread.article_document("link.md", link.read_text(encoding="utf-8"))
    assert doc is not None
    result = fix.fix_file(link, "link.md", proofread.find(doc, _RULES))
    assert [(c.line, c.col, c.found) for c in result.changes] == [(6, 1, "Wワーク")]
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").endswith("\nダブルワークです。\n")
