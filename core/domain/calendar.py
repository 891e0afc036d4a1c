"""Business calendar: periods, statutory holidays and the one rule that turns a period into a deadline.

The rule (docs/architecture.md, deadlines):

* Minutes and hours are elapsed time added to the trigger instant; never provisional.
* Day-counted periods start the day after the trigger's local date (in the tenant's time zone)
  and end at 23:59:59 local on the last day.
* Working days: the last day is the n-th workday after the trigger day.
* Calendar days: the last day is the trigger day + n; when the policy says so and that day is
  not a workday (a statutory holiday or a weekly rest day), it rolls forward to the next workday
  (Civil Code art. 203: a period ending on a 法定休假日 ends on the day after it).
* The same day (当日内, an amount of 0 day units, written "same day" / "same working day"): the
  last day is the trigger day itself. In working days a trigger on a rest day moves to the next
  workday; in calendar days it does so when the policy rolls past rest days, as above.
* A day is a workday when: it is a tenant closure -> no; a tenant extra workday -> yes; its year
  has holiday data -> a weekday that is not a holiday, or a make-up workday 调休上班; its year has
  no data -> Monday to Friday, and the deadline is marked provisional until the schedule is
  imported.
"""

from __future__ import annotations

import enum
import functools
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from itertools import accumulate
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chinese_calendar import constants as _cn

from core.domain.errors import InvalidCommand

__all__ = [
    "BusinessCalendar",
    "CalendarPolicy",
    "Deadline",
    "Period",
    "PeriodUnit",
    "YearSchedule",
    "require_aware",
    "statutory_schedules",
]

_END_OF_DAY = time(23, 59, 59)
_MIN_YEAR, _MAX_YEAR = 1990, 2100  # range accepted for imported schedules


def require_aware(value: Any, field: str) -> datetime:
    """Return `value` if it is a timezone-aware datetime.

    Args:
        value: The candidate instant.
        field: The command field named in the error.

    Returns:
        The same datetime.

    Raises:
        InvalidCommand: If `value` is not a datetime or carries no UTC offset.
    """
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidCommand(
            f"时间“{value}”必须带时区，例如 +08:00 (datetime must be timezone-aware)", field=field
        )
    return value


class PeriodUnit(enum.StrEnum):
    """What a period counts."""

    MINUTES = "minutes"  # elapsed minutes, around the clock
    HOURS = "hours"  # elapsed hours, around the clock
    CALENDAR_DAYS = "calendar days"  # 日/自然日: every day counts; may roll past a rest day at the end
    WORKING_DAYS = "working days"  # 工作日: only workdays of the business calendar count

    @property
    def is_day_counted(self) -> bool:
        """True for units that end at the end of a local day."""
        return self in (PeriodUnit.CALENDAR_DAYS, PeriodUnit.WORKING_DAYS)


_UNIT_WORDS = {
    "minute": PeriodUnit.MINUTES,
    "hour": PeriodUnit.HOURS,
    "day": PeriodUnit.CALENDAR_DAYS,
    "calendar day": PeriodUnit.CALENDAR_DAYS,
    "working day": PeriodUnit.WORKING_DAYS,
    "分钟": PeriodUnit.MINUTES,
    "小时": PeriodUnit.HOURS,
    "个小时": PeriodUnit.HOURS,
    "日": PeriodUnit.CALENDAR_DAYS,
    "天": PeriodUnit.CALENDAR_DAYS,
    "自然日": PeriodUnit.CALENDAR_DAYS,
    "个自然日": PeriodUnit.CALENDAR_DAYS,
    "工作日": PeriodUnit.WORKING_DAYS,
    "个工作日": PeriodUnit.WORKING_DAYS,
}

# "By the end of the trigger's own day" (当日内) has no number; these words spell it.
_SAME_DAY_WORDS = {
    "same day": PeriodUnit.CALENDAR_DAYS,
    "same calendar day": PeriodUnit.CALENDAR_DAYS,
    "same working day": PeriodUnit.WORKING_DAYS,
    "当日": PeriodUnit.CALENDAR_DAYS,
    "当天": PeriodUnit.CALENDAR_DAYS,
    "当日内": PeriodUnit.CALENDAR_DAYS,
    "当个工作日": PeriodUnit.WORKING_DAYS,
}
_SAME_DAY_TEXT = {PeriodUnit.CALENDAR_DAYS: "same day", PeriodUnit.WORKING_DAYS: "same working day"}
_SAME_DAY_LABEL = {PeriodUnit.CALENDAR_DAYS: "当日", PeriodUnit.WORKING_DAYS: "当个工作日"}

