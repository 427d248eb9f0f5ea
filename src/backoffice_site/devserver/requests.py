"""Request safety and file types: which raw request paths map to which site files, which hosts may ask."""

from __future__ import annotations

import ipaddress
import mimetypes
import re
from urllib.parse import unquote

PREFIX = "/__bos/"
EVENTS_PATH = PREFIX + "events"
SCRIPT_PATH = PREFIX + "livereload.js"
STATUS_PATH = PREFIX + "status"
PEER_CHECK = 1.0  # seconds: how often an idle event stream checks whether its tab hung up

TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
}
BINARY_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",  # WebAssembly.instantiateStreaming insists on it (the search bundle)
    ".pagefind": "application/octet-stream",
}

# Characters never sent by a browser in a request path: controls, space, backslash, raw non-ASCII.
_BAD_RAW = re.compile(r"[^\x21-\x7e]|\\")
_BAD_DECODED = re.compile(r"[\x00-\x1f\x7f\\%]")
SAFE_QUERY = re.compile(r"[\x21-\x7e]*")
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")


# ---------------------------------------------------------------------------------------------------------
# Pure request-side functions


def split_path(raw_path: str) -> tuple[str, str]:
    """(path, query) of a request target; the fragment never reaches a server but is dropped anyway."""
    target = raw_path.split("#", 1)[0]
    path, _, query = target.partition("?")
    return path, query


def resolve_request_path(raw_path: str, base_path: str = "/") -> str | None:
    """The site path a request names, or None when it names nothing the site could hold.

    Returns ``""`` for the site root, ``"x/"`` for a folder and ``"x/y.css"`` for a file; the caller maps
    folders to their ``index.html``. The URL is decoded exactly once; anything left that still looks encoded
    (``%252e`` → ``%2e``), any ``.``/``..``/empty segment, backslash, control character or NUL, a path
    outside ``base_path`` and a non-path target (``http://…``, ``*``) is refused. The result only ever
    indexes the in-memory site, so even a path that passes cannot name a file outside it.
    """
    path, _ = split_path(raw_path)
    if not path.startswith("/") or _BAD_RAW.search(path):
        return None
    try:
        decoded = unquote(path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None
    if _BAD_DECODED.search(decoded) or not decoded.startswith(base_path):
        return None
    rest = decoded[len(base_path):]
    if rest == "":
        return ""
    parts = rest.split("/")
    folder = parts[-1] == ""
    if folder:
        parts.pop()
    if any(p in ("", ".", "..") for p in parts):
        return None
    return "/".join(parts) + ("/" if folder else "")


def output_name(site_path: str) -> str:
    """The output file a site path stands for: folders are served by their index.html."""
    return site_path + "index.html" if site_path == "" or site_path.endswith("/") else site_path


def looks_like_html(name: str) -> bool:
    last = name.rsplit("/", 1)[-1]
    return last.endswith((".html", ".htm")) or "." not in last


def content_type(name: str) -> str:
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name.rsplit("/", 1)[-1] else ""
    if suffix in TEXT_TYPES:
        return TEXT_TYPES[suffix]
    if suffix in BINARY_TYPES:
        return BINARY_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream"
    return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")


def is_local_host(host: str) -> bool:
    """True for names and addresses only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bind_host: str, port: int) -> frozenset[str] | None:
    """Host header values accepted (None: any), the defence against DNS rebinding.

    A page on evil.example whose name was re-pointed at 127.0.0.1 still sends ``Host: evil.example``; only
    the names of this machine are accepted, with or without the port.
    """
    if not is_local_host(bind_host):
        return None
    host = bind_host.lower()
    names = {*_LOCAL_NAMES, f"[{host}]" if ":" in host else host}
    return frozenset({*names, *(f"{n}:{port}" for n in names)})


def host_allowed(header: str | None, allowed: frozenset[str] | None) -> bool:
    if allowed is None:
        return True
    return header is not None and header.strip().lower() in allowed
