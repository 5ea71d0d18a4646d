"""Disclosure control as pure functions: the cases of the issue, rounding, rates, medians, the
threshold setting. The universal property is in test_disclosure_properties.py."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.stats.schemas import StatsCell
from app.stats.suppression import Line, Publication, rate, suppress_cells, table_values

HIDDEN = StatsCell(count=None, suppressed=True)
FIVE = Publication(5)


def shown(count: int) -> StatsCell:
    return StatsCell(count=count, suppressed=False)


def hidden_keys(counts: dict[str, int], threshold: int = 5) -> set[str]:
    group = Publication(threshold).group(counts)
    return {key for key, c in group.cells.items() if c.suppressed} | (
        {"total"} if group.total.suppressed else set()
    )


def test_nothing_small_shows_everything_and_zero_is_shown() -> None:
    group = FIVE.group({"a": 5, "b": 0, "c": 12})
    assert group.cells == {"a": shown(5), "b": shown(0), "c": shown(12)}
    assert group.total == shown(17)


def test_two_cells_of_one_are_hidden_with_a_complement_that_brings_the_sum_to_the_threshold() -> (
    None
):
    # The issue: {a:1, b:1, c:10} hid a and b only; with the total 12 shown, a + b = 2 and each
    # is at least 1 (zeros are shown), so both were exactly 1.
    assert hidden_keys({"a": 1, "b": 1, "c": 10}) == {"a", "b", "c"}
    group = FIVE.group({"a": 1, "b": 1, "c": 10})
    assert group.total == shown(12), "a + b + c = 12: each of a, b lies in 1..10"


def test_two_small_cells_that_add_up_to_their_upper_bounds_get_a_complement() -> None:
    # The issue: {a:4, b:4, c:10}: a + b = 8 with each at most 4 gives 4 and 4.
    assert hidden_keys({"a": 4, "b": 4, "c": 10}) == {"a", "b", "c"}
    # 1 and 4 make 5: each could be 1 to 4, nothing more to hide.
    assert hidden_keys({"a": 1, "b": 4, "c": 20}) == {"a", "b"}


def test_one_small_cell_is_hidden_with_the_next_smallest() -> None:
    group = FIVE.group({"self": 6, "solicitor": 3, "cafcass": 8, "court": 0})
    assert group.cells == {
        "self": HIDDEN,
        "solicitor": HIDDEN,
        "cafcass": shown(8),
        "court": shown(0),
    }
    assert group.total == shown(17), "the total is shown: 17 - 8 leaves two hidden cells"
    assert hidden_keys({"a": 9, "b": 7, "c": 2, "d": 7}) == {"b", "c"}, "ties: the first key"


def test_a_small_total_is_hidden_and_then_its_one_part_is_not_given_away() -> None:
    group = FIVE.group({"a": 3, "b": 0})
    assert group.cells == {"a": HIDDEN, "b": shown(0)}
    assert group.total == HIDDEN


def test_when_no_part_is_left_to_hide_the_total_is_hidden() -> None:
    # 4 and 4 with the total shown are 4 and 4; nothing else on the line: the total goes.
    assert hidden_keys({"a": 4, "b": 4}) == {"a", "b", "total"}


def test_a_hidden_cell_forces_more_in_the_crossing_lines_until_nothing_changes() -> None:
    rows, columns = ["self", "court"], ["supported", "supervised"]
    counts = {("self", "supported"): 2, ("self", "supervised"): 9}
    counts |= {("court", "supported"): 8, ("court", "supervised"): 30}
    values = table_values(counts, rows, columns)
    lines = [
        Line(("self|supported", "self|supervised"), "self|*"),
        Line(("court|supported", "court|supervised"), "court|*"),
        Line(("self|supported", "court|supported"), "*|supported"),
        Line(("self|supervised", "court|supervised"), "*|supervised"),
        Line(("self|*", "court|*"), "*|*"),
        Line(("*|supported", "*|supervised"), "*|*"),
    ]
    hidden = suppress_cells(values, lines, 5)
    # 2 is small; its row takes 9, its column 8; 9's column and 8's row then take 30.
    assert {"self|supported", "self|supervised", "court|supported", "court|supervised"} <= hidden
    assert "*|*" not in hidden


def test_a_breakdown_follows_the_cell_it_breaks_down() -> None:
    values = {"attended": 20, "absent": 5, "late": 9, "total": 34, "illness": 5, "transport": 0}
    lines = [
        Line(("attended", "absent", "late"), "total"),
        Line(("illness", "transport"), "absent"),
    ]
    assert suppress_cells(values, lines, 5) == set(), "5 absences, all illness: nothing small"
    values |= {"illness": 4, "transport": 1}
    assert suppress_cells(values, lines, 5) == {"illness", "transport"}, "4 + 1 = 5 either way"
    values |= {"absent": 3, "late": 11, "illness": 3, "transport": 0}
    hidden = suppress_cells(values, lines, 5)
    assert {"absent", "illness"} <= hidden, "3 absences: hidden, and so their breakdown"


def test_withheld_hides_every_cell_and_zeros_too() -> None:
    group = FIVE.group({"a": 6, "b": 0, "c": 7}, withheld=True)
    assert group.cells == {"a": HIDDEN, "b": HIDDEN, "c": HIDDEN}
    assert group.total == HIDDEN


def test_rounding_to_base_5_rounds_shown_counts_after_suppression() -> None:
    group = Publication(5, rounded=True).group({"a": 2, "b": 7, "c": 13, "d": 0, "e": 22})
    assert group.cells["a"] == HIDDEN and group.cells["b"] == HIDDEN
    assert group.cells["c"] == shown(15) and group.cells["d"] == shown(0)
    assert group.cells["e"] == shown(20) and group.total == shown(45)
    assert Publication(5, rounded=True).single(12) == shown(10)
    assert Publication(5, rounded=True).single(8) == shown(10)


def test_the_threshold_is_a_parameter_and_at_least_3() -> None:
    assert Publication(10).group({"a": 9, "b": 30}).cells["a"] == HIDDEN
    assert FIVE.single(4) == HIDDEN and FIVE.single(0) == shown(0) and FIVE.single(5) == shown(5)
    for too_low in (1, 2):
        with pytest.raises(ValidationError):
            Settings(stats_suppression_threshold=too_low)
    assert Settings(stats_suppression_threshold=3).stats_suppression_threshold == 3


def test_rates_are_null_when_a_part_is_hidden_or_nothing_to_divide() -> None:
    assert rate([shown(15)], [shown(15), shown(5)]) == 0.75
    assert rate([shown(15)], [shown(15), HIDDEN]) is None
    assert rate([HIDDEN], [shown(20)]) is None
    assert rate([shown(0)], [shown(0)]) is None


def test_a_median_of_few_values_is_null() -> None:
    assert FIVE.median([]) is None
    assert FIVE.median([3, 9, 1, 4]) is None
    assert FIVE.median([3, 9, 1, 4, 20]) == 4.0
    assert FIVE.median([3, 9, 1, 4, 20, 6]) == 5.0
    assert FIVE.median([3, 9, 1, 4, 20, 6], withheld=True) is None
