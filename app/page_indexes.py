"""The index behind every keyset-pagination order (`app.api.pagination.paginate`).

A list is read page by page in the order of its keys; without an index starting with those keys
every page sorts the whole table. `tests/platform/test_pagination_indexes.py` reads every
`paginate()` call in the code and fails for an order without its index here (or elsewhere).
Migrations 1700, 1310 and 1802 create them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index

from app.attendance.models import Attendance, ContactSession
from app.breaches.models import Breach
from app.centres.models import Centre
from app.complaints.models import Complaint
from app.disclosures.models import Disclosure
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.inspector_grants.models import InspectorGrant
from app.people.models import Person
from app.policy.models import PrivacyPolicy
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.retention.models import Disposal, LegalHold, RetentionReview, Sweep
from app.service_clients.models import ServiceClient
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember
from app.subject_requests.models import ReviewDecision, SubjectRequest, ThirdPartyDecision
from app.users.models import UserAccount
from app.webhooks.models import WebhookDelivery, WebhookSubscription


def _page_index(*columns: Any) -> Index:
    table = columns[0].table.name
    # Built from bound columns, the index attaches itself to their table.
    return Index(f"ix_{table}_page", *columns)


PAGE_INDEXES = [
    _page_index(model.created_at, model.id)
    for model in (
        Attendance,
        Centre,
        Complaint,
        DBSCheck,
        Disclosure,
        Document,
        FinanceRecord,
        HRFileEntry,
        Incident,
        InspectorGrant,
        ParentalLeave,
        Person,
        PreVisit,
        PrivacyPolicy,
        Referral,
        ReferralParty,
        RetentionReview,
        ServiceClient,
        StaffMember,
        SubjectRequest,
        UserAccount,
        WebhookDelivery,
        WebhookSubscription,
    )
] + [
    _page_index(ContactSession.starts_at, ContactSession.id),
    _page_index(Disposal.disposed_at, Disposal.id),
    _page_index(LegalHold.placed_at, LegalHold.id),
    _page_index(Sweep.started_at, Sweep.id),
    _page_index(ThirdPartyDecision.decided_at, ThirdPartyDecision.id),
    _page_index(ReviewDecision.decided_at, ReviewDecision.id),
    _page_index(Breach.aware_at, Breach.id),
]
