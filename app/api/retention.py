"""The retention block every record's read model carries (`retention`): its wire shape is part of
each record domain's contract, so it sits beneath them; `app.retention.blocks` computes it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

# Why a record has no `dispose_after` (see app.retention.blocks).
RetentionReason = Literal[
    "open",
    "held",
    "restricted",
    "frozen",
    "kept_indefinitely",
    "waiting",
    "employed",
    "hmrc_enquiry",
]


class RetentionBlock(BaseModel):
    """Where a record stands in the retention schedule (part of every record's read)."""

    rule_key: str = Field(description="The retention rule that applies (`/retention/rules/{key}`)")
    trigger_on: date | None = Field(
        description="The date the rule's clock starts from; null while the event has not happened"
    )
    dispose_after: date | None = Field(
        description="Trigger date + the rule's period in calendar months (29 Feb + 1 year = "
        "28 Feb): a sweep on or after this day disposes of the record. Null with a `reason`."
    )
    reason: RetentionReason | None = Field(
        description="Why there is no `dispose_after` (null when there is one): `open` (no trigger "
        "yet, e.g. the referral is not closed), `held` (a legal hold on the record or on a "
        "person linked to it), `restricted` (a linked person's processing is restricted, UK GDPR "
        "Art 18(1)(c)), `frozen` (a linked person has an open access or portability request), "
        "`kept_indefinitely` (a keep rule), `waiting` (a staff member whose parental-leave "
        "records keep it), `employed` (a current member of staff or volunteer, or their parental "
        "leave: the HR clock starts when employment ends), `hmrc_enquiry` (a finance record "
        "with an HMRC enquiry open)"
    )


# The `retention` field of every record's read model.
Retention = Annotated[
    RetentionBlock, Field(description="Where the record stands in the retention schedule")
]
