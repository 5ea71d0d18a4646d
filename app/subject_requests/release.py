"""Release of a package (DESIGN.md §5, "Package review and release"), and its formats.

`release` builds the package once more, now with state `released`, renders it as JSON, CSV and
a printable HTML document (jinja2, autoescaped: the package's text is data, never markup), adds
copies of the documents the subject is entitled to, and stores the lot as one zip, encrypted at
rest, with its sha256 and the sha256 of each file in it. Every later download is read from that
zip, so what the subject was sent can be proved, whatever happens to the records afterwards.
The snapshot goes with its request (retention rule `subject_request`).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.models import Document
from app.kit.collector import collector_paused
from app.kit.rules import flush_or_conflict
from app.subject_requests import package as packages
from app.subject_requests.models import ReleasedPackage, SubjectRequest
from app.subject_requests.schemas import AccessPackage, PortabilityPackage

RETENTION_RULE = "subject_request"
FORMATS = {
    "json": ("package.json", "application/json"),
    "csv": ("package.csv", "text/csv; charset=utf-8"),
    "html": ("package.html", "text/html; charset=utf-8"),
}
ZIP_MEDIA_TYPE = "application/zip"
# Fixed timestamps: the same files always make the same zip.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

SECTIONS = {
    "access": (
        ("subject", "Your details"),
        ("made_for", "The request made for a child"),
        ("referrals", "Referrals"),
        ("pre_visits", "Pre-visits"),
        ("sessions", "Contact sessions"),
        ("incidents", "Incidents"),
        ("complaints", "Complaints"),
        ("disclosures", "What we shared with others"),
        ("documents", "Documents"),
        ("subject_requests", "Your requests to us"),
        ("withheld", "Information withheld, and why"),
        ("pending_review", "Awaiting a decision (draft only)"),
        ("supplementary", "How we use your information"),
    ),
    "portability": (
        ("details", "The details you gave us"),
        ("self_referrals", "Referrals you made"),
        ("complaints", "Your complaints"),
    ),
}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@cache
def _label(key: str) -> str:
    return key.replace("_", " ").replace(".", " ").capitalize()


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)


def _escaped(text: str) -> str:
    """What jinja2's autoescape (markupsafe) writes, without a Markup object per value: the
    tens of thousands of cells of a large package each cost a few C-level replaces."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


@cache
def _row_start(name: str) -> str:
    """A row's opening and escaped label: a package has a few hundred distinct field names."""
    return f"<tr><th>{_escaped(_label(name))}</th><td>"


def _add_rows(value: dict[str, Any], out: list[str], prefix: str = "") -> None:
    """A record's table rows, nested objects and lists of objects flattened the way the CSV
    flattens them, every label and text escaped."""
    for key, item in value.items():
        name = prefix + key
        if item.__class__ is str:  # most cells: tested first
            out += (_row_start(name), _escaped(item), "</td></tr>\n")
        elif isinstance(item, dict):
            _add_rows(item, out, f"{name}.")
        elif isinstance(item, list) and any(isinstance(v, dict) for v in item):
            for index, entry in enumerate(item, start=1):
                _add_rows(entry, out, f"{name}.{index}.")
        else:
            out += (_row_start(name), _escaped(_shown(item)), "</td></tr>\n")


def _rows(value: dict[str, Any]) -> Markup:
    """A record's table rows."""
    out: list[str] = []
    _add_rows(value, out)
    return Markup("".join(out))  # noqa: S704 - every label and text in it is escaped


def as_html(package: AccessPackage | PortabilityPackage, data: dict[str, Any] | None = None) -> str:
    """The printable document. `data`: the package as `model_dump(mode="json")` gives it, when
    the caller has it."""
    if data is None:
        data = package.model_dump(mode="json")
    title = (
        "Your personal data: subject access"
        if package.kind == "access"
        else "The data you gave us: portability"
    )
    sections = []
    for name, heading in SECTIONS[package.kind]:
        content = data.get(name)
        records: list[tuple[str | None, Markup]]
        if isinstance(content, dict):
            records = [(None, _rows(content))]
        else:
            singular = _label(packages.SINGULAR.get(name, name))
            records = [(f"{singular} {i}", _rows(r)) for i, r in enumerate(content or [], 1)]
        sections.append((heading, records))
    return (
        _environment()
        .get_template("package.html")
        .render(title=title, about=data, sections=sections)
    )


@collector_paused()
def render(package: AccessPackage | PortabilityPackage) -> dict[str, bytes]:
    """The package in every format, as the files of the bundle (CSV and HTML from one dump)."""
    data = package.model_dump(mode="json")
    return {
        "package.json": package.model_dump_json(indent=2).encode(),
        "package.csv": packages.as_csv(package, data).encode(),
        "package.html": as_html(package, data).encode(),
    }


def document_copies(
    session: Session, documents: list[Document], redact: packages.Redact
) -> dict[str, bytes]:
    """Copies of the documents released: plain text redacted like every other text; other
    formats as they are (they reach here only with a reviewer's `disclose` decision)."""
    if not documents:
        return {}
    contents = {
        row.id: row.content
        for row in session.execute(
            select(Document.id, Document.content).where(Document.id.in_([d.id for d in documents]))
        )
    }
    copies = {}
    for document in documents:
        content = contents[document.id]
        if document.content_type in packages.REDACTABLE_DOCUMENTS:
            content = (redact(content.decode("utf-8", errors="replace")) or "").encode()
        copies[packages.copy_path(document)] = content
    return copies


def zip_files(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, files[name])
    return out.getvalue()


def snapshot(session: Session, request: SubjectRequest) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The files of the released package, and the counts its audit row keeps."""
    if request.kind == "access":
        built = packages.build_access(session, request, state="released")
        files = render(built.package)
        files |= document_copies(session, built.documents, built.redact)
        return files, built.audit
    portability, audit = packages.portability_package(session, request, state="released")
    return render(portability), audit


def store(
    session: Session, request: SubjectRequest, files: dict[str, bytes], released_by_id: Any
) -> ReleasedPackage:
    content = zip_files(files)
    released = ReleasedPackage(
        centre_id=request.centre_id,
        request_id=request.id,
        released_by_id=released_by_id,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        files={name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        content=content,
    )
    session.add(released)
    flush_or_conflict(session, "The package was released already")
    return released


def read_file(released: ReleasedPackage, name: str) -> bytes:
    """One file of the snapshot, checked against the digest recorded at release."""
    with zipfile.ZipFile(io.BytesIO(released.content)) as bundle:
        data = bundle.read(name)
    if hashlib.sha256(data).hexdigest() != released.files[name]:
        raise RuntimeError(f"released package {released.id}: {name} does not match its digest")
    return data


def download(released: ReleasedPackage, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of a released package in one format."""
    if fmt == "zip":
        content = released.content
        if hashlib.sha256(content).hexdigest() != released.sha256:
            raise RuntimeError(f"released package {released.id} does not match its digest")
        return content, ZIP_MEDIA_TYPE, f"package-{released.request_id}.zip"
    name, media_type = FORMATS[fmt]
    stem, extension = name.split(".")
    return read_file(released, name), media_type, f"{stem}-{released.request_id}.{extension}"
