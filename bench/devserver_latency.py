"""Dev-server latency, measured the way an editor feels it.

    .venv/bin/python bench/devserver_latency.py [--root DIR] [--runs N] [--article content/articles/x.md]
    .venv/bin/python bench/devserver_latency.py --root DIR --term [--runs N]

Starts ``backoffice-site serve --port 0`` on the site (default: this repository) as a subprocess and reports:

a. start: from launching the command to the first page served over HTTP;
b. page: for N edits of one article (a unique marker appended in one write), from the write until the page
   served over HTTP contains the marker, fetched as a tab does: once the reload event has arrived;
c. reload: from the same write until the Server-Sent Events ``reload`` event arrives;
d. build: the server's own "rebuilt in X ms" figure (the build alone, without waiting for the quiet window);
e. found (with ``--search``): from the same write until the word is in the search index the server serves
   (every index chunk of every bundle the served search page loads, read over HTTP; chunks are fetched once
   per name, as their names are content hashes). The server indexes in the background (issue 12).

With ``--term``, the edit is to the summary of the first term of the first glossary file instead, and b.
(page) is the time until *every* page that shows that summary serves the new text: the term page, the
glossary page that lists it, and each article whose term card shows it (the pages are found first by a
build of the site into a scratch folder, by the summary's text).

Prints median, min and max of each in milliseconds, and puts the edited file back as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import html
import http.client
import json
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WAIT = 15.0


class Server:
    def __init__(self, root: Path, search: bool = False) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backoffice_site", "serve", "--root", str(root), "--port", "0",
             *(() if search else ("--no-search",))],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.chunks: dict[str, bytes] = {}  # served index chunk URL → its words (decompressed)
        self.lines: queue.Queue[str] = queue.Queue()
        self.build_ms: list[float] = []
        threading.Thread(target=self._read, daemon=True).start()
        m = None
        while m is None:
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)(/\S*)", self.lines.get(timeout=WAIT * 2))
        self.port, self.base = int(m.group(1)), m.group(2)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            m = re.match(r"rebuilt in (\d+) ms", line)
            if m:
                self.build_ms.append(float(m.group(1)))
            self.lines.put(line)

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def wait_idle(self) -> None:
        deadline = time.monotonic() + WAIT
        while not json.loads(self.get("/__bos/status")[1])["idle"]:
            if time.monotonic() > deadline:
                raise SystemExit("the server never went idle")
            time.sleep(0.01)

    def search_idle(self, deadline: float = 600) -> bool:
        """Waits until the search index is made and no refresh is running; False without search."""
        end = time.monotonic() + deadline
        while True:
            info = json.loads(self.get("/__bos/status")[1]).get("search")
            if info is None:
                return False
            if info["refreshes"] and not info["indexing"]:
                return True
            if time.monotonic() > end:
                raise SystemExit("the search index was never made")
            time.sleep(0.05)

    def index_has(self, word: bytes) -> bool:
        """Whether ``word`` is in an index chunk of the bundles the served search page loads."""
        page = self.get(self.base + "search/")[1].decode()
        m = re.search(r'data-bundles="([^"]*)"', page)
        for bundle in html.unescape(m.group(1)).split() if m else ():
            entry = json.loads(self.get(bundle + "pagefind-entry.json")[1])
            meta = gzip.decompress(self.get(f"{bundle}pagefind.{entry['languages']['ja']['hash']}.pf_meta")[1])
            for name in re.finditer(rb"ja_[0-9a-f]", meta):  # CBOR text: the byte before is 0x60 + length
                start = name.start()
                url = f"{bundle}index/{meta[start:start + meta[start - 1] - 0x60].decode()}.pf_index"
                if url not in self.chunks:
                    status, data = self.get(url)
                    self.chunks[url] = gzip.decompress(data) if status == 200 else b""  # 404: a page fragment
                if word in self.chunks[url]:
                    return True
        return False

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Events:
    """The reload stream, read in a thread; records when each event arrived."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT * 10)
        self.conn.request("GET", "/__bos/events")
        assert self.conn.sock is not None
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.arrived: list[tuple[str, float]] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name = ""
        try:
            while line := self.resp.readline():
                text = line.decode().rstrip("\n")
                if text.startswith("event: "):
                    name = text[7:]
                elif text.startswith("data: "):
                    with self.cond:
                        self.arrived.append((name, time.perf_counter()))
                        self.cond.notify_all()
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def wait(self, name: str, after: int) -> float:
        deadline = time.monotonic() + WAIT
        with self.cond:
            while True:
                for ev, at in self.arrived[after:]:
                    if ev == name:
                        return at
                if time.monotonic() > deadline:
                    raise SystemExit(f"no '{name}' event within {WAIT} s")
                self.cond.wait(0.1)

    def mark(self) -> int:
        with self.cond:
            return len(self.arrived)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # already gone
            self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=WAIT)  # the reader sees end-of-stream and stops before its response closes
        self.resp.close()
        self.sock.close()


