"""What statistics are compiled over: a reporting period, and breakdowns by plugin dimensions.

A period is a month (``2026-05``), a quarter (``2026-Q2``), a year (``2026``) or a range of
days (``2026-01-01..2026-03-31``, both ends included), always in the tenant's own dates. Each has
a period before it to compare with: the month, quarter or year before, or for a range the same
number of days just before it.

A breakdown counts the cases received in the period by the values of one dimension a plugin
registered (`StatisticsDimension`): how many came in, how many of them were replied to, how many
ran late (a deadline breached) and how many of those who said so were satisfied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.domain.decisions import StatisticsDimension
from core.domain.errors import InvalidCommand

__all__ = [
    "BLANK_VALUE",
    "CASE_ATTRIBUTES",
    "Breakdown",
    "BreakdownRow",
    "CaseTally",
    "ReportingPeriod",
    "break_down",
]

BLANK_VALUE = "（未填）"
"""How a breakdown names the cases that carry no value for its dimension."""

CASE_ATTRIBUTES = frozenset(
    {"kind", "channel", "state", "category", "severity", "complexity", "unit_code", "handler", "owner"}
    | {"satisfaction"}
)
"""The case's own attributes a statistics dimension may name; any other name is an intake field."""

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|~|至)\s*(\d{4}-\d{2}-\d{2})$")
_LONGEST_RANGE_DAYS = 3660
_FORMS = "2026-05（月）、2026-Q2（季度）、2026（年）或 2026-01-01..2026-03-31（日期范围）"


def _year(value: str) -> int:
    year = int(value)
    if not 2000 <= year <= 2100:
        raise InvalidCommand(f"年份 {year} 超出范围：请给出 2000–2100 年", field="period")
    return year


@dataclass(frozen=True, slots=True)
class ReportingPeriod:
    """Local days [`start`, `end`) of the tenant's calendar, of one `kind`."""

    kind: str  # month | quarter | year | range
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> ReportingPeriod:
        start = date(year, month, 1)
        return cls("month", start, date(year + (month == 12), month % 12 + 1, 1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> ReportingPeriod:
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return cls("quarter", start, end)

    @classmethod
    def year(cls, year: int) -> ReportingPeriod:
        return cls("year", date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def days(cls, first: date, last: date) -> ReportingPeriod:
        """The days `first` through `last`, both included."""
        if last < first:
            raise InvalidCommand(f"结束日期 {last} 早于开始日期 {first}", field="period")
        if (last - first).days >= _LONGEST_RANGE_DAYS:
            raise InvalidCommand("日期范围最长十年", field="period")
        return cls("range", first, last + timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> ReportingPeriod:
        """A period as people type it (see the module's forms).

        Raises:
            InvalidCommand: naming what was typed and the forms accepted.
        """
        value = text.strip()
        if match := _MONTH.match(value):
            month = int(match.group(2))
            if not 1 <= month <= 12:
                raise InvalidCommand(f"月份 {month} 不存在：请给出 1–12 月", field="period")
            return cls.month(_year(match.group(1)), month)
        if match := _QUARTER.match(value):
            return cls.quarter(_year(match.group(1)), int(match.group(2)))
        if match := _YEAR.match(value):
            return cls.year(_year(match.group(1)))
        if match := _RANGE.match(value):
            try:
                first, last = (date.fromisoformat(match.group(i)) for i in (1, 2))
            except ValueError:
                raise InvalidCommand(f"统计期间“{value}”含不存在的日期", field="period") from None
            for day in (first, last):
                _year(str(day.year))
            return cls.days(first, last)
        raise InvalidCommand(f"统计期间“{value}”无法识别；请写成 {_FORMS}", field="period")

    @property
    def key(self) -> str:
        """The period written the way `parse` reads it back."""
        match self.kind:
            case "month":
                return f"{self.start.year}-{self.start.month:02d}"
            case "quarter":
                return f"{self.start.year}-Q{(self.start.month + 2) // 3}"
            case "year":
                return str(self.start.year)
        return f"{self.start.isoformat()}..{self.last.isoformat()}"

    @property
    def last(self) -> date:
        """The period's last day."""
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """The period in Chinese: 2026 年 5 月, 2026 年第 2 季度, 2026 年, 2026-01-01 至 2026-03-31."""
        match self.kind:
            case "month":
                return f"{self.start.year} 年 {self.start.month} 月"
            case "quarter":
                return f"{self.start.year} 年第 {(self.start.month + 2) // 3} 季度"
            case "year":
                return f"{self.start.year} 年"
        return f"{self.start.isoformat()} 至 {self.last.isoformat()}"

    def previous(self) -> ReportingPeriod:
        """The period to compare with: the one of the same kind just before."""
        match self.kind:
            case "month":
                before = self.start - timedelta(days=1)
                return ReportingPeriod.month(before.year, before.month)
            case "quarter":
                before = self.start - timedelta(days=1)
                return ReportingPeriod.quarter(before.year, (before.month + 2) // 3)
            case "year":
                return ReportingPeriod.year(self.start.year - 1)
        length = self.end - self.start
        return ReportingPeriod("range", self.start - length, self.start)


@dataclass(frozen=True, slots=True)
class CaseTally:
    """What a breakdown reads of one case received in the period."""

    attributes: Mapping[str, Any]  # the case's own attributes (category, unit_code, channel…)
    fields: Mapping[str, Any]  # its intake fields
    replied: bool
    late: bool
    satisfied: bool | None  # None: no verdict recorded

    def value(self, attribute: str) -> Any:
        """The case's value for a dimension: its own attribute, else the intake field so named."""
        if attribute in self.attributes:
            return self.attributes[attribute]
        return self.fields.get(attribute)


@dataclass
class BreakdownRow:
    """The cases of one value of a dimension."""

    label: str
    received: int = 0
    replied: int = 0
    late: int = 0
    feedback: int = 0
    satisfied: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return round(self.satisfied / self.feedback, 4) if self.feedback else None


@dataclass
class Breakdown:
    """One dimension's rows, most cases first."""

    key: str
    label: str
    rows: list[BreakdownRow] = field(default_factory=list)


def _values(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value) or [None]
    return [value]


def break_down(
    dimensions: Sequence[StatisticsDimension],
    cases: Iterable[CaseTally],
    label: Callable[[str, Any], str],
) -> list[Breakdown]:
    """The cases counted by every dimension; `label(attribute, value)` names a value in Chinese.

    A case with several values (a multiple choice) counts once under each; a case with none
    counts under `BLANK_VALUE`, so every dimension adds up to the cases received.
    """
    cases = list(cases)
    breakdowns = []
    for dimension in dimensions:
        rows: dict[str, BreakdownRow] = {}
        for case in cases:
            for value in _values(case.value(dimension.attribute)):
                blank = value is None or (isinstance(value, str) and not value.strip())
                name = BLANK_VALUE if blank else label(dimension.attribute, value) or str(value)
                row = rows.setdefault(name, BreakdownRow(name))
                row.received += 1
                row.replied += case.replied
                row.late += case.late
                if case.satisfied is not None:
                    row.feedback += 1
                    row.satisfied += case.satisfied
        ordered = sorted(rows.values(), key=lambda row: (row.label == BLANK_VALUE, -row.received, row.label))
        breakdowns.append(Breakdown(dimension.key, dimension.label, ordered))
    return breakdowns
