"""The dev server: pure request mapping and event logic first, then the real server on a free port.

Integration tests start ``DevServer`` on a copy of the fixture site (port 0) and talk HTTP to it; the event
stream is read in a thread. Every wait polls a condition with a generous deadline; nothing asserts timings.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import io
import json
import os
import posixpath
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from conftest import FIXTURES, make_site, run_cli, without_phrase_marks
from hypothesis import given
from hypothesis import strategies as st

from backoffice_site.devserver import (
    EVENTS_PATH,
    App,
    DevServer,
    EventHub,
    Snapshot,
    allowed_hosts,
    change_event,
    content_type,
    error_overlay,
    host_allowed,
    inject_before_body_end,
    resolve_request_path,
)
from backoffice_site.watcher import ChangeBatcher, ChangeKind, classify, is_ignored

WAIT = 10.0  # seconds: the deadline of every poll; generous so a loaded machine does not fail tests
SCRIPT_RE = re.compile(rb'<script src="/__bos/livereload\.js"[^>]*></script>')


# ---------------------------------------------------------------------------------------------------------
# Pure functions


@pytest.mark.parametrize(("raw", "base", "expected"), [
    ("/", "/", ""),
    ("/index.html", "/", "index.html"),
    ("/articles/first/", "/", "articles/first/"),
    ("/articles/first", "/", "articles/first"),
    ("/css/site.css?v=abc123", "/", "css/site.css"),
    ("/glossary/#top", "/", "glossary/"),
    ("/%E6%9C%89%E7%B5%A6/", "/", "有給/"),
    ("/project/", "/project/", ""),
    ("/project/articles/x/", "/project/", "articles/x/"),
    ("/other/", "/project/", None),
    ("/project", "/project/", None),
])
def test_resolve_request_path_maps_urls(raw: str, base: str, expected: str | None) -> None:
    assert resolve_request_path(raw, base) == expected


TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/css/../../secret.txt", "/./index.html", "/a//b",
    "/%2e%2e/secret.txt", "/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt", "/%25",
    "/..\\secret.txt", "/%5c..%5csecret.txt", "/css\\..\\..\\secret.txt",
    "/secret.txt%00.html", "/%00", "/index.html\x00",
    "//etc/passwd", "http://127.0.0.1/../secret.txt", "*", "",
    "/%c0%ae%c0%ae/secret.txt", "/%ff", "/ index.html", "/\u6709",
]


@pytest.mark.parametrize("raw", TRAVERSALS)
def test_resolve_request_path_refuses_traversal(raw: str) -> None:
    assert resolve_request_path(raw, "/") is None


_TOKENS = ["/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%00", "%25", "%252e", "\\", "a", "css", "%",
           "?", "#", "%c0%ae"]


@given(st.lists(st.sampled_from(_TOKENS), max_size=12).map(lambda ts: "/" + "".join(ts)))
def test_resolved_paths_never_leave_the_site(raw: str) -> None:
    _check_confined(resolve_request_path(raw, "/"))


@given(st.text(max_size=40))
def test_resolver_survives_any_text(raw: str) -> None:
    _check_confined(resolve_request_path(raw, "/"))
    _check_confined(resolve_request_path("/" + raw, "/base/"))


def _check_confined(result: str | None) -> None:
    if result is None:
        return
    parts = result.rstrip("/").split("/")
    assert ".." not in parts and "." not in parts and "\\" not in result and "\x00" not in result
    assert posixpath.normpath(posixpath.join("/site", result or ".")).startswith("/site")


@pytest.mark.parametrize(("name", "expected"), [
    ("index.html", "text/html; charset=utf-8"),
    ("css/site.css", "text/css; charset=utf-8"),
    ("js/site.js", "text/javascript; charset=utf-8"),
    ("glossary.json", "application/json; charset=utf-8"),
    ("feed.xml", "application/xml; charset=utf-8"),
    ("favicon.svg", "image/svg+xml"),
    ("fonts/a.woff2", "font/woff2"),
    ("img/a.png", "image/png"),
    ("favicon.ico", "image/x-icon"),
    ("robots.txt", "text/plain; charset=utf-8"),
    ("blob", "application/octet-stream"),
])
def test_content_type(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_inject_before_the_last_body_end() -> None:
    page = b"<html><body><p>&lt;/body&gt;</p></BODY >\n</html>\n"
    assert inject_before_body_end(page, b"<s>") == b"<html><body><p>&lt;/body&gt;</p><s></BODY >\n</html>\n"
    assert inject_before_body_end(b"<p>x</p>", b"<s>") == b"<p>x</p><s>"


def test_host_check() -> None:
    allowed = allowed_hosts("127.0.0.1", 8000)
    for ok in ("127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000", "[::1]:8000", "localhost"):
        assert host_allowed(ok, allowed), ok
    for bad in ("evil.example", "evil.example:8000", "127.0.0.1:9999", "", None, "127.0.0.1.evil.example:8000"):
        assert not host_allowed(bad, allowed), bad
    assert allowed_hosts("0.0.0.0", 8000) is None and host_allowed("evil.example", None)
    assert host_allowed("[::1]:8000", allowed_hosts("::1", 8000))


def test_error_overlay_escapes_diagnostics() -> None:
    overlay = error_overlay(("content/a.md:1:1: error: invalid slug '<script>alert(1)</script>'",))
    assert b"<script>alert" not in overlay
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in overlay


@pytest.mark.parametrize(("path", "kind"), [
    ("content/site.yaml", ChangeKind.CONFIG),
    ("content/articles/a.md", ChangeKind.CONTENT),
    ("templates/base.html", ChangeKind.TEMPLATES),
    ("static/css/site.css", ChangeKind.STATIC),
    ("public/index.html", None),
    ("content/articles/.#a.md", None),
    ("content/articles/a.md~", None),
    ("content/articles/.a.md.swp", None),
    ("content/articles/4913", None),
    ("templates/base.html___jb_tmp___", None),
    ("content/.git/HEAD", None),
])
def test_classify_and_ignore(path: str, kind: ChangeKind | None) -> None:
    assert classify(path) is kind
    assert is_ignored(path) == (kind is None and not path.startswith("public/"))


def test_batcher_coalesces_and_a_change_during_a_build_makes_exactly_one_more() -> None:
    batcher = ChangeBatcher(quiet=0.01)
    for i in range(50):
        batcher.add([f"content/articles/a{i}.md"])
    first = batcher.take()
    assert first is not None and len(first) == 50
    assert not batcher.idle  # being built
    batcher.add(["content/x.md"])  # arrives during the build
    batcher.add(["content/y.md"])
    batcher.done()
    assert batcher.take() == frozenset({"content/x.md", "content/y.md"})
    batcher.done()
    assert batcher.idle
    batcher.close()
    assert batcher.take() is None


def test_batcher_settles_early_once_every_write_finished() -> None:
    # A minute-long quiet window: take() can only return in time through the short "settle" window, which
    # applies once the last event of every changed path said its write finished.
    batcher = ChangeBatcher(quiet=60, settle=0.001, max_wait=60)
    batcher.add(["content/a.md"], complete=False)  # modified: maybe still being written
    batcher.add(["content/a.md"], complete=True)  # closed after writing
    got: list[frozenset[str] | None] = []
    taker = threading.Thread(target=lambda: got.append(batcher.take()), daemon=True)
    taker.start()
    taker.join(timeout=WAIT)
    batcher.close()
    assert got == [frozenset({"content/a.md"})]


def test_event_hub_drops_a_client_that_never_reads() -> None:
    hub = EventHub(limit=2)
    stuck, reader = hub.connect(), hub.connect()
    for i in range(5):
        hub.publish("reload", {"epoch": i})
        assert reader.next(timeout=1) is not None  # the reading tab keeps getting every event
    assert stuck.closed and hub.clients == 1
    hub.close()
    assert reader.next(timeout=1) is None and reader.closed


def _snap(files: dict[str, bytes], errors: tuple[str, ...] = (), good: bool = True,
          statics: dict[str, Path] | None = None, static_root: Path = Path("/nonexistent")) -> Snapshot:
    return Snapshot(MappingProxyType(files), MappingProxyType(statics or {}), static_root, "/", 0, errors, good)


def test_change_event_decisions() -> None:
    a, b = _snap({"index.html": b"a"}), _snap({"index.html": b"b"})
    assert change_event(a, a, frozenset({"content/x.md"})) is None
    assert change_event(a, b, frozenset({"content/x.md"})) == "reload"
    assert change_event(a, b, frozenset({"static/css/site.css"})) == "css"
    assert change_event(a, b, frozenset({"static/css/site.css", "static/js/site.js"})) == "reload"
    broken = _snap({"index.html": b"a"}, errors=("x:1:1: error: e",))
    assert change_event(a, broken, frozenset()) == "reload"
    assert change_event(broken, broken, frozenset()) is None
    assert change_event(broken, a, frozenset()) == "reload"


def test_app_answers_without_sockets(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    (tmp_path / "static" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "static" / "ok.txt").write_text("fine")
    statics = {"leak.txt": tmp_path / "static" / "leak.txt", "ok.txt": tmp_path / "static" / "ok.txt"}
    files = {"index.html": b"<body>home</body>", "x/index.html": b"<body>x</body>", "404.html": b"<body>nf</body>"}
    app = App(_snap(files, statics=statics, static_root=(tmp_path / "static").resolve()), allowed=None,
              server_id="s")
    assert app.respond("GET", "/ok.txt", None).body == b"fine"
    assert app.respond("GET", "/leak.txt", None).status == 404
    moved = app.respond("GET", "/x?q=1", None)
    assert (moved.status, moved.headers["Location"]) == (301, "/x/?q=1")
    missing = app.respond("GET", "/nope/", None)
    assert missing.status == 404 and b"nf" in missing.body
    assert app.respond("POST", "/", None).status == 405
    app.snapshot = _snap({}, errors=("content/a.md:2:3: error: <bad>",), good=False)
    first_failed = app.respond("GET", "/x/", None)
    assert first_failed.status == 500 and b"content/a.md:2:3: error: &lt;bad&gt;" in first_failed.body
    assert b"/__bos/livereload.js" in first_failed.body


# ---------------------------------------------------------------------------------------------------------
# The real server


class EventStream:
    """Reads the server's event stream in a thread, the way a browser tab's EventSource would."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT * 3)
        self.conn.request("GET", EVENTS_PATH)
        assert self.conn.sock is not None
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200 and self.resp.getheader("Content-Type", "").startswith("text/event-stream")
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.comments = 0
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.wait_for("hello")

    def _read(self) -> None:
        name, data = "message", ""
        try:
            while line := self.resp.readline():
                text = line.decode("utf-8").rstrip("\n")
                with self.cond:
                    if text.startswith(":"):
                        self.comments += 1
                    elif text.startswith("event: "):
                        name = text[7:]
                    elif text.startswith("data: "):
                        data += text[6:]
                    elif text == "" and data:
                        self.events.append((name, json.loads(data)))
                        name, data = "message", ""
                    self.cond.notify_all()
        except (OSError, ValueError, http.client.HTTPException):
            pass  # the test closed the stream

    def mark(self) -> int:
        with self.cond:
            return len(self.events)

    def wait_for(self, name: str, after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        with self.cond:
            while True:
                for ev, data in self.events[after:]:
                    if ev == name:
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no '{name}' event within {WAIT} s; got {self.events}")
                self.cond.wait(left)

    def names(self, after: int = 0) -> list[str]:
        with self.cond:
            return [ev for ev, _ in self.events[after:]]

    def close(self) -> None:
        with contextlib.suppress(OSError):  # already gone
            self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=WAIT)
        self.resp.close()
        self.sock.close()
        self.conn.close()


