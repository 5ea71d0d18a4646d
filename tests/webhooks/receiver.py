"""A real HTTP receiver on a loopback port, for the webhook tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Answer the next `fail_next` requests with `fail_status`, then 200.
    fail_next: int = 0
    fail_status: int = 500
    always_fail: bool = False

    def delivery_ids(self) -> list[str]:
        return [r.headers["x-ccr-delivery"] for r in self.received]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                failing = state.always_fail or state.fail_next > 0
                if state.fail_next > 0:
                    state.fail_next -= 1
                status = state.fail_status if failing else 200
                state.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body, status)
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ccr"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