_LABEL_SUFFIX = {
    PeriodUnit.MINUTES: "分钟",
    PeriodUnit.HOURS: "小时",
    PeriodUnit.CALENDAR_DAYS: "日",
    PeriodUnit.WORKING_DAYS: "个工作日",
}

_PERIOD_RE = re.compile(r"^\s*(\d+)\s*(\S.*?)\s*$")

_ACCEPTED_FORMS = (
    "可用格式：5个工作日、30日、30天、10分钟、2小时、当日，"
    "或 5 working days、1 working day、30 days、30 calendar days、10 minutes、2 hours、same day"
)


@dataclass(frozen=True, slots=True)
class Period:
    """A length of time in one unit, e.g. 5 working days.

    An amount of 0 is allowed for the day units only and means "the same day" (当日内): the
    deadline is the end of the trigger's own local day (see the module docstring). It is
    spelled "same day" / "same working day" (当日), never "0 days", so a typed 0 is still refused.

    Attributes:
        amount: A positive whole number of units, or 0 (the same day) for a day unit.
        unit: What is counted.
    """

    amount: int
    unit: PeriodUnit

    def __post_init__(self) -> None:
        """Reject a negative or non-integer amount, 0 outside the day units, and an unknown unit."""
        if not isinstance(self.unit, PeriodUnit):
            raise InvalidCommand(
                f"未知的期限单位“{self.unit}” (unknown unit)；{_ACCEPTED_FORMS}", field="period"
            )
        same_day = self.amount == 0 and self.unit.is_day_counted
        if (
            isinstance(self.amount, bool)
            or not isinstance(self.amount, int)
            or (self.amount < 1 and not same_day)
        ):
            raise InvalidCommand(
                f"期限数值必须为正整数，收到“{self.amount}” (amount must be a positive integer)",
                field="period",
            )

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse an English or Chinese period such as "5 working days", "5个工作日" or "same day".

        Args:
            text: The period as written in a tenant's configuration.

        Returns:
            The period.

        Raises:
            InvalidCommand: If the text is not one of the accepted forms or the amount is not positive.
        """
        if isinstance(text, str):
            same_day = _SAME_DAY_WORDS.get(" ".join(text.lower().split()))
            if same_day is not None:
                return cls(0, same_day)
        match = _PERIOD_RE.match(text) if isinstance(text, str) else None
        unit = None
        if match:
            words = " ".join(match.group(2).lower().split())
            if words.isascii() and words.endswith("s"):
                words = words[:-1]  # "days" -> "day", "working days" -> "working day"
            unit = _UNIT_WORDS.get(words)
        if match is None or unit is None:
            raise InvalidCommand(
                f"无法识别的期限“{text}”；{_ACCEPTED_FORMS} (unrecognised period)", field="period"
            )
        if int(match.group(1)) == 0:  # a typed 0 is a slip far more often than "the same day"
            raise InvalidCommand(
                f"期限数值必须为正整数，收到“{text}”；当日内请写“当日”或 same day "
                "(amount must be a positive integer)",
                field="period",
            )
        return cls(int(match.group(1)), unit)

    @property
    def is_same_day(self) -> bool:
        """True for "the same day" (当日内): the end of the trigger's own local day."""
        return self.amount == 0

    @property
    def label(self) -> str:
        """The Chinese form shown to people, e.g. "5个工作日", "30日", "当日"."""
        if self.is_same_day:
            return _SAME_DAY_LABEL[self.unit]
        return f"{self.amount}{_LABEL_SUFFIX[self.unit]}"

    def __str__(self) -> str:
        """Return the canonical English form, e.g. "5 working days", "1 working day", "same day"."""
        if self.is_same_day:
            return _SAME_DAY_TEXT[self.unit]
        words = self.unit.value if self.amount != 1 else self.unit.value[:-1]
        return f"{self.amount} {words}"


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One year's statutory holidays (days off) and make-up workdays 调休上班.

    Attributes:
        year: The calendar year.
        holidays: Days off by law, weekend days included when the notice lists them.
        workdays: Weekend days that are workdays (调休上班).
        source: Where the data came from, e.g. "chinese-calendar" or the State Council notice.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str

    def __post_init__(self) -> None:
        """Check the year range, that every day is inside the year and no day is both."""
        if (
            isinstance(self.year, bool)
            or not isinstance(self.year, int)
            or not _MIN_YEAR <= self.year <= _MAX_YEAR
        ):
            raise InvalidCommand(
                f"年份“{self.year}”无效，应为 {_MIN_YEAR}–{_MAX_YEAR} 之间的整数 (invalid year)", field="year"
            )
        for name, days in (("holidays", self.holidays), ("workdays", self.workdays)):
            for day in days:
                if day.year != self.year:
                    raise InvalidCommand(
                        f"日期“{day.isoformat()}”不在 {self.year} 年内 (date outside the year)", field=name
                    )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise InvalidCommand(
                f"日期“{both[0].isoformat()}”不能既是假日又是调休上班日 (date is both holiday and workday)",
                field="workdays",
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> YearSchedule:
        """Build a schedule from an imported file's parsed content.

        Expected shape: ``{"year": 2027, "holidays": ["2027-01-01", ...],
        "workdays": ["2027-02-07", ...], "source": "国务院办公厅通知 ..."}``. ``workdays`` and
        ``source`` are optional; dates may be ISO strings or `date` objects (as TOML gives them).

        Args:
            data: The parsed file.

        Returns:
            The validated schedule.

        Raises:
            InvalidCommand: Naming the bad value when the content is malformed.
        """
        if not isinstance(data, Mapping):
            raise InvalidCommand("假日安排应为一个对象（含 year、holidays、workdays）(expected a mapping)")
        if "year" not in data:
            raise InvalidCommand("假日安排缺少年份 year (missing year)", field="year")
        if "holidays" not in data:
            raise InvalidCommand("假日安排缺少 holidays 列表 (missing holidays)", field="holidays")
        source = data.get("source", "")
        if not isinstance(source, str):
            raise InvalidCommand(
                f"来源 source 应为文字，收到“{source}” (source must be text)", field="source"
            )
        return cls(
            year=data["year"],
            holidays=_parse_days(data["holidays"], "holidays"),
            workdays=_parse_days(data.get("workdays", ()), "workdays"),
            source=source,
        )


def _parse_days(values: Any, field: str) -> frozenset[date]:
    """Parse a list of ISO dates (or `date` objects) into a frozenset."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidCommand(f"{field} 应为日期列表，收到“{values}” (expected a list of dates)", field=field)
    days = set()
    for value in values:
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise InvalidCommand(
                f"{field} 中的“{value}”不是 YYYY-MM-DD 格式的日期 (not an ISO date)", field=field
            ) from None
    return frozenset(days)


@functools.cache
def _statutory() -> Mapping[int, YearSchedule]:
    """Group chinese-calendar's holiday and workday tables by year, once per process."""
    years = {day.year for day in _cn.holidays} | {day.year for day in _cn.workdays}
    return MappingProxyType(
        {
            year: YearSchedule(
                year=year,
                holidays=frozenset(day for day in _cn.holidays if day.year == year),
                workdays=frozenset(day for day in _cn.workdays if day.year == year),
                source="chinese-calendar",
            )
            for year in sorted(years)
        }
    )


def statutory_schedules() -> dict[int, YearSchedule]:
    """Return the statutory schedules shipped with chinese-calendar, by year (2004–2026 in 1.11).

    Returns:
        A fresh dict (safe to extend with imported years); the schedules themselves are cached.
    """
    return dict(_statutory())


@dataclass(frozen=True, slots=True)
class CalendarPolicy:
    """A tenant's overrides of the statutory calendar.

    Attributes:
        timezone: IANA zone in which days begin and end.
        roll_past_rest_days: Whether a calendar-day period ending on a rest day moves to the next workday.
        extra_closures: Days the tenant is closed; they beat everything else.
        extra_workdays: Days the tenant works although the statutory calendar says rest.
    """

    timezone: str = "Asia/Shanghai"
    roll_past_rest_days: bool = True
    extra_closures: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        """Reject an unknown time zone early rather than at the first deadline."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise InvalidCommand(
                f"未知的时区“{self.timezone}”，例如 Asia/Shanghai (unknown time zone)", field="timezone"
            ) from None

    @property
    def zone(self) -> ZoneInfo:
        """The policy's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Deadline:
    """The result of adding a period to a trigger instant.

    Attributes:
        due_at: Timezone-aware instant in the tenant's zone.
        provisional: True when a consulted year had no holiday data; recompute after import.
        basis: Why this deadline applies (e.g. the rule or article), for people to read.
        period: The period that was added.
    """

    due_at: datetime
    provisional: bool
    basis: str
    period: Period


def _day_of_year(day: date) -> int:
    """Zero-based position of `day` in its year."""
    return day.timetuple().tm_yday - 1


class BusinessCalendar:
    """Workdays and deadlines for one tenant: statutory schedules plus the tenant's policy.

    Working-day arithmetic uses a per-year index of cumulative workday counts, built lazily and
    cached on the instance, so long spans jump whole years and bisect inside the last one.
    """

    def __init__(self, schedules: Mapping[int, YearSchedule], policy: CalendarPolicy) -> None:
        """Create the calendar.

        Args:
            schedules: Holiday data by year (usually `statutory_schedules()` plus imported years).
            policy: The tenant's overrides.

        Raises:
            InvalidCommand: If a schedule is filed under another year than its own.
        """
        for year, schedule in schedules.items():
            if year != schedule.year:
                raise InvalidCommand(
                    f"{year} 年下登记的是 {schedule.year} 年的假日安排 (year mismatch)", field="year"
                )
        self.schedules: Mapping[int, YearSchedule] = MappingProxyType(dict(schedules))
        self.policy = policy
        self._closures_by_year = _group_by_year(policy.extra_closures)
        self._extra_workdays_by_year = _group_by_year(policy.extra_workdays)
        # year -> cumulative workday count through each day of the year (index = day of year - 1)
        self._index: dict[int, list[int]] = {}

    def has_data(self, year: int) -> bool:
        """Whether statutory holiday data is loaded for `year`."""
        return year in self.schedules

    def is_workday(self, day: date) -> bool:
        """Apply the workday rule of the module docstring to one day."""
        if day in self.policy.extra_closures:
            return False
        if day in self.policy.extra_workdays:
            return True
        schedule = self.schedules.get(day.year)
        if schedule is not None and day in schedule.workdays:
            return True
        if schedule is not None and day in schedule.holidays:
            return False
        return day.weekday() < 5

    def add(self, start: datetime, period: Period, *, basis: str = "") -> Deadline:
        """Add `period` to the trigger instant `start` under the module's rule.

        Args:
            start: Timezone-aware trigger instant (converted to the policy's zone).
            period: What to add.
            basis: Why this deadline applies, copied to the result.

        Returns:
            The deadline, `due_at` in the policy's zone.

        Raises:
            InvalidCommand: If `start` is naive or the deadline falls outside the representable range.
        """
        zone = self.policy.zone
        local = require_aware(start, "start").astimezone(zone)
        try:
            if period.unit is PeriodUnit.MINUTES or period.unit is PeriodUnit.HOURS:
                minutes = period.amount * (60 if period.unit is PeriodUnit.HOURS else 1)
                # In UTC so that a daylight-saving zone still adds elapsed time, not wall time.
                due_at = (local.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)
                return Deadline(due_at=due_at, provisional=False, basis=basis, period=period)
            if period.unit is PeriodUnit.WORKING_DAYS and period.is_same_day:
                last, provisional = self._same_working_day(local.date())
            elif period.unit is PeriodUnit.WORKING_DAYS:
                last, provisional = self.add_working_days(local.date(), period.amount)
            else:
                last, provisional = self._add_calendar_days(local.date(), period.amount)
        except OverflowError:
            raise InvalidCommand(
                f"期限 {period.label} 超出可计算的日期范围 (out of range)", field="period"
            ) from None
        due_at = datetime.combine(last, _END_OF_DAY, tzinfo=zone)
        return Deadline(due_at=due_at, provisional=provisional, basis=basis, period=period)

    def add_working_days(self, day: date, n: int) -> tuple[date, bool]:
        """Find the n-th workday after `day`.

        Args:
            day: The trigger day (not counted).
            n: How many workdays; 0 returns `day` itself.

        Returns:
            The last day and whether it is provisional (a year after `day` up to it lacks data).

        Raises:
            InvalidCommand: If `n` is negative or the result is past the year 9999.
        """
        if n < 0:
            raise InvalidCommand(f"工作日数不能为负数：{n} (n must not be negative)", field="n")
        if n == 0:
            return day, False
        year = day.year
        index = self._year_index(year)
        # Turn "n workdays after day" into "the k-th workday of the year", then jump whole years.
        k = n + index[_day_of_year(day)]
        while k > index[-1]:
            k -= index[-1]
            year += 1
            if year > MAXYEAR:
                raise InvalidCommand(f"{n} 个工作日超出可计算的日期范围 (out of range)", field="n")
            index = self._year_index(year)
        last = date(year, 1, 1) + timedelta(days=bisect_left(index, k))
        return last, self._lacks_data((day + timedelta(days=1)).year, last.year)

    def working_days_between(self, start: date, end: date) -> int:
        """Count the workdays in the half-open span (start, end]; 0 when `end` is not after `start`."""
        if end <= start:
            return 0
        if start.year == end.year:
            return self._count_through(end) - self._count_through(start)
        count = self._year_index(start.year)[-1] - self._count_through(start)
        count += sum(self._year_index(year)[-1] for year in range(start.year + 1, end.year))
        return count + self._count_through(end)

    def _same_working_day(self, day: date) -> tuple[date, bool]:
        """`day` when it is a workday, else the next workday (当日内 counted in working days)."""
        if self.is_workday(day):
            return day, self._lacks_data(day.year, day.year)
        last, _ = self.add_working_days(day, 1)
        return last, self._lacks_data(day.year, last.year)

    def _add_calendar_days(self, day: date, n: int) -> tuple[date, bool]:
        """Trigger day + n, rolled past a rest day when the policy says so."""
        last = day + timedelta(days=n)
        if not self.policy.roll_past_rest_days:
            return last, False  # no workday was consulted, so nothing can be provisional
        rolled = last if self.is_workday(last) else self.add_working_days(last, 1)[0]
        return rolled, self._lacks_data(last.year, rolled.year)

    def _lacks_data(self, first_year: int, last_year: int) -> bool:
        """Whether any year from `first_year` through `last_year` has no holiday data."""
        return any(not self.has_data(year) for year in range(first_year, last_year + 1))

    def _count_through(self, day: date) -> int:
        """Workdays from 1 January of `day`'s year through `day` inclusive."""
        return self._year_index(day.year)[_day_of_year(day)]

    def _year_index(self, year: int) -> list[int]:
        """The cumulative workday counts of `year`, built on first use."""
        index = self._index.get(year)
        if index is None:
            index = self._index[year] = self._build_index(year)
        return index

    def _build_index(self, year: int) -> list[int]:
        """Build one year's index with the same precedence as `is_workday`, without per-day lookups."""
        first = date(year, 1, 1)
        size = _day_of_year(date(year, 12, 31)) + 1
        weekday = first.weekday()
        flags = [1 if (weekday + i) % 7 < 5 else 0 for i in range(size)]
        schedule = self.schedules.get(year)
        if schedule is not None:
            for day in schedule.holidays:
                flags[_day_of_year(day)] = 0
            for day in schedule.workdays:  # make-up workdays beat holidays, as in is_workday
                flags[_day_of_year(day)] = 1
        for day in self._extra_workdays_by_year.get(year, ()):
            flags[_day_of_year(day)] = 1
        for day in self._closures_by_year.get(year, ()):  # closures beat everything
            flags[_day_of_year(day)] = 0
        return list(accumulate(flags))


def _group_by_year(days: Iterable[date]) -> dict[int, list[date]]:
    """Group days by their year."""
    grouped: dict[int, list[date]] = {}
    for day in days:
        grouped.setdefault(day.year, []).append(day)
    return grouped
