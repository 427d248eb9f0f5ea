"""Honest dates (issue 13) through the real CLI: per-source `checked`, `as_of`, site.yaml `facts_checked`, the
時点 lint, and the 「情報の確認」 line on pages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, find_all, parse_html, run_cli, snapshot, text_of

from backoffice_site.dates import PartialDate, Precision
from backoffice_site.lint_dates import find_claims

SITE = "content/site.yaml"
ROUDOU = "content/glossary/roudou.yaml"
FIRST = "content/articles/first.md"
# 2026-11-29 00:00 UTC: the build's today, so "future" does not depend on when the tests run.
ENV = {"SOURCE_DATE_EPOCH": "1795910400", "BACKOFFICE_SITE_SEARCH": "0"}


def fixture_text(rel: str) -> str:
    return (FIXTURES / "basic" / rel).read_text(encoding="utf-8")


def edited(rel: str, old: str, new: str) -> str:
    text = fixture_text(rel)
    assert text.count(old) == 1, f"{old!r} must occur once in the fixture's {rel}"
    return text.replace(old, new)


def loc_of(text: str, needle: str, path: str, nth: int = 1) -> str:
    """'path:line:col' of the nth occurrence of ``needle`` in ``text`` (1-based line and column)."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    before = text[:pos]
    return f"{path}:{before.count(chr(10)) + 1}:{pos - (before.rfind(chr(10)) + 1) + 1}"


def check(root: Path, *extra: str) -> tuple[int, list[str]]:
    r = run_cli("check", "--root", root, *extra, env=ENV)
    return r.code, r.diagnostics


# --- validation of the fields -----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2026/02", "2026-2", "2026-13", "2026-02-30", "February", "[2026, 2]"])
def test_malformed_checked_is_an_error_at_the_value(site, value: str) -> None:  # type: ignore[no-untyped-def]
    text = edited(ROUDOU, "checked: 2026-02\n", f"checked: {value}\n")
    root = site(files={ROUDOU: text})
    code, diags = check(root)
    assert code == 1
    where = loc_of(text, value, ROUDOU)
    assert [d for d in diags if d.startswith(f"{where}: error: invalid date") and "'checked'" in d], diags


def test_checked_later_than_facts_checked_is_an_error(site) -> None:  # type: ignore[no-untyped-def]
    text = edited(ROUDOU, "checked: 2026-02\n", "checked: 2026-03-01\n")
    root = site(files={ROUDOU: text})
    code, diags = check(root)
    assert code == 1
    where = loc_of(text, "2026-03-01", ROUDOU)
    assert diags == [f"{where}: error: source checked 2026-03-01 is later than the site's facts_checked 2026-02 "
                     "(content/site.yaml); a source cannot be checked beyond the site"]


def test_a_change_sources_checked_later_than_facts_checked_is_an_error(site) -> None:  # type: ignore[no-untyped-def]
    # A change's sources vouch for its summary: the same rule as the term's own sources, at the change's value.
    text = edited(ROUDOU, "    see_also: [休暇]\n", (
        "    see_also: [休暇]\n"
        "    changes:\n"
        "      - date: 2027-04-01\n"
        "        summary: 休暇の日数の決まりが変わります。\n"
        "        status: 決定\n"
        "        sources:\n"
        "          - title: 厚生労働省「年次有給休暇の改正」\n"
        "            url: https://www.mhlw.go.jp/kyuka/\n"
        "            checked: 2026-03-15\n"))
    root = site(files={ROUDOU: text})
    code, diags = check(root)
    assert code == 1
    where = loc_of(text, "2026-03-15", ROUDOU)
    assert diags == [f"{where}: error: source checked 2026-03-15 is later than the site's facts_checked 2026-02 "
                     "(content/site.yaml); a source cannot be checked beyond the site"]
    # within the checked month it is fine, like a term source
    root = site(files={ROUDOU: text.replace("checked: 2026-03-15", "checked: 2026-02-27")})
    assert check(root, "--strict") == (0, [])


def test_checked_within_the_checked_month_is_fine(site) -> None:  # type: ignore[no-untyped-def]
    root = site(files={ROUDOU: edited(ROUDOU, "checked: 2026-02\n", "checked: 2026-02-27\n")})
    assert check(root, "--strict") == (0, [])


@pytest.mark.parametrize("value", ["2026/02", "next month", "2026-00"])
def test_malformed_facts_checked_is_an_error_in_site_yaml(site, value: str) -> None:  # type: ignore[no-untyped-def]
    text = edited(SITE, "facts_checked: 2026-02\n", f"facts_checked: {value}\n")
    root = site(files={SITE: text})
    code, diags = check(root)
    assert code == 1
    where = loc_of(text, value, SITE)
    assert [d for d in diags if d.startswith(f"{where}: error: invalid date") and "'facts_checked'" in d], diags


