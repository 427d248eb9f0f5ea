"""Development server: build in memory, serve, watch, rebuild what changed, reload open tabs.

The pieces, each small enough to test on its own:

- ``resolve_request_path`` maps a raw request path to a site path (a pure function; all the safety rules);
- ``Snapshot`` is what the server shows: the last good pages plus the latest build's errors, immutable;
  a rebuild swaps one reference, so a request never sees half a build;
- ``App.respond`` answers a request from one snapshot (no sockets involved);
- ``EventHub`` fans live-reload events out to Server-Sent Events clients without ever blocking on one;
- ``Rebuilder`` owns the one thread that calls the build function, so builds never overlap;
- ``DevServer`` wires those to the HTTP server and the watcher; ``serve`` is the command.

The build is injected (``Rebuilder`` takes a callable), and the reload script is added to HTML only as it is
served: the build's bytes are the served bytes minus that script.
"""

from __future__ import annotations

import html
import http.server
import ipaddress
import json
import mimetypes
import re
import secrets
import socket
import socketserver
import sys
import threading
import time
import traceback
import webbrowser
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO, cast
from urllib.parse import quote, unquote

from backoffice_site.build import Builder, BuildOptions, BuildResult
from backoffice_site.diagnostics import Diagnostic, Loc, Severity, count_line
from backoffice_site.watcher import ChangeBatcher, ChangeKind, Watcher, classify

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
_SAFE_QUERY = re.compile(r"[\x21-\x7e]*")
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
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


def inject_before_body_end(page: bytes, snippet: bytes) -> bytes:
    """``snippet`` just before the last ``</body>``, or at the end of a page that has none."""
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + snippet
    at = ends[-1].start()
    return page[:at] + snippet + page[at:]


def script_tag(epoch: int, server_id: str) -> bytes:
    return (f'<script src="{SCRIPT_PATH}" data-epoch="{epoch}" data-server="{server_id}" defer></script>'
            .encode())


def _diagnostic_lines(errors: tuple[str, ...]) -> str:
    return "\n".join(html.escape(e, quote=True) for e in errors)


def error_overlay(errors: tuple[str, ...]) -> bytes:
    """A box over the last good page listing the failed build's diagnostics (escaped: they quote sources)."""
    return (
        '<div id="bos-build-error" role="alert" style="position:fixed;inset:auto 0 0 0;z-index:2147483647;'
        "max-height:60vh;overflow:auto;margin:0;padding:1rem 1.25rem;background:#2b0f0f;color:#ffe9e9;"
        'font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border-top:4px solid #e5484d">'
        '<button type="button" onclick="this.parentNode.remove()" aria-label="close" style="float:right;'
        'background:none;border:0;color:inherit;font:inherit;font-size:20px;cursor:pointer">×</button>'
        "<strong>Build failed.</strong> Showing the last good version of this page; save a fix and it reloads."
        f'<pre style="margin:.75rem 0 0;white-space:pre-wrap">{_diagnostic_lines(errors)}</pre></div>'
    ).encode()


