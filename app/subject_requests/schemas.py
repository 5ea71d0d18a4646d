from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from app.api.retention import RetentionBlock
from app.api.schemas import NO_NUL, Day, Flag, RecordRead, StrictModel, only_when, required_when
from app.people.schemas import PersonUpdate

Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]
KindName = Literal["access", "rectification", "erasure", "restriction", "objection", "portability"]
Requester = Literal["subject", "parent", "representative"]
Channel = Literal["written", "email", "phone", "in_person", "online"]
Relationship = Literal["mother", "father", "parent", "step_parent", "guardian", "other"]


# UK GDPR Art 17(1): the ground on which the subject has the right to erasure.
Art17Ground = Literal[
    "no_longer_necessary",  # Art 17(1)(a)
    "consent_withdrawn",  # Art 17(1)(b)
    "objection_upheld",  # Art 17(1)(c)
    "unlawful_processing",  # Art 17(1)(d)
    "legal_obligation",  # Art 17(1)(e)
]


# What a request's kind and requester decide (UK GDPR Art 15-21; a parent for a child: ICO
# guidance on children's rights): the contract says it as the server checks it.
REQUEST_SHAPE: list[JsonValue] = [
    required_when("requester", ["parent", "representative"], "requester_basis"),
    only_when("kind", ["erasure"], "erasure_ground"),
    {
        **only_when("kind", ["rectification"], "corrections"),
        "then": {
            "properties": {"corrections": {"type": "object", "minProperties": 1}},
            "required": ["corrections"],
        },
    },
    *(
        only_when("requester", ["parent"], name)
        for name in ("requester_person_id", "requester_relationship", "parental_responsibility")
    ),
]


class RequestCreate(StrictModel):
    model_config = ConfigDict(json_schema_extra={"allOf": REQUEST_SHAPE})

    subject_id: uuid.UUID
    kind: KindName
    erasure_ground: Art17Ground | None = Field(
        default=None,
        description="Erasure only, and required there: the UK GDPR Art 17(1) ground staff "
        "recorded — (a) `no_longer_necessary`, (b) `consent_withdrawn`, (c) `objection_upheld`, "
        "(d) `unlawful_processing`, (e) `legal_obligation`",
    )
    requester: Requester = "subject"
    requester_basis: Reason | None = None
    requester_person_id: uuid.UUID | None = Field(
        default=None,
        description="A request for a child (`requester: parent`): the person asking, of the "
        "same centre",
    )
    requester_relationship: Relationship | None = Field(
        default=None, description="A request for a child: the requester's relationship to them"
    )
    parental_responsibility: Flag | None = Field(
        default=None, description="A request for a child: whether the requester has it"
    )
    channel: Channel
    received_on: Day
    identity_verified_on: Day | None = None
    corrections: PersonUpdate | None = Field(
        default=None, description="Rectification only: the corrected fields of the subject"
    )


class VerifyIdentity(StrictModel):
    verified_on: Day


class Pause(StrictModel):
    reason: Reason
    paused_on: Day | None = None


class Resume(StrictModel):
    resumed_on: Day | None = None


class Extend(StrictModel):
    reason: Reason


class Refuse(StrictModel):
    reason: Reason


class Complete(StrictModel):
    plan_digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None,
        description="Erasure only, and required there: the `digest` of the erasure plan that was "
        "previewed (`GET .../erasure-plan`). A plan that changed since answers 409.",
    )
    erasure_ground: Art17Ground | None = Field(
        default=None,
        description="Erasure only: the UK GDPR Art 17(1) ground, for a request filed before "
        "the ground was recorded at creation (a request that has one keeps it: 409 if it "
        "differs)",
    )


# Why a record is kept from erasure; each has its legal basis (app.subject_requests.erasure).
ErasureGround = Literal[
    "legal_hold",
    "legal_claims",
    "open_case",
    "open_complaint",
    "ico_complaint",
    "safeguarding",
    "safeguarding_paperwork",
    "legal_obligation",
]
LegalBasis = Annotated[
    str | None,
    Field(
        description="Kept: the legal basis for keeping it — the UK GDPR Art 17(3) exception or "
        "the DPA 2018 condition (e.g. Sch 1 para 18 for safeguarding records)"
    ),
]


class ErasureDecision(BaseModel):
    record_type: str = Field(
        description="`referral`, `pre_visit`, `attendance`, `incident`, `complaint`, "
        "`disclosure`, `subject_request` or `third_party_decision`"
    )
    record_id: uuid.UUID
    fate: Literal["erase", "keep"]
    scope: Literal["record", "their_part"] | None = Field(
        description="Erased: the whole `record` (with its attachments), or only `their_part` "
        "(the subject's party rows, pre-visit and attendance; their link to a disclosure)"
    )
    ground: ErasureGround | None = Field(description="Kept: why (DESIGN.md §5)")
    legal_basis: LegalBasis
    detail: (
        Literal["unlinked_from_erased_referral", "goes_with_erased_referral", "corrections_cleared"]
        | None
    ) = Field(
        description="What else happens: a kept record loses its link to a referral erased "
        "whole; a disclosure goes with the referral it belongs to; a kept rectification "
        "request's corrections (the subject's details) are cleared"
    )


