"""/changes.ics: the timeline as an iCalendar (RFC 5545) file a reader can subscribe to.

One all-day VEVENT per change (a month-only date on its first day). Generated with the ``icalendar``
package, which does what is easy to get subtly wrong by hand: TEXT escaping (``,`` ``;`` ``\\``), CRLF
line ends, and folding at 75 octets without cutting a multi-byte character in half.

Nothing here reads the clock, so the same content always gives the same bytes: DTSTAMP is the newest date
our sources for the change state (1970-01-01 when they state none), and each UID is made of the term's
slug and the change's date, so a calendar app updates an event when its text is edited instead of adding
a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from backoffice_site.timeline import Entry, chronological

if TYPE_CHECKING:
    import icalendar

EPOCH = dt.date(1970, 1, 1)
# RFC 5545 STATUS for events: a decided change is CONFIRMED, anything not final is TENTATIVE
_STATUS = {"決定": "CONFIRMED", "予定": "TENTATIVE", "検討中": "TENTATIVE"}


def calendar(items: Iterable[Entry], *, name: str, base_url: str, abs_url: Callable[[str], str]) -> bytes:
    """The .ics bytes for ``items``; events in date order (then gojūon order), whatever ``today`` is."""
    import icalendar  # here, not at the top: most builds reuse the memoized file and never need it

    host = urlsplit(base_url).hostname or "backoffice-site.invalid"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//backoffice-site//changes//JA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)  # what most calendar apps read instead
    for e in chronological(items):
        cal.add_component(_event(e, host, abs_url))
    data: bytes = cal.to_ical()
    return data


def _event(e: Entry, host: str, abs_url: Callable[[str], str]) -> icalendar.Event:
    import icalendar

    ev = icalendar.Event()
    ev.add("uid", f"{e.key}@{host}")
    ev.add("dtstamp", dt.datetime.combine(e.revised or EPOCH, dt.time(), tzinfo=dt.UTC))
    ev.add("dtstart", e.date)  # a date, not a date-time: VALUE=DATE, an all-day event
    ev.add("dtend", e.date + dt.timedelta(days=1))
    ev.add("summary", f"{e.term_name}: {e.summary_text}")
    lines = [f"{e.status}（{e.label}）: {e.summary_text}"]
    lines += [f"出典: {title} {url}" for title, url in e.sources]
    ev.add("description", "\n".join(lines))
    ev.add("status", _STATUS.get(e.status, "TENTATIVE"))
    ev.add("transp", "TRANSPARENT")  # a date to know about, not time taken
    url = abs_url(e.term_url)
    if urlsplit(url).scheme in ("http", "https"):  # a base_url without a host gives no absolute URL
        ev.add("url", url)
    return ev
