"""Monthly statistics per handling unit and the monthly circular 月度通报 (12312: 每月统计, 全系统通报).

Counted in the tenant's local month, each case under the unit it is with now (the unit named
by the dispatch for "dispatched"):

- received: cases received; accepted / refused / referred: acceptance, refusal and referral
  out 移送 events; dispatched: dispatch events, by the unit dispatched to;
- replied: cases replied to, and of those "on time": no deadline of the case breached this
  month; late: cases with a deadline breached this month; supervision notices issued;
- extensions granted; feedback: verdicts recorded (无法联系 does not count), satisfied:
  满意 + 基本满意, satisfaction rate = satisfied / feedback;
- average handling time: working days of the tenant's business calendar from the first
  dispatch (or, never dispatched, the acceptance) to the reply, over the cases replied;
- ranking: units with replies or late cases, by fewest late, then highest on-time rate, then
  shortest average handling time; month-on-month change of received and late.

The circular is issued on the 1st for the month before by the scheduler (`CircularJobs`) and on
demand; it is a ``monthly_circular`` document (PDF and HTML by the render job), with CSV and
XLSX exports of the same figures.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.calendar import BusinessCalendar
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.events import EventName
from core.domain.roles import Actor, Permission
from core.services.clock import Clock
from core.services.tenants import calendar_for
from core.store.directory import TenantDirectory
from core.store.documents import DocumentInfo, DocumentRepository
from core.store.platform import HolidayRepository
from core.store.statistics import month_facts
from core.store.tenants import TenantRecord, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["CIRCULAR", "CircularJobs", "MonthlyReport", "StatisticsService", "UnitLine"]

NO_UNIT = "未交办"
CIRCULAR = "monthly_circular"
"""The document kind of a monthly circular (about no case)."""

_COUNTS = (
    "received",
    "accepted",
    "refused",
    "referred",
    "dispatched",
    "replied",
    "replied_on_time",
    "late",
    "supervision_notices",
    "extensions",
    "feedback",
    "satisfied",
    "handled",
    "handling_days",
)
_SATISFIED = {"satisfied", "basically_satisfied"}
_VERDICTS = _SATISFIED | {"dissatisfied"}


@dataclass
class UnitLine:
    """One unit's month. `handled` cases took `handling_days` working days in all."""

    unit_code: str | None
    unit_name: str
    received: int = 0
    accepted: int = 0
    refused: int = 0
    referred: int = 0
    dispatched: int = 0
    replied: int = 0
    replied_on_time: int = 0
    late: int = 0
    supervision_notices: int = 0
    extensions: int = 0
    feedback: int = 0
    satisfied: int = 0
    handled: int = 0
    handling_days: int = 0
    rank: int | None = None
    received_change: int = 0
    late_change: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied (满意 + 基本满意) over verdicts recorded; None without any."""
        return round(self.satisfied / self.feedback, 4) if self.feedback else None

    @property
    def on_time_rate(self) -> float | None:
        return round(self.replied_on_time / self.replied, 4) if self.replied else None

    @property
    def avg_handling_days(self) -> float | None:
        """Average working days from dispatch to reply; None when nothing was replied."""
        return round(self.handling_days / self.handled, 1) if self.handled else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _signed(value: int) -> str:
    return f"{value:+d}" if value else "0"


COLUMNS = (
    ("名次", lambda line: "" if line.rank is None else str(line.rank)),
    ("单位", lambda line: line.unit_name),
    ("收件", lambda line: str(line.received)),
    ("受理", lambda line: str(line.accepted)),
    ("不予受理", lambda line: str(line.refused)),
    ("移送", lambda line: str(line.referred)),
    ("转办", lambda line: str(line.dispatched)),
    ("答复", lambda line: str(line.replied)),
    ("按时答复", lambda line: str(line.replied_on_time)),
    ("逾期", lambda line: str(line.late)),
    ("督办通知单", lambda line: str(line.supervision_notices)),
    ("延期", lambda line: str(line.extensions)),
    ("满意率", lambda line: _pct(line.satisfaction_rate)),
    ("平均办理工作日", lambda line: _num(line.avg_handling_days)),
    ("收件环比", lambda line: _signed(line.received_change)),
    ("逾期环比", lambda line: _signed(line.late_change)),
)
"""The circular's columns, in order, with how each is printed (CSV, XLSX and PDF alike)."""


