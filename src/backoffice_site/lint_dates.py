"""Honest dates (issue 13): no source checked, and no page claiming a 時点, beyond what the site checked.

Rules, over the resolved site:

- a source's ``checked`` (a term's, or one in its ``changes:``) may not lie after site.yaml's ``facts_checked``
  (error: the site cannot vouch for more than it checked); without ``facts_checked`` it may not lie after today;
- ``facts_checked`` and a source's ``as_of`` in the future (after the build's today) are warnings: a checked
  date cannot be in the future, and an ``as_of`` there is usually a typo (an announced effective date is
  possible, so it is not an error);
- text a reader sees (article title, description and body; term summary and definition; group description)
  that claims a 時点 after ``facts_checked`` — 「2026年11月時点」, 「2026年11月27日現在」, 「令和8年11月時点」 —
  is a warning at the claim's own line and column (``--strict`` makes it an error).

"After" means wholly after: 「2026年2月20日時点」 with ``facts_checked: 2026-02`` is fine, 「2026年3月時点」 is not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backoffice_site.dates import PartialDate
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc
from backoffice_site.model import Group, Term
from backoffice_site.resolve import Site
from backoffice_site.sources import read_text

# Era → the Western year before its first year (令和元年 = 2019). Only eras a current fact can be dated in.
_ERA_BASE = {"令和": 2018, "平成": 1988}
_SP = r"[ \t\u3000]*"
_CLAIM_RE = re.compile(
    rf"(?:(?P<era>令和|平成){_SP}(?P<eyear>元|\d{{1,2}})|(?<!\d)(?P<year>\d{{4}})){_SP}年(?P<fy>度)?"
    rf"(?:{_SP}(?P<month>\d{{1,2}}){_SP}月(?:{_SP}(?P<day>\d{{1,2}}){_SP}日|末|初め|上旬|中旬|下旬)?)?"
    rf"{_SP}(?:(?:の{_SP})?時点|現在)"
)


@dataclass(frozen=True)
class Claim:
    """A 時点 a text claims: its words, and the first day it can mean."""

    text: str
    start: dt.date
    offset: int  # where in the scanned text it starts


Locator = Callable[[Claim, int], Loc]  # (claim, its n-th occurrence in the text) → where it is in the file


def find_claims(text: str) -> Iterator[Claim]:
    """Every 時点 claim with a year in ``text`` (claims without a year, 「12月31日時点」, say nothing about when)."""
    if "時点" not in text and "現在" not in text:  # most texts claim none: a substring test is 20x cheaper
        return
    for m in _CLAIM_RE.finditer(text):
        if m["era"]:
            year = _ERA_BASE[m["era"]] + (1 if m["eyear"] == "元" else int(m["eyear"]))
        else:
            year = int(m["year"])  # int() reads full-width digits too
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"]) if m["day"] else None
        if m["fy"]:  # 年度: April to March
            if month is None:
                month = 4
            elif month < 4:
                year += 1
        try:
            start = dt.date(year, month or 1, day or 1)
        except ValueError:  # 13月, 2月30日: not a date, so not a claim we can compare
            continue
        yield Claim(m.group(), start, m.start())


def check(site: Site, root: Path, diags: Diagnostics, today: dt.date, memo: dict[str, Any] | None = None) -> None:
    """Report every date problem of the rules above into ``diags``. ``memo`` (kept by a process between
    builds) holds each article's findings and the glossary's, with what they were found in: a rebuild
    scans again only the articles that are not the same objects, and the glossary only when its terms are
    not (the rules' other inputs, ``facts_checked`` and today, are part of each entry)."""
    memo = {} if memo is None else memo
    cfg = site.content.config
    facts = cfg.facts_checked
    if facts is not None and facts.first > today:
        diags.warning(cfg.value_locs.get("facts_checked", cfg.loc),
                      f"facts_checked {facts.isoformat()} is in the future (today is {today.isoformat()}); "
                      "set it to the month the facts were actually checked")
    limit = facts.last if facts is not None else today
    why = (f"the site's facts were checked only up to {facts.ja()} (facts_checked in content/site.yaml); "
           "claim no later 時点, or re-check the facts and move facts_checked"
           if facts is not None else f"that is after today ({today.isoformat()})")
    files: dict[str, list[str] | None] = {}  # raw lines of the files a claim was found in, read on demand
    basis = (facts, today)

    def report(local: Diagnostics, text: str, locate: Locator) -> None:
        seen: dict[str, int] = {}
        for c in find_claims(text):
            n = seen[c.text] = seen.get(c.text, 0) + 1
            if c.start > limit:
                local.warning(locate(c, n), f"「{c.text}」 is later than checked: {why}")

    articles: dict[str, tuple[object, object, tuple[Diagnostic, ...]]] = memo.get("articles", {})
    kept: dict[str, tuple[object, object, tuple[Diagnostic, ...]]] = {}
    for a in site.articles:
        hit = articles.get(a.source)
        if hit is None or hit[0] is not a or hit[1] != basis:
            local = Diagnostics()
            report(local, a.body, _in_text(a.source, a.body, a.body_line))
            for key, value in (("title", a.title), ("description", a.description)):
                report(local, value, _in_file(root, files, a.field_locs.get(key, a.loc)))
            hit = (a, basis, tuple(local.items))
        kept[a.source] = hit
        diags.extend(hit[2])
    memo["articles"] = kept

    # Each group's and each term's findings (a term's: its sources' dates and its texts), kept per item;
    # all of them at once when the terms and groups are the very same as last time (an article save).
    whole = memo.get("glossary_all")
    if whole is not None and whole[0] is site.terms and whole[1] is site.groups and whole[2] == basis:
        diags.extend(whole[3])
        return
    items: dict[tuple[str, str], tuple[object, object, tuple[Diagnostic, ...]]] = memo.get("glossary", {})
    kept_items: dict[tuple[str, str], tuple[object, object, tuple[Diagnostic, ...]]] = {}
    everything: tuple[Group | Term, ...] = (*site.groups, *site.terms)
    for item in everything:
        name = ("term", item.slug) if isinstance(item, Term) else ("group", item.source)
        known = items.get(name)
        if known is None or known[0] is not item or known[1] != basis:
            found = Diagnostics()
            if isinstance(item, Term):
                _check_sources(item, found, facts, today)
                for key, value in (("summary", item.summary), ("definition", item.definition)):
                    report(found, value, _in_file(root, files, item.field_locs.get(key, item.loc)))
            else:
                report(found, item.description, _in_file(root, files, item.loc))
            known = (item, basis, tuple(found.items))
        kept_items[name] = known
        diags.extend(known[2])
    memo["glossary"] = kept_items
    memo["glossary_all"] = (site.terms, site.groups, basis, tuple(d for v in kept_items.values() for d in v[2]))


def _check_sources(t: Term, diags: Diagnostics, facts: PartialDate | None, today: dt.date) -> None:
    """A term's sources (and those of its changes): checked no later than the site, as_of not in the future."""
    # A change's sources vouch for its summary just as the term's vouch for its text: same rules.
    for s in (*t.sources, *(s for c in t.changes for s in c.sources)):
        if s.checked is not None:
            loc = s.value_locs.get("checked", s.loc)
            if facts is not None and s.checked.after(facts):
                diags.error(loc, f"source checked {s.checked.isoformat()} is later than the site's "
                            f"facts_checked {facts.isoformat()} (content/site.yaml); a source cannot be "
                            "checked beyond the site")
            elif facts is None and s.checked.after(today):
                diags.error(loc, f"source checked {s.checked.isoformat()} is in the future (today is "
                            f"{today.isoformat()})")
        if s.as_of is not None and s.as_of.after(today):
            diags.warning(s.value_locs.get("as_of", s.loc),
                          f"as_of {s.as_of.isoformat()} is in the future (today is {today.isoformat()}); "
                          "as_of is a date the source itself states — check it")


def _in_text(path: str, text: str, first_line: int) -> Locator:
    """Text copied verbatim from the file (an article body): the position follows from the offset."""

    def locate(claim: Claim, n: int) -> Loc:
        before = text[: claim.offset]
        return Loc(path, first_line + before.count("\n"), claim.offset - (before.rfind("\n") + 1) + 1)

    return locate


def _in_file(root: Path, files: dict[str, list[str] | None], start: Loc) -> Locator:
    """A YAML value (maybe folded, indented or quoted): the ``n``-th occurrence of the claim's words in the
    file from the field's own position on."""

    def locate(claim: Claim, n: int) -> Loc:
        path = start.path
        if path not in files:
            text = read_text(root / path, root, Diagnostics())  # the loader read it fine moments ago
            files[path] = text.split("\n") if text is not None else None
        lines = files[path]
        if lines is None:
            return start
        for i in range(start.line - 1, len(lines)):
            col = start.col - 1 if i == start.line - 1 else 0
            while (col := lines[i].find(claim.text, col)) >= 0:
                n -= 1
                if n == 0:
                    return Loc(path, i + 1, col + 1)
                col += 1
        return start  # the words were split by a line fold: the field is the best place we know

    return locate
