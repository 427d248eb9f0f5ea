"""``_headers``: HTTP headers for hosts that read this file (Netlify, Cloudflare Pages); see docs/deploy.md.

Static files are fingerprinted by a query string (``css/site.css?v=<hash>``, ``Renderer.asset``): the URL
changes whenever the file does, so a browser may keep it for a year without asking again — but only a
file that every page asks for by its fingerprinted URL. The rules therefore list exactly the static files
the built pages reference as ``<path>?v=<hash>``, and Pagefind's index, fragment and filter files, whose
names are hashes of their content. HTML and everything else keeps the host's default (Netlify and
Cloudflare Pages both revalidate on every request), so a new build is seen at once.

Both hosts merge the headers of every rule that matches a path, so no two rules here set the same header
on overlapping paths: the catch-all rule sets only ``X-Content-Type-Options``. Text formats whose type
carries no charset by default get an explicit UTF-8 one.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

from backoffice_site.output import content

FILE = "_headers"
IMMUTABLE = "Cache-Control: public, max-age=31536000, immutable"
HASHED_BUNDLE_FOLDERS = ("pagefind/index/", "pagefind/fragment/", "pagefind/filter/")
TEXT_TYPES = {
    "feed.xml": "application/atom+xml; charset=utf-8",
    "sitemap.xml": "application/xml; charset=utf-8",
    "robots.txt": "text/plain; charset=utf-8",
    "glossary.json": "application/json; charset=utf-8",
}


def assets_by_page(files: Mapping[str, bytes | Path], keys: Mapping[str, Hashable],
                   memo: dict[str, tuple[Any, tuple[str, ...]]], hashes: dict[str, str],
                   base_path: str) -> tuple[dict[str, tuple[Any, tuple[str, ...]]], set[str]]:
    """Per HTML page, the static files it references by fingerprinted URL (kept in ``memo`` by the page's
    render key ``keys[path]``, so only pages rendered this time are scanned), and all of them together."""
    out: dict[str, tuple[Any, tuple[str, ...]]] = {}
    used: set[str] = set()
    for path, data in files.items():
        key = keys.get(path)
        if not path.endswith(".html") or key is None:
            continue
        hit = memo.get(path)
        names = hit[1] if hit is not None and hit[0] == key else \
            fingerprinted(content(data), hashes, base_path)
        out[path] = (key, names)
        used.update(names)
    return out, used


def fingerprinted(page: bytes, hashes: dict[str, str], base_path: str) -> tuple[str, ...]:
    """The static files this page references by their fingerprinted URL, by output path."""
    return tuple(sorted(name for name, v in hashes.items() if f"{base_path}{name}?v={v}".encode() in page))


def headers_file(fingerprinted: list[str], present: tuple[str, ...], base_path: str) -> bytes:
    """The ``_headers`` file for an output whose pages reference the static files ``fingerprinted`` by their
    fingerprinted URL, and which holds the files ``present`` of TEXT_TYPES."""
    lines = ["# Made by backoffice-site for Netlify and Cloudflare Pages (docs/deploy.md). Paths are the URL",
             f"# paths the pages use (base path {base_path}).", "",
             f"{base_path}*", "  X-Content-Type-Options: nosniff", ""]
    for name in fingerprinted:
        lines += [f"{base_path}{name}", f"  {IMMUTABLE}", ""]
    for folder in HASHED_BUNDLE_FOLDERS:
        lines += [f"{base_path}{folder}*", f"  {IMMUTABLE}", ""]
    for name in present:
        lines += [f"{base_path}{name}", f"  Content-Type: {TEXT_TYPES[name]}", ""]
    return "\n".join(lines).encode("utf-8")
