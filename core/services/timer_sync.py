"""A case's timers as its steps move them: started, paused, resumed, stopped, extended, agreed.

What each step does to a timer is the plugin's rule (`TimerRule`) and the domain's arithmetic
(`core.domain.sla`); this module reads and writes the stored timers around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from core.domain import sla
from core.domain.cases import Case
from core.domain.commands import CaseCommand, ConfirmRemedy, ExtendCase, OrderRemedy, SetDeadline
from core.domain.decisions import TimerRule
from core.domain.errors import RuleViolation
from core.domain.lifecycle import Action
from core.services.tenants import LoadedTenant
from core.store.intake import IntakeWriter
from core.store.tenant_store import TenantStore
from core.store.timers import StoredTimer

__all__ = ["REMEDY_TIMER", "start_timers", "timers_after"]


async def _sync_timers(
    repo: TenantStore, tenant: LoadedTenant, case: Case, *, action: Action | None, at: datetime
) -> dict[str, list[str]]:
    """Start, pause, resume and stop the case's timers as the plugin's rules say for `action`.

    Returns the kinds changed, for the event record.
    """
    changes: dict[str, list[str]] = {}
    existing = {stored.timer.kind: stored for stored in await repo.timers.of_case(case.id)}
    for rule in tenant.hooks.sla_timers(case):
        stored = existing.get(rule.kind)
        starts = rule.starts_on == action or (action is not None and action in rule.restarts_on)
        if starts and (stored is None or stored.timer.state is sla.TimerState.STOPPED):
            timer = sla.start_timer(
                rule.kind, at, rule.period, tenant.calendar, basis=rule.basis, warn_ratio=rule.warn_ratio
            )
            if stored is None:
                await repo.timers.add(case.id, rule.label, timer)
            else:
                await repo.timers.update(stored.id, timer, rearm=True)
            changes.setdefault("started", []).append(rule.kind)
            continue
        if stored is None or action is None:
            continue
        updated = sla.next_timer(rule, stored.timer, action, at)
        if updated is not None:
            await repo.timers.update(stored.id, updated, rearm=updated.due_at != stored.timer.due_at)
            changes.setdefault(updated.state.value, []).append(rule.kind)
    return changes


async def start_timers(
    writer: IntakeWriter, tenant: LoadedTenant, case: Case, at: datetime
) -> tuple[list[StoredTimer], dict[str, list[str]]]:
    """Start a new case's intake timers (`_sync_timers` with no action, for a case that has none).

    Returns the stored timers and the kinds started, for the event record.
    """
    started = [
        (
            rule.label,
            sla.start_timer(
                rule.kind, at, rule.period, tenant.calendar, basis=rule.basis, warn_ratio=rule.warn_ratio
            ),
        )
        for rule in tenant.hooks.sla_timers(case)
        if rule.starts_on is None
    ]
    stored = await writer.add_timers(case.id, started)
    return stored, ({"started": [timer.kind for _, timer in started]} if started else {})


async def timers_after(
    repo: TenantStore, tenant: LoadedTenant, case: Case, command: CaseCommand, now: datetime
) -> Mapping[str, list[str]]:
    """The timer changes `command` makes: the plugin's rules, or the timer the command names."""
    if isinstance(command, ExtendCase):
        return await _extend_timer(repo, tenant, case, command)
    if isinstance(command, SetDeadline):
        return await _set_deadline(repo, tenant, case, command, now)
    changes = await _sync_timers(repo, tenant, case, action=command.action, at=now)
    if isinstance(command, OrderRemedy | ConfirmRemedy):
        changes |= await _remedy_timer(repo, tenant, case, command, now)
    return changes


async def _set_deadline(
    repo: TenantStore, tenant: LoadedTenant, case: Case, command: SetDeadline, now: datetime
) -> Mapping[str, list[str]]:
    """A date agreed with the person replaces the due date of a negotiable running timer."""
    negotiable = {rule.kind for rule in tenant.hooks.sla_timers(case) if rule.negotiable}
    timers = {stored.timer.kind: stored for stored in await repo.timers.of_case(case.id)}
    stored = timers.get(command.timer)
    if command.timer not in negotiable:
        names = "、".join(sorted(negotiable)) or "（无）"
        raise RuleViolation(f"期限“{command.timer}”不能由约定改变；本案可约定的期限：{names}")
    if stored is None or stored.timer.state is not sla.TimerState.RUNNING:
        raise RuleViolation(f"期限“{command.timer}”未在计时，不能约定新的日期")
    await repo.timers.update(
        stored.id, sla.reschedule(stored.timer, command.due_on, tenant.calendar, now), rearm=True
    )
    return {"rescheduled": [command.timer]}


