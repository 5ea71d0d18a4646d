"""Every table, imported once so that Alembic and the tests see the whole schema."""

from app.api.models import IdempotencyRecord
from app.attendance.models import Attendance, ContactSession
from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle
from app.centres.models import Centre
from app.db import Base
from app.inspector_grants.models import InspectorGrant
from app.people.models import Person
from app.referrals.models import PreVisit, Referral, ReferralCounter, ReferralParty
from app.service_clients.models import ServiceClient
from app.users.models import UserAccount, user_centre

__all__ = [
    "Attendance",
    "AuditEvent",
    "Base",
    "Centre",
    "ContactSession",
    "IdempotencyRecord",
    "InspectorGrant",
    "LoginThrottle",
    "Person",
    "PreVisit",
    "Referral",
    "ReferralCounter",
    "ReferralParty",
    "ServiceClient",
    "UserAccount",
    "user_centre",
]
