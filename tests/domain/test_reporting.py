"""Reporting periods as people type them, and breakdowns that add up to the cases received."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain.decisions import StatisticsDimension
from core.domain.errors import InvalidCommand
from core.domain.reporting import BLANK_VALUE, CaseTally, ReportingPeriod, break_down


@pytest.mark.parametrize(
    ("typed", "start", "end", "label", "key"),
    [
        ("2026-05", date(2026, 5, 1), date(2026, 6, 1), "2026 年 5 月", "2026-05"),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1), "2026 年 12 月", "2026-12"),
        ("2026-Q2", date(2026, 4, 1), date(2026, 7, 1), "2026 年第 2 季度", "2026-Q2"),
        ("2026q4", date(2026, 10, 1), date(2027, 1, 1), "2026 年第 4 季度", "2026-Q4"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "2026 年", "2026"),
        (
            "2026-01-15..2026-03-31",
            date(2026, 1, 15),
            date(2026, 4, 1),
            "2026-01-15 至 2026-03-31",
            "2026-01-15..2026-03-31",
        ),
        ("2026-02-01 至 2026-02-01", date(2026, 2, 1), date(2026, 2, 2), "2026-02-01 至 2026-02-01", None),
    ],
)
def test_a_period_is_read_as_typed_and_written_back(typed, start, end, label, key):
    period = ReportingPeriod.parse(typed)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert ReportingPeriod.parse(period.key) == period
    if key:
        assert period.key == key


@pytest.mark.parametrize(
    ("typed", "before"),
    [
        ("2026-01", ReportingPeriod.month(2025, 12)),
        ("2026-Q1", ReportingPeriod.quarter(2025, 4)),
        ("2026-Q3", ReportingPeriod.quarter(2026, 2)),
        ("2026", ReportingPeriod.year(2025)),
        ("2026-03-01..2026-03-10", ReportingPeriod("range", date(2026, 2, 19), date(2026, 3, 1))),
    ],
)
def test_each_period_compares_with_the_one_of_its_kind_just_before(typed, before):
    assert ReportingPeriod.parse(typed).previous() == before


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2026-13", "月份 13 不存在"),
        ("1999", "超出范围"),
        ("2026-Q5", "无法识别"),
        ("上个月", "无法识别"),
        ("2026-02-30..2026-03-01", "不存在的日期"),
        ("2026-03-01..2026-02-01", "早于开始日期"),
    ],
)
def test_a_period_that_cannot_be_read_says_what_was_typed_and_what_is_accepted(typed, says):
    with pytest.raises(InvalidCommand) as error:
        ReportingPeriod.parse(typed)
    assert says in str(error.value)
    if "无法识别" in says:
        assert typed in str(error.value) and "2026-Q2" in str(error.value)


def _case(category, area=None, *, replied=False, late=False, satisfied=None):
    return CaseTally(
        attributes={"category": category, "unit_code": "jcs"},
        fields={"area": area} if area is not None else {},
        replied=replied,
        late=late,
        satisfied=satisfied,
    )


def test_a_breakdown_counts_by_label_and_adds_up_to_the_cases_received():
    cases = [
        _case("food", "east", replied=True, satisfied=True),
        _case("food", "west", replied=True, late=True, satisfied=False),
        _case("drug", ["east", "west"]),
        _case("", None),
    ]
    labels = {"food": "食品", "drug": "药品", "east": "东区", "west": "西区"}
    by_category, by_area = break_down(
        [StatisticsDimension("c", "类别", "category"), StatisticsDimension("a", "区域", "area")],
        cases,
        lambda attribute, value: labels[value],
    )
    assert (by_category.key, by_category.label) == ("c", "类别")
    rows = {row.label: row for row in by_category.rows}
    assert [row.label for row in by_category.rows] == ["食品", "药品", BLANK_VALUE]
    assert (rows["食品"].received, rows["食品"].replied, rows["食品"].late) == (2, 2, 1)
    assert (rows["食品"].feedback, rows["食品"].satisfied, rows["食品"].satisfaction_rate) == (2, 1, 0.5)
    assert rows["药品"].satisfaction_rate is None
    assert sum(row.received for row in by_category.rows) == len(cases)
    # A multiple answer counts under each of its values; the case without one, as not filled.
    assert {row.label: row.received for row in by_area.rows} == {"东区": 2, "西区": 2, BLANK_VALUE: 1}
