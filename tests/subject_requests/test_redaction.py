"""The Redactor over a table of tricky inputs, and its properties (no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.subject_requests.redaction import REDACTED, SCANNER, Party, Redactor

TODAY = date(2026, 11, 30)
SUBJECT = Party(
    "Sarah Jones",
    email="sarah.jones@example.com",
    phone="07700 900111",
    date_of_birth=date(1990, 1, 2),
    address="1 Mill Road, Cambridge CB1 2AB",
)
FATHER = Party(
    "Will Jones",
    email="will.j@example.net",
    phone="07700 900123",
    date_of_birth=date(1985, 3, 3),
    address="9 Station Road, Ely CB7 4AA",
)
CHILD = Party("Rose Siobhán Jones", date_of_birth=date(2018, 5, 1))
SHORT = Party("Ed Ng")
R = REDACTED


@pytest.fixture(scope="module")
def redact():
    return Redactor(SUBJECT, [FATHER, CHILD, SHORT], as_of=TODAY).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Names: whole, title + surname, parts; whole words only.
        ("Will Jones was late", f"{R} was late"),
        # A phone number followed by a date of birth: each is found on its own.
        ("Call +44 7700 900123 03/03/1985.", f"Call {R} {R}."),
        # A digit before the subject's own number does not make it another (+7) number.
        ("room 0 07700 900111", "room 0 07700 900111"),
        ("1 0 07700 900123 07700 900111", f"1 0 {R} 07700 900111"),
        ("WILL JONES was late", f"{R} was late"),
        ("will jones was late", f"{R} was late"),  # a full name in any case
        ("Mr Jones was late", f"{R} was late"),
        ("Mr. Jones was late", f"{R} was late"),
        ("Mr Will Jones was late", f"{R} was late"),
        ("Will's car", f"{R}'s car"),
        # Names that are words: taken only with a capital.
        ("Will said he will come", f"{R} said he will come"),
        ("a red rose for Rose", f"a red rose for {R}"),
        # The subject's own name, and the family name she shares, stay.
        ("Sarah Jones came; the Jones family", "Sarah Jones came; the Jones family"),
        ("Sarah came with Jones", "Sarah came with Jones"),
        # Names inside other words stay; short names only as words with a capital.
        ("Willow and Roseanne and Edward", "Willow and Roseanne and Edward"),
        ("Ed came; he edited; ed", f"{R} came; he edited; ed"),
        ("Ng said", f"{R} said"),
        # Unicode: accents and case are ignored; a child is Master or Miss, never Mrs.
        ("Siobhan and SIOBHÁN and siobhán", f"{R} and {R} and {R}"),
        ("Miss Jones and Mrs Jones", f"{R} and {R}"),
        # Emails: any but the subject's own.
        (
            "mail WILL.J@example.net or sarah.jones@example.com",
            f"mail {R} or sarah.jones@example.com",
        ),
        ("new address x.y@elsewhere.org", f"new address {R}"),
        # Phones in any national or international form; the subject's own stays.
        ("call 07700 900123", f"call {R}"),
        ("call +44 7700 900123", f"call {R}"),
        ("call (07700) 900 123", f"call {R}"),
        ("call 07700-900-123 or 0044 7700 900123", f"call {R} or {R}"),
        ("call +447700900123, ext 12", f"call {R}, ext 12"),
        ("a new number 07700 900999", f"a new number {R}"),  # unknown numbers too
        ("her own 07700 900111", "her own 07700 900111"),
        ("ref CE-2026-0042, £12.50, 3 children", "ref CE-2026-0042, £12.50, 3 children"),
        # Dates of birth in ISO and written forms; other dates stay.
        ("born 1985-03-03", f"born {R}"),
        ("born 03/03/1985 or 3/3/85", f"born {R} or {R}"),
        ("born 3 March 1985", f"born {R}"),
        ("born 3rd March 1985", f"born {R}"),
        ("born 3rd of March, 1985", f"born {R}"),
        ("born March 3rd, 1985", f"born {R}"),
        ("born 3 Mar 85", f"born {R}"),
        ("born (1985-03-03)", f"born ({R})"),  # a date where a phone number could start
        ("call 07700 900123 1985-03-03", f"call {R} {R}"),
        ("session on 3 March 2026 and 1990-01-02", "session on 3 March 2026 and 1990-01-02"),
        # Addresses: lines with a house number, their street, postcodes in any spacing.
        ("moved to 9 Station Road, Ely", f"moved to {R}, Ely"),
        ("seen on Station Road", f"seen on {R}"),
        ("postcode CB7 4AA, cb74aa", f"postcode {R}, {R}"),
        ("a new home in SW1A 1AA", f"a new home in {R}"),
        ("her home 1 Mill Road CB1 2AB", "her home 1 Mill Road CB1 2AB"),
        ("", ""),
    ],
)
def test_redaction_table(redact, text: str, expected: str) -> None:
    assert redact(text) == expected


def test_nothing_to_hide_changes_nothing() -> None:
    assert Redactor(SUBJECT, []).text("Will Jones, Rose") == "Will Jones, Rose"
    assert Redactor(SUBJECT, []).text(None) is None


def test_a_shown_person_stays_but_a_withheld_address_never_does() -> None:
    shown = Party(
        "Nick Nonresident",
        email="nick@example.com",
        phone="+44 7700 900222",
        address="5 Hidden Lane, Ely CB6 1AA",
        do_not_disclose_address=True,
    )
    redact = Redactor(SUBJECT, [], shown=[shown]).text
    assert redact("Nick Nonresident, nick@example.com, 07700 900222") == (
        "Nick Nonresident, nick@example.com, 07700 900222"
    )
    assert redact("lives at 5 Hidden Lane, CB6 1AA") == f"lives at {R}, {R}"


def test_a_former_shared_home_of_the_subject_is_not_hidden() -> None:
    father = Party("Will Jones", address="1 Mill Road, Cambridge CB1 2AB")
    redact = Redactor(SUBJECT, [father]).text
    assert redact("1 Mill Road CB1 2AB") == "1 Mill Road CB1 2AB"


# --- properties ---------------------------------------------------------------------------

FIRST = st.sampled_from(["Nick", "Ava", "Mohammed", "Siobhán", "Zoë", "Will", "Rose", "Ed"])
LAST = st.sampled_from(["Nonresident", "O'Brien", "Smith-Jones", "Ng", "Kowalski"])
FILLER = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ,.;:!?-'()\n0123456789"), max_size=40
)


@st.composite
def others(draw: st.DrawFn) -> Party:
    first, last = draw(FIRST), draw(LAST)
    number = draw(st.integers(100000, 999999))
    return Party(
        f"{first} {last}",
        email=f"{first.lower()}.{draw(st.integers(1, 99))}@example.org",
        phone=f"07700 {number}",
        date_of_birth=draw(st.dates(date(1950, 1, 1), date(2005, 12, 31))),
        address=f"{draw(st.integers(1, 300))} {draw(LAST)} Street, Ely CB{draw(st.integers(1, 9))} "
        f"{draw(st.integers(1, 9))}XY",
    )


def mentions(person: Party, draw: st.DrawFn) -> list[str]:
    """The ways a note writes the person."""
    first, last = person.full_name.split(" ", 1)
    assert person.phone and person.email and person.date_of_birth and person.address
    digits = person.phone.replace(" ", "")
    born = person.date_of_birth
    forms = [
        person.full_name,
        person.full_name.upper(),
        first,
        f"Mr {last}",
        person.email,
        person.phone,
        "+44 " + digits[1:],
        f"({digits[:5]}) {digits[5:8]} {digits[8:]}",
        born.isoformat(),
        born.strftime("%d/%m/%Y"),
        f"{born.day} {born.strftime('%B')} {born.year}",
        person.address.split(",")[0],
        person.address.rsplit(" ", 2)[-2] + person.address.rsplit(" ", 2)[-1],
    ]
    return draw(st.permutations(forms))


def identifiers(person: Party) -> list[str]:
    assert person.phone and person.email and person.date_of_birth and person.address
    first, last = person.full_name.split(" ", 1)
    digits = person.phone.replace(" ", "")
    return [
        person.full_name.casefold(),
        person.email.casefold(),
        digits,
        digits[1:],
        person.date_of_birth.isoformat(),
        person.address.split(",")[0].casefold(),
    ]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), person=others())
def test_no_identifier_of_a_hidden_person_survives_in_any_text(data, person: Party) -> None:
    """Whatever the words around them, every way of writing a hidden person is redacted, and
    what is left holds none of their identifiers; the subject's own stay whole."""
    own = ["Sarah Jones", "sarah.jones@example.com", "07700 900111", "1 Mill Road"]
    pieces = []
    for form in [*mentions(person, data.draw), *own]:
        pieces += [data.draw(FILLER), " ", form, " "]
    text = "".join(pieces)
    out = Redactor(SUBJECT, [person], as_of=TODAY).text(text)
    assert out is not None
    flat = out.casefold()
    squeezed = "".join(c for c in out if c.isdigit())
    for secret in identifiers(person):
        if secret.isdigit():
            assert secret not in squeezed, (secret, out)
        else:
            assert secret not in flat, (secret, out)
    first = person.full_name.split()[0]
    assert first not in out.split(), (first, out)
    for mine in own:
        assert mine in out, (mine, out)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_text_that_names_no_one_hidden_is_unchanged(text: str) -> None:
    """The subject's own words survive: with nobody to hide, only emails, phones and postcodes
    that are not the subject's could change, and only into the marker."""
    out = Redactor(SUBJECT, []).text(text)
    if REDACTED not in (out or ""):
        assert out == text


# Pieces of dates, phones, postcodes, emails and names, and letters that IGNORECASE matches
# to a month's ("ſ" to "s", "K" to "k") or that fold to two ("ß").
PIECES = st.sampled_from(
    ["3", "03", "1985", "'85", "-", "/", ".", ",", " ", "of", "rd", "March", "MAR", "ſep",
     "Sept", "may", "Dec.", "jun", "07700", "900123", "+44", "(07700)", "CB7", "4AA",
     "a@b.com", "x.y+z@ex-ample.co.uk", "@", "Mr", "Jones", "١٢", "K", "ß", "\n", "Marion",
     "3 March 1985", "March 3rd, 1985", "3rd of ſep '85", "Dec. 3, 85", "1985-03-03"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(PIECES, max_size=12))
def test_the_scanner_chosen_for_a_value_finds_what_the_full_scanner_finds(
    pieces: list[str],
) -> None:
    """A value is scanned without the groups that cannot match in it: the same spans, kinds."""
    text = "".join(pieces)
    full = [(m.lastgroup, m.span()) for m in SCANNER.finditer(text)]
    assert [(m.lastgroup, m.span()) for m in Redactor._scanner(text).finditer(text)] == full
