"""Property: for random tables of the shapes the summary publishes, no hidden count can be worked
out from what is shown. Each hidden cell's interval is computed exactly: the smallest and the
largest integer it can take given every shown cell, every line's equation (all at once) and that
a hidden count is at least 1 (zeros are shown), by integer linear programming (scipy's HiGHS).

The method itself also assumes that an intruder can tell which hidden cells are small (at most
threshold - 1) and adds complements against that where it can (test_suppression.py shows the
cases of the issue); no suppression can always defeat that stronger intruder (two cells of 1
under a hidden row total of 2 are 1 and 1 whatever else is hidden), so the property is stated for
the usual intruder of disclosure control: the table's equations and non-negativity, here the
knowledge that zeros are shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from app.stats.suppression import Line, is_small, suppress_cells, table_lines, table_values

THRESHOLDS = st.integers(min_value=3, max_value=10)
# Mostly small counts (where disclosure happens), some zeros, some large.
COUNTS = st.one_of(
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=15),
    st.integers(min_value=0, max_value=200),
)


def exact_interval(
    values: Mapping[str, int],
    lines: Sequence[Line],
    hidden: set[str],
    threshold: int,
    key: str,
) -> tuple[float, float]:
    order = sorted(hidden)
    index = {cell: i for i, cell in enumerate(order)}
    rows, rhs = [], []
    for line in lines:
        coefficients = np.zeros(len(order))
        known = 0.0
        for cell, sign in [(p, 1) for p in line.parts] + [(line.total, -1)]:
            if cell in hidden:
                coefficients[index[cell]] += sign
            else:
                known += sign * values[cell]
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-known)
        else:
            assert known == 0, "the published figures are consistent"
    lower = np.ones(len(order))
    # No upper bound; a large finite one keeps the solver's answer unambiguous.
    upper = np.full(len(order), 10.0**6)
    constraints = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    found = []
    for direction in (1, -1):
        objective = np.zeros(len(order))
        objective[index[key]] = direction
        result = milp(
            objective,
            constraints=constraints,
            integrality=np.ones(len(order)),
            bounds=Bounds(lower, upper),
        )
        assert result.success, result.message
        found.append(direction * result.fun)
    return found[0], found[1]


def assert_protected(values: Mapping[str, int], lines: Sequence[Line], threshold: int) -> set[str]:
    hidden = suppress_cells(values, lines, threshold)
    assert {k for k, v in values.items() if is_small(v, threshold)} <= hidden, "primaries"
    for key in hidden:
        low, high = exact_interval(values, lines, hidden, threshold, key)
        assert low <= values[key] <= high, "the truth is feasible"
        assert high - low >= 1, f"{key}={values[key]} is derivable: [{low}, {high}]"
    for line in lines:
        if line.total in hidden:
            continue
        on_line = [p for p in line.parts if p in hidden]
        assert len(on_line) != 1, "never one hidden cell on a line with its total"
        if on_line:
            assert sum(values[p] for p in on_line) >= threshold, "hidden cells sum to a group"
    return hidden


def group(counts: Sequence[int]) -> tuple[dict[str, int], list[Line]]:
    values = {f"c{i}": c for i, c in enumerate(counts)}
    values["total"] = sum(counts)
    return values, [Line(tuple(k for k in values if k != "total"), "total")]


@settings(max_examples=150, deadline=None)
@given(st.lists(COUNTS, min_size=1, max_size=8), THRESHOLDS)
def test_no_hidden_cell_of_a_group_can_be_derived(counts: list[int], threshold: int) -> None:
    values, lines = group(counts)
    assert_protected(values, lines, threshold)


@st.composite
def two_way(draw: st.DrawFn) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    rows = [f"r{i}" for i in range(draw(st.integers(1, 8)))]
    columns = [f"k{j}" for j in range(draw(st.integers(1, 4)))]
    counts = {(r, c): draw(COUNTS) for r in rows for c in columns}
    return rows, columns, counts


@settings(max_examples=150, deadline=None)
@given(two_way(), THRESHOLDS)
def test_no_hidden_cell_of_a_two_way_table_and_its_margins_can_be_derived(
    table: tuple[list[str], list[str], dict[tuple[str, str], int]], threshold: int
) -> None:
    rows, columns, counts = table
    assert_protected(table_values(counts, rows, columns), table_lines(rows, columns), threshold)


@settings(max_examples=100, deadline=None)
@given(two_way(), st.lists(COUNTS, min_size=2, max_size=2), THRESHOLDS)
def test_the_referral_table_linked_with_its_decisions_is_protected(
    table: tuple[list[str], list[str], dict[tuple[str, str], int]],
    decided: list[int],
    threshold: int,
) -> None:
    """The shape of the referrals section: source by contact type, with the decisions as another
    breakdown of the same total."""
    rows, columns, counts = table
    values = table_values(counts, rows, columns)
    total = values["*|*"]
    accepted = min(decided[0], total)
    declined = min(decided[1], total - accepted)
    values.update(
        {"d:accepted": accepted, "d:declined": declined, "d:none": total - accepted - declined}
    )
    lines = [*table_lines(rows, columns), Line(("d:accepted", "d:declined", "d:none"), "*|*")]
    assert_protected(values, lines, threshold)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(COUNTS, min_size=3, max_size=3), st.lists(COUNTS, min_size=6, max_size=6), THRESHOLDS
)
def test_a_breakdown_of_a_cell_is_protected_with_it(
    statuses: list[int], reasons: list[int], threshold: int
) -> None:
    """The shape of attendance: attended, absent, late and their total; the absences by reason
    add up to the absent cell."""
    values = {"attended": statuses[0], "late": statuses[2], "absent": sum(reasons)}
    values["total"] = values["attended"] + values["late"] + values["absent"]
    values.update({f"reason{i}": r for i, r in enumerate(reasons)})
    lines = [
        Line(("attended", "absent", "late"), "total"),
        Line(tuple(f"reason{i}" for i in range(6)), "absent"),
    ]
    assert_protected(values, lines, threshold)
