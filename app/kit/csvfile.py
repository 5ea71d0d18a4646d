"""CSV as every export writes it: cells that a spreadsheet would run as a formula are escaped.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
(OWASP, "CSV injection"; DESIGN.md §5 Portability), so a spreadsheet shows it as text. Every
CSV the API writes goes through `write_csv`, or is made of `text_cell`s joined by `join_lines`,
which write the same (a test holds them to it).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# In a row's cells joined by commas: a cell after the first that needs the guard.
_GUARDED_AFTER_COMMA = re.compile(r",[=+\-@\t]")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The rows as the csv module writes them (excel dialect, CRLF), every cell guarded.

    A row whose cells need neither quotes (no comma, quote, CR or LF) nor the guard — nearly
    all of them — is written as its cells joined by commas, which is what the module writes
    for it, without a Python call per text cell (an access package has 600k cells); any other
    row goes through the module."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in chain([header], rows):
        try:
            line = ",".join(row)
        except TypeError:  # a cell that is not text (None, a number, a flag)
            row = [safe_cell(c) for c in row]
            line = ",".join(row)
        if (
            line
            and line.count(",") == len(row) - 1
            and '"' not in line
            and "\r" not in line
            and "\n" not in line
            and not line.startswith(FORMULA_STARTS)
            and not _GUARDED_AFTER_COMMA.search(line)
        ):
            out.write(line)
            out.write("\r\n")
        else:
            writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def text_cell(text: str) -> str:
    """A text cell as `write_csv` writes it in a row of two or more cells: as it is, or else
    guarded and quoted by the csv module. For callers that build the lines themselves (an
    access package's 157k rows) and join them with `join_lines`."""
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
