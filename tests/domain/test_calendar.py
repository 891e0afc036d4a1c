"""The business calendar: periods, schedules and the one deadline rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.calendar import (
    BusinessCalendar,
    CalendarPolicy,
    Period,
    PeriodUnit,
    YearSchedule,
    statutory_schedules,
)
from core.domain.errors import InvalidCommand

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy())
# Overrides inside the statutory years and in years without data, for the property tests.
CUSTOM = BusinessCalendar(
    statutory_schedules(),
    CalendarPolicy(
        extra_closures=frozenset({date(2015, 6, 2), date(2026, 3, 4), date(2028, 5, 8)}),
        extra_workdays=frozenset({date(2010, 1, 9), date(2026, 3, 8), date(2029, 7, 1)}),
    ),
)


def at(text: str) -> datetime:
    """An aware instant from ISO text (offset included)."""
    return datetime.fromisoformat(text)


def end_of(day: date) -> datetime:
    """23:59:59 in Shanghai on `day`."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def walk(calendar: BusinessCalendar, day: date, n: int) -> tuple[date, bool]:
    """The naive reference: step day by day counting workdays."""
    years = set()
    while n:
        day += timedelta(days=1)
        years.add(day.year)
        n -= calendar.is_workday(day)
    return day, any(not calendar.has_data(year) for year in years)


# --- Period --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 working days", Period(5, PeriodUnit.WORKING_DAYS)),
        ("1 working day", Period(1, PeriodUnit.WORKING_DAYS)),
        ("30 days", Period(30, PeriodUnit.CALENDAR_DAYS)),
        ("30 calendar days", Period(30, PeriodUnit.CALENDAR_DAYS)),
        ("10 minutes", Period(10, PeriodUnit.MINUTES)),
        ("2 hours", Period(2, PeriodUnit.HOURS)),
        ("1 hour", Period(1, PeriodUnit.HOURS)),
        ("  2  Hours ", Period(2, PeriodUnit.HOURS)),
        ("5个工作日", Period(5, PeriodUnit.WORKING_DAYS)),
        ("5 工作日", Period(5, PeriodUnit.WORKING_DAYS)),
        ("30日", Period(30, PeriodUnit.CALENDAR_DAYS)),
        ("30天", Period(30, PeriodUnit.CALENDAR_DAYS)),
        ("10分钟", Period(10, PeriodUnit.MINUTES)),
        ("2小时", Period(2, PeriodUnit.HOURS)),
    ],
)
def test_period_parse_accepts_english_and_chinese(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "5", "working days", "0 days", "-5 days", "5.5 days", "5 weeks", "五个工作日", "5 working"]
)
def test_period_parse_rejects_anything_else_listing_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidCommand) as error:
        Period.parse(text)
    assert error.value.field == "period"
    assert "正整数" in str(error.value) or "5个工作日" in str(error.value)


def test_period_rejects_non_positive_amount_directly() -> None:
    with pytest.raises(InvalidCommand, match="正整数"):
        Period(0, PeriodUnit.MINUTES)


@pytest.mark.parametrize(
    ("period", "english", "chinese"),
    [
        (Period(5, PeriodUnit.WORKING_DAYS), "5 working days", "5个工作日"),
        (Period(1, PeriodUnit.WORKING_DAYS), "1 working day", "1个工作日"),
        (Period(30, PeriodUnit.CALENDAR_DAYS), "30 calendar days", "30日"),
        (Period(10, PeriodUnit.MINUTES), "10 minutes", "10分钟"),
        (Period(2, PeriodUnit.HOURS), "2 hours", "2小时"),
        (Period(1, PeriodUnit.HOURS), "1 hour", "1小时"),
    ],
)
def test_period_str_is_canonical_english_and_label_is_chinese(
    period: Period, english: str, chinese: str
) -> None:
    assert str(period) == english
    assert period.label == chinese
    assert Period.parse(str(period)) == period
    assert Period.parse(period.label) == period


