"""Case use cases: intake and every lifecycle action, each one tenant transaction.

A step loads the tenant and the case (locked), asks the tenant's plugin through the facade,
lets the domain decide, then writes the case, its event and its timers together. Plugins hear
about it (``hy_on_*``) only after the transaction committed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from core.domain import sla
from core.domain.cases import Case, CaseState
from core.domain.commands import AcceptCase, CaseCommand, DispatchCase, ExtendCase
from core.domain.decisions import TimerRule
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.events import CASE_RECEIVED, CaseEvent
from core.domain.intake import IntakeDraft, check_intake
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Permission, permission_for
from core.domain.transitions import decide
from core.plugins import PluginRegistry
from core.services.clock import Clock, SystemClock
from core.services.tenants import LoadedTenant, load_tenant
from core.store.repositories import CaseRepository, StaleCase, StoredTimer
from core.store.tx import tenant_tx

__all__ = ["CaseService", "CaseView"]

# A case logged more than this after it arrived is marked back-dated in its intake event.
_BACKDATE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case with its timers, as a step leaves it."""

    case: Case
    timers: tuple[StoredTimer, ...]


def _require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise NotPermitted(f"您的角色无权执行此操作（需要权限 {permission.value}）")


class CaseService:
    """Intake and lifecycle actions for any tenant, through that tenant's plugin."""

    def __init__(self, registry: PluginRegistry, clock: Clock | None = None) -> None:
        self.registry = registry
        self.clock = clock or SystemClock()

    async def intake(self, tenant_id: int, draft: IntakeDraft, actor: Actor) -> CaseView:
        """Take a case in: validate it, number it, keep the identity apart, start intake timers.

        Raises:
            InvalidCommand: a required field is missing or ``received_at`` is out of bounds.
            NotPermitted: the actor may not take cases in.
        """
        _require(actor, Permission.CASE_INTAKE)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            settings = tenant.settings(draft.kind)
            received_at = check_intake(
                draft,
                tenant.hooks.intake_schema(draft.kind),
                now=now,
                max_backdate=timedelta(days=settings["intake_max_backdate_days"]),
            )
            year = received_at.astimezone(tenant.calendar.policy.zone).year
            repo = CaseRepository(tenant_id)
            number = await repo.next_serial_number(year)
            draft_case = Case(
                id=None,
                tenant_id=tenant_id,
                serial=f"{tenant.record.serial_prefix}-{year}-{number:06d}",
                kind=draft.kind,
                channel=draft.channel,
                state=CaseState.RECEIVED,
                title=draft.title.strip(),
                content=draft.content.strip(),
                received_at=received_at,
                anonymous=draft.anonymous,
                fields=MappingProxyType(dict(draft.fields)),
            )
            proposal = tenant.hooks.case_classification(draft_case)
            draft_case = dataclasses.replace(
                draft_case,
                category=proposal.category,
                severity=proposal.severity,
                complexity=proposal.complexity,
                flags=proposal.flags,
            )
            case = await repo.add(draft_case, year=year)
            if draft.identity and not draft.anonymous:
                await repo.add_identity(case.id, draft.identity)
            timer_changes = await _sync_timers(repo, tenant, case, action=None, at=received_at)
            data: dict[str, Any] = {
                "kind": case.kind.value,
                "channel": case.channel.value,
                "received_at": received_at.isoformat(),
                "logged_at": now.isoformat(),
                "timers": timer_changes,
            }
            if now - received_at > _BACKDATE_TOLERANCE:
                data["backdated"] = True  # audit: a late-logged letter or call
            await repo.append_event(
                case.id,
                CaseEvent(
                    name=CASE_RECEIVED,
                    at=now,
                    actor=actor.username,
                    from_state=None,
                    to_state=case.state,
                    data=MappingProxyType(data),
                ),
            )
            view = CaseView(case, tuple(await repo.timers(case.id)))
        tenant.hooks.on_case_received(case)
        return view

    async def perform(
        self,
        tenant_id: int,
        case_id: int,
        command: CaseCommand,
        actor: Actor,
        *,
        expected_version: int | None = None,
    ) -> CaseView:
        """Carry out one lifecycle action on a case.

        Raises:
            CaseNotFound: no such case in this tenant.
            StaleCase: `expected_version` is not the case's version.
            NotPermitted: the actor's roles do not allow the action.
            IllegalTransition: the lifecycle table has no such edge.
            RuleViolation: a guard of the core or the plugin refused, with every reason.
            InvalidCommand: the payload does not fit the tenant (unknown unit, cap exceeded).
        """
        _require(actor, permission_for(command.action))
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            hooks = tenant.hooks
            repo = CaseRepository(tenant_id)
            case = await repo.get(case_id, for_update=True)
            if expected_version is not None and expected_version != case.version:
                raise StaleCase(case.serial, expected_version, case.version)
            vetoes = hooks.transition_veto(case, command)
            if vetoes:
                raise RuleViolation("；".join(vetoes))
            _check_against_tenant(tenant, case, command)
            decision = decide(
                case,
                command,
                actor=actor,
                now=now,
                approval_chain=hooks.approval_chain(case),
                reply_requirements=hooks.reply_requirements(case),
            )
            await repo.save(decision.case, expected_version=case.version, now=now)
            if isinstance(command, ExtendCase):
                timer_changes = await _extend_timer(repo, tenant, decision.case, command)
            else:
                timer_changes = await _sync_timers(repo, tenant, decision.case, action=command.action, at=now)
            event = dataclasses.replace(
                decision.event, data=MappingProxyType({**decision.event.data, "timers": timer_changes})
            )
            await repo.append_event(case.id, event)
            view = CaseView(decision.case, tuple(await repo.timers(case.id)))
        hooks.on_case_transitioned(decision.case, event)
        return view

    async def get(self, tenant_id: int, case_id: int) -> CaseView:
        """A case with its timers (no identity)."""
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            case = await repo.get(case_id)
            return CaseView(case, tuple(await repo.timers(case_id)))

    async def events(self, tenant_id: int, case_id: int) -> list[CaseEvent]:
        """The case's events, oldest first."""
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            await repo.get(case_id)
            return await repo.events(case_id)


