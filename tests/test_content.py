"""The repo's own content: coverage that a later edit cannot silently drop (issue: Content)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import REPO, find_all, parse_html

from backoffice_site.build import Builder, BuildOptions, build
from backoffice_site.build import today as build_today
from backoffice_site.diagnostics import Diagnostics
from backoffice_site.lint_dates import find_claims
from backoffice_site.loading import load_content
from backoffice_site.model import SourceRef, Term

GROUPS = {"雇用形態", "給与・手当", "税金・社会保険", "労働条件・権利", "応募・面接", "バックオフィス業務"}
MIN_TERMS = 106  # issue 13: the 86 terms of 2026-11 plus at least the 20 missing ones of updates-2026.md §5

# Facts that change over time (rates, amounts, income lines, dates of effect): each of these terms that exists
# must carry review_by, set before its next scheduled change. The first group must exist.
CHANGING_REQUIRED = {"最低賃金", "年収の壁", "社会保険の適用拡大", "雇用保険", "106万円の壁", "130万円の壁"}
CHANGING = CHANGING_REQUIRED | {
    "103万円の壁", "123万円の壁", "150万円の壁", "160万円の壁", "178万円の壁",  # income lines moved by tax reforms
    "基礎控除", "給与所得控除", "特定親族特別控除", "扶養", "扶養控除", "配偶者控除", "配偶者特別控除",
    "源泉徴収", "年末調整", "住民税", "交通費",  # tax amounts and tables revised yearly
    "社会保険", "社会保険料", "標準報酬月額", "健康保険", "介護保険", "厚生年金",
    "子ども・子育て支援金",  # premiums and rates revised each April/March
    "雇用保険料", "失業保険",  # rates revised each April
    "ハラスメント", "カスハラ", "カスタマーハラスメント",  # duties in force from 2026-10-01
}

# Law, tax, insurance and wage terms: their facts must rest on at least one official source.
LEGAL_GROUPS = {"税金・社会保険", "労働条件・権利", "給与・手当", "雇用形態"}
# Official hosts besides *.go.jp (ministries, e-Gov, 日本年金機構, こども家庭庁, 都道府県労働局 …) and local
# governments (*.lg.jp, city./town./vill./pref. domains, metro.tokyo.jp).
OFFICIAL_HOSTS = {"kyoukaikenpo.or.jp"}
_LOCAL_GOVERNMENT = re.compile(
    r"(^|\.)((city|town|vill|pref)\.[a-z0-9-]+(\.[a-z0-9-]+)?\.jp|metro\.tokyo\.jp|[a-z0-9-]+\.lg\.jp)$")

# Hosts that are never a source, with the reason (updates-2026.md §6).
UNSUITABLE_HOSTS = {
    "glama.ai": "AI-tool (MCP server) listing: describes a tool, is no authority on the rule",
    "mcp.so": "AI-tool (MCP server) listing",
    "theresanaiforthat.com": "AI-tool listing",
    "futurepedia.io": "AI-tool listing",
    "fdocument.pub": "re-upload of someone else's PDF: cite the publisher's own page",
    "fdocuments.in": "PDF re-upload site",
    "vdocuments.mx": "PDF re-upload site",
    "pdfcoffee.com": "PDF re-upload site",
    "docslib.org": "PDF re-upload site",
    "jmedia.wiki": "machine translation of (English) Wikipedia",
    "wikibrief.org": "machine-translated Wikipedia mirror",
    "wiki2.org": "Wikipedia mirror",
}


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_official(url: str) -> bool:
    h = host(url)
    return (h.endswith(".go.jp") or any(h == o or h.endswith("." + o) for o in OFFICIAL_HOSTS)
            or bool(_LOCAL_GOVERNMENT.search(h)))


def is_unsuitable(url: str) -> str | None:
    h = host(url)
    return next((why for bad, why in UNSUITABLE_HOSTS.items() if h == bad or h.endswith("." + bad)), None)


@pytest.fixture(scope="module")
def content():  # type: ignore[no-untyped-def]
    diags = Diagnostics()
    c = load_content(REPO, diags)
    assert not diags.errors
    return c


@pytest.fixture(scope="module")
def site_today():  # type: ignore[no-untyped-def]
    """The repo built in memory on the real today (SOURCE_DATE_EPOCH unset), as a reader would get it."""
    return Builder(BuildOptions(root=REPO, search=False)).build()


def test_check_strict_passes_on_the_repo_content(site_today) -> None:  # type: ignore[no-untyped-def]
    """Nothing `check --strict` would report, except what the calendar raises: a review date or a planned
    change's day that passes makes the same content stale without any edit. That does not gate commits (a
    commit fixing something else could not land); `make freshness` fails on it for the editors, and the pages
    tell readers until the entries are re-checked (next test)."""
    assert site_today.ok
    assert [d.format() for d in site_today.diagnostics if not d.dated] == []


def test_the_pages_say_which_reviews_are_overdue(site_today, content) -> None:  # type: ignore[no-untyped-def]
    today = build_today()
    due = [t for t in content.terms if t.review_by is not None]
    assert due, "the repo's changing facts carry review_by (see CHANGING)"
    for t in due:
        page = parse_html(site_today.files[f"glossary/{t.slug}/index.html"].decode())
        overdue = find_all(page, "p", "term-entry__review--overdue")
        plain = [p for p in find_all(page, "p", "term-entry__review") if p not in overdue]
        assert (len(overdue), len(plain)) == ((1, 0) if t.review_by < today else (0, 1)), (t.name, t.review_by)
    dated = [d for d in site_today.diagnostics if d.dated]
    stale = {t.name for t in due if t.review_by < today}
    assert len([d for d in dated if "review_by" in d.message and "has passed" in d.message]) == len(stale)
    changes = parse_html(site_today.files["changes/index.html"].decode())
    unconfirmed = {li.get("id") for li in find_all(changes, "li", "change") if find_all(li, "p", "change__overdue")}
    assert unconfirmed == {f"change-{t.slug}-{c.iso}" for t in content.terms for c in t.changes
                           if c.status in ("予定", "検討中") and c.date < today}


def test_article_coverage(content) -> None:  # type: ignore[no-untyped-def]
    assert len(content.articles) >= 10
    orders = [a.order for a in content.articles]
    assert None not in orders and len(set(orders)) == len(orders), "every article has its own order"
    for a in content.articles:
        assert a.description.strip(), a.source
        chars = len(re.sub(r"\s", "", a.body))
        assert 1500 <= chars <= 4000, (a.source, chars)
        assert re.search(r"^!!! (point|caution|note)", a.body, re.M), f"{a.source}: no ポイント/注意 box"
        assert "です" in a.body and "ます" in a.body
    bodies = "\n".join(a.body for a in content.articles)
    assert re.search(r"^\|.*\|$", bodies, re.M), "at least one table"


def test_glossary_coverage(content) -> None:  # type: ignore[no-untyped-def]
    terms = content.terms
    assert {g.name for g in content.groups} == GROUPS
    for t in terms:
        assert t.sources, f"{t.name}: no source"
        assert t.summary and t.en, t.name
        sentences = [s for s in re.split(r"(?<=。)", t.definition.strip()) if s.strip()]
        assert 2 <= len(sentences) <= 6, (t.name, len(sentences))


def test_enough_terms(content) -> None:  # type: ignore[no-untyped-def]
    assert len(content.terms) >= MIN_TERMS


def all_sources(term: Term) -> tuple[SourceRef, ...]:
    """A term's own sources, then those of its changes: both are shown to readers and vouch for facts."""
    return (*term.sources, *(s for c in term.changes for s in c.sources))