# --- The same day (当日内) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("same day", PeriodUnit.CALENDAR_DAYS),
        ("Same  Day", PeriodUnit.CALENDAR_DAYS),
        ("same calendar day", PeriodUnit.CALENDAR_DAYS),
        ("same working day", PeriodUnit.WORKING_DAYS),
        ("当日", PeriodUnit.CALENDAR_DAYS),
        ("当日内", PeriodUnit.CALENDAR_DAYS),
        ("当天", PeriodUnit.CALENDAR_DAYS),
        ("当个工作日", PeriodUnit.WORKING_DAYS),
    ],
)
def test_same_day_is_parsed_from_words_and_round_trips(text: str, unit: PeriodUnit) -> None:
    period = Period.parse(text)
    assert period == Period(0, unit) and period.is_same_day
    assert Period.parse(str(period)) == period  # the stored form reads back
    assert Period.parse(period.label) == period
    assert {str(period), period.label} <= {"same day", "same working day", "当日", "当个工作日"}


def test_a_typed_zero_is_still_refused_and_same_day_needs_a_day_unit() -> None:
    for text in ("0 days", "0 working days", "0个工作日"):
        with pytest.raises(InvalidCommand, match="当日"):
            Period.parse(text)
    for unit in (PeriodUnit.MINUTES, PeriodUnit.HOURS):
        with pytest.raises(InvalidCommand, match="正整数"):
            Period(0, unit)
    assert not Period(1, PeriodUnit.CALENDAR_DAYS).is_same_day


@pytest.mark.parametrize(
    ("trigger", "text", "due"),
    [
        # A workday: the end of that very day, in either unit.
        ("2026-09-30T10:00:00+08:00", "same day", "2026-09-30T23:59:59+08:00"),
        ("2026-09-30T10:00:00+08:00", "same working day", "2026-09-30T23:59:59+08:00"),
        # The instant is read in the tenant's zone: 17:00 UTC is already the next day in Shanghai.
        ("2026-09-29T17:00:00+00:00", "same day", "2026-09-30T23:59:59+08:00"),
        # A statutory holiday: rolled to the next workday (Thu 10-08, after National Day).
        ("2026-10-01T09:00:00+08:00", "same day", "2026-10-08T23:59:59+08:00"),
        ("2026-10-03T09:00:00+08:00", "same working day", "2026-10-08T23:59:59+08:00"),
        # A make-up Saturday is a workday; an ordinary Sunday is not.
        ("2026-10-10T09:00:00+08:00", "same working day", "2026-10-10T23:59:59+08:00"),
        ("2026-10-11T09:00:00+08:00", "same day", "2026-10-12T23:59:59+08:00"),
    ],
)
def test_same_day_ends_at_the_end_of_the_trigger_day_or_the_next_workday(
    trigger: str, text: str, due: str
) -> None:
    deadline = CALENDAR.add(at(trigger), Period.parse(text))
    assert deadline.due_at == at(due)
    assert deadline.provisional is False


def test_same_calendar_day_stays_on_a_rest_day_when_the_policy_does_not_roll() -> None:
    fixed = BusinessCalendar(statutory_schedules(), CalendarPolicy(roll_past_rest_days=False))
    sunday = at("2026-10-11T09:00:00+08:00")
    assert fixed.add(sunday, Period.parse("same day")).due_at == at("2026-10-11T23:59:59+08:00")
    # Working days never end on a rest day, whatever the calendar-day policy says.
    assert fixed.add(sunday, Period.parse("same working day")).due_at == at("2026-10-12T23:59:59+08:00")


def test_same_day_in_a_year_without_data_is_provisional() -> None:
    # 2027 has no statutory data in chinese-calendar 1.11: the day might be a holiday.
    deadline = CALENDAR.add(at("2027-01-04T09:00:00+08:00"), Period.parse("same working day"))
    assert deadline.due_at == at("2027-01-04T23:59:59+08:00")
    assert deadline.provisional is True


# --- Schedules -----------------------------------------------------------------------------


