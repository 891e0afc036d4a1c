"""Duty rules: a new shift's checks, gaps in the roster, who is on duty when shifts overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.domain.duty import (
    MAX_WINDOW,
    Shift,
    check_window,
    coverage_gaps,
    new_handover,
    new_shift,
    on_duty,
)
from core.domain.errors import InvalidCommand

CST = timezone(timedelta(hours=8))
DAY = datetime(2026, 10, 1, tzinfo=CST)


def at(hour: float) -> datetime:
    """An instant `hour` hours after midnight of 1 October 2026 in Shanghai (may pass 24)."""
    return DAY + timedelta(hours=hour)


def shift(start: float, end: float, leader: str = "leader", *, id: int | None = None) -> Shift:
    return Shift(id=id, starts_at=at(start), ends_at=at(end), leader=leader, officers=("operator",))


def valid(**overrides):
    values = {"starts_at": at(8), "ends_at": at(20), "leader": "leader", "officers": ["operator"]}
    return values | overrides


# --- a new shift ------------------------------------------------------------------------------


def test_a_valid_shift_keeps_its_staff_in_order():
    planned = new_shift(**valid(officers=["operator", "second"]))
    assert planned == Shift(None, at(8), at(20), "leader", ("operator", "second"))
    assert planned.staff == ("leader", "operator", "second")


def test_a_shift_may_last_exactly_24_hours():
    assert new_shift(**valid(starts_at=at(8), ends_at=at(32))).ends_at == at(32)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"starts_at": datetime(2026, 10, 1, 8)}, "starts_at", "时区"),
        ({"ends_at": datetime(2026, 10, 1, 20)}, "ends_at", "时区"),
        ({"ends_at": at(8)}, "ends_at", "晚于"),
        ({"ends_at": at(7)}, "ends_at", "晚于"),
        ({"ends_at": at(32) + timedelta(seconds=1)}, "ends_at", "24 小时"),
        ({"starts_at": datetime(1999, 12, 31, tzinfo=UTC)}, "starts_at", "范围"),
        ({"leader": ""}, "leader", "值班领导"),
        ({"leader": "  "}, "leader", "值班领导"),
        ({"officers": []}, "officers", "1–2"),
        ({"officers": ["a", "b", "c"]}, "officers", "1–2"),
        ({"officers": ["a", " "]}, "officers", "不能为空"),
        ({"officers": ["a", "a"]}, "officers", "重复"),
        ({"officers": ["leader"]}, "officers", "leader"),
        ({"officers": ["operator", "leader"]}, "officers", "不能同时担任"),
    ],
)
def test_a_wrong_shift_is_refused_naming_the_field(overrides, field, words):
    with pytest.raises(InvalidCommand) as refused:
        new_shift(**valid(**overrides))
    assert refused.value.field == field
    assert words in str(refused.value)


# --- a queried window -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(2026, 10, 1), at(24), "start"),
        (at(0), datetime(2026, 10, 2), "end"),
        (at(24), at(0), "end"),
        (at(0), at(0), "end"),
        (at(0), at(0) + MAX_WINDOW + timedelta(seconds=1), "end"),
        (at(0), datetime(2100, 1, 1, tzinfo=UTC), "end"),
    ],
)
def test_a_wrong_window_is_refused(start, end, field):
    with pytest.raises(InvalidCommand) as refused:
        check_window(start, end)
    assert refused.value.field == field


def test_a_window_of_the_longest_span_is_fine():
    check_window(at(0), at(0) + MAX_WINDOW)


# --- gaps -------------------------------------------------------------------------------------


def test_back_to_back_shifts_leave_no_gap():
    assert coverage_gaps([shift(0, 8), shift(8, 20), shift(20, 24)], at(0), at(24)) == []


def test_no_shift_is_one_gap_over_the_whole_window():
    assert coverage_gaps([], at(0), at(24)) == [(at(0), at(24))]


def test_gaps_before_between_and_after_shifts():
    gaps = coverage_gaps([shift(14, 20), shift(2, 8)], at(0), at(24))  # unsorted on purpose
    assert gaps == [(at(0), at(2)), (at(8), at(14)), (at(20), at(24))]


def test_overlapping_and_nested_shifts_count_once():
    shifts = [shift(0, 12), shift(6, 10), shift(11, 18), shift(17, 20)]
    assert coverage_gaps(shifts, at(0), at(24)) == [(at(20), at(24))]


def test_shifts_reaching_outside_the_window_are_clipped_to_it():
    shifts = [shift(-6, 3), shift(22, 30)]
    assert coverage_gaps(shifts, at(0), at(24)) == [(at(3), at(22))]
    assert coverage_gaps(shifts, at(1), at(2)) == []


def test_shifts_wholly_outside_the_window_do_not_count():
    assert coverage_gaps([shift(-10, -2), shift(30, 40)], at(0), at(24)) == [(at(0), at(24))]


def test_an_empty_or_reversed_window_has_no_gaps():
    assert coverage_gaps([], at(5), at(5)) == []
    assert coverage_gaps([], at(6), at(5)) == []


def test_gaps_compare_instants_across_time_zones():
    utc_shift = Shift(None, at(0).astimezone(UTC), at(12).astimezone(UTC), "leader", ("operator",))
    assert coverage_gaps([utc_shift], at(0), at(24)) == [(at(12), at(24))]


def test_naive_instants_are_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        coverage_gaps([], datetime(2026, 10, 1), at(24))
    with pytest.raises(ValueError, match="timezone-aware"):
        on_duty([], datetime(2026, 10, 1))


# --- on duty ----------------------------------------------------------------------------------


def test_nobody_is_on_duty_outside_every_shift():
    assert on_duty([shift(8, 20)], at(7)) is None
    assert on_duty([], at(7)) is None


def test_the_end_of_a_shift_is_already_the_next_one():
    day, night = shift(8, 20, "day", id=1), shift(20, 32, "night", id=2)
    assert on_duty([day, night], at(20)) == night
    assert on_duty([day, night], at(20) - timedelta(microseconds=1)) == day
    assert on_duty([day], at(20)) is None
    assert on_duty([day], at(8)) == day


def test_where_shifts_overlap_the_latest_starting_one_is_on_duty():
    long, relief = shift(0, 24, "long", id=1), shift(12, 14, "relief", id=2)
    assert on_duty([relief, long], at(13)).leader == "relief"
    assert on_duty([relief, long], at(14)).leader == "long"


def test_equal_starts_go_to_the_shift_planned_last():
    first, second = shift(8, 20, "first", id=1), shift(8, 12, "second", id=2)
    assert on_duty([second, first], at(9)).leader == "second"


# --- a handover -------------------------------------------------------------------------------


def test_a_handover_needs_the_equipment_state_and_no_blank_items():
    record = new_handover(
        shift_id=1,
        written_by="operator",
        at=at(20),
        cases_received=["NX-2026-000001"],
        pending=["回访张某"],
        documents=[],
        equipment=" 设备正常 ",
    )
    assert (record.equipment, record.notes, record.cases_received) == ("设备正常", "", ("NX-2026-000001",))
    common = {"shift_id": 1, "written_by": "operator", "at": at(20), "documents": []}
    with pytest.raises(InvalidCommand) as refused:
        new_handover(**common, cases_received=[], pending=[], equipment="  ")
    assert refused.value.field == "equipment"
    with pytest.raises(InvalidCommand) as refused:
        new_handover(**common, cases_received=[], pending=["", "x"], equipment="正常")
    assert refused.value.field == "pending"
