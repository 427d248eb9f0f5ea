"""The 制度改正タイムライン: /changes/ (upcoming soonest first, then past newest first, by month) and
/changes.ics, one all-day event per change (see timeline.py and ical.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backoffice_site import ical, timeline
from backoffice_site.incremental import Reads
from backoffice_site.kinds import Page, PageSpec, abs_url, base_view
from backoffice_site.linked import LinkedSite
from backoffice_site.resolve import Site


def urls(site: Site) -> Iterable[str]:
    return (timeline.PAGE_URL, timeline.ICS_PATH)


def specs(ls: LinkedSite) -> Iterable[PageSpec]:
    yield PageSpec(f"{timeline.PAGE_URL}index.html", _page)
    yield PageSpec(timeline.ICS_PATH, _calendar)


def _page(ls: LinkedSite, r: Reads) -> Page:
    cfg = ls.config(r)
    tl = timeline.timeline(ls.changes(r), ls.today_(r))  # the split is the only thing that depends on today
    view = timeline.page_context(tl, lambda u: abs_url(cfg.base_url, u))
    return Page(f"{timeline.PAGE_URL}index.html", "changes.html",
                {**base_view(ls, r, timeline.PAGE_URL, str(view["title"]), str(view["description"])), **view})


def _calendar(ls: LinkedSite, r: Reads) -> Page:
    cfg = ls.config(r)
    view: dict[str, Any] = {"entries": ls.changes(r), "name": f"{cfg.title} 制度改正タイムライン",
                            "base_url": cfg.base_url}
    return Page(timeline.ICS_PATH, None, view, lambda v: ical.calendar(
        v["entries"], name=v["name"], base_url=v["base_url"], abs_url=lambda u: abs_url(v["base_url"], u)))
