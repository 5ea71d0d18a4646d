"""Roles and permissions, as data: the one table that says who may do what."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    naccc_staff = "naccc_staff"
    centre_staff = "centre_staff"
    inspector = "inspector"


class Perm(StrEnum):
    centres_read = "centres:read"
    centres_write = "centres:write"
    users_read = "users:read"
    users_write = "users:write"
    clients_admin = "service_clients:admin"
    grants_admin = "inspector_grants:admin"
    audit_read = "audit:read"
    records_read = "records:read"
    records_write = "records:write"
    # The contents of documents (court orders, HR papers); metadata needs only records:read.
    documents_read = "documents:read"
    staff_read = "staff:read"
    staff_write = "staff:write"
    finance_read = "finance:read"
    finance_write = "finance:write"
    requests_read = "requests:read"
    requests_write = "requests:write"
    requests_export = "requests:export"
    retention_read = "retention:read"
    retention_admin = "retention:admin"
    holds_write = "legal_holds:write"
    policy_read = "policy:read"
    policy_write = "policy:write"
    stats_read = "stats:read"
    metrics_read = "metrics:read"
    breaches_read = "breaches:read"
    breaches_write = "breaches:write"
    tasks_read = "tasks:read"
    webhooks_admin = "webhooks:admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.naccc_staff: frozenset(Perm),
    Role.centre_staff: frozenset(
        {
            Perm.centres_read,
            Perm.policy_read,
            Perm.records_read,
            Perm.records_write,
            Perm.documents_read,
            Perm.staff_read,
            Perm.staff_write,
            Perm.finance_read,
            Perm.finance_write,
            Perm.requests_read,
            Perm.requests_write,
            Perm.requests_export,
            Perm.retention_read,
            Perm.holds_write,
            Perm.stats_read,
            Perm.breaches_read,
            Perm.breaches_write,
            Perm.tasks_read,
        }
    ),
    # Inspections view family and HR files of one centre; nothing else, and nothing written.
    # Document contents only under a grant that includes them (INSPECTOR_DOCUMENT_PERMISSIONS).
    Role.inspector: frozenset(
        {Perm.centres_read, Perm.policy_read, Perm.records_read, Perm.staff_read, Perm.stats_read}
    ),
}

INSPECTOR_DOCUMENT_PERMISSIONS = frozenset({Perm.documents_read})

WRITE_PERMISSIONS = frozenset(p for p in Perm if not p.value.endswith(":read"))
assert not (ROLE_PERMISSIONS[Role.inspector] & WRITE_PERMISSIONS)
