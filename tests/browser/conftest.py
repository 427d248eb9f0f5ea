"""The repo's real site, built once per session and served on 127.0.0.1, driven by Debian's Chromium.

Tools (installed by .ci/setup-browser): /usr/bin/chromium (or $CHROMIUM_PATH), Playwright from the test
extras, npm's axe-core and vnu-jar under .ci/node_modules (or $AXE_JS / $VNU_JAR), and Java for vnu.
Outside CI a missing tool skips the tests that need it, with the reason; in CI (``CI`` set) it fails them.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NODE_MODULES = REPO / ".ci" / "node_modules"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = Path(os.environ.get("AXE_JS", NODE_MODULES / "axe-core" / "axe.min.js"))
VNU_JAR = Path(os.environ.get("VNU_JAR", NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"))
LAUNCH_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-features=Translate,MediaRouter"]
IN_CI = bool(os.environ.get("CI"))



def missing(what: str) -> NoReturn:
    """A tool the browser tests need is not installed: skip here, fail in CI."""
    msg = f"{what} (run .ci/setup-browser to install it)"
    if IN_CI:
        pytest.fail(f"CI must run the browser tests, but {msg}", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m backoffice_site build`` of the repo into a temporary folder, search index included."""
    out = tmp_path_factory.mktemp("browser") / "site"
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    p = subprocess.run([sys.executable, "-m", "backoffice_site", "build", "--root", str(REPO), "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert (out / "index.html").is_file()
    if not (out / "pagefind" / "pagefind.js").is_file():
        missing(f"the build made no search index: {p.stderr.strip()}")
    return out


@pytest.fixture(scope="session")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The basic fixture site plus a glossary large enough to be split into kana-row pages (issue 12);
    built without the search index, which these pages do not use."""
    from bigglossary import big_glossary

    from backoffice_site.glossary_index import SPLIT_ABOVE

    root = tmp_path_factory.mktemp("big") / "src"
    shutil.copytree(REPO / "tests" / "fixtures" / "basic", root)
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, root / name)
    (root / "content" / "glossary" / "big.yaml").write_text(big_glossary(SPLIT_ABOVE + 400), encoding="utf-8")
    out = root.parent / "site"
    env = {**os.environ, "PYTHONWARNINGS": "error", "BACKOFFICE_SITE_SEARCH": "0"}
    p = subprocess.run([sys.executable, "-m", "backoffice_site", "build", "--root", str(root), "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="session")
def big_site_url(big_site: Path) -> Iterator[str]:
    yield from _serve(big_site)


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
        ".wasm": "application/wasm", ".pagefind": "application/octet-stream"}

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    yield from _serve(built_site)


def _serve(folder: Path, handler: type[SimpleHTTPRequestHandler] | None = None) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 by ``handler`` (default: quiet static files) while the fixture lives."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler or _QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}/"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium for this folder's tests; closed when they are done, since sync Playwright keeps an event
    loop running in this thread and other tests (the dev server's) start their own."""
    if not Path(CHROMIUM).is_file():
        missing(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


class RequestLog:
    """Every request the pages made; the site must never ask anything of another host."""

    def __init__(self, origin: str):
        self.origin = origin
        self.urls: list[str] = []

    def __call__(self, request: Any) -> None:
        self.urls.append(request.url)

    @property
    def foreign(self) -> list[str]:
        return [u for u in self.urls if not u.startswith((self.origin, "data:", "blob:", "about:"))]


@pytest.fixture
def requests_seen(site_url: str) -> RequestLog:
    return RequestLog(site_url)


@pytest.fixture
def new_page(browser: Any, requests_seen: RequestLog) -> Iterator[Any]:
    """``new_page(width=…, color_scheme=…, has_touch=…)``: a page in a fresh context.

    Every request is logged, and a test whose pages asked anything of a host other than 127.0.0.1 fails.
    """
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 800, **kw: Any) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP", **kw)
        ctx.on("request", requests_seen)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not requests_seen.foreign, f"requests left 127.0.0.1: {requests_seen.foreign[:10]}"


@pytest.fixture(scope="session")
def axe_js() -> Path:
    if not AXE_JS.is_file():
        missing(f"axe-core is not installed at {AXE_JS}")
    return AXE_JS


@pytest.fixture(scope="session")
def vnu() -> list[str]:
    java = shutil.which("java")
    if java is None:
        missing("Java is not installed (the Nu HTML checker needs it)")
    if not VNU_JAR.is_file():
        missing(f"the Nu HTML checker is not installed at {VNU_JAR}")
    return [str(java), "-jar", str(VNU_JAR)]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
