"""The accountability ledger: views, appeals, corrections, instalments and the CSV export.

Lines are written by `core.services.accountability` from events; everything here answers a
line with new journal entries (core/domain/ledger.py) in one tenant transaction, never an edit.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from core.domain.calendar import Period, PeriodUnit
from core.domain.decisions import AccountabilityKind
from core.domain.errors import DomainError, InvalidCommand, NotPermitted, RuleViolation
from core.domain.events import CaseEvent, EventName
from core.domain.ledger import (
    AppealDecision,
    EntryType,
    LedgerEntry,
    LineStanding,
    appeal_outcome,
    check_appeal,
    correction,
    events_in_force,
    fold,
    split_instalments,
)
from core.domain.roles import Actor, Permission
from core.plugins import PluginRegistry
from core.services.accountability import record_accountability
from core.services.clock import Clock
from core.services.tenants import load_tenant
from core.store.directory import TenantDirectory
from core.store.ledger import LedgerRepository
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantRepository
from core.store.tx import tenant_tx

__all__ = ["MANUAL_KINDS", "LedgerEntryNotFound", "LedgerService", "SubjectYear"]

MANUAL_KINDS = (
    AccountabilityKind.IDENTITY_LEAKED,
    AccountabilityKind.DUTY_MISSED,
    AccountabilityKind.LOSS_CAUSED,
)
"""Facts people find and record; the others come from deadlines and closings."""


class LedgerEntryNotFound(DomainError):
    """No such ledger entry in this tenant."""

    code = "not_found"

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"问责记录 {entry_id} 不存在 (ledger entry not found)")


@dataclass(frozen=True, slots=True)
class SubjectYear:
    """One person's (or unit's) standing lines in one year, by event kind: the ladders' count."""

    subject: str
    event_kind: AccountabilityKind
    events: int
    lines: int
    points: int
    amount: Decimal