@dataclass
class MonthlyReport:
    """A tenant's month, unit by unit, with the totals."""

    tenant: str
    year: int
    month: int
    lines: list[UnitLine] = field(default_factory=list)

    @property
    def totals(self) -> UnitLine:
        total = UnitLine(unit_code=None, unit_name="合计")
        for line in self.lines:
            for name in (*_COUNTS, "received_change", "late_change"):
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return total

    def rows(self) -> list[list[str]]:
        """The table: a header, one row per unit, the totals."""
        return [[name for name, _ in COLUMNS]] + [
            [show(line) for _, show in COLUMNS] for line in [*self.lines, self.totals]
        ]

    def circular(self) -> str:
        """The month as a circular to send round the system (通报); tab-separated table rows."""
        head = f"{self.tenant} {self.year} 年 {self.month} 月投诉举报办理情况通报\n"
        late = [line for line in self.lines if line.late]
        criticism = (
            "逾期单位："
            + "、".join(f"{line.unit_name}（{line.late} 件）" for line in late)
            + "，予以通报批评。\n"
            if late
            else "本月无逾期办理。\n"
        )
        table = "".join("\t".join(row) + "\n" for row in self.rows())
        note = (
            "说明：满意率=（满意+基本满意）/已表态件数；平均办理工作日自转办至答复，按本单位工作日历计算。\n"
        )
        return head + table + "\n" + criticism + note

    def csv(self) -> str:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(self.rows())
        return buffer.getvalue()

    def xlsx(self) -> bytes:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = f"{self.year}-{self.month:02d}"
        sheet.append([f"{self.tenant} {self.year} 年 {self.month} 月投诉举报办理情况通报"])
        for row in self.rows():
            sheet.append([int(cell) if cell.lstrip("+-").isdigit() else cell for cell in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def _month_span(zone: ZoneInfo, year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


async def _compile(
    tenant_id: int, record: TenantRecord, calendar: BusinessCalendar, year: int, month: int
) -> list[UnitLine]:
    """One month's lines, inside the caller's `tenant_tx`."""
    zone = ZoneInfo(record.timezone)
    facts = await month_facts(tenant_id, *_month_span(zone, year, month))
    units = {unit.code: unit.name for unit in await TenantDirectory(tenant_id).units()}
    lines: dict[str | None, UnitLine] = {
        code: UnitLine(unit_code=code, unit_name=name) for code, name in units.items()
    }

    def line(code: str | None) -> UnitLine:
        if code not in lines:
            lines[code] = UnitLine(unit_code=code, unit_name=units.get(code or "", NO_UNIT))
        return lines[code]

    for case_id in facts.received:
        line(facts.units.get(case_id)).received += 1
    replied: defaultdict[str | None, set[int]] = defaultdict(set)
    replied_at: dict[int, datetime] = {}
    for case_id, name, data, at in facts.events:
        here = line(facts.units.get(case_id))
        match name:
            case EventName.DISPATCHED:
                line(data.get("unit_code")).dispatched += 1
            case EventName.REPLIED:
                replied[facts.units.get(case_id)].add(case_id)
                replied_at[case_id] = at  # the last reply of the month counts
            case EventName.ACCEPTED:
                here.accepted += 1
            case EventName.REFUSED:
                here.refused += 1
            case EventName.REFERRED_OUT:
                here.referred += 1
            case EventName.EXTENDED:
                here.extensions += 1
            case EventName.FEEDBACK_RECORDED:
                verdict = data.get("satisfaction")
                if verdict in _VERDICTS:
                    here.feedback += 1
                    here.satisfied += verdict in _SATISFIED
    for code, cases in replied.items():
        target = line(code)
        target.replied += len(cases)
        target.replied_on_time += len(cases - facts.breached)
        for case_id in cases:
            start = facts.starts.get(case_id)
            if start is not None:
                target.handled += 1
                target.handling_days += calendar.working_days_between(
                    start.astimezone(zone).date(), replied_at[case_id].astimezone(zone).date()
                )
    for case_id in facts.breached:
        line(facts.units.get(case_id)).late += 1
    for case_id in facts.notices:
        line(facts.units.get(case_id)).supervision_notices += 1
    return sorted(lines.values(), key=lambda item: (item.unit_code is None, item.unit_code or ""))


def _rank(lines: list[UnitLine]) -> None:
    ranked = [line for line in lines if line.unit_code is not None and (line.replied or line.late)]
    ranked.sort(
        key=lambda line: (
            line.late,
            -(line.on_time_rate or 0.0),
            line.avg_handling_days if line.avg_handling_days is not None else float("inf"),
        )
    )
    position = 0
    previous = None
    for index, line in enumerate(ranked, start=1):
        key = (line.late, line.on_time_rate, line.avg_handling_days)
        if key != previous:  # ties share a place
            position, previous = index, key
        line.rank = position


async def _report(
    tenant_id: int, record: TenantRecord, year: int, month: int, *, compare: bool = True
) -> MonthlyReport:
    """The month with ranking and month-on-month change, inside the caller's `tenant_tx`.

    Without `compare` the month before is not read and the changes stay 0 (half the work, for
    pages that show no change).
    """
    calendar = calendar_for(record.timezone, record.calendar, await HolidayRepository().all())
    lines = await _compile(tenant_id, record, calendar, year, month)
    if compare:
        earlier_lines = await _compile(tenant_id, record, calendar, *_previous(year, month))
        before = {line.unit_code: line for line in earlier_lines}
        for line in lines:
            earlier = before.get(line.unit_code)
            line.received_change = line.received - (earlier.received if earlier else 0)
            line.late_change = line.late - (earlier.late if earlier else 0)
    _rank(lines)
    return MonthlyReport(tenant=record.name, year=year, month=month, lines=lines)


def _check(actor: Actor, year: int, month: int) -> None:
    if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
        raise NotPermitted("只有督查员、审计员和领导可以查看统计")
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidCommand("请给出 2000–2100 年之间的年份和 1–12 月", field="month")


class StatisticsService:
    """Monthly figures for supervisors and auditors."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def monthly(
        self, tenant_id: int, actor: Actor, year: int, month: int, *, compare: bool = True
    ) -> MonthlyReport:
        """The tenant's statistics for one month of its own calendar.

        `compare=False` skips the month before (no month-on-month change): the dashboard's view.

        Raises:
            NotPermitted: neither a supervisor nor an auditor.
            InvalidCommand: a month that does not exist.
        """
        _check(actor, year, month)
        async with platform_tx():
            record = await TenantRepository().get(tenant_id)
        async with tenant_tx(tenant_id):
            return await _report(tenant_id, record, year, month, compare=compare)

    async def issue_circular(self, tenant_id: int, actor: Actor, year: int, month: int) -> DocumentInfo:
        """Issue the month's circular now (a new edition if one exists); rendered by the worker."""
        _check(actor, year, month)
        return await _issue(tenant_id, year, month, actor.username, self.clock.now(), first_only=False)

    async def circulars(self, tenant_id: int, actor: Actor) -> list[DocumentInfo]:
        """The circulars issued, newest first."""
        _check(actor, 2000, 1)
        async with tenant_tx(tenant_id):
            return await DocumentRepository(tenant_id).of_kind(CIRCULAR)


class _AlreadyIssued(Exception):
    """Rolls back a scheduled issue that found the month's circular already there."""


async def _issue(
    tenant_id: int, year: int, month: int, by: str, now: datetime, *, first_only: bool
) -> DocumentInfo:
    async with platform_tx():
        record = await TenantRepository().get(tenant_id)
    async with tenant_tx(tenant_id):
        # One counter per tenant and month: the scheduled run takes edition 1 or leaves it be
        # (its transaction rolls back, so the counter does not move); on demand adds editions.
        edition = await DocumentRepository(tenant_id).next_number(CIRCULAR, year * 100 + month)
        if first_only and edition > 1:
            raise _AlreadyIssued
        report = await _report(tenant_id, record, year, month)
        number = f"通报-{year}-{month:02d}" + (f"-{edition}" if edition > 1 else "")
        return await DocumentRepository(tenant_id).add(
            case_id=None,
            kind=CIRCULAR,
            number=number,
            title=f"{year} 年 {month} 月投诉举报办理情况通报",
            body=report.circular(),
            masked_body="",
            created_by=by,
            created_at=now,
        )


class CircularJobs:
    """The scheduled side: on (or after) the 1st, each active tenant's circular for the month before."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def issue_due(self) -> int:
        """Issue every circular not yet issued for the previous local month; returns how many."""
        now = self.clock.now()
        async with platform_tx():
            tenants = await TenantRepository().all()
        issued = 0
        for record in tenants:
            if not record.active:
                continue
            local = now.astimezone(ZoneInfo(record.timezone))
            year, month = _previous(local.year, local.month)
            try:
                await _issue(record.id, year, month, "system", now, first_only=True)
                issued += 1
            except _AlreadyIssued:
                continue
        return issued
