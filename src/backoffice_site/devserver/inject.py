"""What the dev server adds to served pages: the live-reload script and the build-error overlay.

The error page and overlay are HTML files beside this module (error_page.html, error_overlay.html).
"""

from __future__ import annotations

import html
import re
import string
from importlib import resources

from backoffice_site.devserver.requests import SCRIPT_PATH

BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject_before_body_end(page: bytes, snippet: bytes) -> bytes:
    """``snippet`` just before the last ``</body>``, or at the end of a page that has none."""
    ends = list(BODY_END.finditer(page))
    if not ends:
        return page + snippet
    at = ends[-1].start()
    return page[:at] + snippet + page[at:]


def script_tag(epoch: int, server_id: str) -> bytes:
    return (f'<script src="{SCRIPT_PATH}" data-epoch="{epoch}" data-server="{server_id}" defer></script>'
            .encode())


def _diagnostic_lines(errors: tuple[str, ...]) -> str:
    return "\n".join(html.escape(e, quote=True) for e in errors)


def _template(name: str) -> string.Template:
    return string.Template(resources.files("backoffice_site.devserver").joinpath(name).read_text("utf-8"))


_OVERLAY = _template("error_overlay.html")
_PAGE = _template("error_page.html")


def error_overlay(errors: tuple[str, ...]) -> bytes:
    """A box over the last good page listing the failed build's diagnostics (escaped: they quote sources)."""
    return _OVERLAY.substitute(errors=_diagnostic_lines(errors)).encode()


def error_page(errors: tuple[str, ...]) -> bytes:
    """The whole page while no build has succeeded yet (there is no last good version to show)."""
    return _PAGE.substitute(errors=_diagnostic_lines(errors)).encode()
