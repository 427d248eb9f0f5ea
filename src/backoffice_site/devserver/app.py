"""The served state and the socket-free request handler: ``Snapshot`` (immutable, swapped whole after a
build) and ``App.respond``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from backoffice_site.build import BuildResult
from backoffice_site.devserver.inject import error_overlay, error_page, inject_before_body_end, script_tag
from backoffice_site.devserver.requests import (
    SAFE_QUERY,
    SCRIPT_PATH,
    STATUS_PATH,
    TEXT_TYPES,
    content_type,
    host_allowed,
    looks_like_html,
    output_name,
    resolve_request_path,
    split_path,
)
from backoffice_site.diagnostics import Severity
from backoffice_site.output import content
from backoffice_site.watcher import ChangeKind, classify

# ---------------------------------------------------------------------------------------------------------
# What is served


@dataclass(frozen=True)
class Snapshot:
    """The site as served: the last good build's files plus, while the latest build fails, its errors."""

    files: Mapping[str, bytes]
    statics: Mapping[str, Path]
    static_root: Path  # resolved static/ folder: a static file is served only if it resolves inside it
    base_path: str
    epoch: int = 0  # bumps whenever open tabs should update
    errors: tuple[str, ...] = ()  # formatted diagnostics of the latest build, empty when it succeeded
    good: bool = True  # False until a build has succeeded: there are no last good pages
    # The search index (search_refresh): its files by output path, swapped in whole when a refresh is done,
    # and the bundle folders the search page should load (None until the first index is made).
    search: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    search_dirs: tuple[str, ...] | None = None


def snapshot_after(prev: Snapshot | None, result: BuildResult, static_root: Path) -> Snapshot:
    """The snapshot to serve after ``result``; a failed build keeps the previous good pages."""
    errors = tuple(d.format() for d in result.diagnostics if d.severity is Severity.ERROR)
    if result.ok:
        base = result.linked.site.content.config.base_path if result.linked is not None else "/"
        # (a build without an output folder, as the server's, has every page's bytes in memory: content()
        # only ever returns them here)
        files = {name: content(data) for name, data in result.files.items()}
        fresh = Snapshot(MappingProxyType(files), MappingProxyType(dict(result.statics)),
                         static_root, base, prev.epoch if prev else 0)
        # the index stays until its refresh is done: a search finds the last indexed text meanwhile
        return replace(fresh, search=prev.search, search_dirs=prev.search_dirs) if prev else fresh
    if prev is None:
        return Snapshot(MappingProxyType({}), MappingProxyType({}), static_root, "/", 0, errors, good=False)
    return replace(prev, errors=errors)


def change_event(prev: Snapshot, new: Snapshot, changes: frozenset[str]) -> str | None:
    """What open tabs should do after a rebuild: "reload", "css" (swap stylesheets only) or nothing."""
    if new.errors != prev.errors or new.good != prev.good:
        return "reload"  # an error appeared, changed or was fixed: show it, or clear it
    if new.files == prev.files and new.statics.keys() == prev.statics.keys():
        return None
    css_only = bool(changes) and all(
        classify(p) is ChangeKind.STATIC and p.lower().endswith(".css") for p in changes)
    return "css" if css_only else "reload"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def read_static(path: Path, static_root: Path) -> bytes | None:
    """A static file's bytes, unless it is (or links to) something outside static/ or is gone."""
    try:
        real = path.resolve(strict=True)
        if not real.is_relative_to(static_root) or not real.is_file():
            return None
        return real.read_bytes()
    except (OSError, RuntimeError):  # vanished since the build, unreadable, or a symlink loop
        return None


_BUNDLES = re.compile(rb'data-bundles="[^"]*"')