def article_url(path: Path, base: str) -> str:
    m = re.search(r"^slug:\s*(\S+)\s*$", path.read_text(encoding="utf-8").split("\n---", 1)[0], re.M)
    return f"{base}articles/{m.group(1) if m else path.stem}/"


class TermEdit:
    """The first term of the first glossary file: its summary line, and the pages that show it."""

    def __init__(self, root: Path, base: str) -> None:
        self.path = sorted((root / "content" / "glossary").glob("*.yaml"))[0]
        text = self.path.read_text(encoding="utf-8")
        m = re.search(r"^(\s+summary: )(.+)$", text, re.M)
        if m is None:
            raise SystemExit(f"{self.path}: no summary line")
        self.line, self.summary = m.group(0), m.group(2).strip()
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "backoffice_site", "build", "--root", str(root), "--no-search",
                            "--out", tmp], check=True, capture_output=True)
            out = Path(tmp)
            wanted = html.escape(self.summary, quote=False).encode()
            self.urls = sorted(base + p.relative_to(out).as_posix().removesuffix("index.html")
                               for p in out.rglob("*.html") if wanted in p.read_bytes())
        if not self.urls:
            raise SystemExit(f"no page shows {self.summary!r}")

    def edited(self, original: bytes, marker: str) -> bytes:
        text = original.decode()
        return text.replace(self.line, self.line.rstrip() + marker, 1).encode()


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<8} (no data)"
    return (f"{name:<8} median {statistics.median(values):7.1f} ms   min {min(values):7.1f}   "
            f"max {max(values):7.1f}   (n={len(values)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=REPO, help="site folder (default: this repository)")
    ap.add_argument("--runs", type=int, default=20, help="edits to time (default: 20)")
    ap.add_argument("--article", help="article to edit, relative to the root (default: the first one)")
    ap.add_argument("--search", action="store_true", help="serve with the search index and time e. (found)")
    ap.add_argument("--term", action="store_true",
                    help="edit a term's summary instead, and wait for every page that shows it")
    args = ap.parse_args()
    root = args.root.resolve()
    article = root / args.article if args.article else sorted((root / "content" / "articles").glob("*.md"))[0]
    term = TermEdit(root, "/") if args.term else None
    edited = term.path if term else article
    original = edited.read_bytes()

    server = Server(root, args.search)
    try:  # a server left running (a failed start) would rebuild on every later edit of this folder
        urls = [server.base + u.removeprefix("/") for u in term.urls] if term else [article_url(article, server.base)]
        status, _ = server.get(server.base)
        start_ms = (time.perf_counter() - server.started) * 1000
        if status != 200:
            raise SystemExit(f"the first page answered {status}")
        events = Events(server.port)
        events.wait("hello", 0)
    except BaseException:
        server.stop()
        raise
    page_ms: list[float] = []
    reload_ms: list[float] = []
    found_ms: list[float] = []
    try:
        if args.search:
            server.search_idle()
            print(f"first index made {time.perf_counter() - server.started:.1f} s after the start", flush=True)
        for i in range(args.runs):
            server.wait_idle()
            if args.search:
                server.search_idle()
            time.sleep(0.1)  # let the previous edit's stray events settle, so each run starts cold
            # one word for Pagefind (letters and digits), unique to this run
            tag = uuid.uuid4().hex[:8]
            marker = f"benchmarker{i}x{tag}" if args.search else f"bench-marker-{i}-{tag}"
            mark = events.mark()
            written = time.perf_counter()
            edited.write_bytes(term.edited(original, marker) if term else original + f"\n\n{marker}\n".encode())
            # As a tab does: wait for the reload event, then fetch the page (polling the page meanwhile
            # would compete with the build for the server's interpreter and slow what it measures).
            reload_ms.append((events.wait("reload", mark) - written) * 1000)
            for url in urls:
                while marker.encode() not in server.get(url)[1]:
                    if time.perf_counter() - written > WAIT:
                        raise SystemExit(f"{url} never showed the marker of run {i}")
                    time.sleep(0.005)
            page_ms.append((time.perf_counter() - written) * 1000)
            while args.search and not server.index_has(marker.encode()):
                if time.perf_counter() - written > WAIT * 4:
                    raise SystemExit(f"the search index never had the marker of run {i}")
                time.sleep(0.02)
            if args.search:
                found_ms.append((time.perf_counter() - written) * 1000)
    finally:
        edited.write_bytes(original)
        server.wait_idle()
        events.close()
        server.stop()

    what = f"term summary in {edited.relative_to(root)} ({len(urls)} pages show it)" if term \
        else f"article {article.relative_to(root)}"
    print(f"site {root} · {what} · {args.runs} edits")
    print(summary("start", [start_ms]))
    print(summary("page", page_ms))
    print(summary("reload", reload_ms))
    print(summary("build", server.build_ms[: args.runs]))
    if args.search:
        print(summary("found", found_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
