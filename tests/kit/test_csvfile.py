"""`write_csv` writes what the csv module writes for the guarded cells, whatever the cells."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.csvfile import fixed_cell, join_lines, safe_cell, text_cell, write_csv

# Text made of the characters that matter: separators, quotes, line breaks, formula starts.
TEXT = st.text(alphabet=["a", "é", " ", ",", '"', "'", "\r", "\n", "=", "+", "-", "@", "\t"])
CELL = st.one_of(TEXT, st.none(), st.booleans(), st.integers(-5, 5), st.floats(-2, 2))
ROW = st.lists(CELL, max_size=5)


def module_csv(header: list[Any], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_cell(c) for c in row] for row in [header, *rows])
    return out.getvalue()


@settings(max_examples=500)
@given(header=ROW, rows=st.lists(ROW, max_size=5))
def test_rows_are_written_as_the_csv_module_writes_the_guarded_cells(
    header: list[Any], rows: list[list[Any]]
) -> None:
    assert write_csv(header, rows) == module_csv(header, rows)


@settings(max_examples=500)
@given(rows=st.lists(st.lists(TEXT, min_size=2, max_size=5), max_size=5))
def test_lines_of_text_cells_are_what_write_csv_writes(rows: list[list[str]]) -> None:
    lines = [",".join([fixed_cell(row[0]), *map(text_cell, row[1:])]) for row in rows]
    assert write_csv(["h", "i"], []) + join_lines(lines) == write_csv(["h", "i"], rows)
