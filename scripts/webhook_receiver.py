"""An example receiver of ccr webhooks: verifies each delivery's signature, de-duplicates on the
delivery id, and prints one JSON line per new event (standard library only: copy it freely).

    CCR_WEBHOOK_SECRET=whsec_... .venv/bin/python scripts/webhook_receiver.py --port 9000

Answers 401 to a request whose signature or timestamp does not verify, 200 to a valid one (also
to a repeat of a delivery already seen, which it does not process again). A payload holds ids
and the event type only: fetch the record with your own token (`GET /api/v1/<type>s/<id>`).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify_request(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """`X-CCR-Signature` is `v1=` + hex HMAC-SHA256(secret, "<X-CCR-Timestamp>." + body)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("x-ccr-timestamp", "")
    signature = lowered.get("x-ccr-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("v1=" + expected.hexdigest(), signature)


def serve(secret: str, host: str, port: int) -> None:
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1_000_000))
            if not verify_request(secret, dict(self.headers.items()), body):
                self.send_response(401)
                self.end_headers()
                return
            delivery = self.headers.get("X-CCR-Delivery", "")
            if delivery not in seen:
                seen.add(delivery)
                event = json.loads(body)
                print(
                    json.dumps(
                        {"delivery": delivery, "type": event["type"], "data": event["data"]}
                    ),
                    flush=True,
                )
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    print(f"listening on http://{host}:{server.server_address[1]}/", flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0: any free port")
    args = parser.parse_args(argv)
    secret = os.environ.get("CCR_WEBHOOK_SECRET")
    if not secret:
        print("set CCR_WEBHOOK_SECRET to the subscription's secret", file=sys.stderr)
        return 1
    with contextlib.suppress(KeyboardInterrupt):
        serve(secret, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