def test_no_source_on_the_unsuitable_list(content) -> None:  # type: ignore[no-untyped-def]
    bad = [f"{t.name}: {s.url} ({why})" for t in content.terms for s in all_sources(t)
           if (why := is_unsuitable(s.url))]
    assert not bad, "\n".join(bad)


def test_every_change_rests_on_an_official_source(content) -> None:  # type: ignore[no-untyped-def]
    # A dated change to a law, tax or insurance rule is a legal fact: a reader must be able to check it at the
    # ministry, 日本年金機構, こども家庭庁, 協会けんぽ … that decided or announced it.
    changes = [(t, c) for t in content.terms for c in t.changes]
    assert len(changes) >= 12, "issue 14: at least 12 dated changes on the timeline"
    missing = [f"{c.loc}: {t.name} {c.iso}" for t, c in changes if not any(is_official(s.url) for s in c.sources)]
    assert not missing, "changes without an official source:\n" + "\n".join(missing)


def test_no_source_is_a_bare_home_page(content) -> None:  # type: ignore[no-untyped-def]
    # A home page proves nothing about the fact it is cited for: link the page that states it.
    bare = [f"{t.name}: {s.url}" for t in content.terms for s in all_sources(t)
            if urlsplit(s.url).path in ("", "/") and not urlsplit(s.url).query]
    assert not bare, "\n".join(bare)


def test_legal_terms_have_an_official_source(content) -> None:  # type: ignore[no-untyped-def]
    group_name = {g.slug: g.name for g in content.groups}
    missing = [f"{t.name} ({group_name[t.group]})" for t in content.terms
               if group_name[t.group] in LEGAL_GROUPS and not any(is_official(s.url) for s in t.sources)]
    assert not missing, "no official source (go.jp, e-Gov, 日本年金機構, 協会けんぽ …): " + "、".join(missing)


def test_changing_terms_have_review_by(content) -> None:  # type: ignore[no-untyped-def]
    names = {t.name for t in content.terms}
    assert names >= CHANGING_REQUIRED, CHANGING_REQUIRED - names
    missing = [t.name for t in content.terms if t.name in CHANGING and t.review_by is None]
    assert not missing, "changing facts need review_by: " + "、".join(missing)


def test_every_source_is_checked_no_later_than_the_site(content) -> None:  # type: ignore[no-untyped-def]
    facts = content.config.facts_checked
    assert facts is not None, "content/site.yaml needs facts_checked"
    unchecked = [f"{s.loc}: {t.name}" for t in content.terms for s in all_sources(t) if s.checked is None]
    assert not unchecked, "sources without checked:\n" + "\n".join(unchecked)
    later = [f"{s.loc}: {t.name} {s.checked}" for t in content.terms for s in all_sources(t)
             if s.checked is not None and s.checked.after(facts)]
    assert not later, "\n".join(later)


def test_no_page_claims_a_later_time_than_checked() -> None:
    """Through the lint (source text) and on every built page (text the templates add, too)."""
    result = build(BuildOptions(root=REPO))
    claims = [d.format() for d in result.diagnostics if "is later than checked" in d.message]
    assert not claims, "\n".join(claims)
    facts = result.linked.site.content.config.facts_checked if result.linked else None
    assert facts is not None
    pages = {path: "".join(parse_html(data.decode()).itertext()) for path, data in result.files.items()
             if path.endswith(".html")}
    later = [f"{path}: {c.text}" for path, text in sorted(pages.items()) for c in find_claims(text)
             if c.start > facts.last]
    assert not later, "\n".join(later)
    assert "情報の確認: 2026年2月まで" in pages["articles/hataraku-rule/index.html"]


def test_no_orphan_terms_and_every_term_linked_or_referenced() -> None:
    result = build(BuildOptions(root=REPO))
    assert result.ok
    assert not [d for d in result.diagnostics if "used by no article" in d.message]
