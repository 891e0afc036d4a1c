"""Deadlines that fire: a due timer's warning and breach effects, each carried out exactly once.

`TimerJobs.fire` is the one piece of job code: the dramatiq actor calls it in a worker, and the
embedded mode's in-process scheduler calls it directly. It locks the timer, works out which
phases are due, asks the tenant's plugin what each phase does (``hy_timer_effects``), carries
the effects out — events, a numbered supervision notice, ledger lines, outbox notifications —
and stamps the phase, all in one tenant transaction. A duplicate message finds the stamp and
does nothing; a worker that dies mid-way leaves nothing behind, and the scheduler hands the
timer out again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.calendar import Period
from core.domain.cases import Case
from core.domain.decisions import AccountabilityKind, TimerEffect, TimerPhase
from core.domain.events import CaseEvent
from core.domain.roles import Role
from core.domain.sla import Timer, TimerState
from core.plugins import PluginRegistry
from core.services.accountability import ACCOUNTABILITY_RECORDED, record_accountability
from core.services.clock import Clock, SystemClock
from core.services.duty import leader_on_duty
from core.services.notify import notify_users
from core.services.tenants import LoadedTenant, load_tenant
from core.store.repositories import CaseRepository, StoredTimer, TenantDirectory, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "ACCOUNTABILITY_RECORDED",
    "DEADLINE_RECOMPUTED",
    "ESCALATED",
    "REMINDED",
    "SUPERVISION_NOTICE",
    "SYSTEM",
    "TimerJobs",
]

SYSTEM = "system"
"""The actor of events the platform writes by itself."""

REMINDED = "case_reminded"
SUPERVISION_NOTICE = "case_supervision_notice_issued"
ESCALATED = "case_escalated"
DEADLINE_RECOMPUTED = "case_deadline_recomputed"

_NOTICE_BODY = (
    "督办通知单\n编号：{number}\n案件：{serial}《{title}》\n期限：{label}（依据：{basis}）\n"
    "应于 {due} 前完成，现已逾期。\n请承办单位立即办理，并将办理情况反馈{tenant}。\n"
)


@dataclass(frozen=True, slots=True)
class _Firing:
    """What one phase of one timer is carried out with."""

    tenant: LoadedTenant
    repo: CaseRepository
    case: Case
    stored: StoredTimer
    phase: TimerPhase
    now: datetime

    @property
    def key(self) -> str:
        timer = self.stored.timer
        return f"{self.phase.value}:{self.stored.id}:{timer.due_at.isoformat()}"

    def local(self, instant: datetime) -> str:
        return instant.astimezone(ZoneInfo(self.tenant.record.timezone)).strftime("%Y-%m-%d %H:%M")


class TimerJobs:
    """Firing timers and keeping provisional deadlines up to date."""

    def __init__(self, registry: PluginRegistry, clock: Clock | None = None) -> None:
        self.registry = registry
        self.clock = clock or SystemClock()

    async def fire(self, tenant_id: int, timer_id: int) -> list[TimerPhase]:
        """Carry out whichever phases of the timer are due and not yet fired; returns them."""
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            found = await repo.timer_for_firing(timer_id)
            if found is None:
                return []
            stored, warned_at, breached_at = found
            timer = stored.timer
            warning_due = warned_at is None and timer.warn_at <= now
            breach_due = breached_at is None and timer.due_at <= now
            if timer.state not in (TimerState.RUNNING, TimerState.BREACHED) or not (
                warning_due or breach_due
            ):
                return []  # a duplicate message, or nothing due yet: cheap, before loading the tenant
            tenant = await load_tenant(tenant_id, self.registry, require_active=False)
            if not tenant.record.active:
                return []  # a suspended tenant's deadlines wait until it is resumed
            case = await repo.get(stored.case_id, for_update=True)
            fired: list[TimerPhase] = []
            if warning_due:
                warned_at = now
                if not breach_due:  # past due, a reminder would come too late: the breach says it all
                    await self._carry_out(_Firing(tenant, repo, case, stored, TimerPhase.WARNING, now))
                    fired.append(TimerPhase.WARNING)
            state = timer.state
            if breach_due:
                breached_at, state = now, TimerState.BREACHED
                await self._carry_out(_Firing(tenant, repo, case, stored, TimerPhase.BREACH, now))
                fired.append(TimerPhase.BREACH)
            await repo.stamp_timer(timer_id, state=state.value, warned_at=warned_at, breached_at=breached_at)
            return fired

    async def _carry_out(self, firing: _Firing) -> None:
        effects = firing.tenant.hooks.timer_effects(firing.case, firing.stored.timer.kind, firing.phase)
        for effect in effects:
            match effect:
                case TimerEffect.REMIND:
                    await self._remind(firing)
                case TimerEffect.SUPERVISION_NOTICE:
                    await self._supervision_notice(firing)
                case TimerEffect.ESCALATE:
                    await self._escalate(firing)
                case TimerEffect.ACCOUNTABILITY:
                    await self._accountability(firing)

    # --- effects ------------------------------------------------------------------------------

    async def _event(self, firing: _Firing, name: str, data: dict[str, Any]) -> None:
        timer = firing.stored.timer
        await firing.repo.append_event(
            firing.case.id,
            CaseEvent(
                name=name,
                at=firing.now,
                actor=SYSTEM,
                from_state=firing.case.state,
                to_state=firing.case.state,
                data=MappingProxyType(
                    {
                        "timer": timer.kind,
                        "phase": firing.phase.value,
                        "due_at": timer.due_at.isoformat(),
                        **data,
                    }
                ),
            ),
        )

    async def _notify(
        self, firing: _Firing, effect: str, recipients: Iterable[str], subject: str, body: str
    ) -> list[str]:
        return await notify_users(
            firing.tenant.record.id,
            recipients,
            subject=subject,
            body=body,
            key=f"{firing.key}:{effect}",
            now=firing.now,
            case_id=firing.case.id,
            webhook_url=firing.tenant.ctx.settings.get("webhook_url", ""),
        )

    async def _users_with(self, firing: _Firing, *roles: Role, unit: str | None = None) -> list[str]:
        users = await TenantDirectory(firing.tenant.record.id).users()
        return [
            u.username
            for u in users
            if u.active and u.roles & set(roles) and (unit is None or u.unit_code == unit)
        ]

    async def _responsible(self, firing: _Firing) -> list[str]:
        """Who answers for the case now.

        Its handler (or, before anyone signed for it, the unit's handlers) and the unit's heads;
        before dispatch, the leader on duty (all duty leaders when no shift covers now) and the
        supervisors.
        """
        case = firing.case
        if case.unit_code:
            heads = await self._users_with(firing, Role.UNIT_HEAD, unit=case.unit_code)
            handlers = (
                [case.handler]
                if case.handler
                else await self._users_with(firing, Role.HANDLER, unit=case.unit_code)
            )
            return [*handlers, *heads]
        supervisors = await self._users_with(firing, Role.SUPERVISOR)
        on_duty = await leader_on_duty(firing.tenant.record.id, firing.now)
        leaders = [on_duty] if on_duty else await self._users_with(firing, Role.DUTY_LEADER)
        return [*leaders, *supervisors]

    async def _remind(self, firing: _Firing) -> None:
        timer, case = firing.stored.timer, firing.case
        subject = f"催办：{case.serial} {firing.stored.label}于 {firing.local(timer.due_at)} 到期"
        body = (
            f"案件 {case.serial}《{case.title}》的{firing.stored.label}（{timer.basis}）"
            "即将到期，请抓紧办理。"
        )
        recipients = await self._notify(firing, "remind", await self._responsible(firing), subject, body)
        await self._event(firing, REMINDED, {"recipients": recipients})

    async def _supervision_notice(self, firing: _Firing) -> None:
        timer, case, tenant = firing.stored.timer, firing.case, firing.tenant
        year = firing.now.astimezone(ZoneInfo(tenant.record.timezone)).year
        number = f"督办-{year}-{await firing.repo.next_document_number('supervision_notice', year):04d}"
        body = _NOTICE_BODY.format(
            number=number,
            serial=case.serial,
            title=case.title,
            label=firing.stored.label,
            basis=timer.basis,
            due=firing.local(timer.due_at),
            tenant=tenant.record.name,
        )
        await firing.repo.add_document(
            case_id=case.id,
            kind="supervision_notice",
            number=number,
            title="督办通知单",
            body=body,
            created_by=SYSTEM,
            created_at=firing.now,
        )
        recipients = [*await self._responsible(firing), *await self._users_with(firing, Role.SUPERVISOR)]
        subject = f"督办通知单 {number}：{case.serial} {firing.stored.label}已逾期"
        sent = await self._notify(firing, "notice", recipients, subject, body)
        await self._event(firing, SUPERVISION_NOTICE, {"number": number, "recipients": sent})

    async def _escalate(self, firing: _Firing) -> None:
        case = firing.case
        leaders = await self._users_with(firing, Role.APPROVER)
        subject = f"逾期升级：{case.serial} {firing.stored.label}已逾期"
        body = f"案件 {case.serial}《{case.title}》{firing.stored.label}已逾期，已升级至领导督办。"
        sent = await self._notify(firing, "escalate", leaders, subject, body)
        await self._event(firing, ESCALATED, {"reason": "逾期自动升级", "recipients": sent})

    async def _accountability(self, firing: _Firing) -> None:
        case = firing.case
        subject = case.handler or case.unit_code or "受理登记"
        heads = await self._users_with(firing, Role.UNIT_HEAD, unit=case.unit_code) if case.unit_code else []
        due = firing.stored.timer.due_at.astimezone(firing.tenant.calendar.policy.zone)
        event, lines = await record_accountability(
            firing.repo,
            firing.tenant,
            case,
            kind=AccountabilityKind.DEADLINE_BREACHED,
            subject=subject,
            now=firing.now,
            evidence=f"案件 {case.serial} {firing.stored.label}逾期（截止 {due:%Y-%m-%d %H:%M}）",
            detail=f"{firing.stored.label}逾期（{firing.stored.timer.basis}）",
            unit_code=case.unit_code or "",
            # 首问/首办 and the direct responsible persons: the owner, the handler, the unit's heads.
            responsible=(case.owner, case.handler or "", *heads),
        )
        await self._event(
            firing,
            ACCOUNTABILITY_RECORDED,
            {
                "subject": subject,
                "count_in_year": event.count_in_year,
                "sanctions": [line.sanction.kind.value for line in lines if line.sanction],
                "entries": [line.id for line in lines],
            },
        )

    # --- provisional deadlines ------------------------------------------------------------------

    async def recompute_provisional(self) -> int:
        """Recompute every provisional deadline with the calendar as it now stands (after an import).

        Returns how many timers changed; each change is an event on its case.
        """
        async with platform_tx():
            tenants = await TenantRepository().all()
        changed = 0
        for record in tenants:
            if record.plugin in self.registry.names:  # a tenant without its plugin has no deadlines to keep
                changed += await self._recompute_tenant(record.id)
        return changed

    async def _recompute_tenant(self, tenant_id: int) -> int:
        # One short transaction per timer, each taking case, timer, then chain like every writer:
        # a long one would hold the event chain while waiting for the next case (a deadlock).
        async with tenant_tx(tenant_id):
            timer_ids = [stored.id for stored in await CaseRepository(tenant_id).provisional_timers()]
        changed = 0
        for timer_id in timer_ids:
            changed += await self._recompute_timer(tenant_id, timer_id)
        return changed

    async def _recompute_timer(self, tenant_id: int, timer_id: int) -> int:
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry, require_active=False)
            repo = CaseRepository(tenant_id)
            found = await repo.timer_for_firing(timer_id)  # locks the case, then the timer
            if found is None:
                return 0
            stored = found[0]
            timer = stored.timer
            if timer.state not in (TimerState.RUNNING, TimerState.PAUSED) or not timer.provisional:
                return 0
            recomputed = _recomputed(timer, tenant)
            if recomputed.due_at == timer.due_at and recomputed.provisional == timer.provisional:
                return 0
            await repo.update_timer(stored.id, recomputed, rearm=recomputed.due_at != timer.due_at)
            case = await repo.get(stored.case_id)
            await repo.append_event(
                case.id,
                CaseEvent(
                    name=DEADLINE_RECOMPUTED,
                    at=now,
                    actor=SYSTEM,
                    from_state=case.state,
                    to_state=case.state,
                    data=MappingProxyType(
                        {
                            "timer": timer.kind,
                            "was": timer.due_at.isoformat(),
                            "now": recomputed.due_at.isoformat(),
                            "provisional": recomputed.provisional,
                            "reason": "节假日安排已导入",
                        }
                    ),
                ),
            )
        return 1


def _recomputed(timer: Timer, tenant: LoadedTenant) -> Timer:
    """The timer's deadline counted again from its start, keeping pauses and extensions."""
    period = timer.period
    if timer.extended:
        period = Period(period.amount + timer.extended, period.unit)
    deadline = tenant.calendar.add(timer.started_at, period)
    paused = timedelta(seconds=timer.paused_seconds)
    due = deadline.due_at + paused
    span = timer.due_at - timer.started_at
    ratio = (timer.warn_at - timer.started_at) / span if span else 0.8
    warn = timer.started_at + (due - timer.started_at) * ratio
    return dataclasses.replace(timer, due_at=due, warn_at=warn, provisional=deadline.provisional)
