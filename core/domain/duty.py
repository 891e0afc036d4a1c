"""Duty 应急值班: shifts of one leader and one or two officers, handovers, gaps, who is on duty.

The 12312 station, the CDC and the company keep a 24 h duty: each shift is one duty leader
值班领导 and one or two duty officers, a new case is reported to the leader on duty at once
(the "报" step), and each shift hands over with a record 交接班记录 that only duty staff and
supervisors may read. Pure: every instant is an argument and must be timezone-aware.

Shifts are half-open spans ``[starts_at, ends_at)``: a shift ending at 08:00 and the next one
starting at 08:00 leave no gap, and at 08:00 the second one is on duty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.domain.errors import InvalidCommand

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_OFFICERS",
    "MAX_SHIFT",
    "MAX_WINDOW",
    "Handover",
    "Shift",
    "check_window",
    "coverage_gaps",
    "new_handover",
    "new_shift",
    "on_duty",
]

MAX_SHIFT = timedelta(hours=24)
"""The longest a single shift may last."""

MAX_OFFICERS = 2
"""Duty officers per shift, besides the leader (at least one)."""

MAX_WINDOW = timedelta(days=93)
"""The longest span one roster or coverage query may ask about (a quarter), to bound the answer."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Instants outside [EARLIEST, LATEST) are typing mistakes, never a duty plan."""

_EXAMPLE = "如 2026-10-01T08:00:00+08:00"


@dataclass(frozen=True, slots=True)
class Shift:
    """One duty shift: a leader on duty and one or two officers, over ``[starts_at, ends_at)``.

    `id` is None until the shift is stored.
    """

    id: int | None
    starts_at: datetime
    ends_at: datetime
    leader: str
    officers: tuple[str, ...]

    def covers(self, at: datetime) -> bool:
        """True when the shift is on duty at `at`."""
        return self.starts_at <= at < self.ends_at

    @property
    def staff(self) -> tuple[str, ...]:
        """The leader, then the officers: everyone on this shift."""
        return (self.leader, *self.officers)


@dataclass(frozen=True, slots=True)
class Handover:
    """A shift's handover record 交接班记录. Confidential: duty staff and supervisors only.

    `cases_received` are the serials (or short descriptions) of the cases the shift took in;
    `pending` the items left for the next shift 待办事宜; `documents` the papers handed over.
    """

    id: int | None
    shift_id: int
    written_by: str
    at: datetime
    cases_received: tuple[str, ...]
    pending: tuple[str, ...]
    documents: tuple[str, ...]
    equipment: str
    notes: str = ""


def _aware(value: datetime, field: str, label: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCommand(f"{label}须带时区，{_EXAMPLE} ({field} must be timezone-aware)", field=field)
    if not EARLIEST <= value < LATEST:
        raise InvalidCommand(
            f"{label}超出可用范围（2000–2099 年），请核实 ({field} out of range)", field=field
        )


def check_window(start: datetime, end: datetime, *, max_span: timedelta = MAX_WINDOW) -> None:
    """Check a queried span ``[start, end)``: aware, in range, in order and not longer than `max_span`.

    Raises:
        InvalidCommand: naming ``start`` or ``end``.
    """
    _aware(start, "start", "开始时间")
    _aware(end, "end", "结束时间")
    if end <= start:
        raise InvalidCommand("结束时间须晚于开始时间 (end must be after start)", field="end")
    if end - start > max_span:
        raise InvalidCommand(
            f"一次最多查询 {max_span.days} 天 (the span is longer than {max_span.days} days)", field="end"
        )


def new_shift(*, starts_at: datetime, ends_at: datetime, leader: str, officers: Sequence[str]) -> Shift:
    """A shift to be planned, checked: aware times, at most 24 h, one leader and 1–2 other officers.

    Raises:
        InvalidCommand: naming the field at fault (starts_at, ends_at, leader or officers).
    """
    _aware(starts_at, "starts_at", "上班时间")
    _aware(ends_at, "ends_at", "下班时间")
    if ends_at <= starts_at:
        raise InvalidCommand("下班时间须晚于上班时间 (ends_at must be after starts_at)", field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise InvalidCommand("一个班次最长 24 小时 (a shift lasts at most 24 hours)", field="ends_at")
    if not isinstance(leader, str) or not leader.strip():
        raise InvalidCommand("每班须有一名值班领导 (a shift needs one duty leader)", field="leader")
    officers = tuple(officers)
    if not 1 <= len(officers) <= MAX_OFFICERS:
        raise InvalidCommand(
            f"每班须有 1–{MAX_OFFICERS} 名值班员，收到 {len(officers)} 名 (1–2 duty officers per shift)",
            field="officers",
        )
    for officer in officers:
        if not isinstance(officer, str) or not officer.strip():
            raise InvalidCommand("值班员用户名不能为空 (empty officer)", field="officers")
    if len(set(officers)) != len(officers):
        raise InvalidCommand("值班员不能重复 (an officer is listed twice)", field="officers")
    if leader in officers:
        raise InvalidCommand(
            f"值班领导 {leader} 不能同时担任本班值班员 (the leader is not one of the officers)",
            field="officers",
        )
    return Shift(id=None, starts_at=starts_at, ends_at=ends_at, leader=leader, officers=officers)


def _items(values: Iterable[str], field: str, label: str) -> tuple[str, ...]:
    items = tuple(values)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidCommand(f"{label}中有空白条目 (empty item in {field})", field=field)
    return items


def new_handover(
    *,
    shift_id: int,
    written_by: str,
    at: datetime,
    cases_received: Iterable[str],
    pending: Iterable[str],
    documents: Iterable[str],
    equipment: str,
    notes: str = "",
) -> Handover:
    """A handover record to be written, checked: no blank items, the equipment's state recorded.

    The station's rule lists the state of the duty room's equipment among what a handover
    records, so it is required; the lists may be empty (a quiet shift).

    Raises:
        InvalidCommand: naming the field at fault.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a handover's time must be timezone-aware")
    if not equipment.strip():
        raise InvalidCommand("请填写值班室设备状况 (the equipment's state is required)", field="equipment")
    return Handover(
        id=None,
        shift_id=shift_id,
        written_by=written_by,
        at=at,
        cases_received=_items(cases_received, "cases_received", "接收案件"),
        pending=_items(pending, "pending", "待办事宜"),
        documents=_items(documents, "documents", "交接文件"),
        equipment=equipment.strip(),
        notes=notes.strip(),
    )


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("duty instants must be timezone-aware")


def coverage_gaps(shifts: Iterable[Shift], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The spans of ``[start, end)`` no shift covers, in order (overlapping shifts are fine).

    An empty or reversed span has no gaps.
    """
    _require_aware(start, end)
    if end <= start:
        return []
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start  # everything before it is covered or already reported
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        if shift.starts_at >= end:
            break
        if shift.ends_at <= cursor:
            continue
        if shift.starts_at > cursor:
            gaps.append((cursor, shift.starts_at))
        cursor = shift.ends_at
        if cursor >= end:
            return gaps
    gaps.append((cursor, end))
    return gaps


def on_duty(shifts: Iterable[Shift], at: datetime) -> Shift | None:
    """The shift on duty at `at`; where shifts overlap, the one that started latest (it took over).

    Equal starts go to the shift planned last (the higher id). None when nobody is on duty.
    """
    _require_aware(at)
    covering = [shift for shift in shifts if shift.covers(at)]
    if not covering:
        return None
    return max(covering, key=lambda s: (s.starts_at, s.id or 0))
