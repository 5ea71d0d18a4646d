"""The supplementary information of an access package, in the privacy policy's words.

Purposes, rights and the ICO complaint are the policy's; categories and sources are the policy's
lists narrowed to what the package actually holds.
"""

from __future__ import annotations

PURPOSES = (
    "To provide our services to you (supported and supervised child contact).",
    "To respond to your requests and inquiries.",
    "To manage complaints.",
    "To improve our services.",
    "For anonymous statistical analysis.",
    "To keep children and adults safe (safeguarding), and to meet legal obligations.",
)

RIGHTS = (
    "The right to be informed of the use of your personal data.",
    "The right to access your personal data.",
    "The right to require the correction (rectification) of your personal data.",
    "The right to require the erasure of your personal data.",
    "The right to block (restrict) the processing of your personal data.",
    "The right to object to the processing of your personal data.",
    "The right to receive the personal data you provided in a format that can be transmitted "
    "to another organisation (portability).",
    "The right not to be subject to a decision based solely on automated processing.",
)

COMPLAINT_TO_ICO = (
    "If you have a complaint about how we process your data, you have the right to lodge a "
    "complaint with the Information Commissioner's Office (ico.org.uk, 0303 123 1113)."
)

AUTOMATED_DECISIONS = (
    "None. No decision about you is made solely by automated processing: every referral is "
    "accepted or declined by a member of staff."
)


def categories(
    *, sensitive: bool, incidents: bool, attendance: bool, complaints: bool
) -> list[str]:
    found = ["Personal information (for example your name, email address, phone number)."]
    if sensitive:
        found.append("Sensitive personal data (special-category data).")
    if incidents:
        found.append("Safeguarding incidents.")
    if attendance:
        found.append("Attendance information (attended, absences and absence reasons).")
    if complaints:
        found.append("Complaints and correspondence about them.")
    return found


def sources(
    *,
    referral_sources: list[str],
    court_orders: bool,
    pre_visits: bool,
    complaints: bool,
    sessions: bool,
    incidents: bool,
    disclosures: bool,
) -> list[str]:
    found = ["You, in what you told us by telephone, email, in writing or in person."]
    found += [
        f"Referral form (referral from: {source.replace('_', ' ')})." for source in referral_sources
    ]
    if court_orders:
        found.append("Court orders and documents ordered to be shared with the contact centre.")
    if pre_visits:
        found.append("The pre-visit checklist.")
    if sessions:
        found.append("Centre staff and volunteers, who record contact sessions and attendance.")
    if incidents:
        found.append("Centre staff, who record incidents in the safeguarding and accident book.")
    if complaints:
        found.append("Correspondence about complaints, or intentions to complain.")
    if disclosures:
        found.append("The register of what we shared with third parties.")
    return found