class Dev:
    """A running DevServer on a fixture site, with an HTTP client's view of it."""

    def __init__(self, root: Path, **options: Any) -> None:
        self.root = root
        self.out, self.err = io.StringIO(), io.StringIO()
        options.setdefault("search", False)  # the index has tests of its own (test_devserver_search)
        self.server = DevServer(root, "127.0.0.1", 0, out=self.out, err=self.err, **options)
        self.server.start()
        self.server.serve_in_background()
        self.port = self.server.port
        self.streams: list[EventStream] = []

    def get(self, path: str, *, host: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def text(self, path: str) -> str:
        return self.get(path)[2].decode("utf-8")

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.get("/__bos/status")[2])
        return result

    def wait_until(self, check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; status {self.status()}; "
                                     f"stderr:\n{self.err.getvalue()}")
            time.sleep(0.02)

    def wait_idle(self) -> None:
        self.wait_until(lambda: self.status()["idle"], "the server to go idle")

    def events(self) -> EventStream:
        stream = EventStream(self.port)
        self.streams.append(stream)
        return stream

    def close(self) -> None:
        self.server.close()
        for s in self.streams:
            s.close()


@pytest.fixture
def serve_site(tmp_path: Path) -> Iterator[Callable[..., Dev]]:
    started: list[Dev] = []

    def start(files: dict[str, str | bytes] | None = None, **options: Any) -> Dev:
        dev = Dev(make_site(tmp_path / "site", files=files), **options)
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.close()


