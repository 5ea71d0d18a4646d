"""Redaction of other people in what a subject receives (DESIGN.md §5, "Redaction").

Every output of a package (JSON, CSV, HTML, the zip) is made from text that passed through one
`Redactor`, built once per package from the subject and the other people the package names.
The UK GDPR Art 15(4) and DPA 2018 Sch 2 para 16 say an access request must not disclose
another person's data without their consent or a reasonable-to-disclose decision.

What is hidden, and the rules chosen:

- **Names** of hidden people, matched on whole words only (a word is a run of letters or
  digits, so "Rose" never matches inside "Roseanne", nor "Ed" inside "Edward"); accents and case
  are ignored ("ZOË" matches "Zoe"), possessives work ("Nick's": "Nick" is a word of its own).
  A full name, a title + surname ("Mr Jones", "Dr. Jones"), or a title + full name is hidden
  in any case as one span. A single name part is hidden too, except:
  - a part of the **subject's own name** is never hidden (a shared family name tells the
    subject nothing new), though "Mr Jones" is, since a title + surname may be the other
    person even when the subject is a Jones too: with no recorded title the safe reading is
    taken, and the subject's own full name still stands;
  - a part that is also an **ordinary word** ("Will", "Rose", "Mark", "May", see `NAME_WORDS`),
    or is three letters or fewer ("Ed", "Jo", "Sam"), is hidden only where the text writes it
    with a capital ("Will", "WILL"), so "we will" and "a red rose" stay. A lowercase "will"
    meaning the person is missed, and a "Will" opening a sentence is hidden: staff review the
    draft before release;
  - single letters (initials) are not searched for.
- **Emails**: every address in free text except the subject's own and those of people shown
  on a decision (case-blind).
- **Phones**: every number in free text that `phonenumbers` reads as a possible phone number
  (national or international form, any spacing or brackets: `07700 900123`, `+44 7700 900123`,
  `(07700) 900 123`, `0044 7700 900123`), except the subject's own and shown people's, compared
  in E.164. A new number the records do not know is hidden too.
- **Dates of birth** of hidden people, written as ISO (`1985-03-03`), numerically (`03/03/1985`,
  `3.3.85`, day first as in the UK, and month first as well), or in words (`3 March 1985`,
  `3rd of March 1985`, `March 3rd, 1985`, `3 Mar 85`).
- **Postal addresses**: each line of a hidden person's address that has a house number, and its
  street without the number ("9 Station Road" and "Station Road"), and the whole address; a town
  alone is not hidden (it would hide the centre's own town). **Postcodes**: every UK postcode in
  free text except the subject's own and shown people's (a shown person's, unless their address
  is withheld). The address of a person marked `do_not_disclose_address` is hidden whatever
  decision shows them (DESIGN.md §3, §5).

The cost is linear in the text: one pass of one regular expression over each value, and a walk
of a token trie (the longest hidden name or address line bounds it) at each word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers

REDACTED = "[redacted]"


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


TITLES = _wordlist("mr mrs ms miss mx dr master sir dame lady lord prof professor rev revd fr sr")
CHILD_TITLES = frozenset({"master", "miss"})
# Given names and surnames that are also ordinary English words: hidden only when capitalised.
NAME_WORDS = _wordlist(
    """
    will rose mark may june april august dawn summer autumn amber ruby pearl jade hope faith
    joy grace patience charity constance prudence honor honour iris ivy holly hazel heather
    lily daisy violet poppy jasmine olive rosemary willow robin jack jay frank bill sue pat rob
    guy art don bob ray max rich gene sky skye river storm rain bud chase chance hunter mason
    baker cook smith taylor miller fisher turner carter walker wood woods hill hall green brown
    white black gray grey young king bishop page rice price long short stone lamb bird fox wolf
    bell best bright cross day dean ford frost gay hart hay hope lane law love may moss newman
    north park person pike pool rose sharp sterling strong swift wall ward well wells west wise
    york bank banks barber bolt bond booth bush butcher cash chamberlain church clay coles
    cotton dove drake duke earl fair field fields gold good hale hardy hawk heath hood hunt
    joiner knight lake marsh meadows mills moon nash noble oak paine parsons penny pepper
    poole porter potter reed rich rivers rush salt sands savage shepherd singer slater snow
    spring stables steel street summers tanner thorn tower vale vine wade waters weaver
    """
)
MAX_PHONE_PIECES = 6  # a phone number is written in at most this many space-separated pieces
SHORT_NAME = 3  # name parts this long or shorter are taken only when capitalised
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


def _alternation(names: Iterable[str]) -> str:
    """The names as one alternation with their common first letters factored out ("mar" and
    "march": `m(?:a(?:r(?:c(?:h))?...`): it matches what the names joined longest first match,
    trying them in that order, but the engine leaves it at the first letter that differs
    instead of trying every name in turn (the scanner tries it at every word)."""
    by_first: dict[str, list[str]] = {}
    for name in names:
        by_first.setdefault(name[0], []).append(name[1:])
    parts = []
    for first, rests in by_first.items():
        longer = [rest for rest in rests if rest]
        if not longer:
            parts.append(re.escape(first))
        else:
            optional = "?" if "" in rests else ""
            parts.append(f"{re.escape(first)}(?:{_alternation(longer)}){optional}")
    return "|".join(parts)


_MONTH = _alternation(MONTHS)
# Every month name starts with one of these: a value whose case-folded text has none of them
# has no month name the scanner could match ("ſep" folds to "sep"; IGNORECASE matches it too).
_MONTH_STARTS = tuple(sorted({name[:3] for name in MONTHS}))
_ORD = r"(?:st|nd|rd|th)?"
# One pass finds every span of interest; the groups are tried in this order at each position.
_NUMERIC_DATES = r"""
    (?P<iso>\b\d{4}-\d{1,2}-\d{1,2}\b)
  | (?P<numeric>\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b)