class LedgerService:
    """Reading and answering the ledger of any tenant."""

    def __init__(self, registry: PluginRegistry, clock: Clock) -> None:
        self.registry = registry
        self.clock = clock

    # --- reading -----------------------------------------------------------------------------------

    async def lines(
        self,
        tenant_id: int,
        actor: Actor,
        *,
        subject: str | None = None,
        unit: str | None = None,
        year: int | None = None,
    ) -> list[LineStanding]:
        """The lines with their standing; people without ledger rights see only their own."""
        async with tenant_tx(tenant_id):
            own = await self._own_names(tenant_id, actor)
            if not actor.can(Permission.LEDGER_READ):
                if subject is not None and subject not in own:
                    raise NotPermitted("只能查看本人的问责记录（需要权限 ledger:read）")
                subjects: Sequence[str] | None = [subject] if subject is not None else sorted(own)
            else:
                subjects = [subject] if subject is not None else None
            standings = fold(await LedgerRepository(tenant_id).journal(subjects=subjects, unit=unit))
            if year is not None:
                zone = await self._zone(tenant_id)
                standings = [s for s in standings if s.line.at.astimezone(zone).year == year]
            return standings

    async def yearly(self, tenant_id: int, actor: Actor, year: int) -> list[SubjectYear]:
        """Standing events, lines, points and amounts per subject and event kind in `year`."""
        actor.require(Permission.LEDGER_READ)
        async with tenant_tx(tenant_id):
            zone = await self._zone(tenant_id)
            standings = fold(await LedgerRepository(tenant_id).journal())
        since, until = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
        groups: dict[tuple[str, AccountabilityKind], list[LineStanding]] = defaultdict(list)
        for standing in standings:
            line = standing.line
            if standing.in_force and line.event_kind is not None and since <= line.at < until:
                groups[(line.subject, line.event_kind)].append(standing)
        return [
            SubjectYear(
                subject=subject,
                event_kind=kind,
                events=events_in_force(standings, subject, kind, since, until),
                lines=len(group),
                points=sum(s.line.sanction.points for s in group if s.line.sanction),
                amount=sum((s.line.sanction.amount for s in group if s.line.sanction), Decimal("0")),
            )
            for (subject, kind), group in sorted(
                groups.items(), key=lambda item: (item[0][0], item[0][1].value)
            )
        ]

    async def overdue_appeals(self, tenant_id: int, actor: Actor) -> list[LineStanding]:
        """Lines whose appeal has passed its decision deadline undecided."""
        actor.require(Permission.LEDGER_READ)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            standings = fold(await LedgerRepository(tenant_id).journal())
        return [s for s in standings if s.appeal_overdue(now)]

    async def csv(self, tenant_id: int, actor: Actor, *, year: int | None = None) -> str:
        """Every line with its standing, as CSV for a spreadsheet (UTF-8 with BOM for Excel)."""
        actor.require(Permission.LEDGER_READ)
        async with tenant_tx(tenant_id):  # the reads below join this one transaction
            standings = await self.lines(tenant_id, actor, year=year)
            zone = await self._zone(tenant_id)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(
            [
                "编号",
                "时间",
                "对象",
                "单位",
                "事由",
                "处理",
                "扣分",
                "金额",
                "依据",
                "证据",
                "状态",
                "申诉",
                "分期",
            ]
        )
        for s in standings:
            line, sanction = s.line, s.line.sanction
            assert sanction is not None
            writer.writerow(
                [
                    line.id,
                    line.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    line.subject,
                    line.unit_code,
                    line.event_kind.value if line.event_kind else "",
                    sanction.kind.value,
                    sanction.points,
                    f"{sanction.amount:.2f}",
                    sanction.basis,
                    line.evidence,
                    _status(s),
                    _appeal_status(s),
                    "；".join(f"{i.due_on} {i.amount:.2f}" for i in s.schedule),
                ]
            )
        return out.getvalue()

    # --- recording an event by hand ------------------------------------------------------------------

    async def record_event(
        self,
        tenant_id: int,
        case_id: int,
        actor: Actor,
        kind: AccountabilityKind,
        subject: str,
        detail: str,
        *,
        unit_code: str = "",
        amount: Decimal = Decimal("0"),
    ) -> list[LedgerEntry]:
        """Record a fact found by people (a leaked identity, a missed duty, a loss) on a case.

        The tenant's plugin turns it into lines as it does for breaches and closings; the case's
        timeline records it. Breaches, upheld complaints and verified reports come from the
        lifecycle and cannot be entered by hand.
        """
        actor.require(Permission.LEDGER_DECIDE)
        if kind not in MANUAL_KINDS:
            choices = "、".join(k.value for k in MANUAL_KINDS)
            raise InvalidCommand(
                f"此类事由由系统根据办理过程记录，不能手工登记；可登记：{choices}", field="kind"
            )
        if not subject.strip():
            raise InvalidCommand("请填写责任人或责任单位 (subject is required)", field="subject")
        if not detail.strip():
            raise InvalidCommand("请写明经查实的事实 (detail is required)", field="detail")
        if not amount.is_finite() or amount < 0:
            raise InvalidCommand("金额不能为负数", field="amount")
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            repo = TenantStore(tenant_id)
            case = await repo.cases.get(case_id, for_update=True)
            if unit_code and tenant.ctx.unit(unit_code) is None:
                raise InvalidCommand(f"单位 {unit_code} 不存在", field="unit_code")
            event, lines = await record_accountability(
                repo,
                tenant,
                case,
                kind=kind,
                subject=subject.strip(),
                now=now,
                evidence=f"案件 {case.serial}，{actor.username} 登记：{detail.strip()}",
                detail=detail.strip(),
                amount=amount,
                unit_code=unit_code,
                responsible=(case.owner, case.handler or ""),
            )
            await repo.events.append(
                case_id,
                CaseEvent(
                    name=EventName.ACCOUNTABILITY_RECORDED,
                    at=now,
                    actor=actor.username,
                    from_state=case.state,
                    to_state=case.state,
                    data=MappingProxyType(
                        {
                            "kind": kind.value,
                            "subject": event.subject,
                            "count_in_year": event.count_in_year,
                            "entries": [line.id for line in lines],
                        }
                    ),
                ),
            )
            return list(lines)

    # --- answering a line --------------------------------------------------------------------------

    async def lodge_appeal(self, tenant_id: int, line_id: int, actor: Actor, reason: str) -> LedgerEntry:
        """申诉: the line's subject (or ledger staff recording a paper appeal) appeals it.

        The decision is due within the tenant's `appeal_decision_working_days`.
        """
        if not reason.strip():
            raise InvalidCommand("请填写申诉理由 (reason is required)", field="reason")
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            repo = TenantStore(tenant_id)
            standing = await self._standing(repo, line_id)
            own = await self._own_names(tenant_id, actor)
            if standing.line.subject not in own and not actor.can(Permission.LEDGER_READ):
                raise NotPermitted("只有被处理人本人（或台账管理人员代为登记）可以申诉")
            check_appeal(standing)
            days = tenant.settings()["appeal_decision_working_days"]
            due = tenant.calendar.add(now, Period(days, PeriodUnit.WORKING_DAYS), basis="申诉决定期限")
            return await repo.ledger.add(
                LedgerEntry(
                    id=None,
                    type=EntryType.APPEAL,
                    subject=standing.line.subject,
                    unit_code=standing.line.unit_code,
                    case_id=standing.line.case_id,
                    refers_to=line_id,
                    reason=reason.strip(),
                    evidence=f"记录 #{line_id}",
                    due_at=due.due_at,
                    by=actor.username,
                    at=now,
                )
            )

    async def decide_appeal(
        self,
        tenant_id: int,
        line_id: int,
        actor: Actor,
        decision: AppealDecision,
        reason: str,
        *,
        points: int | None = None,
        amount: Decimal | None = None,
    ) -> list[LedgerEntry]:
        """Decide the open appeal on a line: uphold, overturn, or reduce to lighter figures."""
        actor.require(Permission.LEDGER_DECIDE)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            standing = await self._standing(repo, line_id)
            if standing.line.subject in await self._own_names(tenant_id, actor):
                raise RuleViolation("被处理人不能决定自己的申诉，请由其他领导决定")
            entries = appeal_outcome(
                standing, decision, reason=reason, by=actor.username, at=now, points=points, amount=amount
            )
            return [await repo.ledger.add(entry) for entry in entries]

    async def correct(
        self,
        tenant_id: int,
        line_id: int,
        actor: Actor,
        reason: str,
        *,
        points: int | None = None,
        amount: Decimal | None = None,
    ) -> list[LedgerEntry]:
        """更正: reverse a line written in error, and write the right one when figures are given."""
        actor.require(Permission.LEDGER_DECIDE)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            standing = await self._standing(repo, line_id)
            entries = correction(
                standing, reason=reason, by=actor.username, at=now, points=points, amount=amount
            )
            return [await repo.ledger.add(entry) for entry in entries]

    async def agree_instalments(
        self, tenant_id: int, line_id: int, actor: Actor, count: int, first_due: date
    ) -> LedgerEntry:
        """分期: an agreed monthly schedule for paying a line's amount (replaces an earlier one)."""
        actor.require(Permission.LEDGER_DECIDE)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            repo = TenantStore(tenant_id)
            standing = await self._standing(repo, line_id)
            sanction = standing.line.sanction
            assert sanction is not None
            if not standing.in_force:
                raise RuleViolation("该记录已被撤销，无需分期")
            if first_due < now.astimezone(ZoneInfo(tenant.record.timezone)).date():
                raise InvalidCommand("首期日期不能早于今天", field="first_due")
            schedule = split_instalments(sanction.amount, count, first_due)
            return await repo.ledger.add(
                LedgerEntry(
                    id=None,
                    type=EntryType.INSTALMENTS,
                    subject=standing.line.subject,
                    unit_code=standing.line.unit_code,
                    case_id=standing.line.case_id,
                    refers_to=line_id,
                    schedule=schedule,
                    reason=f"约定分 {count} 期",
                    evidence=f"记录 #{line_id}",
                    by=actor.username,
                    at=now,
                )
            )

    # --- helpers -----------------------------------------------------------------------------------

    async def _standing(self, repo: TenantStore, line_id: int) -> LineStanding:
        await repo.ledger.lock_line(line_id)  # one answer at a time per line
        standing = next((s for s in fold(await repo.ledger.journal()) if s.line.id == line_id), None)
        if standing is None:
            raise LedgerEntryNotFound(line_id)
        return standing

    async def _own_names(self, tenant_id: int, actor: Actor) -> set[str]:
        # Lines name people as the case recorded them: by username or by display name.
        user = await TenantDirectory(tenant_id).user(actor.username)
        names = {actor.username}
        if user is not None and user.display_name:
            names.add(user.display_name)
        return names

    @staticmethod
    async def _zone(tenant_id: int) -> ZoneInfo:
        return ZoneInfo((await TenantRepository().get(tenant_id)).timezone)


def _status(standing: LineStanding) -> str:
    if standing.in_force:
        return "有效"
    return "已变更" if standing.replaced_by else "已撤销"


def _appeal_status(standing: LineStanding) -> str:
    if standing.appeal is None:
        return ""
    if standing.decision is None or standing.decision.decision is None:
        return "审理中"
    return standing.decision.decision.label
