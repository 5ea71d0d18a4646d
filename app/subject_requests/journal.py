"""The erasure journal: every completed erasure, recorded outside the database.

A backup restored after an erasure brings the erased data back. UK GDPR Art 17 and the ICO's
guidance on erasure and backups ("put beyond use": data erased from live systems must not come
back into use from a backup) ask that the erasure be applied again before the restored database
is used: `ccr reapply-erasures` reads this journal (`app.subject_requests.service.reapply_erasure`
does each entry). So the journal is kept apart from the database and its dumps (README "Backups").

One JSON line per erasure, appended and fsynced after the completing transaction commits (a
rolled-back completion writes nothing). Ids, the Art 17(1) ground's code, the time and the plan's
digest only: never a name or any other detail of the person.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.files import append_line
from app.subject_requests.models import SubjectRequest

log = logging.getLogger(__name__)
PENDING = "erasure_journal_pending"
LISTENING = "erasure_journal_listening"


@dataclass(frozen=True)
class JournalEntry:
    request_id: uuid.UUID
    person_id: uuid.UUID
    centre_id: uuid.UUID
    completed_at: datetime
    plan_digest: str
    erasure_ground: str | None

    def line(self) -> bytes:
        data = {
            "request_id": str(self.request_id),
            "person_id": str(self.person_id),
            "centre_id": str(self.centre_id),
            "completed_at": self.completed_at.isoformat(),
            "plan_digest": self.plan_digest,
            "erasure_ground": self.erasure_ground,
        }
        return (json.dumps(data, sort_keys=True) + "\n").encode()

    @classmethod
    def of(cls, request: SubjectRequest) -> JournalEntry:
        """The entry of a completed erasure request (its result holds the digest and time)."""
        assert request.result is not None
        return cls(
            request_id=request.id,
            person_id=request.subject_id,
            centre_id=request.centre_id,
            completed_at=datetime.fromisoformat(request.result["executed_at"]),
            plan_digest=request.result["plan_digest"],
            erasure_ground=request.erasure_ground,
        )

    @classmethod
    def parse(cls, raw: bytes) -> JournalEntry | None:
        try:
            data: dict[str, Any] = json.loads(raw)
            return cls(
                request_id=uuid.UUID(data["request_id"]),
                person_id=uuid.UUID(data["person_id"]),
                centre_id=uuid.UUID(data["centre_id"]),
                completed_at=datetime.fromisoformat(data["completed_at"]),
                plan_digest=str(data["plan_digest"]),
                erasure_ground=data.get("erasure_ground"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class ErasureJournal:
    """An append-only file of completed erasures, oldest first."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def append(self, entry: JournalEntry) -> None:
        append_line(self.path, entry.line())

    def entries(self) -> Iterator[JournalEntry]:
        """Every readable entry; a torn line (a crash mid-write) is skipped, and logged."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                entry = JournalEntry.parse(raw)
                if entry is None:
                    log.warning("erasure journal %s: line %d is unreadable", self.path, number)
                    continue
                yield entry

    def append_after_commit(self, session: Session, entry: JournalEntry) -> None:
        """Append `entry` once the session's transaction commits; nothing if it rolls back."""
        if not session.info.get(LISTENING):
            event.listen(session, "after_commit", _write_pending)
            event.listen(session, "after_transaction_end", _forget_pending)
            session.info[LISTENING] = True
        session.info.setdefault(PENDING, []).append((self, entry))


def _write_pending(session: Session) -> None:
    for journal, entry in session.info.pop(PENDING, []):
        try:
            journal.append(entry)
        except OSError:
            # The erasure is committed; a restore would not re-apply it: say so loudly.
            log.exception(
                "erasure journal %s: could not record the erasure of subject request %s",
                journal.path,
                entry.request_id,
            )


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is empty already; after a rollback the erasure did not happen.
    if transaction.parent is None:
        session.info.pop(PENDING, None)
