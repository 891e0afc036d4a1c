"""Statistics per handling unit and by the plugin's dimensions; the monthly circular 月度通报.

(12312: 每月统计, 全系统通报.) Counted over a `ReportingPeriod` of the tenant's own dates (a month,
quarter, year or range of days), each case under the unit it is with now (the unit named by
the dispatch for "dispatched"):

- received: cases received; accepted / refused / referred: acceptance, refusal and referral
  out 移送 events; dispatched: dispatch events, by the unit dispatched to;
- replied: cases replied to, and of those "on time": no deadline of the case breached this
  month; late: cases with a deadline breached this month; supervision notices issued;
- extensions granted; feedback: verdicts recorded (无法联系 does not count), satisfied:
  满意 + 基本满意, satisfaction rate = satisfied / feedback;
- average handling time: working days of the tenant's business calendar from the first
  dispatch (or, never dispatched, the acceptance) to the reply, over the cases replied;
- ranking: units with replies or late cases, by fewest late, then highest on-time rate, then
  shortest average handling time; change of received and late on the period before;
- breakdowns: the cases received in the period by each dimension the plugin registers
  (`hy_register_statistics_dimensions`), values named by their labels (see
  `core.domain.reporting`).

The circular is issued on the 1st for the month before by the scheduler (`CircularJobs`) and on
demand; it is a ``monthly_circular`` document (PDF and HTML by the render job), with CSV and
XLSX exports of the same figures (a sheet per dimension).
"""

from __future__ import annotations

import csv
import enum
import io
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.calendar import BusinessCalendar
from core.domain.cases import CaseKind, CaseState, Channel, Complexity, Satisfaction, Severity
from core.domain.decisions import FieldSpec
from core.domain.errors import DomainError, InvalidCommand, NotPermitted
from core.domain.events import EventName
from core.domain.reporting import Breakdown, ReportingPeriod, break_down
from core.domain.roles import Actor, Permission
from core.plugins import PluginRegistry
from core.services.clock import Clock
from core.services.tenants import LoadedTenant, load_tenant
from core.store.directory import TenantDirectory
from core.store.documents import DocumentInfo, DocumentRepository
from core.store.statistics import month_facts, received_tallies
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["CIRCULAR", "CircularJobs", "StatisticsReport", "StatisticsService", "UnitLine"]