class ErasurePerson(BaseModel):
    fate: Literal["anonymise", "keep"] = Field(
        description="`anonymise`: name replaced, date of birth, contacts and sensitive data "
        "cleared, `erased_at` set; `keep`: a kept record needs the details, or a legal hold"
    )
    ground: Literal["legal_hold", "needed_by_kept_records"] | None
    legal_basis: LegalBasis


class ReviewField(BaseModel):
    """A free-text field (or a document's `content`) of a record that stays and may mention
    the subject: staff read it and correct it by hand where needed."""

    record_type: str
    record_id: uuid.UUID
    field: str


class NotifyRecipient(BaseModel):
    disclosure_id: uuid.UUID
    recipient_type: str
    recipient_name: str
    disclosed_at: datetime


class ErasurePlanRead(BaseModel):
    request_id: uuid.UUID
    subject_id: uuid.UUID
    erasure_ground: Art17Ground | None = Field(
        description="The UK GDPR Art 17(1) ground recorded on the request"
    )
    as_of: date = Field(description="The day the plan was made (retention periods count to it)")
    digest: str = Field(
        description="sha256 of the plan's decisions; `complete` takes it as `plan_digest`"
    )
    person: ErasurePerson
    records: list[ErasureDecision]
    review: list[ReviewField]
    recipients_to_notify: list[NotifyRecipient] = Field(
        description="Everyone the subject's data was disclosed to (the register), to be told"
    )


class RequestRead(RecordRead):
    centre_id: uuid.UUID
    subject_id: uuid.UUID
    kind: str
    status: str
    requester: str
    requester_basis: str | None
    requester_person_id: uuid.UUID | None
    requester_relationship: str | None
    parental_responsibility: bool | None
    best_interests: str | None = Field(
        description="A request for a child: staff's decision that answering it is (`disclose`) "
        "or is not (`withhold`) in the child's best interests"
    )
    best_interests_note: str | None
    best_interests_by_id: uuid.UUID | None
    best_interests_at: datetime | None
    channel: str
    received_on: date
    identity_verified_on: date | None
    erasure_ground: str | None
    clock_started_on: date | None = Field(
        description="The later of receipt and identity verification; null while the request "
        "is `awaiting_identity` (the ICO clock has not started)"
    )
    paused_on: date | None
    pause_reason: str | None
    paused_days: int
    extended: bool
    extension_reason: str | None
    due_on: date | None = Field(
        description="The statutory due date; null until identity is verified"
    )
    days_left: int | None
    overdue: bool = Field(description="Never while awaiting identity or clarification")
    closed_on: date | None
    refusal_reason: str | None
    result: dict[str, Any] | None = Field(
        description="Rectification: `corrected_fields` and `recipients_to_notify` (from the "
        "disclosure register). Erasure: `plan_digest`, `erasure_ground` (Art 17(1)), `as_of`, "
        "`executed_at`, `person` (fate, ground, legal basis), `erased` (record type, id, scope), "
        "`kept` (record type, id, ground, legal basis), "
        "`review` (free-text fields of kept records to review), `recipients_to_notify`, "
        "`purged_replays`: ids, types, grounds and field names, never the subject's details"
    )
    retention: RetentionBlock = Field(
        description="Rule `subject_request`: disposed of 2 years after closure (with its "
        "third-party decisions and package); `open` while the request is"
    )


# --- third-party decisions --------------------------------------------------------------


class DecisionCreate(StrictModel):
    person_id: uuid.UUID = Field(description="Another person named in the subject's records")
    basis: Literal["consent", "reasonable_to_disclose"]
    note: Reason = Field(description="How consent was given, or why disclosure is reasonable")


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    person_id: uuid.UUID
    basis: str
    note: str
    decided_by_id: uuid.UUID
    decided_at: datetime


# --- review and release -----------------------------------------------------------------

