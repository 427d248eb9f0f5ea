"""Lints: checks over the built site that report into the diagnostics and change no output.

Each lint is a function ``(LintInput, Diagnostics) -> None``; to add one, write it and append it to
``LINTS``. They run on every build (and so in the dev server) after the pages are listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backoffice_site import lint_changes, lint_dates, proofread
from backoffice_site.diagnostics import Diagnostics, Loc
from backoffice_site.linked import LinkedSite


@dataclass(frozen=True)
class LintInput:
    root: Path
    ls: LinkedSite
    today: dt.date
    page_paths: frozenset[str]  # every generated file
    static_paths: frozenset[str]  # every file copied from static/
    memo: dict[str, Any] = field(default_factory=dict)  # what a lint may keep between builds of one process


def _kept(x: LintInput, name: str, basis: tuple[object, ...], check: Callable[[Diagnostics], None],
          diags: Diagnostics) -> None:
    """Run ``check`` unless ``basis`` (what it reads) is the very same objects as last time in this process;
    then its findings are last time's (a save that touched no term does not walk 3,000 terms again)."""
    hit = x.memo.get(name)
    if hit is None or len(hit[0]) != len(basis) or any(
            a is not b and not (isinstance(a, dt.date) and a == b) for a, b in zip(hit[0], basis, strict=True)):
        local = Diagnostics()
        check(local)
        hit = x.memo[name] = (basis, tuple(local.items))
    diags.extend(hit[1])


def unused_terms(x: LintInput, diags: Diagnostics) -> None:
    ls = x.ls
    _kept(x, "unused", (ls.site.terms, ls.backlinks, ls.referenced), lambda d: _unused_terms(x, d), diags)


def _unused_terms(x: LintInput, diags: Diagnostics) -> None:
    for t in x.ls.site.terms:
        if not x.ls.backlinks[t.slug] and t.slug not in x.ls.referenced:
            diags.warning(t.loc, f"term '{t.name}' is used by no article and referred to by no other "
                          "term; link it from an article or another term's see_also")


def review_by_passed(x: LintInput, diags: Diagnostics) -> None:
    _kept(x, "review_by", (x.ls.site.terms, x.today), lambda d: _review_by_passed(x, d), diags)


def _review_by_passed(x: LintInput, diags: Diagnostics) -> None:
    for t in x.ls.site.terms:
        if t.review_by is not None and t.review_by < x.today:
            diags.warning(t.field_locs.get("review_by", t.loc),
                          f"review_by {t.review_by.isoformat()} of '{t.name}' has passed: re-check the "
                          "facts and sources, then move the date", dated=True)


def static_overwrites_page(x: LintInput, diags: Diagnostics) -> None:
    for name in sorted(x.page_paths & x.static_paths):
        diags.error(Loc(f"static/{name}"), f"static file '{name}' would overwrite a generated page; "
                    "rename or move it")


def honest_dates(x: LintInput, diags: Diagnostics) -> None:
    """Checked dates and 時点 claims no later than site.yaml's facts_checked (see lint_dates)."""
    lint_dates.check(x.ls.site, x.root, diags, x.today, x.memo.setdefault("dates", {}))


def changes_taken_effect(x: LintInput, diags: Diagnostics) -> None:
    """Timeline changes whose date has passed while still 予定/検討中, or newer than the entry's review."""
    _kept(x, "changes", (x.ls.site.terms, x.today), lambda d: lint_changes.check(x.ls.site, x.today, d), diags)


def proofreading(x: LintInput, diags: Diagnostics) -> None:
    """表記 (issue 15): term variants and site.yaml style rules in prose (see proofread; check --fix uses it)."""
    proofread.lint(x.root, x.ls.site, diags, x.memo.setdefault("proofread", {}))


LINTS: tuple[Callable[[LintInput, Diagnostics], None], ...] = (unused_terms, review_by_passed,
                                                               static_overwrites_page, honest_dates,
                                                               changes_taken_effect, proofreading)


def run(x: LintInput, diags: Diagnostics) -> None:
    for lint in LINTS:
        lint(x, diags)
