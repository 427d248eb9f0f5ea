"""What a reader pays per search query: requests and bytes the search page fetches from the Pagefind
bundle(s), measured in Chromium (issue 12).

    .venv/bin/python bench/search_cost.py SITE_DIR [QUERY ...]     # default queries: 有給 ゆうきゅう 扶養

Serves SITE_DIR on 127.0.0.1, opens /search/?q=QUERY in a fresh browser context (empty cache) for each
query, waits until the results are shown, and counts every request under /pagefind/ (the page's own
HTML, CSS and scripts are the same before and after, and are left out). Prints one line per query.
"""

from __future__ import annotations

import functools
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

CHROMIUM = "/usr/bin/chromium"


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",  # noqa: RUF012
                      ".wasm": "application/wasm", ".pagefind": "application/octet-stream"}

    def log_message(self, format: str, *args: Any) -> None:
        pass


def measure(site: Path, queries: list[str]) -> list[tuple[str, int, int, int]]:
    from playwright.sync_api import sync_playwright

    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}/"
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            for q in queries:
                ctx = browser.new_context()
                got: list[int] = []
                ctx.on("requestfinished", lambda r, got=got: got.append(r.sizes()["responseBodySize"])
                       if "/pagefind/" in r.url else None)
                page = ctx.new_page()
                page.goto(f"{base}search/?q={quote(q)}")
                page.wait_for_function("""() => { const s = document.getElementById('search-status').textContent;
                                                      return s && !s.endsWith('…'); }""", timeout=60_000)
                page.wait_for_load_state("networkidle")
                results = page.locator(".search-result").count()
                out.append((q, len(got), sum(got), results))
                ctx.close()
            browser.close()
    finally:
        srv.shutdown()
    return out


if __name__ == "__main__":
    site = Path(sys.argv[1])
    for q, n, size, results in measure(site, sys.argv[2:] or ["有給", "ゆうきゅう", "扶養"]):
        print(f"{q}\t{n} requests\t{size / 1024:.0f} KiB\t{results} results")
