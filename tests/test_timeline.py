"""制度改正タイムライン (issue 14) through the CLI: the ``changes:`` field, /changes/, the term pages'
sections, /changes.ics and the warnings for dates that have passed.

The fixture site ``timeline`` has ten changes on five terms; every test fixes the build's today with
SOURCE_DATE_EPOCH, since which changes are "upcoming" depends on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element

import icalendar
import pytest
from conftest import NS, find_all, parse_html, run_cli, snapshot, text_of

from backoffice_site.build import Builder, BuildOptions

GLOSSARY = "content/glossary/seido.yaml"
SiteFactory = Callable[..., Path]


def epoch(day: str) -> dict[str, str]:
    """The environment that makes ``day`` the build's today."""
    d = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)
    return {"SOURCE_DATE_EPOCH": str(int(d.timestamp()))}


def build(root: Path, day: str, out: Path | None = None, *extra: str) -> Path:
    out = out or root / "public"
    r = run_cli("build", "--root", root, "--out", out, *extra, env=epoch(day))
    assert r.code == 0, r.err
    return out


def where(root: Path, rel: str, needle: str, occurrence: int = 1) -> str:
    """'path:line:col' of the n-th line containing ``needle``, col at the needle (the test's expectation,
    read from the fixture so the fixture can grow without breaking every number here)."""
    seen = 0
    for i, line in enumerate((root / rel).read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return f"{rel}:{i}:{line.index(needle) + 1}"
    raise AssertionError(f"{needle!r} not in {rel}")


# --- the page ---------------------------------------------------------------------------------------------

Parts = dict[str, list[tuple[str, list[tuple[str, str, str, str]]]]]


def timeline_of(page: Element) -> Parts:
    """part heading → [(month, [(datetime, status, term href, summary)])] as the page shows them."""
    parts: Parts = {}
    for part in find_all(page, "section", "timeline-part"):
        heading = text_of(part.find(f"{NS}h2")).strip()  # type: ignore[arg-type]
        months = []
        for month in find_all(part, "section", "timeline-month"):
            label = month.find(f"{NS}h3/{NS}time")
            assert label is not None
            items = []
            for li in find_all(month, "li", "change"):
                when = li.find(f".//{NS}time")
                status = find_all(li, "span", "change__status")
                term = find_all(li, "a", "change__term")
                summary = find_all(li, "div", "change__summary")
                assert when is not None and len(status) == len(term) == len(summary) == 1
                items.append((when.get("datetime", ""), text_of(status[0]), term[0].get("href", ""),
                              text_of(summary[0]).strip()))
            months.append((label.get("datetime", ""), items))
        parts[heading] = months
    return parts


def shape(parts: Parts) -> dict[str, list[tuple[str, list[str]]]]:
    """The same without the summaries: month → ['term-slug date', …]."""
    return {h: [(m, [f"{href.split('/')[-2]} {d}" for d, _, href, _ in items]) for m, items in months]
            for h, months in parts.items()}


def test_changes_page_lists_upcoming_soonest_first_then_past_newest_first(site: SiteFactory) -> None:
    root = site("timeline")
    out = build(root, "2026-02-15")
    parts = timeline_of(parse_html(out / "changes/index.html"))
    assert shape(parts) == {
        "これからの変更": [
            ("2026-03", ["saitei-chingin 2026-03-31"]),
            # a month-only date sits on the first day; the same day goes in gojūon order (こど… before こよ…)
            ("2026-04", ["shienkin 2026-04", "koyo-hoken 2026-04-01"]),
            ("2026-10", ["kasuhara 2026-10-01"]),
            ("2027-10", ["tekiyo-kakudai 2027-10"]),
            ("2028-10", ["koyo-hoken 2028-10-01"]),
            ("2029-10", ["tekiyo-kakudai 2029-10"]),
            ("2035-10", ["tekiyo-kakudai 2035-10"]),
        ],
        "これまでの変更": [("2025-10", ["saitei-chingin 2025-10-04", "saitei-chingin 2025-10-03"])],
    }
    first = parts["これからの変更"][0][1][0]
    assert first[1] == "決定" and first[2] == "/site/glossary/saitei-chingin/"
    kasuhara = parts["これからの変更"][2][1][0]
    assert kasuhara[1] == "予定"
    # the summary is Markdown: its link is rewritten under the base path like any other
    page = parse_html(out / "changes/index.html")
    koyo = next(li for li in find_all(page, "li", "change") if li.get("id") == "change-koyo-hoken-2026-04-01")
    assert [a.get("href") for a in find_all(koyo, "a") if "change__term" not in (a.get("class") or "")] == [
        "/site/glossary/saitei-chingin/"]
    assert "2026年2月15日" in text_of(find_all(page, "div", "timeline-intro")[0])


def test_the_same_changes_split_differently_on_another_day(site: SiteFactory) -> None:
    root = site("timeline")
    out = build(root, "2026-10-01")
    assert shape(timeline_of(parse_html(out / "changes/index.html"))) == {
        "これからの変更": [
            ("2026-10", ["kasuhara 2026-10-01"]),  # on its day a change is still upcoming
            ("2027-10", ["tekiyo-kakudai 2027-10"]),
            ("2028-10", ["koyo-hoken 2028-10-01"]),
            ("2029-10", ["tekiyo-kakudai 2029-10"]),
            ("2035-10", ["tekiyo-kakudai 2035-10"]),
        ],
        "これまでの変更": [
            ("2026-04", ["shienkin 2026-04", "koyo-hoken 2026-04-01"]),
            ("2026-03", ["saitei-chingin 2026-03-31"]),
            ("2025-10", ["saitei-chingin 2025-10-04", "saitei-chingin 2025-10-03"]),
        ],
    }


def test_changes_page_is_linked_listed_and_offers_the_calendar(site: SiteFactory) -> None:
    root = site("timeline", files={"content/articles/hajime.md": (
        "---\ntitle: 制度の変わり目\ndescription: 変わる制度の話です。\norder: 1\n---\n\n"
        "社会保険の適用拡大、雇用保険、カスハラ、子ども・子育て支援金、最低賃金の話をします。"
        "[タイムライン](/changes/)も見てください。\n")})
    out = build(root, "2026-02-15")
    for page in ("index.html", "glossary/index.html"):
        hrefs = [a.get("href") for a in find_all(parse_html(out / page), "a")]
        assert "/site/changes/" in hrefs, page
    article = parse_html(out / "articles/hajime/index.html")
    assert "/site/changes/" in [a.get("href") for a in find_all(article, "a")]  # not a dead link
    changes = parse_html(out / "changes/index.html")
    ics = [a for a in find_all(changes, "a") if a.get("href") == "/site/changes.ics"]
    assert len(ics) == 1 and ics[0].get("type") == "text/calendar"
    assert "<loc>https://example.org/site/changes/</loc>" in (out / "sitemap.xml").read_text(encoding="utf-8")
    # readable without JavaScript: every entry is in the HTML itself
    assert len(find_all(changes, "li", "change")) == 10


def test_term_page_shows_its_own_changes_in_two_sections(site: SiteFactory) -> None:
    root = site("timeline")
    out = build(root, "2026-02-15")
    page = parse_html(out / "glossary/saitei-chingin/index.html")
    sections = {text_of(s.find(f"{NS}h2")).strip(): s  # type: ignore[arg-type]
                for s in find_all(page, "section", "term-changes")}
    assert list(sections) == ["これからの変更", "これまでの変更"]
    dates = {h: [t.get("datetime") for t in s.iter(f"{NS}time")] for h, s in sections.items()}
    assert dates == {"これからの変更": ["2026-03-31"], "これまでの変更": ["2025-10-04", "2025-10-03"]}
    assert not find_all(sections["これからの変更"], "a", "change__term")  # the page is the term itself
    assert "/site/changes/" in [a.get("href") for a in find_all(page, "a")]

    only_upcoming = parse_html(out / "glossary/tekiyo-kakudai/index.html")
    headings = [text_of(s.find(f"{NS}h2")).strip()  # type: ignore[arg-type]
                for s in find_all(only_upcoming, "section", "term-changes")]
    assert headings == ["これからの変更"]
    labels = [text_of(t) for t in find_all(only_upcoming, "time", "change__date")]
    assert labels == ["2027年10月", "2029年10月", "2035年10月"]


# --- the calendar -----------------------------------------------------------------------------------------

def test_ics_has_one_all_day_event_per_change_with_stable_uids(site: SiteFactory, tmp_path: Path) -> None:
    root = site("timeline")
    a = build(root, "2026-02-15", tmp_path / "a")
    data = (a / "changes.ics").read_bytes()
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 10
    starts = [e.decoded("dtstart") for e in events]
    assert all(type(d) is dt.date for d in starts)  # dates, not date-times: all-day events
    assert starts == sorted(starts)
    by_uid = {str(e["uid"]): e for e in events}
    assert len(by_uid) == 10
    shienkin = by_uid["shienkin-2026-04@example.org"]  # month-only: the first day of the month
    assert shienkin.decoded("dtstart") == dt.date(2026, 4, 1)
    assert shienkin.decoded("dtend") == dt.date(2026, 4, 2)
    assert str(shienkin["url"]) == "https://example.org/site/glossary/shienkin/"
    kasuhara = by_uid["kasuhara-2026-10-01@example.org"]
    # SUMMARY is the term and the summary as plain text; ',' and ';' survive the escaping
    assert str(kasuhara["summary"]) == ("カスハラ: すべての会社に、カスハラを防ぐ措置が義務になります; "
                                        "対策の中身は指針で示されます, 詳しくは出典へ。")
    assert str(kasuhara["status"]) == "TENTATIVE" and str(shienkin["status"]) == "CONFIRMED"
    koyo = by_uid["koyo-hoken-2026-04-01@example.org"]
    assert str(koyo["summary"]) == "雇用保険: 保険料率が1.35%になります（最低賃金とは別の話です）。"  # no markup
    # DTSTAMP comes from the content, never the clock: the newest as_of of the change's sources, else of the
    # term's, else 1970-01-01
    stamps = {uid: e.decoded("dtstamp") for uid, e in by_uid.items()}
    assert stamps["koyo-hoken-2028-10-01@example.org"] == dt.datetime(2024, 5, 17, tzinfo=dt.UTC)
    assert stamps["tekiyo-kakudai-2027-10@example.org"] == dt.datetime(2025, 6, 20, tzinfo=dt.UTC)
    assert stamps["koyo-hoken-2026-04-01@example.org"] == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)  # CRLF after every line, no bare LF
    assert all(len(line) <= 75 for line in lines)  # folded at 75 octets
    for line in lines:
        line.decode("utf-8")  # no multi-byte character is cut in two by the folding
    assert any(line.startswith(b" ") for line in lines)  # the long Japanese summaries did need folding
    assert sum(line.startswith(b"DTSTART;VALUE=DATE:") for line in lines) == 10

    # another day, another hash seed: the calendar does not depend on either
    b = build(root, "2026-10-02", tmp_path / "b")
    r = run_cli("build", "--root", root, "--out", tmp_path / "c", env={**epoch("2026-02-15"), "PYTHONHASHSEED": "7"})
    assert r.code == 0, r.err
    assert (b / "changes.ics").read_bytes() == data == (tmp_path / "c/changes.ics").read_bytes()
    assert snapshot(a) == snapshot(tmp_path / "c")