log = logging.getLogger("huiying.statistics")

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
class StatisticsReport:
    """A tenant's period, unit by unit with the totals, and broken down by the plugin's dimensions."""

    tenant: str
    period: ReportingPeriod
    lines: list[UnitLine] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.tenant} {self.period.label}投诉举报办理情况通报"

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

    def breakdown_tables(self) -> list[tuple[str, list[list[str]]]]:
        """One table per dimension: its title, then a header and one row per value."""
        return [
            (
                f"按{breakdown.label}",
                [[breakdown.label, *(name for name, _ in BREAKDOWN_COLUMNS)]]
                + [[row.label, *(show(row) for _, show in BREAKDOWN_COLUMNS)] for row in breakdown.rows],
            )
            for breakdown in self.breakdowns
        ]

    def circular(self) -> str:
        """The period as a circular to send round the system (通报); tab-separated table rows."""
        head = self.title + "\n"
        late = [line for line in self.lines if line.late]
        criticism = (
            "逾期单位："
            + "、".join(f"{line.unit_name}（{line.late} 件）" for line in late)
            + "，予以通报批评。\n"
            if late
            else "本期无逾期办理。\n"
        )
        table = "".join("\t".join(row) + "\n" for row in self.rows())
        sections = "".join(
            f"\n【{title}】\n" + "".join("\t".join(row) + "\n" for row in rows)
            for title, rows in self.breakdown_tables()
            if len(rows) > 1
        )
        note = (
            "说明：满意率=（满意+基本满意）/已表态件数；平均办理工作日自转办至答复，按本单位工作日历计算；"
            "分类统计计本期收件。\n"
        )
        return head + table + sections + "\n" + criticism + note

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(self.rows())
        for title, rows in self.breakdown_tables():
            writer.writerow([])
            writer.writerow([title])
            writer.writerows(rows)
        return buffer.getvalue()

    def xlsx(self) -> bytes:
        """The units on the first sheet, one more sheet per dimension."""
        from openpyxl import Workbook

        def cell(value: str) -> int | str:
            return int(value) if value.lstrip("+-").isdigit() else value

        book = Workbook()
        sheet = book.active
        sheet.title = "按单位"
        sheet.append([self.title])
        for row in self.rows():
            sheet.append([cell(value) for value in row])
        for title, rows in self.breakdown_tables():
            extra = book.create_sheet(title[:31])
            extra.append([f"{self.title}（{title}）"])
            for row in rows:
                extra.append([cell(value) for value in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


BREAKDOWN_COLUMNS = (
    ("收件", lambda row: str(row.received)),
    ("已答复", lambda row: str(row.replied)),
    ("逾期", lambda row: str(row.late)),
    ("满意率", lambda row: _pct(row.satisfaction_rate)),
)
"""The columns of a dimension's table after the value itself."""


def _span(zone: ZoneInfo, period: ReportingPeriod) -> tuple[datetime, datetime]:
    """The period's instants: from its first local midnight to the one after its last day."""
    return (
        datetime.combine(period.start, time(), tzinfo=zone),
        datetime.combine(period.end, time(), tzinfo=zone),
    )


async def _compile(
    tenant_id: int, zone: ZoneInfo, calendar: BusinessCalendar, period: ReportingPeriod
) -> list[UnitLine]:
    """One period's lines, inside the caller's `tenant_tx`."""
    facts = await month_facts(tenant_id, *_span(zone, period))
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


def _value_label(tenant: LoadedTenant) -> Callable[[str, Any], str]:
    """How a breakdown names a value: units by name, choices and the domain's values by label."""
    schemas = [tenant.hooks.intake_schema(kind) for kind in CaseKind]
    specs: dict[str, FieldSpec] = {}
    for schema in schemas:
        for spec in schema.fields:
            specs.setdefault(spec.key, spec)
    units = {unit.code: unit.name for unit in tenant.ctx.units}
    enums: dict[str, type[enum.Enum]] = {
        "kind": CaseKind,
        "channel": Channel,
        "state": CaseState,
        "satisfaction": Satisfaction,
        "severity": Severity,
        "complexity": Complexity,
    }

    def label(attribute: str, value: Any) -> str:
        text = str(value)
        if attribute == "unit_code":
            return units.get(text, text)
        if attribute == "category":
            return next((name for schema in schemas if (name := schema.label_of(text)) != text), text)
        if attribute in enums:
            try:
                return enums[attribute](text).label
            except ValueError:
                return text
        spec = specs.get(attribute)
        return spec.text(value) if spec else text

    return label


async def _report(
    tenant_id: int, tenant: LoadedTenant, period: ReportingPeriod, *, compare: bool = True
) -> StatisticsReport:
    """The period with ranking, change on the period before and breakdowns, inside `tenant_tx`.

    Without `compare` the period before is not read and the changes stay 0 (half the work, for
    pages that show no change).
    """
    zone = ZoneInfo(tenant.record.timezone)
    lines = await _compile(tenant_id, zone, tenant.calendar, period)
    if compare:
        earlier_lines = await _compile(tenant_id, zone, tenant.calendar, period.previous())
        before = {line.unit_code: line for line in earlier_lines}
        for line in lines:
            earlier = before.get(line.unit_code)
            line.received_change = line.received - (earlier.received if earlier else 0)
            line.late_change = line.late - (earlier.late if earlier else 0)
    _rank(lines)
    dimensions = tenant.hooks.register_statistics_dimensions()
    breakdowns = break_down(
        dimensions, await received_tallies(tenant_id, *_span(zone, period)), _value_label(tenant)
    )
    return StatisticsReport(tenant=tenant.record.name, period=period, lines=lines, breakdowns=breakdowns)


def _check(actor: Actor) -> None:
    if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
        raise NotPermitted("只有督查员、审计员和领导可以查看统计")


def _month(year: int, month: int) -> ReportingPeriod:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidCommand("请给出 2000–2100 年之间的年份和 1–12 月", field="month")
    return ReportingPeriod.month(year, month)


class StatisticsService:
    """Figures for supervisors and auditors, over any period, by unit and by plugin dimension."""

    def __init__(self, registry: PluginRegistry, clock: Clock) -> None:
        self.registry = registry
        self.clock = clock

    async def report(
        self, tenant_id: int, actor: Actor, period: ReportingPeriod, *, compare: bool = True
    ) -> StatisticsReport:
        """The tenant's statistics for a period of its own calendar.

        `compare=False` skips the period before (no change on it): the dashboard's view.

        Raises:
            NotPermitted: neither a supervisor nor an auditor.
        """
        _check(actor)
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            return await _report(tenant_id, tenant, period, compare=compare)

    async def monthly(
        self, tenant_id: int, actor: Actor, year: int, month: int, *, compare: bool = True
    ) -> StatisticsReport:
        """One month's statistics (see `report`).

        Raises:
            NotPermitted: neither a supervisor nor an auditor.
            InvalidCommand: a month that does not exist.
        """
        return await self.report(tenant_id, actor, _month(year, month), compare=compare)

    async def issue_circular(self, tenant_id: int, actor: Actor, year: int, month: int) -> DocumentInfo:
        """Issue the month's circular now (a new edition if one exists); rendered by the worker."""
        _check(actor)
        period = _month(year, month)
        now = self.clock.now()
        return await _issue(self.registry, tenant_id, period, actor.username, now, first_only=False)

    async def circulars(self, tenant_id: int, actor: Actor) -> list[DocumentInfo]:
        """The circulars issued, newest first."""
        _check(actor)
        async with tenant_tx(tenant_id):
            return await DocumentRepository(tenant_id).of_kind(CIRCULAR)


class _AlreadyIssued(Exception):
    """Rolls back a scheduled issue that found the month's circular already there."""


async def _issue(
    registry: PluginRegistry,
    tenant_id: int,
    period: ReportingPeriod,
    by: str,
    now: datetime,
    *,
    first_only: bool,
) -> DocumentInfo:
    year, month = period.start.year, period.start.month
    async with tenant_tx(tenant_id):
        tenant = await load_tenant(tenant_id, registry)
        # One counter per tenant and month: the scheduled run takes edition 1 or leaves it be
        # (its transaction rolls back, so the counter does not move); on demand adds editions.
        edition = await DocumentRepository(tenant_id).next_number(CIRCULAR, year * 100 + month)
        if first_only and edition > 1:
            raise _AlreadyIssued
        report = await _report(tenant_id, tenant, period)
        number = f"通报-{year}-{month:02d}" + (f"-{edition}" if edition > 1 else "")
        return await DocumentRepository(tenant_id).add(
            case_id=None,
            kind=CIRCULAR,
            number=number,
            title=f"{period.label}投诉举报办理情况通报",
            body=report.circular(),
            masked_body="",
            created_by=by,
            created_at=now,
        )


class CircularJobs:
    """The scheduled side: on (or after) the 1st, each active tenant's circular for the month before."""

    def __init__(self, registry: PluginRegistry, clock: Clock) -> None:
        self.registry = registry
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
            period = ReportingPeriod.month(local.year, local.month).previous()
            try:
                await _issue(self.registry, record.id, period, "system", now, first_only=True)
                issued += 1
            except _AlreadyIssued:
                continue
            except DomainError as exc:  # e.g. its plugin is not installed here: the others go on
                log.warning("circular for tenant %s not issued: %s", record.slug, exc)
        return issued
