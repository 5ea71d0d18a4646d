"""CSV as every export writes it: cells that a spreadsheet would run as a formula are escaped.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
(OWASP, "CSV injection"; DESIGN.md §5 Portability), so a spreadsheet shows it as text. Every
CSV the API writes goes through `write_csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return out.getvalue()
