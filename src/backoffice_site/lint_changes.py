"""Warnings for dated changes whose day has come (issue 14): the build notices stale entries for the editors.

Two questions, asked with the build's ``today`` (SOURCE_DATE_EPOCH when set):

- a change still marked 予定 or 検討中 whose date has passed: has it happened? Then its status and the
  entry need updating (or, if it was postponed, its date).
- a term with a change that has taken effect, but nothing says the entry was looked at after that day:
  its ``review_by`` is older than the change.

Both are warnings (``--strict`` makes them errors), one per problem, at the field to edit.
"""

from __future__ import annotations

import datetime as dt

from backoffice_site.diagnostics import Diagnostics
from backoffice_site.model import Change, Term
from backoffice_site.resolve import Site

NOT_FINAL = ("予定", "検討中")


def check(site: Site, today: dt.date, diags: Diagnostics) -> None:
    for t in site.terms:
        for c in t.changes:
            if c.status in NOT_FINAL and c.date < today:
                diags.warning(c.field_locs.get("status", c.loc),
                              f"change {c.iso} of '{t.name}' is still '{c.status}' but its date has passed: "
                              "has it happened? update its status and the entry (or its date, if it was put off)",
                              dated=True)
        _check_reviewed_after(t, today, diags)


def _reviewed(t: Term) -> dt.date | None:
    """The newest date that says the entry was (or will be) checked: its review_by, or the last day covered
    by the newest ``checked`` among its and its changes' sources."""
    sources = [*t.sources, *(s for c in t.changes for s in c.sources)]
    dates = [d for d in (t.review_by, *(s.checked.last for s in sources if s.checked is not None)) if d]
    return max(dates, default=None)


def _check_reviewed_after(t: Term, today: dt.date, diags: Diagnostics) -> None:
    taken_effect: list[Change] = [c for c in t.changes if c.date < today]
    if not taken_effect:
        return
    newest = max(taken_effect, key=lambda c: c.date)
    reviewed = _reviewed(t)
    if reviewed is not None and reviewed >= newest.date:
        return
    if reviewed is None:
        diags.warning(newest.field_locs.get("date", newest.loc),
                      f"'{t.name}' has a change dated {newest.iso} that has taken effect, but no review_by on or "
                      "after it: re-check the entry against the change, then set review_by", dated=True)
    else:
        diags.warning(t.field_locs.get("review_by", t.loc),
                      f"review_by {reviewed.isoformat()} of '{t.name}' is older than its change of {newest.iso}, "
                      "which has taken effect: re-check the entry against the change, then move review_by", dated=True)
