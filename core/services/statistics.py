"""Monthly statistics per handling unit, ready to circulate (12312: 每月统计, 全系统通报).

Counted in the tenant's local month: cases received; dispatched to the unit; replied by it,
and of those replied without any deadline of the case breached this month ("on time"); cases
with a deadline breached this month ("late"); supervision notices issued.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.roles import Actor, Permission
from core.store.repositories import TenantDirectory, TenantRepository
from core.store.statistics import month_facts
from core.store.tx import platform_tx, tenant_tx

__all__ = ["MonthlyReport", "StatisticsService", "UnitLine"]

NO_UNIT = "未交办"


@dataclass
class UnitLine:
    """One unit's month."""

    unit_code: str | None
    unit_name: str
    received: int = 0
    dispatched: int = 0
    replied: int = 0
    replied_on_time: int = 0
    late: int = 0
    supervision_notices: int = 0


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
            for name in (
                "received",
                "dispatched",
                "replied",
                "replied_on_time",
                "late",
                "supervision_notices",
            ):
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return total

    def circular(self) -> str:
        """The month as a circular to send round the system (通报)."""
        head = f"{self.tenant} {self.year} 年 {self.month} 月投诉举报办理情况通报\n"
        columns = "单位　受理　转办　答复　按时答复　逾期　督办通知单\n"
        body = "".join(
            f"{line.unit_name}　{line.received}　{line.dispatched}　{line.replied}　"
            f"{line.replied_on_time}　{line.late}　{line.supervision_notices}\n"
            for line in [*self.lines, self.totals]
        )
        return head + columns + body


class StatisticsService:
    """Monthly figures for supervisors and auditors."""

    async def monthly(self, tenant_id: int, actor: Actor, year: int, month: int) -> MonthlyReport:
        """The tenant's statistics for one month of its own calendar.

        Raises:
            NotPermitted: neither a supervisor nor an auditor.
            InvalidCommand: a month that does not exist.
        """
        if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
            raise NotPermitted("只有督查员、审计员和领导可以查看统计")
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise InvalidCommand("请给出 2000–2100 年之间的年份和 1–12 月", field="month")
        async with platform_tx():
            record = await TenantRepository().get(tenant_id)
        zone = ZoneInfo(record.timezone)
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
        async with tenant_tx(tenant_id):
            facts = await month_facts(tenant_id, start, end)
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
        for case_id, name, data in facts.events:
            if name == "case_dispatched":
                line(data.get("unit_code")).dispatched += 1
            else:
                replied[facts.units.get(case_id)].add(case_id)
        for code, cases in replied.items():
            line(code).replied += len(cases)
            line(code).replied_on_time += len(cases - facts.breached)
        for case_id in facts.breached:
            line(facts.units.get(case_id)).late += 1
        for case_id in facts.notices:
            line(facts.units.get(case_id)).supervision_notices += 1
        ordered = sorted(lines.values(), key=lambda item: (item.unit_code is None, item.unit_code or ""))
        return MonthlyReport(tenant=record.name, year=year, month=month, lines=ordered)