FIRST = "content/articles/first.md"


def _edit(root: Path, rel: str, change: Callable[[str], str]) -> None:
    p = root / rel
    p.write_text(change(p.read_text(encoding="utf-8")), encoding="utf-8")


def test_edit_changes_the_page_and_sends_reload(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    status, headers, body = dev.get("/articles/first/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert SCRIPT_RE.search(body)
    stream = dev.events()
    mark = stream.mark()
    _edit(dev.root, FIRST, lambda t: t + "\n編集マーカー一号です。\n")
    dev.wait_until(lambda: "編集マーカー一号" in dev.text("/articles/first/"), "the edited page")
    data = stream.wait_for("reload", mark)
    assert data["epoch"] >= 1
    assert "rebuilt in" in dev.out.getvalue()


def test_broken_edit_keeps_last_good_pages_and_recovers(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    good_second = dev.text("/articles/second/")
    stream = dev.events()
    original = (dev.root / FIRST).read_text(encoding="utf-8")
    mark = stream.mark()
    (dev.root / FIRST).write_text(original.replace("tags: [基本]", "tags: 3"), encoding="utf-8")
    # Waits for this exact error: a build that caught the file half-written would report something else.
    dev.wait_until(lambda: any("'tags' must be a list" in e for e in dev.status()["errors"]), "the broken build")
    stream.wait_for("reload", mark)
    [diag] = dev.status()["errors"]
    assert re.match(r"content/articles/first\.md:\d+:\d+: error: 'tags' must be a list", diag)
    assert diag in dev.err.getvalue()  # printed in the terminal too

    status, _, body = dev.get("/articles/first/")
    page = body.decode()
    assert status == 200 and html.escape(diag) in page and "はじめての記事" in page  # last good + overlay
    assert SCRIPT_RE.search(body)  # the overlay page reloads itself once fixed
    status, _, body = dev.get("/articles/second/")
    assert status == 200 and html.escape(diag) in body.decode()
    assert SCRIPT_RE.sub(b"", body).decode().replace(_overlay_of(body), "") == SCRIPT_RE.sub(
        b"", good_second.encode()).decode()
    assert dev.get("/css/site.css")[0] == 200

    mark = stream.mark()
    (dev.root / FIRST).write_text(original + "\n直しました。\n", encoding="utf-8")
    dev.wait_until(lambda: dev.status()["ok"], "the fixed build")
    stream.wait_for("reload", mark)
    page = dev.text("/articles/first/")
    assert "直しました" in page and "bos-build-error" not in page


def _overlay_of(body: bytes) -> str:
    m = re.search(r'<div id="bos-build-error".*?</pre></div>', body.decode(), re.S)
    assert m is not None
    return m.group(0)


def test_first_build_failure_serves_an_error_page_then_recovers(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site(files={"content/articles/bad.md": "---\ntitle: 記事\ndescription: x\nslug: <b>x</b>\n---\n本文\n"})
    status, _, body = dev.get("/")
    assert status == 500
    assert b"content/articles/bad.md:4:7: error: invalid slug" in body and b"<b>x</b>" not in body
    assert SCRIPT_RE.search(body)
    assert dev.get("/articles/first/")[0] == 500
    stream = dev.events()
    mark = stream.mark()
    (dev.root / "content/articles/bad.md").unlink()
    stream.wait_for("reload", mark)
    assert dev.get("/")[0] == 200 and dev.get("/articles/first/")[0] == 200


def test_delete_and_rename(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    assert dev.get("/articles/first/")[0] == 200
    (dev.root / FIRST).rename(dev.root / "content/articles/moved.md")
    dev.wait_until(lambda: dev.get("/articles/moved/")[0] == 200, "the renamed page")
    status, _, body = dev.get("/articles/first/")
    assert status == 404 and "ページが見つかりません" in body.decode()  # the site's own 404 page
    (dev.root / "content/articles/moved.md").unlink()
    dev.wait_until(lambda: dev.get("/articles/moved/")[0] == 404, "the deleted page to 404")
    assert dev.get("/articles/second/")[0] == 200


def test_a_burst_of_50_writes_is_one_or_two_rebuilds(serve_site: Callable[..., Dev]) -> None:
    # The quiet windows are widened (from 50 and 5 ms) so a loaded test machine pausing mid-burst cannot split
    # it; the coalescing itself is the same code, and its logic is tested directly above.
    dev = serve_site(debounce=0.3, settle=0.3)
    dev.wait_idle()
    before = dev.status()["builds"]
    for i in range(50):
        (dev.root / f"content/articles/burst-{i:02d}.md").write_text(
            f"---\ntitle: 連続{i}\ndescription: 連続の記事です。\n---\n\nburst marker {i}\n", encoding="utf-8")
    dev.wait_until(lambda: dev.get("/articles/burst-49/")[0] == 200, "the last burst page")
    dev.wait_idle()
    assert dev.status()["builds"] - before in (1, 2)
    for i in range(50):
        assert f"burst marker {i}" in dev.text(f"/articles/burst-{i:02d}/")


def test_css_edit_sends_css_event(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    stream = dev.events()
    mark = stream.mark()
    _edit(dev.root, "static/css/site.css", lambda t: t + "\n.bos-test-rule { color: red; }\n")
    data = stream.wait_for("css", mark)
    assert data["paths"] == ["/css/site.css"]
    assert "reload" not in stream.names(mark)
    assert ".bos-test-rule" in dev.text("/css/site.css")
    mark = stream.mark()
    _edit(dev.root, "templates/404.html", lambda t: t.replace("ページが見つかりません", "見つかりません!"))
    stream.wait_for("reload", mark)
    assert "見つかりません!" in without_phrase_marks(dev.get("/nope/")[2].decode())  # the h1 gets a <wbr>


def test_watched_folder_deleted_and_recreated(serve_site: Callable[..., Dev], tmp_path: Path) -> None:
    dev = serve_site()
    saved = tmp_path / "templates-saved"
    shutil.copytree(dev.root / "templates", saved)
    shutil.rmtree(dev.root / "templates")
    dev.wait_until(lambda: not dev.status()["ok"], "the build without templates to fail")
    assert dev.get("/articles/first/")[0] == 200  # still the last good page
    shutil.copytree(saved, dev.root / "templates")
    dev.wait_until(lambda: dev.status()["ok"], "the build with templates back")
    stream = dev.events()
    mark = stream.mark()
    _edit(dev.root, "templates/base.html", lambda t: t.replace("本文へスキップ", "本文へ飛ぶ"))
    stream.wait_for("reload", mark)  # the re-created folder is watched again
    assert "本文へ飛ぶ" in without_phrase_marks(dev.text("/articles/first/"))  # a link: 本文へ<wbr>飛ぶ


def raw_request(port: int, target: bytes, host: bytes | None = None, method: bytes = b"GET") -> tuple[int, bytes]:
    """Send a request line verbatim (no client-side normalisation) and return (status, body)."""
    head = method + b" " + target + b" HTTP/1.1\r\n"
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        s.sendall(head + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split(b" ")[1]), rest.partition(b"\r\n\r\n")[2]


def test_traversal_forms_never_reach_outside_files(serve_site: Callable[..., Dev], tmp_path: Path) -> None:
    dev = serve_site()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (dev.root / "static/leak.txt").symlink_to(secret)
    (dev.root / "static/outdir").symlink_to(tmp_path, target_is_directory=True)
    _edit(dev.root, FIRST, lambda t: t + "\nリンク追加後。\n")  # a rebuild that picks up the new links
    dev.wait_until(lambda: "リンク追加後" in dev.text("/articles/first/"), "the rebuild")
    host = f"127.0.0.1:{dev.port}".encode()
    assert raw_request(dev.port, b"/css/site.css", host)[0] == 200
    targets = [t.encode("utf-8") for t in TRAVERSALS if t and "\x00" not in t and " " not in t]
    targets += [b"/leak.txt", b"/outdir/secret.txt", b"/site/../secret.txt", secret.as_posix().encode(),
                b"/index.html\x00", b"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", b"/../../../../etc/passwd"]
    for target in targets:
        status, body = raw_request(dev.port, target, host)
        assert status in (400, 404), target
        assert b"TOP-SECRET" not in body and b"root:" not in body, target


def test_host_header_check(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    port = dev.port
    for good in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert dev.get("/", host=good)[0] == 200, good
    for bad in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}"):
        assert dev.get("/", host=bad)[0] == 400, bad
    assert raw_request(port, b"/", host=None)[0] == 400
    assert dev.get("/__bos/events", host="evil.example")[0] == 400


def test_widened_host_warns_and_skips_the_host_check(tmp_path: Path) -> None:
    err = io.StringIO()
    with DevServer(make_site(tmp_path / "site"), "0.0.0.0", 0, out=io.StringIO(), err=err) as server:
        server.serve_in_background()
        assert "warning: --host 0.0.0.0" in err.getvalue()
        assert raw_request(server.port, b"/", b"evil.example")[0] == 200


def test_methods_head_and_content_types(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    status, headers, body = dev.get("/articles/first/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert dev.get("/", method="POST")[0] == 405
    assert dev.get("/", method="DELETE")[0] == 405
    for path, ctype in [("/css/site.css", "text/css; charset=utf-8"), ("/js/site.js", "text/javascript; charset=utf-8"),
                        ("/favicon.svg", "image/svg+xml"), ("/glossary.json", "application/json; charset=utf-8"),
                        ("/__bos/livereload.js", "text/javascript; charset=utf-8")]:
        status, headers, _ = dev.get(path)
        assert (status, headers["content-type"]) == (200, ctype), path
    status, headers, _ = dev.get("/glossary")
    assert (status, headers["location"]) == (301, "/glossary/")


def test_base_path_is_stripped(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site(files={"content/site.yaml": (FIXTURES / "basic/content/site.yaml")
                            .read_text(encoding="utf-8").replace("https://example.org/", "https://example.org/proj/")})
    assert dev.server.url.endswith("/proj/")
    assert dev.get("/proj/")[0] == 200 and dev.get("/proj/articles/first/")[0] == 200
    assert dev.get("/articles/first/")[0] == 404
    status, headers, _ = dev.get("/proj")
    assert (status, headers["location"]) == (301, "/proj/")


def test_build_output_has_no_reload_script_and_equals_served_pages(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site()
    run = run_cli("build", "--root", dev.root)
    assert run.code == 0, run.err
    public = dev.root / "public"
    pages = sorted(public.rglob("*.html"))
    assert pages
    for page in pages:
        built = page.read_bytes()
        assert b"__bos" not in built
        name = page.relative_to(public).as_posix()
        url = "/" + (name.removesuffix("index.html") if name.endswith("index.html") else name)
        status, _, served = dev.get(url)
        assert status == 200
        assert len(SCRIPT_RE.findall(served)) == 1
        assert SCRIPT_RE.sub(b"", served) == built, name


def test_slow_clients_do_not_block_others_and_keepalives_flow(serve_site: Callable[..., Dev]) -> None:
    dev = serve_site(keepalive=0.2)
    stream = dev.events()
    with socket.create_connection(("127.0.0.1", dev.port), timeout=WAIT) as idle:
        idle.sendall(b"GET / HTTP/1.1\r\n")  # half a request, never finished
        assert dev.get("/articles/first/")[0] == 200
    deadline = time.monotonic() + WAIT
    while stream.comments == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stream.comments > 0


def test_cli_serve_prints_port_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    proc = subprocess.Popen([sys.executable, "-m", "backoffice_site", "serve", "--root", str(root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "error"})
    assert proc.stdout is not None and proc.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    stdout, stderr = proc.stdout, proc.stderr

    def read_lines() -> None:  # the only reader of stdout, so a hung server fails the test instead of hanging it
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    try:
        port = 0
        while not port:
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)/", lines.get(timeout=WAIT * 2))
            port = int(m.group(1)) if m else 0
        assert raw_request(port, b"/", f"127.0.0.1:{port}".encode())[0] == 200
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=WAIT)
        err = stderr.read()
        stdout.close()
        stderr.close()
    assert code == 0, err
    assert "Traceback" not in err and "stopped" in err
    with socket.socket() as s:  # the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.mark.browser
def test_live_reload_in_a_real_browser(serve_site: Callable[..., Dev]) -> None:
    """The client script in Chromium: CSS swapped in place, reload on edit, overlay, reconnect after restart."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    dev = serve_site()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT * 1000)
            page.goto(f"http://127.0.0.1:{dev.port}/articles/first/")
            dev.wait_until(lambda: dev.status()["clients"] >= 1, "the tab's event stream")
            page.evaluate("window.bosSameDocument = true")

            _edit(dev.root, "static/css/site.css", lambda t: t + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n")
            page.wait_for_function("getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'")
            assert page.evaluate("window.bosSameDocument === true")  # swapped in place, not reloaded

            _edit(dev.root, FIRST, lambda t: t + "\nブラウザで見るマーカー。\n")
            page.wait_for_function("document.body.textContent.includes('ブラウザで見るマーカー')")
            assert page.evaluate("window.bosSameDocument === undefined")  # a fresh document

            original = (dev.root / FIRST).read_text(encoding="utf-8")
            (dev.root / FIRST).write_text(original.replace("tags: [基本]", "tags: 3"), encoding="utf-8")
            page.wait_for_function("(document.getElementById('bos-build-error') || {}).textContent"
                                   "?.includes(\"'tags' must be a list\")")
            (dev.root / FIRST).write_text(original, encoding="utf-8")
            page.wait_for_selector("#bos-build-error", state="detached")

            # Restart the server on the same port: the tab reconnects, sees a new server and reloads.
            page.evaluate("window.bosSameDocument = true")
            port = dev.port
            dev.close()
            again = DevServer(dev.root, "127.0.0.1", port, out=io.StringIO(), err=io.StringIO())
            again.start()
            again.serve_in_background()
            try:
                page.wait_for_function("window.bosSameDocument === undefined")
                assert "ブラウザで見るマーカー" in page.inner_text("body")
            finally:
                again.close()
        finally:
            browser.close()
