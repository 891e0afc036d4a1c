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

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.calendar import Period
from core.domain.cases import Case
from core.domain.decisions import AccountabilityKind, TimerEffect, TimerPhase
from core.domain.events import CaseEvent, EventName
from core.domain.ledger import LedgerEntry
from core.domain.roles import Role
from core.domain.sla import Timer, TimerState, due_phases
from core.plugins import PluginRegistry
from core.services.accountability import accountability_lines, standing_this_year
from core.services.clock import Clock
from core.services.duty import leader_on_duty
from core.services.notify import must_act, notifications_for
from core.services.tenants import LoadedTenant, load_tenant
from core.store.directory import TenantDirectory, UserRecord
from core.store.documents import NewDocument
from core.store.outbox import NewNotification, OutboxRepository
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantRepository
from core.store.timers import StoredTimer, TimerRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "SYSTEM",
    "TimerJobs",
]

log = logging.getLogger("huiying.timers")

SYSTEM = "system"
"""The actor of events the platform writes by itself."""


_NOTICE_BODY = (
    "督办通知单\n编号：{number}\n案件：{serial}《{title}》\n期限：{label}（依据：{basis}）\n"
    "应于 {due} 前完成，现已逾期。\n请承办单位立即办理，并将办理情况反馈{tenant}。\n"
)


@dataclass
class _Batch:
    """What the due timers of one tenant, fired together, share.

    One transaction, one tenant load, one read of its users and of the leader on duty. The
    ledger lines, notifications, documents and events are written at the end, one statement
    for each kind, so the tenant's event chain is locked only for the last moments.
    """

    tenant: LoadedTenant
    repo: TenantStore
    now: datetime
    users: dict[str, UserRecord]
    notice_numbers: Iterator[int]
    notifications: list[NewNotification] = field(default_factory=list)
    documents: list[NewDocument] = field(default_factory=list)
    events: list[tuple[int, CaseEvent]] = field(default_factory=list)
    standing: dict[tuple[str, AccountabilityKind], int] = field(default_factory=dict)
    # Ledger lines to write, each with the index in `events` of the event that lists their ids.
    ledger: list[tuple[int, tuple[LedgerEntry, ...]]] = field(default_factory=list)
    on_duty: list[str | None] = field(default_factory=list)  # [] until looked up

    async def leader_on_duty(self) -> str | None:
        if not self.on_duty:
            self.on_duty.append(await leader_on_duty(self.tenant.record.id, self.now))
        return self.on_duty[0]

    def users_with(self, *roles: Role, unit: str | None = None) -> list[str]:
        return [
            u.username
            for u in self.users.values()
            if u.active and u.roles & set(roles) and (unit is None or u.unit_code == unit)
        ]

    async def flush(self) -> None:
        written = iter(await self.repo.ledger.add_many([line for _, lines in self.ledger for line in lines]))
        for index, lines in self.ledger:
            case_id, event = self.events[index]
            ids = [next(written).id for _ in lines]
            self.events[index] = (
                case_id,
                replace(event, data=MappingProxyType({**event.data, "entries": ids})),
            )
        await OutboxRepository(self.tenant.record.id).add_many(self.notifications, now=self.now)
        await self.repo.documents.add_many(self.documents)
        await self.repo.events.append_many(self.events)  # last: the chain head stays locked to commit


@dataclass(frozen=True, slots=True)
class _Firing:
    """What one phase of one timer is carried out with."""

    batch: _Batch
    case: Case
    stored: StoredTimer
    phase: TimerPhase

    @property
    def tenant(self) -> LoadedTenant:
        return self.batch.tenant

    @property
    def now(self) -> datetime:
        return self.batch.now

    @property
    def key(self) -> str:
        timer = self.stored.timer
        return f"{self.phase.value}:{self.stored.id}:{timer.due_at.isoformat()}"

    def local(self, instant: datetime) -> str:
        return instant.astimezone(ZoneInfo(self.tenant.record.timezone)).strftime("%Y-%m-%d %H:%M")


