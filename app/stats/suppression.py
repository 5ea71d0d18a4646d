"""Disclosure control: no published figure lets anyone work back to a family (DESIGN §11).

A table is a set of named counts and the lines that add up (`parts` sum to `total`): a group and
its total, each row and column of a two-way table with its margins, a breakdown of one cell (the
absences by reason add up to the absent cell). A cell may sit on several lines.

1. Primary suppression: a count from 1 to `threshold - 1` is hidden. Zero is shown (it names no
   one), so anyone can tell that a hidden count is at least 1.
2. Complementary suppression: someone who knows this method can bound each hidden count by what
   is shown. They know every hidden count is at least 1, that a primary one is at most
   `threshold - 1` (assume they can tell which are primary), and every line's equation. On each
   line that has hidden cells, while
   - a hidden cell's interval from the line is a single value, or
   - the hidden parts of a line whose total is shown add up to less than the threshold (two
     hidden cells of 1 and 1, with the total shown, are a group of 2),
   the next smallest non-zero shown part is hidden too (when no part is left, the total). Hiding
   a cell of one line changes the crossing lines, so this runs until nothing changes (a fixed
   point). Intervals line by line miss what only several equations together reveal (a hidden
   cell equal to one row total minus another), so each fixed point is then audited exactly:
   every hidden cell's smallest and largest value given everything shown, all lines at once and
   every hidden count at least 1, by integer linear programming (scipy's HiGHS); a cell with a
   single possible value gets a complement on one of its lines, and round again.
   tests/stats/test_disclosure_properties.py checks the published result the same way for
   random tables.
3. Rates are computed from the published figures, so a rate of a hidden count is null (the rate
   is suppressed with its counts). Medians need at least `threshold` values.
4. Rounding (optional; always for service clients): each shown count to the nearest multiple of
   5, after suppression, independently (rounded figures need not add up).

Guidance followed: ONS, "Disclosure control guidance for tables produced from administrative
data sources" (threshold, primary and secondary suppression, differencing between tables), and
the ICO's "Anonymisation: managing data protection risk" code (small numbers and the
"motivated intruder" test: anonymous statistics fall outside UK GDPR only when no one can
reasonably single out a person from them, Recital 26).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from app.stats.schemas import StatsCell, StatsGroup, StatsTable

ROUNDING_BASE = 5
UNBOUNDED = math.inf
MAX_PASSES = 100


@dataclass(frozen=True)
class Line:
    """`parts` add up to `total` (cell keys)."""

    parts: tuple[str, ...]
    total: str


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def bounds(
    values: Mapping[str, int], hidden: set[str], threshold: int
) -> dict[str, tuple[float, float]]:
    """What someone who knows the method knows of each hidden cell, before any equation: at
    least 1 (zeros are shown), at most `threshold - 1` when it is small (primary)."""
    return {
        key: (1, threshold - 1 if is_small(values[key], threshold) else UNBOUNDED) for key in hidden
    }


def line_interval(
    values: Mapping[str, int],
    hidden: set[str],
    box: Mapping[str, tuple[float, float]],
    line: Line,
    key: str,
) -> tuple[float, float]:
    """The values `key` (hidden, on `line`) can take given this line's equation and the bounds
    of the other hidden cells on it. Exact for one equation: `parts - total = 0`."""
    signed = [(part, 1) for part in line.parts] + [(line.total, -1)]
    known = -sum(sign * values[cell] for cell, sign in signed if cell not in hidden)
    own_sign = next(sign for cell, sign in signed if cell == key)
    low_rest = high_rest = 0.0
    for cell, sign in signed:
        if cell == key or cell not in hidden:
            continue
        low, high = box[cell]
        low_rest += sign * low if sign > 0 else sign * high
        high_rest += sign * high if sign > 0 else sign * low
    # own_sign * x = known - rest
    if own_sign > 0:
        low, high = known - high_rest, known - low_rest
    else:
        low, high = low_rest - known, high_rest - known
    own_low, own_high = box[key]
    return max(low, own_low), min(high, own_high)


def propagate(
    values: Mapping[str, int], hidden: set[str], lines: Sequence[Line], threshold: int
) -> dict[str, tuple[float, float]]:
    """Each hidden cell's bounds, narrowed by every line in turn until nothing changes (a hidden
    row total is at least the number of its hidden parts, which narrows the grand total's
    other parts, ...)."""
    box = bounds(values, hidden, threshold)
    for _ in range(MAX_PASSES):
        changed = False
        for line in lines:
            for cell in (*line.parts, line.total):
                if cell not in hidden:
                    continue
                low, high = line_interval(values, hidden, box, line, cell)
                if (low, high) != box[cell]:
                    box[cell] = (low, high)
                    changed = True
        if not changed:
            break
    return box


def _line_is_safe(
    values: Mapping[str, int],
    hidden: set[str],
    box: Mapping[str, tuple[float, float]],
    line: Line,
    threshold: int,
) -> bool:
    on_line = [cell for cell in (*line.parts, line.total) if cell in hidden]
    if not on_line:
        return True
    if line.total not in hidden:
        hidden_parts = sum(values[cell] for cell in line.parts if cell in hidden)
        if hidden_parts < threshold:
            return False
    for cell in on_line:
        low, high = line_interval(values, hidden, box, line, cell)
        if not low < high:
            return False
    return True


def _next_to_hide(values: Mapping[str, int], hidden: set[str], line: Line) -> str | None:
    candidates = [
        (values[cell], index, cell)
        for index, cell in enumerate(line.parts)
        if cell not in hidden and values[cell] > 0
    ]
    if candidates:
        return min(candidates)[2]
    if line.total not in hidden and values[line.total] > 0:
        return line.total
    return None


def suppress_cells(values: Mapping[str, int], lines: Sequence[Line], threshold: int) -> set[str]:
    """The keys of the cells to hide (primary and complementary), at a fixed point: first each
    line on its own, then all lines together (bounds narrowed across lines, `propagate`); a
    cell still pinned down gets the smallest complement on one of its lines, and round again."""
    hidden = {key for key, count in values.items() if is_small(count, threshold)}
    while True:
        _make_lines_safe(values, lines, hidden, threshold)
        box = propagate(values, hidden, lines, threshold)
        pinned = [key for key in sorted(hidden) if not box[key][0] < box[key][1]]
        if not pinned:
            pinned = derivable(values, lines, hidden)
        more = _complement_for(values, lines, hidden, pinned)
        if more is None:
            return hidden
        hidden.add(more)


def derivable(values: Mapping[str, int], lines: Sequence[Line], hidden: set[str]) -> list[str]:
    """The hidden cells whose value follows from everything shown: all lines' equations at once,
    every hidden count a whole number of at least 1. A cell is safe when some other value is
    feasible too, so each needs one solve, two only when its value is the largest feasible."""
    order = sorted(hidden)
    if not order:
        return []
    index = {cell: i for i, cell in enumerate(order)}
    rows, rhs = [], []
    for line in lines:
        coefficients = np.zeros(len(order))
        known = 0.0
        for cell, sign in [(part, 1) for part in line.parts] + [(line.total, -1)]:
            if cell in hidden:
                coefficients[index[cell]] += sign
            else:
                known += sign * values[cell]
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-known)
    constraints = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    bounds_ = Bounds(np.ones(len(order)), np.full(len(order), _LARGEST))
    integrality = np.ones(len(order))

    def extreme(key: str, direction: int) -> float:
        objective = np.zeros(len(order))
        objective[index[key]] = -direction
        result = milp(objective, constraints=constraints, integrality=integrality, bounds=bounds_)
        return float(direction * -result.fun) if result.success else float(values[key])

    return [
        key
        for key in order
        if round(extreme(key, 1)) <= values[key] and round(extreme(key, -1)) >= values[key]
    ]


# An upper bound for the solver only (counts are far below it); it keeps every solve bounded.
_LARGEST = 10.0**9


def _make_lines_safe(
    values: Mapping[str, int], lines: Sequence[Line], hidden: set[str], threshold: int
) -> None:
    changed = True
    while changed:
        changed = False
        for line in lines:
            while not _line_is_safe(
                values, hidden, bounds(values, hidden, threshold), line, threshold
            ):
                more = _next_to_hide(values, hidden, line)
                if more is None:
                    break
                hidden.add(more)
                changed = True


def _complement_for(
    values: Mapping[str, int], lines: Sequence[Line], hidden: set[str], pinned: list[str]
) -> str | None:
    """The smallest shown cell on a line through a pinned-down hidden cell; when those lines have
    none left, the smallest on any line with a hidden cell (the equations that pinned it run
    through them)."""
    if not pinned:
        return None
    through_pinned = [
        line for line in lines if any(key in line.parts or key == line.total for key in pinned)
    ]
    for candidates in (through_pinned, [line for line in lines if _touches(line, hidden)]):
        options = [
            (values[more], more)
            for line in candidates
            if (more := _next_to_hide(values, hidden, line)) is not None
        ]
        if options:
            return min(options)[1]
    return None


def _touches(line: Line, hidden: set[str]) -> bool:
    return line.total in hidden or any(part in hidden for part in line.parts)


# --- shaping the result ------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """How figures are published: the threshold, and whether shown counts are rounded."""

    threshold: int
    rounded: bool = False

    def shown(self, count: int) -> StatsCell:
        if self.rounded:
            count = ROUNDING_BASE * math.floor(count / ROUNDING_BASE + 0.5)
        return StatsCell(count=count, suppressed=False)

    def cell(self, key: str, values: Mapping[str, int], hidden: set[str]) -> StatsCell:
        if key in hidden:
            return StatsCell(count=None, suppressed=True)
        return self.shown(values[key])

    def single(self, count: int, *, withheld: bool = False) -> StatsCell:
        """A count on its own (not part of a line)."""
        if withheld or is_small(count, self.threshold):
            return StatsCell(count=None, suppressed=True)
        return self.shown(count)

    def group(self, counts: Mapping[str, int], *, withheld: bool = False) -> StatsGroup:
        """One line: `counts` (key order kept) and their total."""
        values = {f"cell:{key}": count for key, count in counts.items()}
        values["total"] = sum(counts.values())
        line = Line(tuple(k for k in values if k != "total"), "total")
        hidden = set(values) if withheld else suppress_cells(values, [line], self.threshold)
        return StatsGroup(
            cells={key: self.cell(f"cell:{key}", values, hidden) for key in counts},
            total=self.cell("total", values, hidden),
        )

    def table(
        self,
        values: Mapping[str, int],
        hidden: set[str],
        rows: Sequence[str],
        columns: Sequence[str],
    ) -> StatsTable:
        """A two-way table (`table_values` keys) with its margins, `hidden` already decided."""
        return StatsTable(
            cells={
                row: {column: self.cell(f"{row}|{column}", values, hidden) for column in columns}
                for row in rows
            },
            row_totals={row: self.cell(f"{row}|*", values, hidden) for row in rows},
            column_totals={column: self.cell(f"*|{column}", values, hidden) for column in columns},
            total=self.cell("*|*", values, hidden),
        )

    def linked(
        self, values: Mapping[str, int], lines: Sequence[Line], *, withheld: bool = False
    ) -> set[str]:
        """The hidden keys of any linked set of lines (e.g. a group and a breakdown of a cell)."""
        return set(values) if withheld else suppress_cells(values, lines, self.threshold)

    def median(self, values: Iterable[int], *, withheld: bool = False) -> float | None:
        """The median of `values`, or None when there are fewer than `threshold` of them: the
        median of two or three values is close to a value itself."""
        found = list(values)
        if withheld or len(found) < self.threshold:
            return None
        return float(statistics.median(found))


def table_values(
    counts: Mapping[tuple[str, str], int], rows: Sequence[str], columns: Sequence[str]
) -> dict[str, int]:
    """Cells `row|column`, row totals `row|*`, column totals `*|column`, total `*|*`."""
    values = {f"{r}|{c}": counts.get((r, c), 0) for r in rows for c in columns}
    for r in rows:
        values[f"{r}|*"] = sum(values[f"{r}|{c}"] for c in columns)
    for c in columns:
        values[f"*|{c}"] = sum(values[f"{r}|{c}"] for r in rows)
    values["*|*"] = sum(values[f"{r}|*"] for r in rows)
    return values


def table_lines(rows: Sequence[str], columns: Sequence[str]) -> list[Line]:
    lines = [Line(tuple(f"{r}|{c}" for c in columns), f"{r}|*") for r in rows]
    lines += [Line(tuple(f"{r}|{c}" for r in rows), f"*|{c}") for c in columns]
    lines.append(Line(tuple(f"{r}|*" for r in rows), "*|*"))
    lines.append(Line(tuple(f"*|{c}" for c in columns), "*|*"))
    return lines


def rate(
    numerator: Iterable[StatsCell], denominator: Iterable[StatsCell], digits: int = 4
) -> float | None:
    """sum(numerator) / sum(denominator) of the published figures, or None when a part is hidden
    or the denominator is 0."""
    top, bottom = list(numerator), list(denominator)
    if any(c.suppressed or c.count is None for c in top + bottom):
        return None
    total = sum(c.count or 0 for c in bottom)
    if total == 0:
        return None
    return round(sum(c.count or 0 for c in top) / total, digits)