def test_statutory_schedules_cover_2004_to_2026_from_chinese_calendar() -> None:
    schedules = statutory_schedules()
    assert sorted(schedules) == list(range(2004, 2027))
    assert schedules[2026].source == "chinese-calendar"
    assert date(2026, 10, 1) in schedules[2026].holidays
    assert date(2026, 10, 10) in schedules[2026].workdays
    assert statutory_schedules()[2026] is schedules[2026]  # built once


def test_year_schedule_from_mapping() -> None:
    schedule = YearSchedule.from_mapping(
        {
            "year": 2027,
            "holidays": ["2027-01-01", date(2027, 10, 1)],
            "workdays": ["2027-02-07"],
            "source": "通知",
        }
    )
    assert schedule == YearSchedule(
        2027, frozenset({date(2027, 1, 1), date(2027, 10, 1)}), frozenset({date(2027, 2, 7)}), "通知"
    )
    assert YearSchedule.from_mapping({"year": 2027, "holidays": []}).source == ""


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"year": 1989, "holidays": []}, "1989"),
        ({"year": "2027", "holidays": []}, "2027"),
        ({"year": True, "holidays": []}, "True"),
        ({"holidays": []}, "year"),
        ({"year": 2027}, "holidays"),
        ({"year": 2027, "holidays": ["2027-13-01"]}, "2027-13-01"),
        ({"year": 2027, "holidays": ["01/01/2027"]}, "01/01/2027"),
        ({"year": 2027, "holidays": ["2028-01-01"]}, "2028-01-01"),
        ({"year": 2027, "holidays": "2027-01-01"}, "2027-01-01"),
        ({"year": 2027, "holidays": ["2027-02-07"], "workdays": ["2027-02-07"]}, "2027-02-07"),
        ({"year": 2027, "holidays": [], "source": 7}, "7"),
    ],
)
def test_year_schedule_from_mapping_names_the_bad_value(data: dict, named: str) -> None:
    with pytest.raises(InvalidCommand) as error:
        YearSchedule.from_mapping(data)
    assert named in str(error.value)


def test_calendar_policy_rejects_unknown_time_zone() -> None:
    with pytest.raises(InvalidCommand, match="时区"):
        CalendarPolicy(timezone="Mars/Olympus")


# --- Workdays ------------------------------------------------------------------------------


def test_national_day_2026_acceptance() -> None:
    deadline = CALENDAR.add(at("2026-09-30T10:00:00+08:00"), Period.parse("5 working days"), basis="信访条例")
    assert deadline.due_at == at("2026-10-13T23:59:59+08:00")
    assert deadline.due_at.tzinfo == SHANGHAI
    assert deadline.provisional is False
    assert deadline.basis == "信访条例"
    assert deadline.period == Period(5, PeriodUnit.WORKING_DAYS)
    assert not any(CALENDAR.is_workday(date(2026, 10, day)) for day in range(1, 8))
    assert CALENDAR.is_workday(date(2026, 10, 10))  # Saturday make-up workday


def test_spring_festival_2026_make_up_saturday_counts() -> None:
    assert date(2026, 2, 14).weekday() == 5
    assert CALENDAR.is_workday(date(2026, 2, 14))
    assert CALENDAR.add_working_days(date(2026, 2, 13), 1) == (date(2026, 2, 14), False)
    # after the make-up Saturday the holiday runs 02-15..02-23
    assert CALENDAR.add_working_days(date(2026, 2, 14), 1) == (date(2026, 2, 24), False)


def test_year_without_data_makes_the_deadline_provisional() -> None:
    deadline = CALENDAR.add(at("2026-12-20T10:00:00+08:00"), Period.parse("30 working days"))
    assert deadline.provisional is True
    assert deadline.due_at.date().year == 2027


def test_imported_schedule_removes_provisional() -> None:
    imported = YearSchedule.from_mapping(
        {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "国务院办公厅通知"}
    )
    calendar = BusinessCalendar({**statutory_schedules(), 2027: imported}, CalendarPolicy())
    deadline = calendar.add(at("2026-12-20T10:00:00+08:00"), Period.parse("30 working days"))
    assert deadline.provisional is False
    # 2027-01-01 is now a day off, so the deadline is one workday later than the provisional one
    provisional = CALENDAR.add(at("2026-12-20T10:00:00+08:00"), Period.parse("30 working days"))
    assert calendar.working_days_between(provisional.due_at.date(), deadline.due_at.date()) == 1