REMEDY_TIMER = "remedy"


def timer_refusal(action: Action, timers: Sequence[StoredTimer], rules: Sequence[TimerRule]) -> str | None:
    """Why the case's timers refuse `action` whatever its payload, or None.

    A remedy is confirmed only while an order runs, and a new order waits until the last one
    is confirmed; a date is agreed only for a running timer the plugin's `rules` make
    negotiable, and time is extended only on a live timer they give a cap.
    `CaseService.allowed_actions` asks this too, so none of them is offered in vain.
    """
    live = {t.timer.kind for t in timers if t.timer.state in (sla.TimerState.RUNNING, sla.TimerState.PAUSED)}
    running = {t.timer.kind for t in timers if t.timer.state is sla.TimerState.RUNNING}
    if action is Action.SET_DEADLINE and not running & {rule.kind for rule in rules if rule.negotiable}:
        return "本案没有可与当事人约定日期的期限"
    if action is Action.EXTEND and not live & {rule.kind for rule in rules if rule.extension_cap is not None}:
        return "本案没有可延期的期限"
    remedy = next((t.timer for t in timers if t.timer.kind == REMEDY_TIMER), None)
    open_order = remedy is not None and remedy.state in (sla.TimerState.RUNNING, sla.TimerState.BREACHED)
    if action is Action.CONFIRM_REMEDY and not open_order:
        return "本案没有待验收的整改要求"
    if action is Action.ORDER_REMEDY and open_order:
        return "本案已有未验收的整改要求；请先验收，再下达新的整改要求"
    return None


async def _remedy_timer(
    repo: TenantStore,
    tenant: LoadedTenant,
    case: Case,
    command: OrderRemedy | ConfirmRemedy,
    now: datetime,
) -> dict[str, list[str]]:
    """An order to put things right runs a `remedy` deadline until the remedy is confirmed."""
    timers = await repo.timers.of_case(case.id)
    reason = timer_refusal(command.action, timers, tenant.hooks.sla_timers(case))
    if reason:
        raise RuleViolation(reason)
    stored = next((t for t in timers if t.timer.kind == REMEDY_TIMER), None)
    if isinstance(command, ConfirmRemedy):
        await repo.timers.update(stored.id, sla.stop(stored.timer, now), rearm=False)
        return {"stopped": [REMEDY_TIMER]}
    timer = sla.start_timer_until(REMEDY_TIMER, now, command.due_on, tenant.calendar, basis="责令整改")
    if stored is None:
        await repo.timers.add(case.id, "整改期限", timer)
    else:
        await repo.timers.update(stored.id, timer, rearm=True)
    return {"started": [REMEDY_TIMER]}


async def _extend_timer(
    repo: TenantStore, tenant: LoadedTenant, case: Case, command: ExtendCase
) -> Mapping[str, list[str]]:
    """Extend the named timer (or the only extendable running one) within the plugin's cap."""
    rules = {rule.kind: rule for rule in tenant.hooks.sla_timers(case) if rule.extension_cap is not None}
    running = [
        stored
        for stored in await repo.timers.of_case(case.id)
        if stored.timer.kind in rules
        and stored.timer.state in (sla.TimerState.RUNNING, sla.TimerState.PAUSED)
    ]
    chosen = [s for s in running if s.timer.kind == command.timer] if command.timer else running
    if len(chosen) != 1:
        names = "、".join(s.timer.kind for s in running) or "（无）"
        raise RuleViolation(f"请指明要延长的期限（timer）；本案可延期的期限：{names}")
    stored = chosen[0]
    cap = rules[stored.timer.kind].extension_cap
    await repo.timers.update(
        stored.id, sla.extend(stored.timer, command.period, tenant.calendar, cap=cap), rearm=True
    )
    return {"extended": [stored.timer.kind]}
