"""A client for Pagefind's service mode (``pagefind_extended --service``): pages in, bundle files out, in
memory, with no staging folder and no bundle read back from disk.

Pagefind's own Python wrapper (``pagefind.index.PagefindIndex``) speaks the same protocol but waits 0.1 s
before reading each response, so 1,000 pages would take 100 s; this client pipelines instead: a writer
thread sends requests from a queue, a reader thread collects the answers, and the caller waits only for the
answers it needs (the new index's id, the bundle's files).

The protocol: each message is base64 of a JSON object followed by a comma, on stdin (requests) and stdout
(responses): ``{"message_id": n, "payload": {"type": "NewIndex" | "AddFile" | "GetFiles" | "DeleteIndex",
…}}``; a response carries the request's ``message_id`` and a payload of the same type, or
``{"type": "Error", "message": …}``. One process holds several indexes and loads the Japanese dictionary
once (about 1 CPU-second and 300 MB), so a build uses one process for all its index parts.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any


class ServiceError(Exception):
    """Pagefind refused a request or stopped; the message says why."""


class Cancelled(Exception):
    """The caller's ``cancelled`` check said stop while waiting (a newer request supersedes this one)."""


_POLL = 0.05  # seconds between checks of ``cancelled`` while waiting for an answer


def _encode(message_id: int, payload: dict[str, Any]) -> bytes:
    # UTF-8, not \u escapes: Japanese text stays 3 bytes a character instead of 6 before base64
    text = json.dumps({"message_id": message_id, "payload": payload}, ensure_ascii=False)
    return base64.b64encode(text.encode()) + b","


def _messages(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Responses from the service's stdout: base64 JSON objects, each followed by a comma."""
    pending = b""
    while True:
        chunk = stream.read1(1 << 20)  # type: ignore[attr-defined]
        if not chunk:
            return
        pending += chunk
        *done, pending = pending.split(b",")
        for raw in done:
            if raw.strip():
                yield json.loads(base64.b64decode(raw))


class Service:
    """One running Pagefind service; requests are queued and never block the caller, answers are kept."""

    def __init__(self, binary: Path, timeout: float = 600, env: Mapping[str, str] | None = None):
        """``env``: variables to set for the service on top of ours (Pagefind's tuning knobs)."""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the service's lifetime
        try:
            self._proc = subprocess.Popen([str(binary), "--service"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._log,
                                          env={**os.environ, **env} if env else None)
        except OSError as exc:
            self._log.close()
            raise ServiceError(f"Pagefind could not run ({exc})") from exc
        self._next = 0
        # Requests wait here unencoded (a page's HTML is the build's own bytes object, not a copy) and are
        # encoded one at a time by the writer, so a queue of pages Pagefind has not reached costs no memory.
        self._outbox: queue.Queue[tuple[int, dict[str, Any]] | None] = queue.Queue()
        self._answers: dict[int, dict[str, Any]] = {}
        self._done = threading.Condition()
        self._stopped = False
        self._dropped: set[int] = set()  # abandoned indexes: their queued pages are never sent
        self._ignored: set[int] = set()  # requests whose answers nobody waits for: dropped on arrival
        self._timer = threading.Timer(timeout, self._proc.kill)
        self._timer.daemon = True
        self._timer.start()
        threading.Thread(target=self._write, daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()

    def _write(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while (item := self._outbox.get()) is not None:
                message_id, payload = item
                if payload.get("type") == "AddFile" and payload.get("index_id") in self._dropped:
                    continue
                if isinstance(payload.get("file_contents"), bytes):
                    payload = {**payload, "file_contents": payload["file_contents"].decode()}
                stdin.write(_encode(message_id, payload))
                if self._outbox.empty():
                    stdin.flush()
        except (OSError, ValueError):
            pass  # the service stopped; waiters are told by the reader
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        try:
            for msg in _messages(self._proc.stdout):
                mid = int(msg.get("message_id") or 0)
                with self._done:
                    if mid in self._ignored:
                        self._ignored.discard(mid)
                        continue
                    self._answers[mid] = msg.get("payload") or {}
                    self._done.notify_all()
        except (OSError, ValueError):
            pass
        with self._done:
            self._stopped = True
            self._done.notify_all()

    def send(self, payload: dict[str, Any]) -> int:
        """Queue a request; returns its message id (``wait`` for the answer when it matters)."""
        self._next += 1
        self._outbox.put((self._next, payload))
        return self._next

    def wait(self, message_id: int, expected: str, cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """The answer to ``message_id``; raises ``Cancelled`` as soon as ``cancelled()`` turns true."""
        with self._done:
            while not self._done.wait_for(lambda: message_id in self._answers or self._stopped,
                                          None if cancelled is None else _POLL):
                if cancelled is not None and cancelled():
                    raise Cancelled
            payload = self._answers.pop(message_id, None)
        if payload is None:
            raise ServiceError(f"Pagefind stopped before it answered{self._last_log_line()}")
        if payload.get("type") != expected:
            raise ServiceError(f"Pagefind answered {payload.get('type')}: {payload.get('message', '')}")
        return payload

    def _last_log_line(self) -> str:
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""

    def new_index(self, config: dict[str, Any] | None = None) -> int:
        return int(self.wait(self.send({"type": "NewIndex", "config": config or {}}), "NewIndex")["index_id"])

    def add_html(self, index_id: int, url: str, html: bytes) -> int:
        """Queue a page (UTF-8 HTML) for the index; returns the request's id."""
        return self.send({"type": "AddFile", "index_id": index_id, "url": url, "file_path": None,
                          "file_contents": html})

    def files(self, index_id: int, added: list[int], cancelled: Callable[[], bool] | None = None) -> dict[str, bytes]:
        """The bundle of ``index_id`` once every page in ``added`` is indexed; the index is then dropped so
        the service's memory holds one part at a time. When ``cancelled()`` turns true first, the pages not
        yet sent are skipped, the index is dropped and ``Cancelled`` is raised: the service stays usable."""
        done = 0
        try:
            for mid in added:
                self.wait(mid, "IndexedFile", cancelled)
                done += 1
            added = [*added, self.send({"type": "GetFiles", "index_id": index_id})]
            got = self.wait(added[-1], "GetFiles", cancelled)["files"]
        except Cancelled:
            self.abandon(index_id, added[done:])
            raise
        self._forget([self.send({"type": "DeleteIndex", "index_id": index_id})])
        return {f["path"]: base64.b64decode(f["content"]) for f in got}

    def abandon(self, index_id: int, waiting: list[int]) -> None:
        """Drop an index half-way: its queued pages are not sent, and the answers to ``waiting`` are dropped."""
        self._dropped.add(index_id)
        self._forget([*waiting, self.send({"type": "DeleteIndex", "index_id": index_id})])

    def _forget(self, message_ids: list[int]) -> None:
        with self._done:
            for mid in message_ids:
                if self._answers.pop(mid, None) is None:
                    self._ignored.add(mid)

    @property
    def alive(self) -> bool:
        return not self._stopped and self._proc.poll() is None

    def close(self) -> None:
        self._outbox.put(None)
        self._timer.cancel()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._log.close()
