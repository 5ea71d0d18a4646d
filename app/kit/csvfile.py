"""CSV as every export writes it: cells that a spreadsheet would run as a formula are escaped.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
(OWASP, "CSV injection"; DESIGN.md §5 Portability), so a spreadsheet shows it as text. Every
CSV the API writes goes through `write_csv`, or is made of `text_cell`s joined by `join_lines`,
which write the same (a test holds them to it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The rows as the csv module writes them (excel dialect, CRLF), every cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return out.getvalue()


def text_cell(text: str) -> str:
    """A text cell as `write_csv` writes it in a row of two or more cells: as it is, or else
    guarded and quoted as the csv module quotes it. For callers that build the lines
    themselves (an access package's 157k rows) and join them with `join_lines`."""
    if (
        "," in text
        or '"' in text
        or "\r" in text
        or "\n" in text
        or text.startswith(FORMULA_STARTS)
    ):
        return _quoted(text)
    return text


@lru_cache(maxsize=4096)
def fixed_cell(text: str) -> str:
    """`text_cell` for the few texts that recur on every row (field names, record types)."""
    return text_cell(text)


def _quoted(text: str) -> str:
    """The guarded cell as the csv module writes it (excel dialect, minimal quoting): in
    quotes, its quotes doubled, when it holds a comma, a quote, CR or LF."""
    cell = safe_cell(text)
    if "," in cell or '"' in cell or "\r" in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def join_lines(lines: list[str]) -> str:
    """Lines of cells made with `text_cell`, as `write_csv` ends them."""
    return "\r\n".join(lines) + "\r\n" if lines else ""
