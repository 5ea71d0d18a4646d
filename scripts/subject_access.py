"""File a subject access request, wait for staff to release and complete it, and download the
released package.

    .venv/bin/python scripts/subject_access.py --base-url http://127.0.0.1:8000 \\
        --subject-id 6f1c... --received-on 2026-11-28 --format zip --out package.zip

The package downloaded is the snapshot staff released (`POST .../release`): JSON, CSV, the
printable HTML document, or the zip bundle with copies of the documents. Its sha256 is checked
against the digests the release recorded (`GET .../release`) before the file is written.

Credentials come from the environment: CCR_CLIENT_ID and CCR_CLIENT_SECRET (a service client
with requests:write, requests:read and requests:export), or CCR_USERNAME and CCR_PASSWORD.

Running it again is safe: the request is filed with an Idempotency-Key made from the subject and
the receipt date, so a rerun (after a timeout, a crash, a lost response) finds the same request
instead of filing a second one. Exit codes: 0 package written, 2 the request was refused or
withdrawn, 3 still open when --wait-minutes ran out (run it again later), 1 any other error.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

API = "/api/v1"
RETRIED_STATUSES = {502, 503, 504}


def login(client: httpx.Client, env: dict[str, str]) -> str:
    if env.get("CCR_CLIENT_ID"):
        form = {
            "grant_type": "client_credentials",
            "client_id": env["CCR_CLIENT_ID"],
            "client_secret": env.get("CCR_CLIENT_SECRET", ""),
        }
    else:
        form = {
            "grant_type": "password",
            "username": env.get("CCR_USERNAME", ""),
            "password": env.get("CCR_PASSWORD", ""),
        }
    response = client.post(f"{API}/auth/token", data=form)
    response.raise_for_status()
    return str(response.json()["access_token"])


def send(client: httpx.Client, method: str, url: str, attempts: int = 4, **kwargs: object):
    """A request retried on network errors and gateway statuses (safe: every call here is a
    read, or a create carrying an Idempotency-Key)."""
    for attempt in range(attempts):
        try:
            response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
        else:
            if response.status_code not in RETRIED_STATUSES or attempt == attempts - 1:
                return response
        time.sleep(2**attempt)
    raise AssertionError("unreachable")


def file_request(client: httpx.Client, args: argparse.Namespace) -> dict:
    body = {
        "subject_id": args.subject_id,
        "kind": "access",
        "channel": args.channel,
        "received_on": args.received_on,
    }
    if args.requester != "subject":
        body |= {"requester": args.requester, "requester_basis": args.requester_basis}
    key = args.idempotency_key or f"access-{args.subject_id}-{args.received_on}"
    response = send(
        client, "POST", f"{API}/subject-requests", json=body, headers={"Idempotency-Key": key}
    )
    response.raise_for_status()
    return dict(response.json())


def wait_until_closed(
    client: httpx.Client,
    request: dict,
    minutes: float,
    poll_seconds: float,
) -> dict:
    """The request's current state (a replayed create answers with the state it had when first
    filed), polled until it is closed or the time is up."""
    deadline = time.monotonic() + minutes * 60
    while True:
        response = send(client, "GET", f"{API}/subject-requests/{request['id']}")
        response.raise_for_status()
        request = response.json()
        closed = request["status"] in ("completed", "refused", "withdrawn")
        if closed or time.monotonic() >= deadline:
            return request
        time.sleep(poll_seconds)


def download_released(client: httpx.Client, request_id: str, fmt: str) -> bytes:
    """The released package in one format, checked against the digest recorded at release."""
    release = send(client, "GET", f"{API}/subject-requests/{request_id}/release")
    release.raise_for_status()
    digests = release.json()
    expected = digests["sha256"] if fmt == "zip" else digests["files"][f"package.{fmt}"]
    response = send(
        client, "GET", f"{API}/subject-requests/{request_id}/package", params={"format": fmt}
    )
    response.raise_for_status()
    if hashlib.sha256(response.content).hexdigest() != expected:
        raise RuntimeError("the download does not match the digest of the released package")
    return response.content


def main(argv: Sequence[str] | None = None, client: httpx.Client | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--subject-id", required=True)
    parser.add_argument("--received-on", required=True, help="YYYY-MM-DD")
    parser.add_argument("--channel", default="online")
    parser.add_argument("--requester", choices=("subject", "parent", "representative"))
    parser.add_argument("--requester-basis", help="for a parent or representative")
    parser.add_argument("--idempotency-key", help="default: made from subject and receipt date")
    parser.add_argument("--wait-minutes", type=float, default=60.0)
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    parser.add_argument("--format", choices=("json", "csv", "html", "zip"), default="json")
    parser.add_argument("--out", type=Path, default=Path("package.json"))
    args = parser.parse_args(argv)
    args.requester = args.requester or "subject"

    own_client = client is None
    client = client or httpx.Client(base_url=args.base_url, timeout=30.0)
    try:
        client.headers["Authorization"] = f"Bearer {login(client, dict(os.environ))}"
        request = file_request(client, args)
        print(f"request {request['id']}: {request['status']}, due {request['due_on']}")
        request = wait_until_closed(client, request, args.wait_minutes, args.poll_seconds)
        if request["status"] in ("refused", "withdrawn"):
            print(f"request {request['id']} was {request['status']}", file=sys.stderr)
            return 2
        if request["status"] != "completed":
            print(f"request {request['id']} is still {request['status']}; run again later")
            return 3
        content = download_released(client, request["id"], args.format)
        args.out.write_bytes(content)
        print(f"package written to {args.out} (sha256 {hashlib.sha256(content).hexdigest()})")
        return 0
    except httpx.HTTPStatusError as exc:
        print(f"{exc.response.status_code}: {exc.response.text}", file=sys.stderr)
        return 1
    finally:
        if own_client:
            client.close()


if __name__ == "__main__":
    sys.exit(main())