def with_bundles(page: bytes, snap: Snapshot) -> bytes:
    """The search page told the dev server's bundle folders (its index is cut into more parts than the
    published one, see search_refresh); other pages, and the page before the first index, as built."""
    if snap.search_dirs is None or b"data-bundles=" not in page:
        return page
    value = " ".join(quote(snap.base_path + d, safe="/") for d in snap.search_dirs)
    return _BUNDLES.sub(lambda _: b'data-bundles="' + value.encode() + b'"', page, count=1)


class App:
    """Answers one request from the current snapshot. Knows nothing about sockets or threads."""

    def __init__(self, snapshot: Snapshot, *, allowed: frozenset[str] | None, server_id: str,
                 status: Callable[[], dict[str, Any]] | None = None) -> None:
        self.snapshot = snapshot  # replaced whole by the rebuild thread; read once per request
        self.allowed = allowed
        self.server_id = server_id
        self.status = status or (lambda: {})
        self.script = resources.files("backoffice_site").joinpath("livereload.js").read_bytes()

    def host_ok(self, host: str | None) -> bool:
        return host_allowed(host, self.allowed)

    def respond(self, method: str, raw_path: str, host: str | None) -> Response:
        if not self.host_ok(host):
            return Response(400, b"400 Bad Request: unexpected Host header (the dev server answers only to "
                            b"localhost; use --host to serve other names)\n")
        if method not in ("GET", "HEAD"):
            return Response(405, b"405 Method Not Allowed\n", headers={"Allow": "GET, HEAD"})
        snap = self.snapshot  # one read: the whole response comes from one consistent snapshot
        path, query = split_path(raw_path)
        if path == SCRIPT_PATH:
            return Response(200, self.script, TEXT_TYPES[".js"])
        if path == STATUS_PATH:
            return Response(200, self._status_json(snap), TEXT_TYPES[".json"])
        if snap.base_path != "/" and path == snap.base_path.rstrip("/"):
            return self._redirect(snap.base_path, query)
        site_path = resolve_request_path(raw_path, snap.base_path)
        if site_path is None:
            return self._not_found(snap)
        name = output_name(site_path)
        if not snap.good and looks_like_html(name):
            return Response(500, self._decorate(snap, error_page(snap.errors)), TEXT_TYPES[".html"])
        if name in snap.files:
            return self._file(snap, name, snap.files[name], 200)
        if name in snap.search:
            return self._file(snap, name, snap.search[name], 200)
        if name in snap.statics:
            data = read_static(snap.statics[name], snap.static_root)
            return self._not_found(snap) if data is None else self._file(snap, name, data, 200)
        if not site_path.endswith("/") and site_path and f"{site_path}/index.html" in snap.files:
            return self._redirect(quote(snap.base_path + site_path + "/", safe="/"), query)
        return self._not_found(snap)

    def _file(self, snap: Snapshot, name: str, data: bytes, status: int) -> Response:
        ctype = content_type(name)
        if ctype.startswith("text/html"):
            data = self._decorate(snap, with_bundles(data, snap))
        return Response(status, data, ctype)

    def _decorate(self, snap: Snapshot, page: bytes) -> bytes:
        """The serve-time additions to an HTML page: the reload script, and the error overlay if broken."""
        snippet = script_tag(snap.epoch, self.server_id)
        if snap.errors and snap.good:
            snippet = error_overlay(snap.errors) + snippet
        return inject_before_body_end(page, snippet)

    def _not_found(self, snap: Snapshot) -> Response:
        page = snap.files.get("404.html")
        if page is None:
            return Response(404, b"404 Not Found\n")
        return self._file(snap, "404.html", page, 404)

    @staticmethod
    def _redirect(location: str, query: str) -> Response:
        if query and SAFE_QUERY.fullmatch(query):
            location += "?" + query
        return Response(301, b"", headers={"Location": location})

    def _status_json(self, snap: Snapshot) -> bytes:
        info = {"server": self.server_id, "epoch": snap.epoch, "ok": not snap.errors, "good": snap.good,
                "errors": list(snap.errors), **self.status()}
        return json.dumps(info, sort_keys=True).encode()
