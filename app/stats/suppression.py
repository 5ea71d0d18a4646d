"""Small-number suppression: statistics never show a count that could point at a family.

A count from 1 to `threshold - 1` is hidden (`count: null, suppressed: true`); 0 is shown. When
a group has exactly one hidden cell, the next smallest non-zero cell is hidden too (secondary
suppression), so the total minus the shown cells cannot give the hidden one back. A total from
1 to `threshold - 1` is hidden itself. A breakdown of a count hidden elsewhere (absences by
reason, of the absences) is hidden whole. Rates are null when a part of them is hidden, and a
median when it is taken over fewer than `threshold` values.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping

from app.stats.schemas import StatsCell, StatsGroup


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def cell(count: int, threshold: int) -> StatsCell:
    """A count on its own (not part of a group)."""
    if is_small(count, threshold):
        return StatsCell(count=None, suppressed=True)
    return StatsCell(count=count, suppressed=False)


def suppress(counts: Mapping[str, int], threshold: int, *, hide_all: bool = False) -> StatsGroup:
    """The group of `counts` (key order kept) with small cells and their complements hidden.

    `hide_all` hides every non-zero cell and the total: for a breakdown of a hidden count.
    """
    order = list(counts)
    if hide_all:
        hidden = {key for key in order if counts[key] > 0}
    else:
        hidden = {key for key in order if is_small(counts[key], threshold)}
    if len(hidden) == 1:
        others = [(counts[k], i, k) for i, k in enumerate(order) if k not in hidden and counts[k]]
        if others:
            hidden.add(min(others)[2])
    total = sum(counts.values())
    total_cell = cell(total, threshold)
    if hide_all and total:
        total_cell = StatsCell(count=None, suppressed=True)
    return StatsGroup(
        cells={
            key: StatsCell(count=None, suppressed=True)
            if key in hidden
            else StatsCell(count=counts[key], suppressed=False)
            for key in order
        },
        total=total_cell,
    )


def rate(
    numerator: Iterable[StatsCell], denominator: Iterable[StatsCell], digits: int = 4
) -> float | None:
    """sum(numerator) / sum(denominator), or None when a part is hidden or the denominator is 0."""
    top, bottom = list(numerator), list(denominator)
    if any(c.suppressed or c.count is None for c in top + bottom):
        return None
    total = sum(c.count or 0 for c in bottom)
    if total == 0:
        return None
    return round(sum(c.count or 0 for c in top) / total, digits)


def median(values: Iterable[int], threshold: int) -> float | None:
    """The median of `values` (e.g. days to resolution), or None when there are fewer than
    `threshold` of them: the median of two or three values is close to a value itself."""
    found = list(values)
    if len(found) == 0 or is_small(len(found), threshold):
        return None
    return float(statistics.median(found))