def error_page(errors: tuple[str, ...]) -> bytes:
    """The whole page while no build has succeeded yet (there is no last good version to show)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Build failed</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n</head>\n'
        '<body style="margin:0;padding:2rem;background:#2b0f0f;color:#ffe9e9;'
        'font:15px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace">\n'
        "<h1 style=\"font-size:1.3rem\">Build failed</h1>\n<p>The site could not be built. Fix the problems "
        "below and save: this page reloads by itself.</p>\n"
        f'<pre style="white-space:pre-wrap">{_diagnostic_lines(errors)}</pre>\n</body>\n</html>\n'
    ).encode()


def sse_message(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, sort_keys=True)}\n\n".encode()


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


def snapshot_after(prev: Snapshot | None, result: BuildResult, static_root: Path) -> Snapshot:
    """The snapshot to serve after ``result``; a failed build keeps the previous good pages."""
    errors = tuple(d.format() for d in result.diagnostics if d.severity is Severity.ERROR)
    if result.ok:
        base = result.site.content.config.base_path if result.site is not None else "/"
        return Snapshot(MappingProxyType(dict(result.files)), MappingProxyType(dict(result.statics)),
                        static_root, base, prev.epoch if prev else 0)
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
        if name in snap.statics:
            data = read_static(snap.statics[name], snap.static_root)
            return self._not_found(snap) if data is None else self._file(snap, name, data, 200)
        if not site_path.endswith("/") and site_path and f"{site_path}/index.html" in snap.files:
            return self._redirect(quote(snap.base_path + site_path + "/", safe="/"), query)
        return self._not_found(snap)

    def _file(self, snap: Snapshot, name: str, data: bytes, status: int) -> Response:
        ctype = content_type(name)
        if ctype.startswith("text/html"):
            data = self._decorate(snap, data)
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
        if query and _SAFE_QUERY.fullmatch(query):
            location += "?" + query
        return Response(301, b"", headers={"Location": location})

    def _status_json(self, snap: Snapshot) -> bytes:
        info = {"server": self.server_id, "epoch": snap.epoch, "ok": not snap.errors, "good": snap.good,
                "errors": list(snap.errors), **self.status()}
        return json.dumps(info, sort_keys=True).encode()


# ---------------------------------------------------------------------------------------------------------
# Live reload: Server-Sent Events


class SseClient:
    """One connected tab's outgoing queue. Bounded: a tab that stops reading is dropped, never waited for."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.closed = False
        self._items: deque[bytes] = deque()
        self._cond = threading.Condition()

    def push(self, message: bytes) -> bool:
        with self._cond:
            if self.closed:
                return False
            if len(self._items) >= self.limit:
                self.closed = True  # fell behind: its handler thread hangs up
            else:
                self._items.append(message)
            self._cond.notify_all()
            return not self.closed

    def next(self, timeout: float) -> bytes | None:
        """The next message, or None after ``timeout`` (time for a keep-alive) or once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._items or self.closed, timeout)
            if self.closed or not self._items:
                return None
            return self._items.popleft()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class EventHub:
    """Fans events out to every connected tab; publishing never blocks on a slow one."""

    def __init__(self, limit: int = 32) -> None:
        self.limit = limit
        self._clients: set[SseClient] = set()
        self._lock = threading.Lock()
        self._closed = False

    def connect(self) -> SseClient:
        client = SseClient(self.limit)
        with self._lock:
            if self._closed:
                client.close()
            self._clients.add(client)
        return client

    def disconnect(self, client: SseClient) -> None:
        client.close()
        with self._lock:
            self._clients.discard(client)

    def publish(self, event: str, data: Mapping[str, Any]) -> int:
        """Queue ``event`` for every tab; returns how many took it (dropped tabs are forgotten)."""
        message = sse_message(event, data)
        with self._lock:
            clients = list(self._clients)
        delivered = 0
        for c in clients:
            if c.push(message):
                delivered += 1
            else:
                self.disconnect(c)
        return delivered

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            clients = list(self._clients)
        for c in clients:
            c.close()


# ---------------------------------------------------------------------------------------------------------
# Rebuilding


class Rebuilder:
    """The one thread that builds: takes debounced change sets, rebuilds, swaps the snapshot, tells tabs.

    Builds never overlap (one thread), and changes that arrive during a build are collected by the batcher
    and make exactly one more build after it.
    """

    def __init__(self, build: Callable[[], BuildResult], app: App, hub: EventHub, batcher: ChangeBatcher,
                 static_root: Path, *, out: TextIO, err: TextIO) -> None:
        self._build = build
        self.app = app
        self.hub = hub
        self.batcher = batcher
        self.static_root = static_root
        self.out = out
        self.err = err
        self.builds = 0
        self.building = False
        self._shown: tuple[str, ...] = ()  # diagnostics printed last, so unchanged warnings are not repeated
        self._thread: threading.Thread | None = None

    def status(self) -> dict[str, Any]:
        return {"builds": self.builds, "building": self.building, "idle": self.batcher.idle,
                "clients": self.hub.clients}

    def run_build(self) -> BuildResult:
        """One build. A crash in the build is reported like a content error: the server must outlive it."""
        self.building = True
        try:
            return self._build()
        except Exception as exc:
            traceback.print_exc(file=self.err)
            return BuildResult([Diagnostic(Loc("<build>"), Severity.ERROR,
                                           f"the build crashed: {type(exc).__name__}: {exc}")])
        finally:
            self.builds += 1
            self.building = False

    def first_build(self) -> Snapshot:
        result = self.run_build()
        self._report(result, first=True)
        return snapshot_after(None, result, self.static_root)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bos-rebuild", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.batcher.close()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while (changes := self.batcher.take()) is not None:
            try:
                self.rebuild(changes)
            finally:
                self.batcher.done()

    def rebuild(self, changes: frozenset[str]) -> None:
        started = time.perf_counter()
        result = self.run_build()
        prev = self.app.snapshot
        new = snapshot_after(prev, result, self.static_root)
        event = change_event(prev, new, changes)
        if event is not None:
            new = replace(new, epoch=prev.epoch + 1)
        self.app.snapshot = new  # the swap: requests from now on see the new build
        if event is not None:
            data: dict[str, Any] = {"epoch": new.epoch}
            if event == "css":
                data["paths"] = sorted(new.base_path + p.removeprefix("static/") for p in changes)
            self.hub.publish(event, data)
        self._report(result, first=False, ms=(time.perf_counter() - started) * 1000, event=event)

    def _report(self, result: BuildResult, *, first: bool, ms: float = 0.0, event: str | None = None) -> None:
        shown = tuple(d.format() for d in result.diagnostics)
        if shown and (not result.ok or shown != self._shown):
            for line in shown:
                print(line, file=self.err)
            print(count_line(result.diagnostics), file=self.err, flush=True)
        self._shown = shown
        if not result.ok:
            what = "no page can be served until it is fixed" if first or not self.app.snapshot.good \
                else "still serving the last good pages"
            print(f"build failed; {what}", file=self.err, flush=True)
        elif first:
            print(f"built {result.pages} pages in {result.seconds * 1000:.0f} ms", file=self.out, flush=True)
        else:
            told = f", told tabs to {event}" if event else ""
            print(f"rebuilt in {ms:.0f} ms ({result.rendered_pages} pages re-rendered{told})", file=self.out,
                  flush=True)


# ---------------------------------------------------------------------------------------------------------
# HTTP


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a page and its assets share a connection
    timeout = 10  # seconds: idle keep-alive connections close; a write stuck this long drops the client
    # TCP_NODELAY: headers and body are two writes, and with Nagle's algorithm the body's last segment waits
    # for the client's delayed ACK of the headers, adding 40 ms to every response on a reused connection.
    disable_nagle_algorithm = True

    @property
    def _dev(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _not_allowed(self) -> None:
        self.close_connection = True  # its body (if any) is never read, so the connection cannot be reused
        self._send(self._dev.app.respond(self.command, self.path, self.headers.get("Host")), head=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def _handle(self, head: bool) -> None:
        app = self._dev.app
        host = self.headers.get("Host")
        if split_path(self.path)[0] == EVENTS_PATH and not head and app.host_ok(host):
            self._stream_events()
            return
        self._send(app.respond(self.command, self.path, host), head)

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if not head and resp.body:
            self.wfile.write(resp.body)

    def _stream_events(self) -> None:
        dev = self._dev
        client = dev.hub.connect()
        self.close_connection = True  # the stream ends only when the connection does
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            hello = {"server": dev.app.server_id, "epoch": dev.app.snapshot.epoch}
            self.wfile.write(b"retry: 1000\n\n" + sse_message("hello", hello))
            last_write = time.monotonic()
            while True:
                # Wake at least every PEER_CHECK seconds to notice a closed tab without waiting for a write
                # to it to fail (the first write after a hang-up succeeds; only the next one fails).
                message = client.next(min(dev.keepalive, PEER_CHECK))
                if client.closed or self._peer_closed():
                    return
                if message is None:
                    if time.monotonic() - last_write < dev.keepalive:
                        continue
                    message = b": keep-alive\n\n"  # keeps proxies from timing out the quiet stream
                self.wfile.write(message)
                last_write = time.monotonic()
        except OSError:
            return  # the tab went away, or stopped reading for `timeout` seconds
        finally:
            dev.hub.disconnect(client)

    def _peer_closed(self) -> bool:
        """True once the tab hung up. A tab sends nothing after its request, so readable means EOF or reset."""
        sock: socket.socket = self.connection
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0)  # a non-blocking peek: this thread is the only user of the socket
            return sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False  # nothing to read: still connected
        except OSError:
            return True  # reset
        finally:
            sock.settimeout(timeout)

    def version_string(self) -> str:
        return "backoffice-site-dev"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # every request is noise in the editor's terminal; build results are what matter there


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a page opening a few connections at once (or any burst)
    # overflows it, and the kernel drops the connection attempts, which the client retries only after 1 s.
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: App, hub: EventHub, keepalive: float) -> None:
        self.app = app
        self.hub = hub
        self.keepalive = keepalive
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall start-up on a slow resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a browser closing a tab mid-response is normal
        super().handle_error(request, client_address)


# ---------------------------------------------------------------------------------------------------------
# Wiring


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class DevServer:
    """Binds, builds, watches and serves; ``close`` undoes all of it (port freed, watcher stopped)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, *, drafts: bool = False,
                 debounce: float = 0.05, settle: float = 0.005, keepalive: float = 15.0, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.root = root.resolve()
        self.host = host
        self.port = port
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.keepalive = keepalive
        self.builder = Builder(BuildOptions(root=self.root, out=None, drafts=drafts))
        self.batcher = ChangeBatcher(quiet=debounce, settle=settle)
        self.hub = EventHub()
        self.watcher = Watcher(self.root, self.batcher.add, log=self._warn)
        self.app: App | None = None
        self.rebuilder: Rebuilder | None = None
        self._httpd: _HTTPServer | None = None
        self._serving: threading.Thread | None = None
        self._watching = False

    def _warn(self, line: str) -> None:
        print(line, file=self.err, flush=True)

    @property
    def url(self) -> str:
        base = self.app.snapshot.base_path if self.app else "/"
        return f"http://{url_host(self.host)}:{self.port}{base}"

    def start(self) -> None:
        """Bind first (fail fast on a busy port), start watching, then build once."""
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        if not is_local_host(self.host):
            self._warn(f"warning: --host {self.host} makes the dev server reachable from other machines and "
                       "turns off its Host-header check; it is meant for local use only")
        static_root = (self.root / "static").resolve()
        placeholder = Snapshot(MappingProxyType({}), MappingProxyType({}), static_root, "/", good=False,
                               errors=("the first build is still running",))
        app = App(placeholder, allowed=None, server_id=secrets.token_hex(4))
        self.app = app
        self._httpd = _HTTPServer(self.host, self.port, app, self.hub, self.keepalive)
        self.port = self._httpd.server_port
        app.allowed = allowed_hosts(self.host, self.port)
        # Watch before the first build: an edit made while it runs then causes one more build, not none.
        self.watcher.start()
        self._watching = True
        self.rebuilder = Rebuilder(self.builder.build, app, self.hub, self.batcher, static_root,
                                   out=self.out, err=self.err)
        app.status = self.rebuilder.status
        app.snapshot = self.rebuilder.first_build()
        self.rebuilder.start()
        print(f"serving {self.url} (Ctrl-C to stop)", file=self.out, flush=True)

    def serve_forever(self) -> None:
        if self._httpd is None:
            raise RuntimeError("start() the server first")
        self._httpd.serve_forever(poll_interval=0.2)

    def serve_in_background(self) -> None:
        self._serving = threading.Thread(target=self.serve_forever, name="bos-http", daemon=True)
        self._serving.start()

    @property
    def serving(self) -> bool:
        """True while ``serve_in_background``'s thread accepts connections."""
        return self._serving is not None and self._serving.is_alive()

    def close(self) -> None:
        if self._watching:
            self.watcher.stop()
            self._watching = False
        if self.rebuilder is not None:
            self.rebuilder.stop()
        else:
            self.batcher.close()
        self.hub.close()  # wakes every event stream so its thread hangs up
        if self._httpd is not None:
            if self._serving is not None:
                self._httpd.shutdown()
                self._serving.join(timeout=5)
                self._serving = None
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(root: Path, host: str, port: int, *, open_browser: bool = False, drafts: bool = False) -> int:
    """``backoffice-site serve``: runs until Ctrl-C, then stops cleanly."""
    server = DevServer(root, host, port, drafts=drafts)
    try:
        try:
            server.start()
        except OSError as exc:
            print(f"backoffice-site: error: cannot serve on {host}:{port}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        # Accept on a thread and only wait here, so Ctrl-C lands in this sleep: raised inside the accept loop,
        # it can hit while a connection is being handed to its thread, and socketserver then closes the socket
        # under that thread (which prints a traceback).
        server.serve_in_background()
        while server.serving:
            time.sleep(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    print("\nstopped", file=sys.stderr)
    return 0