def test_ics_uid_survives_an_edit_of_the_summary(site: SiteFactory) -> None:
    root = site("timeline")
    out = build(root, "2026-02-15")
    before = {str(e["uid"]) for e in icalendar.Calendar.from_ical((out / "changes.ics").read_bytes()).walk("VEVENT")}
    path = root / GLOSSARY
    path.write_text(path.read_text(encoding="utf-8").replace("21人以上の会社も", "被保険者21人以上の会社も"),
                    encoding="utf-8")
    out = build(root, "2026-02-15")
    events = icalendar.Calendar.from_ical((out / "changes.ics").read_bytes()).walk("VEVENT")
    assert {str(e["uid"]) for e in events} == before
    assert any("被保険者21人以上" in str(e["summary"]) for e in events)


# --- warnings when a date has passed ----------------------------------------------------------------------

def test_a_planned_change_whose_date_passed_is_a_warning_and_strict_makes_it_an_error(site: SiteFactory) -> None:
    root = site("timeline")
    quiet = run_cli("check", "--root", root, "--strict", env=epoch("2026-02-15"))
    assert quiet.code == 0 and quiet.diagnostics == [], quiet.err

    r = run_cli("check", "--root", root, env=epoch("2026-10-02"))
    assert r.code == 0, r.err
    status = where(root, GLOSSARY, "status: 予定")
    review = where(root, GLOSSARY, "review_by: 2026-09-01")
    assert (f"{status}: warning: change 2026-10-01 of 'カスハラ' is still '予定' but its date has passed: has it "
            "happened? update its status and the entry (or its date, if it was put off)") in r.diagnostics
    assert (f"{review}: warning: review_by 2026-09-01 of 'カスハラ' is older than its change of 2026-10-01, which "
            "has taken effect: re-check the entry against the change, then move review_by") in r.diagnostics
    # 雇用保険's review_by (2026-05-01) is after its change of 2026-04-01: no such warning for it
    assert not any("older than its change" in d and "雇用保険" in d for d in r.diagnostics)
    # a decided change whose date passed is no status warning
    assert not any("still '決定'" in d for d in r.diagnostics)

    strict = run_cli("check", "--root", root, "--strict", env=epoch("2026-10-02"))
    assert strict.code == 1
    assert f"{status}: error: change 2026-10-01 of 'カスハラ' is still '予定'" in strict.err


