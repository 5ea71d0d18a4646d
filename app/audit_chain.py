"""The keyed hash chain: HMAC keys with ids, a row's canonical content, the checkpoint file.

Each seal is HMAC-SHA256(key, position | previous hash | canonical row), the key named by its
id in the seal, so a key can be added (it seals from then on) while the older ones still verify.
The keys live outside the database (settings), so whoever can write to the database cannot
re-seal a changed row. After each sealing run the head (position, hash) is appended to a
checkpoint file outside the database, so deleting the newest rows or re-sealing the whole chain
is found by `verify` too. DESIGN §6 (Audit; Least privilege in the database).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.files import append_line

GENESIS_HASH = "0" * 64
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_KEY_BYTES = 32


class ChainKeyError(ValueError):
    """A key setting that cannot seal or verify the chain; the message says why."""


@dataclass(frozen=True)
class ChainKeys:
    """HMAC keys by id; the first one seals, every one verifies."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, entries: list[str]) -> ChainKeys:
        """`id:secret` entries (the secret at least 32 bytes), the sealing key first."""
        keys: list[tuple[str, bytes]] = []
        for entry in entries:
            key_id, sep, secret = entry.partition(":")
            if not sep or not KEY_ID.match(key_id):
                raise ChainKeyError(
                    "each audit HMAC key is 'id:secret' with an id of letters, digits, '_.-'"
                )
            if len(secret.encode()) < MIN_KEY_BYTES:
                raise ChainKeyError(f"audit HMAC key {key_id!r} is shorter than 32 bytes")
            if any(key_id == known for known, _ in keys):
                raise ChainKeyError(f"audit HMAC key id {key_id!r} is given twice")
            keys.append((key_id, secret.encode()))
        return cls(tuple(keys))

    @property
    def sealing_key_id(self) -> str:
        if not self.keys:
            raise ChainKeyError("no audit HMAC key is configured (CCR_AUDIT_HMAC_KEYS)")
        return self.keys[0][0]

    def get(self, key_id: str) -> bytes | None:
        return next((secret for known, secret in self.keys if known == key_id), None)


def canonical(event: Any) -> str:
    """The row's content as it is sealed: every column the request wrote, in a fixed form."""
    content = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "request_id": event.request_id,
        "actor_type": event.actor_type,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "role": event.role,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "centre_id": str(event.centre_id) if event.centre_id else None,
        "status_code": event.status_code,
        "details": event.details,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def seal_hash(key: bytes, position: int, prev_hash: str, event: Any) -> str:
    message = f"{position}|{prev_hash}|{canonical(event)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- the checkpoint file -------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    position: int
    event_seq: int
    hash: str
    at: str

    def line(self) -> bytes:
        data = {"position": self.position, "seq": self.event_seq, "hash": self.hash, "at": self.at}
        return (json.dumps(data, sort_keys=True) + "\n").encode()


class CheckpointFile:
    """An append-only file of chain heads, one JSON line per sealing run, newest last."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def append(self, position: int, event_seq: int, hash_: str, at: datetime) -> None:
        append_line(self.path, Checkpoint(position, event_seq, hash_, at.isoformat()).line())

    def newest_first(self) -> Iterator[Checkpoint]:
        """The checkpoints from the newest back; a torn last line (a crash mid-write) is skipped."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            end = handle.tell()
            pending = b""
            while end > 0:
                start = max(0, end - 65536)
                handle.seek(start)
                pending = handle.read(end - start) + pending
                end = start
                lines = pending.split(b"\n")
                pending = lines[0]
                for raw in reversed(lines[1:]):
                    checkpoint = _parse(raw)
                    if checkpoint is not None:
                        yield checkpoint
            checkpoint = _parse(pending)
            if checkpoint is not None:
                yield checkpoint

    def newest(self) -> Checkpoint | None:
        return next(self.newest_first(), None)


def _parse(raw: bytes) -> Checkpoint | None:
    try:
        data = json.loads(raw)
        return Checkpoint(int(data["position"]), int(data["seq"]), str(data["hash"]), data["at"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class AuditChain:
    """What sealing and verifying need from outside the database."""

    keys: ChainKeys
    checkpoints: CheckpointFile
