"""Dates that name a month or a day: ``checked: 2026-02``, ``as_of: 2024-10-01``, ``facts_checked: 2026-02``.

A source or a whole site is often verified "up to February 2026" without a day; storing that as
2026-02-01 would claim a day nobody wrote, so a ``PartialDate`` keeps its precision and prints back exactly
what the author wrote. It is plain frozen data (picklable, comparable), so output stays deterministic.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from backoffice_site.diagnostics import Diagnostics
from backoffice_site.yamlsrc import YNode, YScalar, kind_name, shown

_PARTIAL_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$", re.ASCII)


class Precision(StrEnum):
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar month or a single day; ordered by the first day it covers."""

    first: dt.date  # the first day covered (the 1st of the month for a month)
    precision: Precision

    @classmethod
    def parse(cls, text: str) -> PartialDate | None:
        """``YYYY-MM`` or ``YYYY-MM-DD`` (ASCII digits), else None."""
        m = _PARTIAL_RE.match(text.strip())
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2]), m[3]
        try:
            if day is None:
                return cls(dt.date(year, month, 1), Precision.MONTH)
            return cls(dt.date(year, month, int(day)), Precision.DAY)
        except ValueError:  # month 13, February 30 …
            return None

    @classmethod
    def of_day(cls, day: dt.date) -> PartialDate:
        return cls(day, Precision.DAY)

    @classmethod
    def of_month(cls, year: int, month: int) -> PartialDate:
        return cls(dt.date(year, month, 1), Precision.MONTH)

    @property
    def last(self) -> dt.date:
        """The last day covered."""
        if self.precision is Precision.DAY:
            return self.first
        return self.first.replace(day=calendar.monthrange(self.first.year, self.first.month)[1])

    def after(self, limit: PartialDate | dt.date) -> bool:
        """True when this date lies wholly after ``limit`` (a month overlapping the limit is not after it)."""
        end = limit.last if isinstance(limit, PartialDate) else limit
        return self.first > end

    def isoformat(self) -> str:
        return self.first.isoformat() if self.precision is Precision.DAY else self.first.strftime("%Y-%m")

    def ja(self) -> str:
        """``2026年2月`` or ``2026年2月1日``."""
        d = self.first
        return f"{d.year}年{d.month}月" + (f"{d.day}日" if self.precision is Precision.DAY else "")

    def __str__(self) -> str:
        return self.isoformat()


def as_partial_date(node: YNode, field: str, diags: Diagnostics) -> PartialDate | None:
    """A YAML value that must be ``YYYY-MM`` or ``YYYY-MM-DD``; otherwise an error at the value."""
    if isinstance(node, YScalar):
        value = PartialDate.parse(node.value)
        if value is not None:
            return value
    shown_value = shown(node.value) if isinstance(node, YScalar) else kind_name(node)
    diags.error(node.loc, f"invalid date '{shown_value}' in '{field}' (expected YYYY-MM or YYYY-MM-DD, "
                "e.g. 2026-02 or 2026-02-20)")
    return None