def test_pages_tell_readers_when_a_review_or_a_planned_day_has_passed(site: SiteFactory) -> None:
    """The calendar, not an edit, makes an entry stale: until an editor re-checks it, its pages say so
    (the review is overdue; a 予定 change's day passed unconfirmed) instead of promising a review to come."""
    root = site("timeline")
    before = build(root, "2026-02-15", root / "before")
    page = parse_html(before / "glossary/kasuhara/index.html")
    assert [text_of(p).strip() for p in find_all(page, "p", "term-entry__review")] == [
        "この内容は 2026年9月1日 までに見直します。"]
    assert not any("overdue" in f.read_text(encoding="utf-8") for f in before.rglob("*.html"))

    r = run_cli("build", "--root", root, "--out", root / "after", env=epoch("2026-10-02"))
    assert r.code == 0, r.err
    assert len(r.diagnostics) == 7 and "note: 7 of these come from dates that have passed" in r.err, r.err
    after = root / "after"
    notes = find_all(parse_html(after / "glossary/kasuhara/index.html"), "p", "term-entry__review--overdue")
    assert [text_of(p).split("。")[0] for p in notes] == [
        "この内容は 2026年9月1日 までに見直す予定でしたが、まだ見直していません"]
    koyo = parse_html(after / "glossary/koyo-hoken/index.html")  # review_by 2026-05-01, no 予定 change
    assert len(find_all(koyo, "p", "term-entry__review--overdue")) == 1
    assert find_all(koyo, "p", "change__overdue") == []
    wage = parse_html(after / "glossary/saitei-chingin/index.html")  # review_by 2026-08-01 passed too
    assert find_all(wage, "p", "change__overdue") == []  # its changes are 決定: nothing to confirm

    # the 予定 change of 2026-10-01, now among the past ones, on its term page and on /changes/
    for rel in ("glossary/kasuhara/index.html", "changes/index.html"):
        overdue = [li.get("id") for li in find_all(parse_html(after / rel), "li", "change")
                   if find_all(li, "p", "change__overdue")]
        assert overdue == ["change-kasuhara-2026-10-01"], rel