ReviewRecordType = Literal[
    "referral", "pre_visit", "session", "incident", "complaint", "disclosure", "document"
]
ExemptionCodeName = Literal["sch2_para2", "sch2_para16", "sch2_para19", "sch3_para21", "sch4"]
# The free-text fields a review may withhold one by one, per record type.
REVIEW_FIELDS: dict[str, tuple[str, ...]] = {
    "referral": ("decision_reason", "closure_reason"),
    "pre_visit": ("concerns",),
    "session": ("notes",),
    "incident": ("description", "action_taken"),
    "complaint": ("summary", "outcome"),
    "disclosure": ("shared",),
    "document": (),
}
# A withholding names its exemption; a disclose decision is about a whole record, with none.
REVIEW_SHAPE: list[dict[str, Any]] = [
    only_when("outcome", ["withhold"], "code"),
    only_when("outcome", ["withhold"], "field", required=False),
    *(
        {
            "if": {"properties": {"record_type": {"const": kind}}},
            "then": {"properties": {"field": {"enum": [*fields, None]}}},
        }
        for kind, fields in REVIEW_FIELDS.items()
    ),
]


class ReviewDecisionCreate(StrictModel):
    model_config = ConfigDict(json_schema_extra={"allOf": cast(list[JsonValue], REVIEW_SHAPE)})

    record_type: ReviewRecordType
    record_id: uuid.UUID
    field: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] | None = Field(
        default=None,
        description="Withhold only this free-text field of the record (null: the whole record)",
    )
    outcome: Literal["withhold", "disclose"] = Field(
        description="`withhold` under an exemption (`code` required), or `disclose`: an item "
        "the package holds back until someone decides (a safeguarding disclosure naming the "
        "requester, a document that cannot be redacted automatically) goes to the requester"
    )
    code: ExemptionCodeName | None = Field(
        default=None,
        description="DPA 2018: `sch2_para2` crime and taxation (tipping off), `sch2_para16` "
        "protection of the rights of others, `sch2_para19` legal professional privilege, "
        "`sch3_para21` child abuse data when a parent asks for a child, `sch4` adoption, court "
        "and other records whose disclosure the law restricts",
    )
    note: Reason = Field(description="Why (kept for the record, never sent)")


class ReviewDecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    field: str | None
    outcome: str
    code: str | None
    note: str
    decided_by_id: uuid.UUID
    decided_at: datetime


class BestInterests(StrictModel):
    decision: Literal["disclose", "withhold"] = Field(
        description="Whether answering the request made for the child is in their best interests"
    )
    note: Reason


class ReleaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    released_at: datetime
    released_by_id: uuid.UUID
    sha256: str = Field(description="sha256 of the zip bundle (`?format=zip`)")
    size: int
    files: dict[str, str] = Field(
        description="Each file of the bundle and its sha256: `package.json`, `package.csv`, "
        "`package.html` (the other formats of the download) and `documents/...`"
    )
    retention_rule: str = Field(
        description="The snapshot goes with its request: retention rule `subject_request`"
    )


# --- the access package (§5) and the portability export ---------------------------------


class PackageRetention(RetentionBlock):
    """A record's retention block as the subject is told it: `dispose_after` is the date the
    schedule gives even while the record is held, and `frozen` says that a hold (this open
    request, a legal hold) keeps it past that date until released."""

    frozen: bool


class WithheldGround(BaseModel):
    code: str = Field(description="The DPA 2018 exemption (see review decisions)")
    ground: str = Field(description="The exemption in words")
    records: int = Field(description="Whole records withheld on this ground")
    fields: int = Field(description="Parts of records withheld on this ground")


class PendingItem(BaseModel):
    record_type: str
    record_id: uuid.UUID
    why: Literal["safeguarding_disclosure", "document_not_redactable"]


class RequestMadeFor(BaseModel):
    """A request made for a child: who asked, and on what footing."""

    requester_relationship: str | None
    parental_responsibility: bool | None
    best_interests: str | None


class OtherPerson(BaseModel):
    """Someone other than the subject. Redacted (details null) unless a third-party decision
    on this request allows them to be shown."""

    role: str = Field(description="Their part in the record, e.g. `non_resident_parent`, `child`")
    redacted: bool
    disclosed_on_basis: Literal["consent", "reasonable_to_disclose"] | None
    person_id: uuid.UUID | None
    full_name: str | None
    email: str | None
    phone: str | None
    date_of_birth: date | None
    address: str | None = Field(
        description="Shown with a decision, never for a person marked `do_not_disclose_address`"
    )


class SubjectDetails(BaseModel):
    id: uuid.UUID
    full_name: str
    date_of_birth: date | None
    email: str | None
    phone: str | None
    address: str | None
    sensitive: str | None
    processing_restricted: bool
    objected: bool
    do_not_disclose_address: bool
    created_at: datetime
    updated_at: datetime


class PackageReferral(BaseModel):
    id: uuid.UUID
    reference: str
    roles: list[str] = Field(description="The subject's parts in the referral")
    source: str
    contact_type: str
    has_court_order: bool
    cafcass_involved: bool
    received_on: date
    status: str
    decision: str | None
    decision_reason: str | None
    decided_at: datetime | None
    closed_on: date | None
    closure_reason: str | None
    other_parties: list[OtherPerson]
    retention: PackageRetention


