"""The HTTP layer: a thin handler over ``App.respond`` and the event stream, and the threading server."""

from __future__ import annotations

import http.server
import socket
import socketserver
import sys
import time
from typing import Any, cast

from backoffice_site.devserver.app import App, Response
from backoffice_site.devserver.events import EventHub, sse_message
from backoffice_site.devserver.requests import EVENTS_PATH, PEER_CHECK, split_path

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