def _check_against_tenant(tenant: LoadedTenant, case: Case, command: CaseCommand) -> None:
    """Guards that need the tenant: acceptance conditions and known units."""
    if isinstance(command, AcceptCase):
        check = tenant.hooks.case_acceptance(case)
        if not check.acceptable:
            basis = f"（依据：{check.basis}）" if check.basis else ""
            raise RuleViolation(f"不符合受理条件：{'；'.join(check.unmet) or '未说明'}{basis}")
    if isinstance(command, DispatchCase) and tenant.ctx.unit(command.unit_code) is None:
        known = "、".join(f"{u.code}（{u.name}）" for u in tenant.ctx.units) or "（无）"
        raise InvalidCommand(f"承办单位 {command.unit_code} 不存在；可选单位：{known}", field="unit_code")


async def _sync_timers(
    repo: CaseRepository, tenant: LoadedTenant, case: Case, *, action: Action | None, at: datetime
) -> dict[str, list[str]]:
    """Start, pause, resume and stop the case's timers as the plugin's rules say for `action`.

    Returns the kinds changed, for the event record.
    """
    changes: dict[str, list[str]] = {}
    existing = {stored.timer.kind: stored for stored in await repo.timers(case.id)}
    for rule in tenant.hooks.sla_timers(case):
        stored = existing.get(rule.kind)
        starts = rule.starts_on == action or (action is not None and action in rule.restarts_on)
        if starts and (stored is None or stored.timer.state is sla.TimerState.STOPPED):
            timer = sla.start_timer(
                rule.kind, at, rule.period, tenant.calendar, basis=rule.basis, warn_ratio=rule.warn_ratio
            )
            if stored is None:
                await repo.add_timer(case.id, rule.label, timer)
            else:
                await repo.update_timer(stored.id, timer)
            changes.setdefault("started", []).append(rule.kind)
            continue
        if stored is None or action is None:
            continue
        updated = _next_timer(rule, stored.timer, action, at)
        if updated is not None:
            await repo.update_timer(stored.id, updated)
            changes.setdefault(updated.state.value, []).append(rule.kind)
    return changes


def _next_timer(rule: TimerRule, timer: sla.Timer, action: Action, at: datetime) -> sla.Timer | None:
    """The timer after `action`, or None when the action does not touch it."""
    live = timer.state in (sla.TimerState.RUNNING, sla.TimerState.PAUSED, sla.TimerState.BREACHED)
    if action in rule.stops_on and live:
        return sla.stop(timer, at)
    if action in rule.pauses_on and timer.state is sla.TimerState.RUNNING:
        return sla.pause(timer, at)
    if action in rule.resumes_on and timer.state is sla.TimerState.PAUSED:
        return sla.resume(timer, at)
    return None


async def _extend_timer(
    repo: CaseRepository, tenant: LoadedTenant, case: Case, command: ExtendCase
) -> Mapping[str, list[str]]:
    """Extend the named timer (or the only extendable running one) within the plugin's cap."""
    rules = {rule.kind: rule for rule in tenant.hooks.sla_timers(case) if rule.extension_cap is not None}
    running = [
        stored
        for stored in await repo.timers(case.id)
        if stored.timer.kind in rules
        and stored.timer.state in (sla.TimerState.RUNNING, sla.TimerState.PAUSED)
    ]
    chosen = [s for s in running if s.timer.kind == command.timer] if command.timer else running
    if len(chosen) != 1:
        names = "、".join(s.timer.kind for s in running) or "（无）"
        raise RuleViolation(f"请指明要延长的期限（timer）；本案可延期的期限：{names}")
    stored = chosen[0]
    cap = rules[stored.timer.kind].extension_cap
    await repo.update_timer(stored.id, sla.extend(stored.timer, command.period, tenant.calendar, cap=cap))
    return {"extended": [stored.timer.kind]}