def test_weekdays_without_data_are_workdays() -> None:
    assert not CALENDAR.has_data(2031)
    assert CALENDAR.is_workday(date(2031, 1, 1))  # a Wednesday; no holiday data for 2031
    assert not CALENDAR.is_workday(date(2031, 1, 4))  # Saturday


def test_extra_closures_and_workdays() -> None:
    calendar = BusinessCalendar(
        statutory_schedules(),
        CalendarPolicy(
            extra_closures=frozenset({date(2026, 3, 3), date(2026, 3, 7)}),
            extra_workdays=frozenset({date(2026, 3, 7), date(2026, 3, 8), date(2026, 10, 1)}),
        ),
    )
    assert not calendar.is_workday(date(2026, 3, 3))  # a Tuesday the tenant is closed
    assert not calendar.is_workday(date(2026, 3, 7))  # closure beats extra workday
    assert calendar.is_workday(date(2026, 3, 8))  # a Sunday the tenant works
    assert calendar.is_workday(date(2026, 10, 1))  # even a statutory holiday
    # Mon 03-02 trigger: 03-03 closed, 03-04 Wed is the first workday; 03-08 Sunday counts
    assert calendar.add_working_days(date(2026, 3, 2), 1) == (date(2026, 3, 4), False)
    assert calendar.add_working_days(date(2026, 3, 5), 2) == (date(2026, 3, 8), False)
    assert calendar.working_days_between(date(2026, 3, 1), date(2026, 3, 8)) == 5


def test_add_working_days_zero_and_negative() -> None:
    assert CALENDAR.add_working_days(date(2026, 10, 3), 0) == (date(2026, 10, 3), False)
    with pytest.raises(InvalidCommand):
        CALENDAR.add_working_days(date(2026, 10, 3), -1)


def test_working_days_between_is_half_open() -> None:
    assert CALENDAR.working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert CALENDAR.working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == 0
    assert CALENDAR.working_days_between(date(2026, 9, 30), date(2026, 9, 30)) == 0
    assert CALENDAR.working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 2  # 01-04 make-up Sunday


def test_ten_thousand_working_days_match_the_walk() -> None:
    # Speed is measured in bench/, never here; this proves the indexed jump is exact over decades.
    calendar = BusinessCalendar(statutory_schedules(), CalendarPolicy())
    last, provisional = calendar.add_working_days(date(2004, 1, 1), 10_000)
    assert (last, provisional) == walk(calendar, date(2004, 1, 1), 10_000)
    assert provisional is True


# --- Calendar days -------------------------------------------------------------------------


def test_calendar_days_ending_on_a_holiday_roll_to_the_next_workday() -> None:
    start = at("2026-09-03T09:00:00+08:00")
    assert CALENDAR.add(start, Period.parse("30日")).due_at == end_of(date(2026, 10, 8))
    no_roll = BusinessCalendar(statutory_schedules(), CalendarPolicy(roll_past_rest_days=False))
    assert no_roll.add(start, Period.parse("30日")).due_at == end_of(date(2026, 10, 3))


def test_calendar_days_ending_on_a_weekend_roll_to_monday() -> None:
    deadline = CALENDAR.add(at("2026-03-02T09:00:00+08:00"), Period.parse("5 days"))  # Mon + 5 = Sat
    assert deadline.due_at == end_of(date(2026, 3, 9))
    assert deadline.provisional is False


def test_calendar_days_are_provisional_only_when_the_consulted_year_lacks_data() -> None:
    # The days in between are not consulted, only the last day (and any roll after it).
    assert CALENDAR.add(at("2026-12-20T09:00:00+08:00"), Period.parse("10 days")).provisional is False
    assert CALENDAR.add(at("2026-12-20T09:00:00+08:00"), Period.parse("15 days")).provisional is True
    no_roll = BusinessCalendar(statutory_schedules(), CalendarPolicy(roll_past_rest_days=False))
    assert no_roll.add(at("2026-12-20T09:00:00+08:00"), Period.parse("15 days")).provisional is False