"""
_WORDED_DATES = rf"""
  | (?P<dmy>\b\d{{1,2}}{_ORD}(?:\s+of)?\s+(?:{_MONTH})\.?,?\s+(?:\d{{4}}|'?\d{{2}})\b)
  | (?P<mdy>\b(?:{_MONTH})\.?\s+\d{{1,2}}{_ORD},?\s+(?:\d{{4}}|'?\d{{2}})\b)
"""
_DATES = _NUMERIC_DATES + _WORDED_DATES
DATES = re.compile(_DATES, re.IGNORECASE | re.VERBOSE)
_EMAIL = r"(?P<email>[\w.+'-]+@[\w-]+(?:\.[\w-]+)+)"


def _digits(months: bool) -> str:
    """The dates, the postcode and the phone. Each starts with a month name or has a digit
    within its first three characters: checked once, that spares trying them at most words.
    Without `months`, the dates in words (and the month in that check) are left out."""
    return rf"""
    (?=.{{0,2}}\d{f"|{_MONTH}" if months else ""})(?:
      {_DATES if months else _NUMERIC_DATES}
    | (?P<postcode>\b[A-Z]{{1,2}}\d[A-Z\d]?\s*\d[A-Z]{{2}}\b)
    | (?P<phone>(?<![\w+])(?:\+|\()?\d[\d\s().-]{{6,}}\d(?![\w/]))
    )
"""


_WORD = r"(?P<word>[^\W_]+)"
_FLAGS = re.IGNORECASE | re.VERBOSE
SCANNER = re.compile("|".join((_EMAIL, _digits(True), _WORD)), _FLAGS)
# The same scanner without the groups that can match nowhere in a value, so the matches are
# the same: by (has an "@", has a month name) for a value with a digit (every date, postcode
# and phone has one; an email needs its "@"), and words alone for a value with neither.
_SCANNERS = {
    (True, True): SCANNER,
    (True, False): re.compile("|".join((_EMAIL, _digits(False), _WORD)), _FLAGS),
    (False, True): re.compile("|".join((_digits(True), _WORD)), _FLAGS),
    (False, False): re.compile("|".join((_digits(False), _WORD)), _FLAGS),
}
_SCANNER_WORDS = re.compile(_WORD, _FLAGS)
_DIGIT = re.compile(r"\d")
WORD = re.compile(r"[^\W_]+")
_SEPARATORS_ONLY = re.compile(r"[\s.,'’\-]*")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A word as compared: case-blind and accent-blind ("ZOË" → "zoe")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return [fold(w) for w in WORD.findall(text)]


@lru_cache(maxsize=65536)
def phone_key(text: str | None) -> str | None:
    """A phone number in E.164, or None when the text is not a possible phone number."""
    if not text:
        return None
    digits = sum(c.isdigit() for c in text)
    if digits < (8 if text.lstrip().startswith("+") else 10):
        return None
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_SPACES = re.compile(r"\s+")


def postcode_key(text: str) -> str:
    return _SPACES.sub("", text).upper()


POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)


def _year(text: str) -> list[int]:
    digits = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 4:
        return [digits]
    return [1900 + digits, 2000 + digits]


def _dates(day: int, month: int, years: list[int]) -> set[date]:
    found = set()
    for year in years:
        try:
            found.add(date(year, month, day))
        except ValueError:
            continue
    return found


def dates_in(kind: str, text: str) -> set[date]:
    """The dates a matched span may mean (a numeric date: day first, and month first)."""
    if kind == "iso":
        y, m, d = (int(n) for n in text.split("-"))
        return _dates(d, m, [y])
    if kind == "numeric":
        a, b, written_year = re.split(r"[/.-]", text)
        years = _year(written_year)
        return _dates(int(a), int(b), years) | _dates(int(b), int(a), years)
    tokens = re.findall(r"'?\d+|[A-Za-z]+", text)
    numbers = [t for t in tokens if t.lstrip("'").isdigit()]
    month = next(MONTHS[t.lower()] for t in tokens if t.lower() in MONTHS)
    return _dates(int(numbers[0]), month, _year(numbers[-1]))


def _postcodes(address: str | None) -> set[str]:
    return {postcode_key(p) for p in POSTCODE.findall(address or "")}


def _address_lines(address: str | None) -> list[list[str]]:
    """The lines of an address that have a house number, as words, without the postcode."""
    lines = []
    for line in re.split(r"[,\n;]+", address or ""):
        line_words = words(POSTCODE.sub(" ", line))
        if any(w.isdigit() for w in line_words):
            lines.append(line_words)
    return lines


@dataclass(frozen=True)
class Party:
    """A person as redaction sees them."""

    full_name: str
    email: str | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    address: str | None = None
    do_not_disclose_address: bool = False


class _Node:
    __slots__ = ("children", "end", "capital_only")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.end = False
        self.capital_only = False


class Redactor:
    """Built once per package; `text()` hides every hidden person's identifiers in a value.

    `subject`: whose package it is (never hidden). `hidden`: other people without a decision.
    `shown`: other people a decision shows (their identifiers stay, except the address of a
    `do_not_disclose_address` person). `allowed_emails`: addresses that are no one's personal
    data (the centre's own). `as_of`: the day ages are counted to (a child's titles are
    "Master" and "Miss" only)."""

    def __init__(
        self,
        subject: Party,
        hidden: Iterable[Party],
        shown: Iterable[Party] = (),
        allowed_emails: Iterable[str] = (),
        as_of: date | None = None,
    ) -> None:
        self._root = _Node()
        self._own_words = set(words(subject.full_name))
        self._hidden_dates: set[date] = set()
        self._allowed_emails = {e.casefold() for e in allowed_emails if e}
        self._allowed_phones: set[str] = set()
        self._phone_runs: dict[str, list[tuple[int, int]]] = {}
        self._allowed_postcodes: set[str] = set()
        self._own_postcodes = _postcodes(subject.address)
        self._own_lines = {tuple(line) for line in _address_lines(subject.address)}
        self._as_of = as_of
        self._titled: dict[frozenset[str], list[list[str]]] = {}  # titles → names they go with
        self._allow(subject, address=True)
        for person in shown:
            self._allow(person, address=not person.do_not_disclose_address)
            if person.do_not_disclose_address:
                self._hide_address(person.address)
        for person in hidden:
            self._hide(person)
        self._add_titled()

    # --- building -----------------------------------------------------------------------

    def _allow(self, person: Party, *, address: bool) -> None:
        if person.email:
            self._allowed_emails.add(person.email.casefold())
        if key := phone_key(person.phone):
            self._allowed_phones.add(key)
        if address and person.address:
            self._allowed_postcodes |= _postcodes(person.address)

    def _add(
        self, sequence: list[str], *, capital_only: bool = False, root: _Node | None = None
    ) -> None:
        if not sequence:
            return
        node = self._root if root is None else root
        for word in sequence:
            child = node.children.get(word)
            if child is None:
                child = node.children[word] = _Node()
            node = child
        if node.end and not node.capital_only:
            return  # already hidden in any case
        node.capital_only = capital_only if not node.end else node.capital_only and capital_only
        node.end = True

    def _hide(self, person: Party) -> None:
        name = words(person.full_name)
        if name:
            self._add(name)
            self._titled.setdefault(self._titles(person), []).append(name)
            for part in name:
                if len(part) < 2 or part in self._own_words:
                    continue
                self._add([part], capital_only=part in NAME_WORDS or len(part) <= SHORT_NAME)
        if person.date_of_birth:
            self._hidden_dates.add(person.date_of_birth)
        self._hide_address(person.address)

    def _add_titled(self) -> None:
        """Each title + full name and title + surname, added last. A title that starts no
        other hidden sequence gets a subtree shared with every title that goes with the same
        people (Mr, Mrs, Dr... all do): the trie is the same to walk, and a package hiding
        2,000 people builds a few thousand nodes for their titles, not 100,000."""
        groups: dict[str, list[frozenset[str]]] = {}
        for titles in self._titled:
            for title in titles:
                groups.setdefault(title, []).append(titles)
        shared: dict[tuple[frozenset[str], ...], _Node] = {}
        for title, group in groups.items():
            names = [name for titles in group for name in self._titled[titles]]
            if title in self._root.children:  # also a name or an address's first word
                for name in names:
                    self._add([title, *name])
                    self._add([title, name[-1]])
                continue
            key = tuple(group)
            node = shared.get(key)
            if node is None:
                node = shared[key] = _Node()
                for name in names:
                    self._add(name, root=node)
                    self._add([name[-1]], root=node)
            self._root.children[title] = node

    def _titles(self, person: Party) -> frozenset[str]:
        born, today = person.date_of_birth, self._as_of
        if (
            born
            and today
            and (today.year - born.year) - ((today.month, today.day) < (born.month, born.day)) < 18
        ):
            return CHILD_TITLES
        return TITLES

    def _hide_address(self, address: str | None) -> None:
        """An address's lines with a house number, their streets, and the whole address; the
        lines the subject's own address shares (a former home) stay."""
        if not address:
            return
        whole = words(address)
        if tuple(whole) not in self._own_lines:
            self._add(whole)
        for line in _address_lines(address):
            if tuple(line) in self._own_lines:
                continue
            self._add(line)
            street = [w for w in line if not any(c.isdigit() for c in w)]
            if len(street) >= 2 and tuple(street) not in self._own_lines:
                self._add(street)
        # Its postcodes stop being allowed (a shown person's, for instance), unless the
        # subject's own.
        self._allowed_postcodes -= _postcodes(address) - self._own_postcodes

    # --- redacting ----------------------------------------------------------------------

    def text(self, value: str | None) -> str | None:
        if not value:
            return value
        spans: list[tuple[int, int]] = []
        scanner = self._scanner(value)
        matches = list(scanner.finditer(value))
        starts = self._root.children  # most words start no hidden sequence: no walk for them
        i = 0
        while i < len(matches):
            match = matches[i]
            kind = match.lastgroup
            if kind == "word":
                if fold(match.group()) not in starts:
                    i += 1
                    continue
                end = self._name_at(value, matches, i)
                if end > i:
                    spans.append((match.start(), matches[end - 1].end()))
                    i = end
                    continue
            elif kind == "phone":
                offset = match.start()
                spans += [(offset + start, offset + end) for start, end in self._phones(match)]
            elif self._hides(kind, match.group()):
                spans.append(match.span())
            i += 1
        if not spans:
            return value
        out, last = [], 0
        for start, end in spans:
            out.append(value[last:start])
            out.append(REDACTED)
            last = end
        out.append(value[last:])
        return "".join(out)

    @staticmethod
    def _scanner(value: str) -> re.Pattern[str]:
        if _DIGIT.search(value):
            folded = value.casefold()
            return _SCANNERS["@" in value, any(map(folded.__contains__, _MONTH_STARTS))]
        if "@" in value:
            return SCANNER
        return _SCANNER_WORDS

    def _hides(self, kind: str | None, text: str) -> bool:
        if kind == "email":
            return text.casefold() not in self._allowed_emails
        if kind == "postcode":
            return postcode_key(text) not in self._allowed_postcodes
        if kind in ("iso", "numeric", "dmy", "mdy"):
            return bool(self._hidden_dates & dates_in(kind, text))
        return False

    def _phones(self, match: re.Match[str]) -> list[tuple[int, int]]:
        """The hidden phone numbers in a run of digits, spaces and brackets (their spans in
        it), found once per run: the same numbers recur across a subject's records."""
        text = match.group()
        found = self._phone_runs.get(text)
        if found is None:
            found = self._phone_runs[text] = self._phones_in(text)
        return found

    def _phones_in(self, text: str) -> list[tuple[int, int]]:
        """The whole run, or else the longest runs of its pieces that are numbers ("07700
        900123 12" holds one). A shown number inside the run stays whole: "0 07700 900111" is
        no +7 number when 07700 900111 is the subject's own."""
        key = phone_key(text)
        if key in self._allowed_phones:
            return []
        pieces = [m.span() for m in re.finditer(r"\S+", text)]
        shown = self._shown_phone_runs(text, pieces) if len(pieces) > 1 else {}
        if key is not None and not shown:
            return [(0, len(text))]
        found, i = [], 0
        while i < len(pieces):
            if i in shown:
                i = shown[i]
                continue
            limit = min((k for k in shown if k > i), default=len(pieces))
            for j in range(min(limit, i + MAX_PHONE_PIECES), i, -1):
                start, end = pieces[i][0], pieces[j - 1][1]
                key = phone_key(text[start:end])
                if key is not None:
                    if key not in self._allowed_phones:
                        found.append((start, end))
                    i = j
                    break
            else:
                # Not part of a number: a date, perhaps ("... 900 123 1985-03-03").
                start, end = pieces[i]
                for match in DATES.finditer(text, start, end):
                    if self._hides(match.lastgroup, match.group()):
                        found.append(match.span())
                i += 1
        return found

    def _shown_phone_runs(self, text: str, pieces: list[tuple[int, int]]) -> dict[int, int]:
        """For each piece where a shown number starts, the piece after its end (longest)."""
        runs: dict[int, int] = {}
        if not self._allowed_phones:
            return runs
        for i in range(len(pieces)):
            for j in range(min(len(pieces), i + MAX_PHONE_PIECES), i, -1):
                if phone_key(text[pieces[i][0] : pieces[j - 1][1]]) in self._allowed_phones:
                    runs[i] = j
                    break
        return runs

    def _name_at(self, value: str, matches: list[re.Match[str]], first: int) -> int:
        """The index after the longest hidden sequence of words starting at `first`, or
        `first` when none starts there. Words must follow each other with only spaces or
        punctuation between them."""
        node, best, i = self._root, first, first
        while i < len(matches) and matches[i].lastgroup == "word":
            word = matches[i].group()
            node = node.children.get(fold(word))  # type: ignore[assignment]
            # Either ends the walk; the trie's test first, as it is the cheaper.
            if node is None or (
                i > first
                and not _SEPARATORS_ONLY.fullmatch(value, matches[i - 1].end(), matches[i].start())
            ):
                break
            i += 1
            if node.end and (not node.capital_only or word[0].isupper()):
                best = i
        return best