def test_a_change_that_took_effect_on_a_term_without_review_by_is_a_warning(site: SiteFactory) -> None:
    root = site("timeline")
    path = root / GLOSSARY
    path.write_text(path.read_text(encoding="utf-8").replace("    review_by: 2026-08-01\n", ""), encoding="utf-8")
    r = run_cli("check", "--root", root, env=epoch("2026-02-15"))
    assert r.code == 0, r.err
    # the newest change that has taken effect is the one to re-check against
    loc = where(root, GLOSSARY, "date: 2025-10-04")
    assert r.diagnostics == [
        f"{loc}: warning: '最低賃金' has a change dated 2025-10-04 that has taken effect, but no review_by on or "
        "after it: re-check the entry against the change, then set review_by"]


# --- validation -------------------------------------------------------------------------------------------

BAD = """\
group: 制度
terms:
  - term: 雇用保険
    reading: こようほけん
    summary: 保険です。
    definition: 週20時間以上で入ります。
    changes:
      - date: 2026-13
        summary: 月が正しくありません。
        status: 決定
      - date: 2026/10/01
        summary: 区切りが正しくありません。
        status: 決定
      - date: 2028-10-01
        summary: 状態が正しくありません。
        status: 決まり
      - date: 2028-10-01
        status: 予定
      - date: 2027-10
        summary: 知らない欄があります。
        status: 検討中
        sauce: x
      - 2029-10
      - date: 2027-02-30
        summary: "[リンク](/nowhere/)は切れています。"
        status: 決定
  - term: カスハラ
    reading: かすはら
    summary: ハラスメントです。
    definition: 防止の措置が求められます。[[雇用保険]]も見てください。
    changes: 2026-10-01
"""


