"""Small-number suppression, as a pure function."""

from __future__ import annotations

from app.stats.schemas import StatsCell
from app.stats.suppression import cell, median, rate, suppress

HIDDEN = StatsCell(count=None, suppressed=True)


def shown(count: int) -> StatsCell:
    return StatsCell(count=count, suppressed=False)


def test_nothing_small_shows_everything_and_zero_is_shown() -> None:
    group = suppress({"a": 5, "b": 0, "c": 12}, 5)
    assert group.cells == {"a": shown(5), "b": shown(0), "c": shown(12)}
    assert group.total == shown(17)


def test_a_cell_of_three_is_hidden_with_the_next_smallest() -> None:
    group = suppress({"self": 6, "solicitor": 3, "cafcass": 8, "court": 0}, 5)
    assert group.cells == {
        "self": HIDDEN,
        "solicitor": HIDDEN,
        "cafcass": shown(8),
        "court": shown(0),
    }
    assert group.total == shown(17), "the total is shown: 17 - 8 leaves two hidden cells"


def test_ties_take_the_first_key() -> None:
    group = suppress({"a": 9, "b": 7, "c": 2, "d": 7}, 5)
    assert [k for k, c in group.cells.items() if c.suppressed] == ["b", "c"]


def test_two_small_cells_need_no_secondary() -> None:
    group = suppress({"a": 1, "b": 4, "c": 20}, 5)
    assert group.cells == {"a": HIDDEN, "b": HIDDEN, "c": shown(20)}
    assert group.total == shown(25)


def test_a_small_total_is_hidden() -> None:
    group = suppress({"a": 3, "b": 0}, 5)
    assert group.cells == {"a": HIDDEN, "b": shown(0)}
    assert group.total == HIDDEN


def test_hide_all_hides_every_non_zero_cell_and_the_total() -> None:
    group = suppress({"a": 6, "b": 0, "c": 7}, 5, hide_all=True)
    assert group.cells == {"a": HIDDEN, "b": shown(0), "c": HIDDEN}
    assert group.total == HIDDEN
    empty = suppress({"a": 0}, 5, hide_all=True)
    assert empty.total == shown(0)


def test_the_threshold_is_a_parameter() -> None:
    assert suppress({"a": 9, "b": 30}, 10).cells["a"] == HIDDEN
    assert suppress({"a": 3, "b": 30}, 1).cells["a"] == shown(3), "threshold 1: nothing hidden"
    assert cell(4, 5) == HIDDEN and cell(0, 5) == shown(0) and cell(5, 5) == shown(5)


def test_rates_are_null_when_a_part_is_hidden_or_nothing_to_divide() -> None:
    assert rate([shown(15)], [shown(15), shown(5)]) == 0.75
    assert rate([shown(15)], [shown(15), HIDDEN]) is None
    assert rate([HIDDEN], [shown(20)]) is None
    assert rate([shown(0)], [shown(0)]) is None


def test_a_median_of_few_values_is_null() -> None:
    assert median([], 5) is None
    assert median([3, 9, 1, 4], 5) is None
    assert median([3, 9, 1, 4, 20], 5) == 4.0
    assert median([3, 9, 1, 4, 20, 6], 5) == 5.0