def test_facts_checked_in_the_future_is_a_warning(site) -> None:  # type: ignore[no-untyped-def]
    text = edited(SITE, "facts_checked: 2026-02\n", "facts_checked: 2027-01\n")
    root = site(files={SITE: text})
    code, diags = check(root)
    assert code == 0
    assert [d for d in diags if d.startswith(f"{loc_of(text, '2027-01', SITE)}: warning: facts_checked 2027-01 "
                                             "is in the future")], diags
    assert check(root, "--strict")[0] == 1


def test_as_of_in_the_future_is_a_warning_and_strict_fails(site) -> None:  # type: ignore[no-untyped-def]
    text = edited(ROUDOU, "as_of: 2025-04-01\n", "as_of: 2026-12-01\n")
    root = site(files={ROUDOU: text})
    code, diags = check(root)
    assert code == 0
    assert diags == [f"{loc_of(text, '2026-12-01', ROUDOU)}: warning: as_of 2026-12-01 is in the future (today is "
                     "2026-11-29); as_of is a date the source itself states — check it"]
    code, diags = check(root, "--strict")
    assert code == 1 and diags[0].split(": ")[1] == "error"


def test_unknown_source_field_suggests_checked(site) -> None:  # type: ignore[no-untyped-def]
    text = edited(ROUDOU, "checked: 2026-02\n", "checkd: 2026-02\n")
    code, diags = check(site(files={ROUDOU: text}))
    assert code == 0
    assert diags == [f"{loc_of(text, 'checkd', ROUDOU)}: warning: unknown field 'checkd' in a source "
                     "(did you mean 'checked'?)"]


# --- the 時点 lint -------------------------------------------------------------------------------------

def test_claims_later_than_facts_checked_are_reported_where_they_stand(site) -> None:  # type: ignore[no-untyped-def]
    article = fixture_text(FIRST).replace(
        "休暇の話です。",
        "休暇の話です（2026年2月27日時点、これは確認の範囲内です）。\n"
        "制度は２０２６年１１月２７日現在のものです。令和8年11月時点でも、2026年3月時点でも同じです。")
    article = article.replace("title: はじめての記事", "title: 2026年度時点のはじめての記事")
    glossary = edited(ROUDOU, "definition: 仕事を休む日のことです。",
                      "definition: >\n      仕事を休む日のことです。\n      2026年11月時点の決まりです。")
    root = site(files={FIRST: article, ROUDOU: glossary})
    code, diags = check(root)
    assert code == 0
    claims = [d for d in diags if "is later than checked" in d]
    expected = [
        (loc_of(article, "2026年度時点", FIRST), "2026年度時点"),
        (loc_of(article, "２０２６年１１月２７日現在", FIRST), "２０２６年１１月２７日現在"),
        (loc_of(article, "令和8年11月時点", FIRST), "令和8年11月時点"),
        (loc_of(article, "2026年3月時点", FIRST), "2026年3月時点"),
        (loc_of(glossary, "2026年11月時点", ROUDOU), "2026年11月時点"),
    ]
    assert [d.split(": warning: ")[0] for d in claims] == [w for w, _ in expected]
    for d, (_, words) in zip(claims, expected, strict=True):
        assert f"「{words}」 is later than checked: the site's facts were checked only up to 2026年2月" in d
    code, diags = check(root, "--strict")
    assert code == 1 and len([d for d in diags if ": error: " in d and "is later than checked" in d]) == 5


def test_without_facts_checked_only_claims_after_today_count(site) -> None:  # type: ignore[no-untyped-def]
    article = fixture_text(FIRST).replace("休暇の話です。", "2026年11月時点と2026年12月時点の話です。")
    site_yaml = edited(SITE, "facts_checked: 2026-02\n", "")
    root = site(files={FIRST: article, SITE: site_yaml})
    code, diags = check(root)
    assert code == 0
    assert [d.split(": warning: ")[0] for d in diags if "is later than checked" in d] == [
        loc_of(article, "2026年12月時点", FIRST)]


@pytest.mark.parametrize(("text", "found"), [
    ("2026年11月時点", ["2026-11-01"]),
    ("2026年11月の時点で", ["2026-11-01"]),
    ("令和元年時点", ["2019-01-01"]),
    ("2026年度現在", ["2026-04-01"]),
    ("2026年度1月時点", ["2027-01-01"]),
    ("12月31日時点", []),  # no year: says nothing about when
    ("2026年13月時点", []),
    ("2028年10月1日から", []),  # a scheduled change, not a claim about the present
])
def test_find_claims(text: str, found: list[str]) -> None:
    assert [c.start.isoformat() for c in find_claims(text)] == found