def test_every_bad_change_is_reported_at_its_line_and_column(site: SiteFactory) -> None:
    root = site("timeline", files={GLOSSARY: BAD})
    r = run_cli("check", "--root", root, env=epoch("2026-02-15"))
    assert r.code == 1
    g = GLOSSARY
    expected = [
        f"{g}:8:15: error: invalid date '2026-13' in a change (expected YYYY-MM-DD, or YYYY-MM when only the "
        "month is known, e.g. 2026-10-01 or 2027-10)",
        f"{g}:11:15: error: invalid date '2026/10/01' in a change (expected YYYY-MM-DD, or YYYY-MM when only the "
        "month is known, e.g. 2026-10-01 or 2027-10)",
        f"{g}:16:17: error: unknown status '決まり' in a change (use one of 決定, 予定, 検討中)",
        f"{g}:17:9: error: missing required field 'summary' in this change (one sentence)",
        f"{g}:22:9: warning: unknown field 'sauce' in a change (did you mean 'sources'?)",
        f"{g}:23:9: error: each change needs 'date:', 'summary:' and 'status:'",
        f"{g}:24:15: error: invalid date '2027-02-30' in a change (expected YYYY-MM-DD, or YYYY-MM when only the "
        "month is known, e.g. 2026-10-01 or 2027-10)",
        f"{g}:31:14: error: 'changes' must be a list of entries with 'date:', 'summary:' and 'status:'",
    ]
    got = [d for d in r.diagnostics if "used by no article" not in d]
    assert got == expected


def test_a_dead_link_in_a_summary_is_an_error_at_its_line(site: SiteFactory) -> None:
    root = site("timeline")
    path = root / GLOSSARY
    path.write_text(path.read_text(encoding="utf-8").replace(
        "21人以上の会社も対象になります。", "21人以上の会社も[対象](/nowhere/)になります。"), encoding="utf-8")
    r = run_cli("check", "--root", root, env=epoch("2026-02-15"))
    assert r.code == 1
    path_line = where(root, GLOSSARY, "(/nowhere/)").rsplit(":", 1)[0]
    found = [d for d in r.diagnostics if "nowhere" in d]
    assert len(found) == 1
    assert found[0].startswith(f"{path_line}:")
    assert found[0].endswith(": error: link to '/nowhere/', but the site has no such page")


# --- incremental builds -----------------------------------------------------------------------------------

def test_incremental_rebuilds_follow_edits_and_the_day(site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = site("timeline")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch("2026-02-15")["SOURCE_DATE_EPOCH"])
    builder = Builder(BuildOptions(root=root))
    assert builder.build().ok
    assert builder.build().rendered_pages == 0
    path = root / GLOSSARY
    path.write_text(path.read_text(encoding="utf-8").replace("21人以上の会社も", "被保険者21人以上の会社も"),
                    encoding="utf-8")
    edited = builder.build()
    assert edited.ok
    assert edited.files == Builder(BuildOptions(root=root)).build().files  # incremental = full
    assert "被保険者21人以上" in edited.files["changes/index.html"].decode()
    assert "被保険者21人以上" in edited.files["glossary/tekiyo-kakudai/index.html"].decode()
    # a new day moves changes from upcoming to past: the pages showing them are made again
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch("2026-04-02")["SOURCE_DATE_EPOCH"])
    later = builder.build()
    assert later.files == Builder(BuildOptions(root=root)).build().files
    assert later.files["changes/index.html"] != edited.files["changes/index.html"]
    assert later.files["changes.ics"] == edited.files["changes.ics"]
    past = parse_html(later.files["glossary/shienkin/index.html"].decode())
    assert [text_of(s.find(f"{NS}h2")).strip()  # type: ignore[arg-type]
            for s in find_all(past, "section", "term-changes")] == ["これまでの変更"]