class TimerJobs:
    """Firing timers and keeping provisional deadlines up to date."""

    def __init__(self, registry: PluginRegistry, clock: Clock) -> None:
        self.registry = registry
        self.clock = clock

    async def fire(self, tenant_id: int, timer_id: int) -> list[TimerPhase]:
        """Carry out whichever phases of the timer are due and not yet fired; returns them."""
        return (await self.fire_many(tenant_id, [timer_id])).get(timer_id, [])

    async def fire_many(self, tenant_id: int, timer_ids: Sequence[int]) -> dict[int, list[TimerPhase]]:
        """Carry out the due phases of several timers of one tenant; returns them by timer id.

        All in one transaction. A batch that fails is carried out again one timer at a time, so
        one bad timer cannot hold back the others; the first failure is raised afterwards (the
        message is retried, and the timers already fired find their stamps).
        """
        try:
            return await self._fire_together(tenant_id, timer_ids)
        except Exception:
            if len(set(timer_ids)) <= 1:
                raise
            log.exception(
                "firing %d timers of tenant %s together failed; one at a time", len(timer_ids), tenant_id
            )
        fired: dict[int, list[TimerPhase]] = {}
        failure: Exception | None = None
        for timer_id in timer_ids:
            try:
                fired |= await self._fire_together(tenant_id, [timer_id])
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return fired

    async def _fire_together(self, tenant_id: int, timer_ids: Sequence[int]) -> dict[int, list[TimerPhase]]:
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            found = await repo.timers.many_for_firing(timer_ids)
            due: list[tuple[StoredTimer, TimerPhase, datetime | None, datetime | None]] = []
            for stored, warned_at, breached_at in found.timers.values():
                timer = stored.timer
                warning_due, breach_due = due_phases(timer, warned_at, breached_at, now)
                if not (warning_due or breach_due):
                    continue  # a duplicate message, or nothing due yet
                # Past due, a reminder would come too late: the breach says it all.
                phase = TimerPhase.BREACH if breach_due else TimerPhase.WARNING
                due.append(
                    (stored, phase, now if warning_due else warned_at, now if breach_due else breached_at)
                )
            if not due:
                return {}  # cheap, before loading the tenant
            tenant = await load_tenant(tenant_id, self.registry, require_active=False)
            if not tenant.record.active:
                return {}  # a suspended tenant's deadlines wait until it is resumed
            plans = [
                (
                    stored,
                    phase,
                    tenant.hooks.timer_effects(found.cases[stored.case_id], stored.timer.kind, phase),
                )
                for stored, phase, _, _ in due
            ]
            notices = sum(effects.count(TimerEffect.SUPERVISION_NOTICE) for _, _, effects in plans)
            year = now.astimezone(ZoneInfo(tenant.record.timezone)).year
            batch = _Batch(
                tenant=tenant,
                repo=repo,
                now=now,
                users={user.username: user for user in await TenantDirectory(tenant_id).users()},
                notice_numbers=iter(await repo.documents.next_numbers("supervision_notice", year, notices)),
            )
            for stored, phase, effects in plans:
                firing = _Firing(batch, found.cases[stored.case_id], stored, phase)
                for effect in effects:
                    await self._carry_out(firing, effect)
            await batch.flush()
            await repo.timers.stamp_many(
                [
                    (
                        stored.id,
                        (TimerState.BREACHED if phase is TimerPhase.BREACH else stored.timer.state).value,
                        warned_at,
                        breached_at,
                    )
                    for stored, phase, warned_at, breached_at in due
                ]
            )
            return {stored.id: [phase] for stored, phase, _, _ in due}

    async def _carry_out(self, firing: _Firing, effect: TimerEffect) -> None:
        match effect:
            case TimerEffect.REMIND:
                await self._remind(firing)
            case TimerEffect.SUPERVISION_NOTICE:
                await self._supervision_notice(firing)
            case TimerEffect.ESCALATE:
                self._escalate(firing)
            case TimerEffect.ACCOUNTABILITY:
                await self._accountability(firing)

    # --- effects ------------------------------------------------------------------------------

    def _event(self, firing: _Firing, name: str, data: dict[str, Any]) -> None:
        timer = firing.stored.timer
        firing.batch.events.append(
            (
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
        )

    def _notify(
        self, firing: _Firing, effect: str, recipients: Iterable[str], subject: str, body: str
    ) -> list[str]:
        told, queued = notifications_for(
            firing.batch.users.get,
            recipients,
            subject=subject,
            body=body,
            key=f"{firing.key}:{effect}",
            case_id=firing.case.id,
            webhook_url=firing.tenant.ctx.settings.get("webhook_url", ""),
        )
        firing.batch.notifications.extend(queued)
        return told

    async def _responsible(self, firing: _Firing) -> list[str]:
        """Who must act on the case now, and whoever the plugin names (`must_act`)."""
        case, batch = firing.case, firing.batch
        on_duty = None if case.unit_code else await batch.leader_on_duty()
        named = firing.tenant.hooks.supervision_recipients(case)
        return must_act(case, batch.users.values(), on_duty=on_duty, named=named)

    async def _remind(self, firing: _Firing) -> None:
        timer, case = firing.stored.timer, firing.case
        subject = f"催办：{case.serial} {firing.stored.label}于 {firing.local(timer.due_at)} 到期"
        body = (
            f"案件 {case.serial}《{case.title}》的{firing.stored.label}（{timer.basis}）"
            "即将到期，请抓紧办理。"
        )
        recipients = self._notify(firing, "remind", await self._responsible(firing), subject, body)
        self._event(firing, EventName.REMINDED, {"recipients": recipients})

    async def _supervision_notice(self, firing: _Firing) -> None:
        timer, case, tenant = firing.stored.timer, firing.case, firing.tenant
        year = firing.now.astimezone(ZoneInfo(tenant.record.timezone)).year
        number = f"督办-{year}-{next(firing.batch.notice_numbers):04d}"
        body = _NOTICE_BODY.format(
            number=number,
            serial=case.serial,
            title=case.title,
            label=firing.stored.label,
            basis=timer.basis,
            due=firing.local(timer.due_at),
            tenant=tenant.record.name,
        )
        firing.batch.documents.append(
            NewDocument(
                case_id=case.id,
                kind="supervision_notice",
                number=number,
                title="督办通知单",
                body=body,
                created_by=SYSTEM,
                created_at=firing.now,
            )
        )
        recipients = [*await self._responsible(firing), *firing.batch.users_with(Role.SUPERVISOR)]
        subject = f"督办通知单 {number}：{case.serial} {firing.stored.label}已逾期"
        sent = self._notify(firing, "notice", recipients, subject, body)
        self._event(firing, EventName.SUPERVISION_NOTICE_ISSUED, {"number": number, "recipients": sent})

    def _escalate(self, firing: _Firing) -> None:
        case = firing.case
        leaders = firing.batch.users_with(Role.APPROVER)
        subject = f"逾期升级：{case.serial} {firing.stored.label}已逾期"
        body = f"案件 {case.serial}《{case.title}》{firing.stored.label}已逾期，已升级至领导督办。"
        sent = self._notify(firing, "escalate", leaders, subject, body)
        self._event(firing, EventName.AUTO_ESCALATED, {"reason": "逾期自动升级", "recipients": sent})

    async def _accountability(self, firing: _Firing) -> None:
        case, batch = firing.case, firing.batch
        subject = case.handler or case.unit_code or "受理登记"
        kind = AccountabilityKind.DEADLINE_BREACHED
        heads = batch.users_with(Role.UNIT_HEAD, unit=case.unit_code) if case.unit_code else []
        due = firing.stored.timer.due_at.astimezone(firing.tenant.calendar.policy.zone)
        if (subject, kind) not in batch.standing:
            batch.standing[subject, kind] = await standing_this_year(
                batch.repo, batch.tenant, subject, kind, batch.now
            )
        event, lines = accountability_lines(
            batch.tenant,
            case,
            kind=kind,
            subject=subject,
            now=firing.now,
            evidence=f"案件 {case.serial} {firing.stored.label}逾期（截止 {due:%Y-%m-%d %H:%M}）",
            detail=f"{firing.stored.label}逾期（{firing.stored.timer.basis}）",
            unit_code=case.unit_code or "",
            # 首问/首办 and the direct responsible persons: the owner, the handler, the unit's heads.
            responsible=(case.owner, case.handler or "", *heads),
            earlier=batch.standing[subject, kind],
        )
        if lines:  # an event without lines holds nobody to account: it does not count (as in SQL)
            batch.standing[subject, kind] += 1
        batch.ledger.append((len(batch.events), lines))  # the event learns the lines' ids in flush
        self._event(
            firing,
            EventName.ACCOUNTABILITY_RECORDED,
            {
                "subject": subject,
                "count_in_year": event.count_in_year,
                "sanctions": [line.sanction.kind.value for line in lines if line.sanction],
                "entries": [],
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
            timer_ids = [stored.id for stored in await TimerRepository(tenant_id).provisional()]
        changed = 0
        for timer_id in timer_ids:
            changed += await self._recompute_timer(tenant_id, timer_id)
        return changed

    async def _recompute_timer(self, tenant_id: int, timer_id: int) -> int:
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry, require_active=False)
            repo = TenantStore(tenant_id)
            found = await repo.timers.for_firing(timer_id)  # locks the case, then the timer
            if found is None:
                return 0
            stored = found[0]
            timer = stored.timer
            if timer.state not in (TimerState.RUNNING, TimerState.PAUSED) or not timer.provisional:
                return 0
            recomputed = _recomputed(timer, tenant)
            if recomputed.due_at == timer.due_at and recomputed.provisional == timer.provisional:
                return 0
            await repo.timers.update(stored.id, recomputed, rearm=recomputed.due_at != timer.due_at)
            case = await repo.cases.get(stored.case_id)
            await repo.events.append(
                case.id,
                CaseEvent(
                    name=EventName.DEADLINE_RECOMPUTED,
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
    return replace(timer, due_at=due, warn_at=warn, provisional=deadline.provisional)