# --- Instants and zones --------------------------------------------------------------------


def test_minutes_and_hours_are_elapsed_time_across_midnight() -> None:
    start = at("2026-10-01T23:50:00+08:00")  # a holiday: irrelevant for minutes
    minutes = CALENDAR.add(start, Period.parse("10分钟"))
    assert minutes.due_at == at("2026-10-02T00:00:00+08:00")
    assert minutes.provisional is False
    assert CALENDAR.add(start, Period.parse("2 hours")).due_at == at("2026-10-02T01:50:00+08:00")
    assert CALENDAR.add(at("2035-01-01T00:00:00+08:00"), Period.parse("1 hour")).provisional is False


def test_utc_input_is_converted_to_the_tenant_zone() -> None:
    deadline = CALENDAR.add(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), Period.parse("5 working days"))
    assert deadline.due_at == at("2026-10-13T23:59:59+08:00")
    assert deadline.due_at.utcoffset() == timedelta(hours=8)
    # 20:00 UTC on 09-29 is already 09-30 in Shanghai, so the trigger day is 09-30
    late = CALENDAR.add(datetime(2026, 9, 29, 20, 0, tzinfo=UTC), Period.parse("1 working day"))
    assert late.due_at == end_of(date(2026, 10, 8))
    minutes = CALENDAR.add(datetime(2026, 9, 29, 20, 0, tzinfo=UTC), Period.parse("10 minutes"))
    assert minutes.due_at.isoformat() == "2026-09-30T04:10:00+08:00"


def test_other_tenant_zone_uses_its_own_local_day() -> None:
    calendar = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Urumqi"))
    deadline = calendar.add(at("2026-03-02T01:00:00+08:00"), Period.parse("1 working day"))
    # 01:00 in Shanghai is 23:00 on 03-01 (Sunday) in Urumqi: the first workday after is Monday 03-02
    assert deadline.due_at == datetime(2026, 3, 2, 23, 59, 59, tzinfo=ZoneInfo("Asia/Urumqi"))


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(InvalidCommand) as error:
        CALENDAR.add(datetime(2026, 9, 30, 10, 0), Period.parse("5 working days"))
    assert error.value.field == "start"


def test_deadline_beyond_year_9999_is_an_invalid_command() -> None:
    with pytest.raises(InvalidCommand):
        CALENDAR.add(at("9999-12-30T10:00:00+08:00"), Period.parse("5 working days"))
    with pytest.raises(InvalidCommand):
        CALENDAR.add(at("9999-12-30T10:00:00+08:00"), Period.parse("5 days"))


# --- Properties ----------------------------------------------------------------------------


@settings(database=None, max_examples=300, deadline=None)
@given(
    calendar=st.sampled_from([CALENDAR, CUSTOM]),
    day=st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=400),
)
def test_indexed_working_days_equal_the_day_by_day_walk(
    calendar: BusinessCalendar, day: date, n: int
) -> None:
    last, provisional = calendar.add_working_days(day, n)
    assert (last, provisional) == walk(calendar, day, n)
    assert calendar.working_days_between(day, last) == n


@settings(database=None, max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2004, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.sampled_from([UTC, SHANGHAI]),
    ),
    amount=st.integers(min_value=1, max_value=400),
    unit=st.sampled_from(list(PeriodUnit)),
    roll=st.booleans(),
)
def test_due_is_always_after_start(start: datetime, amount: int, unit: PeriodUnit, roll: bool) -> None:
    calendar = (
        CALENDAR
        if roll
        else BusinessCalendar(statutory_schedules(), CalendarPolicy(roll_past_rest_days=False))
    )
    deadline = calendar.add(start, Period(amount, unit))
    assert deadline.due_at > start
    assert deadline.due_at.tzinfo == SHANGHAI
    if unit.is_day_counted:
        assert deadline.due_at.time() == time(23, 59, 59)