class PackagePreVisit(BaseModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    visited_on: date
    ground_rules_explained: bool
    ground_rules_signed: bool
    risk_assessment_done: bool
    child_prepared: bool
    concerns: str | None
    completed_by: str
    retention: PackageRetention = Field(description="Goes with its referral")


class PackageAttendance(BaseModel):
    status: str
    absence_reason: str | None
    absence_detail: str | None


class PackageSession(BaseModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    notes: str | None
    attendance: PackageAttendance | None = Field(description="The subject's own attendance")
    retention: PackageRetention = Field(description="Goes with its referral")


class PackageIncident(BaseModel):
    id: uuid.UUID
    kind: str
    referral_id: uuid.UUID | None
    occurred_at: datetime
    description: str
    action_taken: str | None
    reported_by: str
    referred_to_authority: bool
    child: OtherPerson | None = Field(description="Null when the child is the subject")
    retention: PackageRetention


class PackageComplaint(BaseModel):
    id: uuid.UUID
    about: str
    kind: str
    channel: str
    summary: str
    received_on: date
    status: str
    acknowledged_on: date | None
    resolved_on: date | None
    outcome: str | None
    follow_up_due_on: date | None
    follow_up_done_on: date | None
    referred_to_ico: bool
    retention: PackageRetention


class PackageDisclosure(BaseModel):
    id: uuid.UUID
    recipient_type: str
    recipient_name: str
    lawful_basis: str
    referral_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    shared: str
    disclosed_at: datetime
    disclosed_by: str
    subject_informed: bool
    other_people: list[OtherPerson]


class PackageDocument(BaseModel):
    id: uuid.UUID
    owner_type: Literal["referral", "complaint", "incident"]
    owner_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    retention: PackageRetention = Field(description="Goes with its owner")
    copy_path: str | None = Field(
        description="The copy's path in the zip bundle (`?format=zip` after release)"
    )


class PackageRequest(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    received_on: date
    due_on: date
    closed_on: date | None


class Recipient(BaseModel):
    disclosure_id: uuid.UUID
    recipient_type: str
    recipient_name: str
    disclosed_at: datetime


class RuleExplained(BaseModel):
    key: str
    period: str | None = Field(description="Null for a rule that keeps records indefinitely")
    policy_text: str


class Controller(BaseModel):
    name: str
    contact: str


class Supplementary(BaseModel):
    """What Article 15 adds to the data itself."""

    controller: Controller | None = Field(description="From the privacy policy in force")
    purposes: list[str]
    categories: list[str] = Field(description="The categories of data held about the subject")
    recipients: list[Recipient] = Field(description="From the register of disclosures")
    retention: list[RuleExplained] = Field(
        description="The rules applied to the records above; each record carries its own "
        "`dispose_after` date"
    )
    sources: list[str]
    rights: list[str]
    complaint_to_ico: str
    automated_decision_making: str


class AccessPackage(BaseModel):
    kind: Literal["access"]
    state: Literal["draft", "released"] = Field(
        description="A draft until staff release it; after release every download is the "
        "snapshot made then"
    )
    request_id: uuid.UUID
    subject_id: uuid.UUID
    generated_at: datetime
    made_for: RequestMadeFor | None = Field(description="A request made for a child")
    withheld: list[WithheldGround] = Field(
        description="What was withheld, by exemption: counts only, never what it was"
    )
    pending_review: list[PendingItem] = Field(
        description="Draft only: items held back until staff decide (release needs none)"
    )
    subject: SubjectDetails
    referrals: list[PackageReferral]
    pre_visits: list[PackagePreVisit]
    sessions: list[PackageSession]
    incidents: list[PackageIncident]
    complaints: list[PackageComplaint]
    disclosures: list[PackageDisclosure]
    documents: list[PackageDocument]
    subject_requests: list[PackageRequest]
    supplementary: Supplementary


class ProvidedDetails(BaseModel):
    full_name: str
    date_of_birth: date | None
    email: str | None
    phone: str | None
    address: str | None
    sensitive: str | None


class ProvidedComplaint(BaseModel):
    id: uuid.UUID
    about: str
    kind: str
    channel: str
    received_on: date
    summary: str


class ProvidedReferral(BaseModel):
    id: uuid.UUID
    reference: str
    received_on: date
    contact_type: str
    roles: list[str]


class PortabilityPackage(BaseModel):
    """The data the subject provided, in a machine-readable form (also as CSV)."""

    kind: Literal["portability"]
    state: Literal["draft", "released"]
    request_id: uuid.UUID
    subject_id: uuid.UUID
    generated_at: datetime
    details: ProvidedDetails
    self_referrals: list[ProvidedReferral]
    complaints: list[ProvidedComplaint]
