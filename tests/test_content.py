"""The repo's own content: coverage that a later edit cannot silently drop (issue: Content)."""

from __future__ import annotations

import re

import pytest
from conftest import REPO, run_cli

from backoffice_site.build import BuildOptions, build
from backoffice_site.diagnostics import Diagnostics
from backoffice_site.load import load_content

GROUPS = {"雇用形態", "給与・手当", "税金・社会保険", "労働条件・権利", "応募・面接", "バックオフィス業務"}
# Facts that change over time: these terms must carry a review_by date and dated sources.
CHANGING = {"最低賃金", "年収の壁", "社会保険の適用拡大", "雇用保険", "106万円の壁", "130万円の壁", "160万円の壁"}


@pytest.fixture(scope="module")
def content():  # type: ignore[no-untyped-def]
    diags = Diagnostics()
    c = load_content(REPO, diags)
    assert not diags.errors
    return c


def test_check_strict_passes_on_the_repo_content() -> None:
    r = run_cli("check", "--root", REPO, "--strict")
    assert r.code == 0, r.err


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
    assert len(terms) >= 70
    assert {g.name for g in content.groups} == GROUPS
    for t in terms:
        assert t.sources, f"{t.name}: no source"
        assert all(s.as_of is not None for s in t.sources), f"{t.name}: a source without as_of"
        assert t.summary and t.en, t.name
        sentences = [s for s in re.split(r"(?<=。)", t.definition.strip()) if s.strip()]
        assert 2 <= len(sentences) <= 6, (t.name, len(sentences))
    names = {t.name for t in terms}
    assert names >= CHANGING
    for t in terms:
        if t.name in CHANGING:
            assert t.review_by is not None, f"{t.name}: changing figures need review_by"


def test_no_orphan_terms_and_every_term_linked_or_referenced() -> None:
    result = build(BuildOptions(root=REPO))
    assert result.ok
    assert not [d for d in result.diagnostics if "used by no article" in d.message]