# --- pages --------------------------------------------------------------------------------------------

def build(root: Path, out: Path) -> None:
    r = run_cli("build", "--root", root, "--out", out, env=ENV)
    assert r.code == 0, r.err


def test_article_and_term_pages_show_the_checked_date(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, out = site(), tmp_path / "out"
    build(root, out)
    for page in ("articles/first/index.html", "articles/second/index.html", "glossary/yukyu-kyuka/index.html",
                 "glossary/kyuka/index.html"):
        root_el = parse_html(out / page)
        notes = find_all(root_el, "p", "facts-checked")
        assert [text_of(n) for n in notes] == ["情報の確認: 2026年2月まで"], page
        assert [t.get("datetime") for t in find_all(notes[0], "time")] == ["2026-02"]
        assert notes[0] in list(find_all(root_el, "main")[0].iter()), "the note is part of the page's content"
    assert not find_all(parse_html(out / "glossary/index.html"), "p", "facts-checked")


def test_term_sources_show_as_of_and_checked(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = fixture_text(ROUDOU).replace(
        "      - title: 厚生労働省「年次有給休暇」",
        "      - title: 厚生労働省「改正の案内」\n        url: https://www.mhlw.go.jp/kaisei.html\n"
        "        as_of: 2026-10\n        checked: 2026-02\n"
        "      - title: 厚生労働省「年次有給休暇」")
    root, out = site(files={ROUDOU: text}), tmp_path / "out"
    build(root, out)
    page = parse_html(out / "glossary/yukyu-kyuka/index.html")
    sources = find_all(find_all(page, "div", "term-entry__sources")[0], "li")
    assert [text_of(li) for li in sources] == [
        # an effective date after the checked month is a date the source states, never a 時点 the page claims
        "厚生労働省「改正の案内」（2026年10月付・確認: 2026年2月）",
        "厚生労働省「年次有給休暇」（2025年4月1日時点・確認: 2026年2月）",
    ]
    data = json.loads((out / "glossary.json").read_text(encoding="utf-8"))
    assert data["facts_checked"] == "2026-02"
    term = next(t for t in data["terms"] if t["slug"] == "yukyu-kyuka")
    assert [(s["as_of"], s["checked"]) for s in term["sources"]] == [("2026-10", "2026-02"), ("2025-04-01", "2026-02")]
    checked_until = PartialDate.of_month(2026, 2).last
    for html in out.rglob("*.html"):
        words = "".join(parse_html(html).itertext())
        later = [c.text for c in find_claims(words) if c.start > checked_until]
        assert not later, f"{html} claims {later}"


def test_without_facts_checked_no_note_and_null_in_json(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = site(files={SITE: edited(SITE, "facts_checked: 2026-02\n", ""),
                       ROUDOU: edited(ROUDOU, "        checked: 2026-02\n", "")})
    out = tmp_path / "out"
    build(root, out)
    assert not find_all(parse_html(out / "articles/first/index.html"), "p", "facts-checked")
    data = json.loads((out / "glossary.json").read_text(encoding="utf-8"))
    assert data["facts_checked"] is None
    term = next(t for t in data["terms"] if t["slug"] == "yukyu-kyuka")
    assert term["sources"][0]["checked"] is None


def test_builds_are_byte_identical(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = site(files={ROUDOU: edited(ROUDOU, "as_of: 2025-04-01\n", "as_of: 2025-04\n")})
    build(root, tmp_path / "a")
    build(root, tmp_path / "b")
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a == b and "glossary.json" in a
    assert "（2025年4月時点・確認: 2026年2月）" in a["glossary/yukyu-kyuka/index.html"].decode()


def test_partial_date_keeps_what_the_author_wrote() -> None:
    month, day = PartialDate.parse("2026-02"), PartialDate.parse("2026-02-20")
    assert month is not None and day is not None
    assert (month.precision, day.precision) == (Precision.MONTH, Precision.DAY)
    assert (month.isoformat(), day.isoformat(), month.ja(), day.ja()) == ("2026-02", "2026-02-20", "2026年2月",
                                                                        "2026年2月20日")
    assert month.last.isoformat() == "2026-02-28"
    assert not day.after(month) and PartialDate.of_day(dt.date(2026, 3, 1)).after(month)
    assert PartialDate.parse("２０２６-02") is None  # ASCII digits only, like every other date field
