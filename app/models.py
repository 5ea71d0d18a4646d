"""Every table, imported once so that Alembic and the tests see the whole schema."""

from app.api.models import IdempotencyRecord
from app.attendance.models import Attendance, ContactSession
from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle
from app.breaches.models import Breach, BreachPerson, BreachRecord
from app.centres.models import Centre
from app.complaints.models import Complaint
from app.db import Base
from app.disclosures.models import Disclosure, DisclosurePerson
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.inspector_grants.models import InspectorGrant
from app.page_indexes import PAGE_INDEXES
from app.people.models import Person
from app.policy.models import PolicyConsent, PrivacyPolicy
from app.referrals.models import PreVisit, Referral, ReferralCounter, ReferralParty
from app.retention.models import (
    Disposal,
    LegalHold,
    RetentionRule,
    RetentionRulesVersion,
    Sweep,
)
from app.service_clients.models import ServiceClient
from app.single_runner import RunnerLease
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember
from app.subject_requests.models import (
    ReleasedPackage,
    ReviewDecision,
    SubjectRequest,
    ThirdPartyDecision,
)
from app.users.models import UserAccount, user_centre
from app.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "PAGE_INDEXES",
    "Attendance",
    "AuditEvent",
    "Breach",
    "BreachPerson",
    "BreachRecord",
    "Base",
    "Centre",
    "Complaint",
    "ContactSession",
    "DBSCheck",
    "Disclosure",
    "DisclosurePerson",
    "Disposal",
    "Document",
    "FinanceRecord",
    "HRFileEntry",
    "IdempotencyRecord",
    "Incident",
    "InspectorGrant",
    "LegalHold",
    "LoginThrottle",
    "ParentalLeave",
    "Person",
    "PolicyConsent",
    "PreVisit",
    "PrivacyPolicy",
    "Referral",
    "ReferralCounter",
    "ReferralParty",
    "ReleasedPackage",
    "RetentionRule",
    "RetentionRulesVersion",
    "ReviewDecision",
    "ServiceClient",
    "StaffMember",
    "SubjectRequest",
    "Sweep",
    "RunnerLease",
    "ThirdPartyDecision",
    "UserAccount",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "user_centre",
]
