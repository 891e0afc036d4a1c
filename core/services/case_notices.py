"""Who hears of a step at once: the heads of a grave new case, the unit a case is sent to (传)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType

from core.domain.cases import Case
from core.domain.commands import CaseCommand, DispatchCase, EscalateCase, InstructCase
from core.domain.events import CaseEvent, EventName
from core.domain.roles import Role
from core.services.duty import leader_on_duty
from core.services.notify import must_act, notify_users
from core.services.tenants import LoadedTenant
from core.store.directory import TenantDirectory
from core.store.tenant_store import TenantStore

__all__ = ["RELAYED", "escalate_at_once", "relay"]


async def escalate_at_once(repo: TenantStore, tenant: LoadedTenant, case: Case, now: datetime) -> None:
    """Escalate a new case to the head at once when the plugin says so (once per case)."""
    reason = tenant.hooks.case_escalation(case)
    if not reason:
        return
    if any(
        e.name == EventName.AUTO_ESCALATED and e.data.get("at_once")
        for e in await repo.events.of_case(case.id)
    ):
        return
    heads = [u.username for u in await TenantDirectory(case.tenant_id).users() if Role.APPROVER in u.roles]
    on_duty = await leader_on_duty(case.tenant_id, now)
    told = await notify_users(
        case.tenant_id,
        [*heads, *([on_duty] if on_duty else [])],
        subject=f"重大事项即报：{case.serial} {case.title}",
        body=f"{case.kind.label}（{case.channel.label}），{reason}",
        key=f"escalate-at-once:{case.id}",
        now=now,
        case_id=case.id,
        webhook_url=tenant.ctx.settings.get("webhook_url", ""),
    )
    await repo.events.append(
        case.id,
        CaseEvent(
            name=EventName.AUTO_ESCALATED,
            at=now,
            actor="system",
            from_state=case.state,
            to_state=case.state,
            data=MappingProxyType({"reason": reason, "at_once": True, "told": told}),
        ),
    )


RELAYED = (DispatchCase, InstructCase, EscalateCase)
"""The steps whose words are passed on at once to the people who act on them."""


async def relay(
    tenant: LoadedTenant,
    case: Case,
    command: CaseCommand,
    version: int,
    now: datetime,
    author: str,
    redact: Callable[[str], str],
) -> list[str]:
    """传: a dispatch reaches the receiving unit; an instruction or a 督办 whoever acts on the case.

    The unit's handlers and heads hear of a case sent to them (with its cause and opinion); a
    leader's instruction and a manual 督办 go to whoever must act on it now (`must_act`), a 督办
    also to the people the plugin names. Nobody is told of their own step (`author`). What was
    typed (the title, the opinion, the reason) goes through `redact`, the redaction rule for a
    handling unit: inboxes, mail and the tenant's webhook never carry the complainant's identity.
    """
    if isinstance(command, DispatchCase):
        people = await _unit_people(case.tenant_id, command.unit_code)
        subject = f"新转办案件：{case.serial} {case.title}"
        body = f"案由：{command.cause}\n转办意见：{command.opinion}"
    elif isinstance(command, InstructCase):
        people = await _acting_people(case, now)
        subject = f"领导批示：{case.serial} {case.title}"
        body = command.instruction
    elif isinstance(command, EscalateCase):
        people = await _acting_people(case, now, tenant.hooks.supervision_recipients(case))
        subject = f"督办：{case.serial} {case.title}"
        body = f"督办理由：{command.reason}\n请抓紧办理，并将办理情况及时反馈。"
    else:
        return []
    return await notify_users(
        case.tenant_id,
        [name for name in people if name != author],
        subject=redact(subject),
        body=redact(body),
        key=f"relay:{case.id}:{version}",
        now=now,
        case_id=case.id,
        webhook_url=tenant.ctx.settings.get("webhook_url", ""),
    )


async def _acting_people(case: Case, now: datetime, named: tuple[str, ...] = ()) -> list[str]:
    """Who must act on the case now (`must_act`), and whoever the plugin names for a 督办."""
    users = await TenantDirectory(case.tenant_id).users()
    on_duty = None if case.unit_code else await leader_on_duty(case.tenant_id, now)
    return must_act(case, users, on_duty=on_duty, named=named)


async def _unit_people(tenant_id: int, unit_code: str) -> list[str]:
    users = await TenantDirectory(tenant_id).users()
    return [
        u.username
        for u in users
        if u.active and u.unit_code == unit_code and u.roles & {Role.HANDLER, Role.UNIT_HEAD}
    ]
