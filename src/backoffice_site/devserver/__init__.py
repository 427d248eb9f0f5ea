"""Development server (a package): build in memory, serve, watch, rebuild what changed, reload open tabs.

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

import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

from backoffice_site import search as search_module
from backoffice_site.build import Builder, BuildOptions, BuildResult
from backoffice_site.devserver.app import App, Response, Snapshot, change_event, snapshot_after
from backoffice_site.devserver.events import EventHub, SseClient, sse_message
from backoffice_site.devserver.http import _Handler, _HTTPServer
from backoffice_site.devserver.inject import error_overlay, error_page, inject_before_body_end, script_tag
from backoffice_site.devserver.rebuild import Rebuilder
from backoffice_site.devserver.requests import (
    EVENTS_PATH,
    PREFIX,
    SCRIPT_PATH,
    STATUS_PATH,
    allowed_hosts,
    content_type,
    host_allowed,
    is_local_host,
    looks_like_html,
    output_name,
    resolve_request_path,
)
from backoffice_site.devserver.search_refresh import Bundle, SearchRefresher
from backoffice_site.watcher import ChangeBatcher, Watcher

__all__ = [
    "EVENTS_PATH", "PREFIX", "SCRIPT_PATH", "STATUS_PATH", "App", "DevServer", "EventHub", "Rebuilder", "Response",
    "Snapshot", "SseClient", "_HTTPServer", "_Handler", "allowed_hosts", "change_event", "content_type",
    "error_overlay", "error_page", "host_allowed", "inject_before_body_end", "is_local_host", "looks_like_html",
    "output_name", "resolve_request_path", "script_tag", "serve", "snapshot_after", "sse_message",
]


# ---------------------------------------------------------------------------------------------------------
# Wiring


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class DevServer:
    """Binds, builds, watches and serves; ``close`` undoes all of it (port freed, watcher stopped)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, *, drafts: bool = False,
                 debounce: float = 0.05, settle: float = 0.005, keepalive: float = 15.0, out: TextIO | None = None,
                 err: TextIO | None = None,
                 build: Callable[[frozenset[str] | None], BuildResult] | None = None, search: bool = True) -> None:
        """``build``: the build to run, told the changed paths (default: a Builder over ``root``).
        ``search``: keep a search index, refreshed in the background after each build (only with the
        default build, and unless switched off in the environment like the CLI's)."""
        self.root = root.resolve()
        self.host = host
        self.port = port
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.keepalive = keepalive
        builder = Builder(BuildOptions(root=self.root, out=None, drafts=drafts)) if build is None else None
        self.build = build or builder.build  # type: ignore[union-attr]
        self._builder = builder if search and not search_module.disabled() else None
        self.refresher: SearchRefresher | None = None
        self._bundle: Mapping[str, bytes] = {}  # the index served now (kept one refresh longer, see _apply_search)
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
        if self._builder is not None:
            self.refresher = SearchRefresher(self._apply_search, err=self.err)
        self.rebuilder = Rebuilder(self.build, app, self.hub, self.batcher, static_root,
                                   out=self.out, err=self.err,
                                   on_built=self._refresh_search if self.refresher is not None else None)
        app.status = self._status
        app.snapshot = self.rebuilder.first_build()
        self.rebuilder.start()
        print(f"serving {self.url} (Ctrl-C to stop)", file=self.out, flush=True)

    def _status(self) -> dict[str, Any]:
        assert self.rebuilder is not None
        info = self.rebuilder.status()
        if self.refresher is not None:
            info["search"] = {"refreshes": self.refresher.refreshes, "indexing": self.refresher.busy}
        return info

    def _refresh_search(self, result: BuildResult) -> None:
        """Runs on the rebuild thread right after a good build: the builder's page records are that build's."""
        assert self.refresher is not None and self._builder is not None
        self.refresher.submit(result.files, {p: rec[0] for p, rec in self._builder.cache.pages.items()})

    def _apply_search(self, bundle: Bundle) -> None:
        """Swap a finished index into the served snapshot, in one step. The previous index's files stay
        served one refresh longer: its file names carry content hashes, so a search that began before the
        swap can still fetch the chunks it was told about."""
        assert self.rebuilder is not None and self.app is not None
        with self.rebuilder.lock:
            files = MappingProxyType({**self._bundle, **bundle.files})
            self.app.snapshot = replace(self.app.snapshot, search=files, search_dirs=bundle.dirs)
        self._bundle = bundle.files

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
        if self.refresher is not None:
            self.refresher.close()
            self.refresher = None
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


def serve(root: Path, host: str, port: int, *, open_browser: bool = False, drafts: bool = False,
          search: bool = True) -> int:
    """``backoffice-site serve``: runs until Ctrl-C, then stops cleanly."""
    server = DevServer(root, host, port, drafts=drafts, search=search)
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
