"""Live-reload events: Server-Sent Events fanned out to every open tab without ever blocking on one."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

# ---------------------------------------------------------------------------------------------------------
# Live reload: Server-Sent Events


def sse_message(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, sort_keys=True)}\n\n".encode()


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
