"""The retention rules as a request reads them: cached per process under the rules' version.

`retention_rules_version.version` changes in the same transaction as any change to
`retention_rule` (database triggers: edits through the API, by another process, by a migration
or by hand) and is never reused (migration 1701). A request learns the current version for free
with its principal (`version_column()` is part of that one query) and uses the cached rules when
they carry that version; otherwise it reads the rules and the version in one statement (one
snapshot), so the cache never pairs a version with rules of another.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from app.retention.models import RetentionRule, RetentionRulesVersion

_SESSION_KEY = "retention_rules_version"
_VERSION = select(RetentionRulesVersion.version).where(RetentionRulesVersion.id == 1)
_RULES_WITH_VERSION = select(
    RetentionRulesVersion.version,
    RetentionRule.key,
    RetentionRule.record_type,
    RetentionRule.action,
    RetentionRule.period_months,
).outerjoin(RetentionRule, true())


@dataclass(frozen=True)
class Rule:
    key: str
    record_type: str
    action: str
    period_months: int | None


_cache: tuple[int, dict[str, Rule]] | None = None


def version_column() -> object:
    """The current version, as a column to add to the request's first query."""
    return _VERSION.scalar_subquery().label("retention_rules_version")


def note_version(session: Session, version: int | None) -> None:
    """Remember the version read with the principal, for this session's next rules lookup."""
    session.info[_SESSION_KEY] = version


def forget_version(session: Session) -> None:
    """The session changed the rules: its noted version is stale."""
    session.info.pop(_SESSION_KEY, None)


def current_rules(session: Session) -> dict[str, Rule]:
    global _cache
    # Used once: a later lookup in the same session may follow a change of the session's own.
    version = session.info.pop(_SESSION_KEY, None)
    cached = _cache
    if version is not None and cached is not None and cached[0] == version:
        return cached[1]
    rows = session.execute(_RULES_WITH_VERSION).all()
    rules = {
        row.key: Rule(row.key, row.record_type, row.action, row.period_months)
        for row in rows
        if row.key is not None
    }
    _cache = (rows[0].version, rules)
    return rules
