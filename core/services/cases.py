"""Case use cases: intake and every lifecycle action, each one tenant transaction.

A step loads the tenant and the case (locked), asks the tenant's plugin through the facade,
lets the domain decide, then writes the case, its event and its timers together. Plugins hear
about it (``hy_on_*``) only after the transaction committed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from core.domain import sla
from core.domain.attachments import MAX_ATTACHMENTS_PER_CASE, check_attachment
from core.domain.cases import Case, CaseState
from core.domain.commands import (
    FIELD_LABELS,
    AcceptCase,
    CaseCommand,
    CloseCase,
    DispatchCase,
    RecordFeedback,
    RegisterCase,
    SupplyMaterial,
)
from core.domain.decisions import Routing
from core.domain.duty import on_duty
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.events import CaseEvent, EventName
from core.domain.intake import IntakeDraft, check_intake
from core.domain.lifecycle import Action, allowed_actions
from core.domain.redaction import Redactor
from core.domain.roles import Actor, Permission, can, permission_for
from core.domain.text import check_command_text
from core.domain.transitions import decide, refusal
from core.plugins import PluginRegistry
from core.services.access import scoped_query, visible_case
from core.services.accountability import close_accountability
from core.services.case_notices import RELAYED, escalate_at_once, relay
from core.services.clock import Clock
from core.services.confidentiality import IdentityDesk, identities_of, tenant_data_key
from core.services.duty import tell_leader_of_new_case
from core.services.tenants import LoadedTenant, load_tenant
from core.services.timer_sync import start_timers, timer_refusal, timers_after
from core.services.vault import Vault, default_vault
from core.store.attachments import StoredAttachment
from core.store.case_search import CaseQuery, search_cases
from core.store.cases import CaseNotFound, StaleCase
from core.store.intake import IntakeWriter
from core.store.tenant_store import TenantStore
from core.store.timers import StoredTimer, TimerRepository
from core.store.tx import tenant_tx

__all__ = ["CaseService", "CaseView", "draft_fingerprint"]

# A case logged more than this after it arrived is marked back-dated in its intake event.
_BACKDATE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case with its timers, as a step leaves it.

    `replayed` is True when an intake with an already used ``Idempotency-Key`` returned the
    case the first request created instead of creating another.
    """

    case: Case
    timers: tuple[StoredTimer, ...]
    replayed: bool = False


def draft_fingerprint(draft: IntakeDraft) -> str:
    """A stable digest of an intake, to tell a retry from a different request under the same key."""
    body = {
        "kind": draft.kind.value,
        "channel": draft.channel.value,
        "title": draft.title,
        "content": draft.content,
        "received_at": draft.received_at.isoformat() if draft.received_at else None,
        "anonymous": draft.anonymous,
        "identity": dict(draft.identity),
        "fields": dict(draft.fields),
    }
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


class CaseService:
    """Intake and lifecycle actions for any tenant, through that tenant's plugin."""

    def __init__(self, registry: PluginRegistry, clock: Clock, vault: Vault | None = None) -> None:
        self.registry = registry
        self.clock = clock
        self._vault = vault
        self.identities = IdentityDesk(registry, self.clock, vault)

    @property
    def vault(self) -> Vault:
        return self._vault or default_vault()

    async def intake(
        self, tenant_id: int, draft: IntakeDraft, actor: Actor, *, idempotency_key: str | None = None
    ) -> CaseView:
        """Take a case in: validate it, number it, keep the identity apart, start intake timers.

        With `idempotency_key`, a retry of the same intake returns the first case (``replayed``)
        however many times and however concurrently it arrives.

        Raises:
            InvalidCommand: a required field is missing, ``received_at`` is out of bounds, or the
                key was used for a different intake.
            NotPermitted: the actor may not take cases in.
        """
        actor.require(Permission.CASE_INTAKE)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            repo = TenantStore(tenant_id)
            if idempotency_key is not None:
                claimed, fingerprint, case_id = await repo.cases.claim_idempotency_key(
                    idempotency_key, draft_fingerprint(draft)
                )
                if not claimed:
                    if fingerprint != draft_fingerprint(draft) or case_id is None:
                        raise InvalidCommand(
                            "该 Idempotency-Key 已用于另一项不同的受理请求，请换用新的键",
                            field="Idempotency-Key",
                        )
                    case = await repo.cases.get(case_id)
                    return CaseView(case, tuple(await repo.timers.of_case(case_id)), replayed=True)
            settings = tenant.settings(draft.kind)
            received_at = check_intake(
                draft,
                tenant.hooks.intake_schema(draft.kind),
                now=now,
                max_backdate=timedelta(days=settings["intake_max_backdate_days"]),
            )
            year = received_at.astimezone(tenant.calendar.policy.zone).year
            # Every intake of the tenant queues on the serial counter and on the event chain's
            # head, row locks held until commit. So everything that needs no serial is read and
            # written first, the case under a provisional serial, and the serial is drawn last.
            draft_case = Case(
                id=None,
                tenant_id=tenant_id,
                serial="",
                kind=draft.kind,
                channel=draft.channel,
                state=CaseState.RECEIVED,
                title=draft.title.strip(),
                content=draft.content.strip(),
                received_at=received_at,
                anonymous=draft.anonymous,
                # 首问/首办: whoever takes a case in answers for its tracking; the portal has no one.
                owner="" if actor.public else actor.username,
                fields=MappingProxyType(dict(draft.fields)),
            )
            proposal = tenant.hooks.case_classification(draft_case)
            draft_case = dataclasses.replace(
                draft_case,
                category=proposal.category,
                severity=proposal.severity,
                complexity=proposal.complexity,
                flags=proposal.flags,
                priority=proposal.priority,
            )
            writer = IntakeWriter(tenant_id)
            reads = await writer.reads(now)
            case = await writer.add_case(draft_case, year=year)
            if draft.identity and not draft.anonymous:
                version, key = await tenant_data_key(self.vault, repo, reads.data_key)
                await repo.identities.add(
                    case.id, self.vault.seal(key, version, tenant_id, case.id, draft.identity)
                )
            if idempotency_key is not None:
                await repo.cases.bind_idempotency_key(idempotency_key, case.id)
            # 报: the leader on duty hears of every new case at once (12312 接报 rule).
            shift = on_duty(reads.shifts, now)
            leader = shift.leader if shift else None
            timers, timer_changes = await start_timers(writer, tenant, case, received_at)
            data: dict[str, Any] = {
                "kind": case.kind.value,
                "channel": case.channel.value,
                "received_at": received_at.isoformat(),
                "logged_at": now.isoformat(),
                "timers": timer_changes,
            }
            if now - received_at > _BACKDATE_TOLERANCE:
                data["backdated"] = True  # audit: a late-logged letter or call
            if leader:
                data["reported_to"] = leader
            received = CaseEvent(
                name=EventName.RECEIVED,
                at=now,
                actor=actor.username,
                from_state=None,
                to_state=case.state,
                data=MappingProxyType(data),
            )
            case = await writer.number_and_record(case, tenant.record.serial_prefix, year, received)
            if leader:
                await tell_leader_of_new_case(tenant_id, case, leader, now, tenant.calendar.policy.zone)
            await escalate_at_once(repo, tenant, case, now)
            view = CaseView(case, tuple(timers))
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
        return await self._perform(
            tenant_id, case_id, command, actor, expected_version=expected_version, check_role=True
        )

    async def _perform(
        self,
        tenant_id: int,
        case_id: int,
        command: CaseCommand,
        actor: Actor,
        *,
        expected_version: int | None,
        check_role: bool,
    ) -> CaseView:
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            hooks = tenant.hooks
            repo = TenantStore(tenant_id)
            case = await visible_case(repo, case_id, actor, for_update=True)
            # After the lookup: another tenant's (or unit's) case is "not found", never "forbidden".
            if check_role:
                actor.require(permission_for(command.action))
            if expected_version is not None and expected_version != case.version:
                raise StaleCase(case.serial, expected_version, case.version)
            allowed = hooks.action_roles(case, command.action) if check_role else None
            permission = permission_for(command.action)
            if allowed is not None and not any(
                role in allowed and can([role], permission) for role in actor.roles
            ):
                raise NotPermitted(f"本单位规定“{command.action.label}”须由特定岗位办理")
            open_timers = frozenset(
                stored.timer.kind
                for stored in await repo.timers.of_case(case.id)
                if stored.timer.state is not sla.TimerState.STOPPED
            )
            check_command_text(command, FIELD_LABELS)  # what the store can hold, on every engine
            if isinstance(command, DispatchCase):
                _check_routing(tenant, case, command)
            vetoes = hooks.action_veto(case, command.action, open_timers) + hooks.transition_veto(
                case, command, open_timers
            )
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
            await repo.cases.save(decision.case, expected_version=case.version, now=now)
            timer_changes = await timers_after(repo, tenant, decision.case, command, now)
            extra: dict[str, Any] = {"timers": timer_changes}
            redact: Callable[[str], str] = str
            if isinstance(command, RELAYED):  # the words go out to units: take the person out
                clear = await identities_of(self.vault, repo, tenant_id, [case])
                redact = Redactor(clear.get(case_id, {}), withheld=True)
            relayed = await relay(
                tenant, decision.case, command, case.version + 1, now, actor.username, redact
            )
            if relayed:
                extra["relayed_to"] = relayed
            escalate_after = isinstance(command, RegisterCase)
            if isinstance(command, CloseCase) and command.outcome is not None:
                extra["accountability"] = await close_accountability(
                    repo, tenant, decision.case, command, now
                )
            event = dataclasses.replace(
                decision.event, data=MappingProxyType({**decision.event.data, **extra})
            )
            await repo.events.append(case.id, event)
            if escalate_after:  # registration may have raised the severity flags
                await escalate_at_once(repo, tenant, decision.case, now)
            view = CaseView(decision.case, tuple(await repo.timers.of_case(case.id)))
        hooks.on_case_transitioned(decision.case, event)
        return view

    async def get(self, tenant_id: int, case_id: int, actor: Actor) -> CaseView:
        """A case with its timers (no identity)."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            case = await visible_case(repo, case_id, actor)
            return CaseView(case, tuple(await repo.timers.of_case(case_id)))

    async def events(self, tenant_id: int, case_id: int, actor: Actor) -> list[CaseEvent]:
        """The case's events, oldest first."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            await visible_case(repo, case_id, actor)
            return await repo.events.of_case(case_id)

    async def search(
        self, tenant_id: int, query: CaseQuery, actor: Actor
    ) -> tuple[list[CaseView], str | None]:
        """A page of the tenant's cases matching `query`, with their timers, and the next cursor."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            page = await search_cases(tenant_id, scoped_query(actor, query))
            timers = await TimerRepository(tenant_id).of_cases([case.id for case in page.cases])
        return [CaseView(case, tuple(timers.get(case.id, ()))) for case in page.cases], page.next_cursor

    async def add_attachment(
        self,
        tenant_id: int,
        case_id: int,
        actor: Actor,
        *,
        filename: str,
        content_type: str,
        data: bytes,
        max_bytes: int,
    ) -> StoredAttachment:
        """Add a file to a case; the event records its name, size and digest, never its content.

        Raises:
            CaseNotFound: no such case in this tenant.
            NotPermitted: the actor may not add material.
            InvalidCommand: the file is refused (type, size, content), or the case has too many.
            RuleViolation: the case is closed or archived.
        """
        return await self._attach(tenant_id, case_id, actor, filename, content_type, data, max_bytes, True)

    async def _attach(
        self,
        tenant_id: int,
        case_id: int,
        actor: Actor,
        filename: str,
        content_type: str,
        data: bytes,
        max_bytes: int,
        check_role: bool,
    ) -> StoredAttachment:
        checked = check_attachment(filename, content_type, data, max_bytes=max_bytes)
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            case = await visible_case(repo, case_id, actor, for_update=True)
            if check_role:
                actor.require(Permission.CASE_ATTACH)
            if not case.state.is_open:
                raise RuleViolation(f"案件已{case.state.label}，不能再添加材料")
            if len(await repo.attachments.of_case(case_id)) >= MAX_ATTACHMENTS_PER_CASE:
                raise InvalidCommand(f"每件案件最多 {MAX_ATTACHMENTS_PER_CASE} 个附件", field="file")
            stored = await repo.attachments.add(
                case_id,
                filename=checked.filename,
                content_type=checked.content_type,
                data=checked.data,
                sha256=checked.sha256,
                added_by=actor.username,
            )
            await repo.events.append(
                case_id,
                CaseEvent(
                    name=EventName.ATTACHMENT_ADDED,
                    at=self.clock.now(),
                    actor=actor.username,
                    from_state=case.state,
                    to_state=case.state,
                    data=MappingProxyType(
                        # No file name: the timeline is read by the handling unit too.
                        {"attachment_id": stored.id, "size": stored.size, "sha256": stored.sha256}
                    ),
                ),
            )
        return stored

    async def attachments(self, tenant_id: int, case_id: int, actor: Actor) -> list[StoredAttachment]:
        """The case's attachments (descriptions only): complaint materials, not for the handling unit."""
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            await visible_case(repo, case_id, actor)
            actor.require(Permission.CASE_MATERIALS)
            return await repo.attachments.of_case(case_id)

    async def attachment(
        self, tenant_id: int, case_id: int, attachment_id: int, actor: Actor
    ) -> tuple[StoredAttachment, bytes]:
        """One attachment with its bytes.

        Raises:
            CaseNotFound: no such case or attachment in this tenant.
        """
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            await visible_case(repo, case_id, actor)
            actor.require(Permission.CASE_MATERIALS)
            found = await repo.attachments.with_data(case_id, attachment_id)
        if found is None:
            raise CaseNotFound(f"{case_id}/附件 {attachment_id}")
        return found

    async def record_submitter_feedback(self, tenant_id: int, case_id: int, command: RecordFeedback) -> None:
        """The submitter's own verdict on the reply; the portal has checked the receipt and secret."""
        await self._perform(
            tenant_id, case_id, command, Actor.from_public(), expected_version=None, check_role=False
        )

    async def add_submitter_attachment(
        self, tenant_id: int, case_id: int, *, filename: str, content_type: str, data: bytes, max_bytes: int
    ) -> StoredAttachment:
        """Material the submitter adds to their own case; the portal has checked the receipt and secret."""
        return await self._attach(
            tenant_id, case_id, Actor.from_public(), filename, content_type, data, max_bytes, False
        )

    async def routing(self, tenant_id: int, case_id: int, actor: Actor) -> Routing | None:
        """The plugin's suggested handling unit for the case, with the cause and why (None: none)."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            case = await visible_case(TenantStore(tenant_id), case_id, actor)
        return tenant.hooks.case_routing(case)

    async def allowed_actions(self, tenant_id: int, case_id: int, actor: Actor) -> tuple[Action, ...]:
        """The actions `actor` may take on the case now, by the guards `perform` applies.

        The lifecycle table from the case's state, the permission matrix, the plugin's role
        narrowing and every guard that does not depend on the payload: the core's (approvals
        pending or done, no chain to submit to, no unit to reopen with) and the plugin's
        `hy_action_veto`. Only `hy_transition_veto`, which reads the payload, is left to `perform`.
        """
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            repo = TenantStore(tenant_id)
            case = await visible_case(repo, case_id, actor)
            timers = await repo.timers.of_case(case_id)
        hooks = tenant.hooks
        chain = hooks.approval_chain(case)
        rules = hooks.sla_timers(case)
        open_timers = frozenset(
            stored.timer.kind for stored in timers if stored.timer.state is not sla.TimerState.STOPPED
        )

        def offered(action: Action) -> bool:
            permission = permission_for(action)
            if not actor.can(permission):
                return False
            narrowed = hooks.action_roles(case, action)
            if narrowed is not None and not any(r in narrowed and can([r], permission) for r in actor.roles):
                return False
            return (
                refusal(case, action, actor, chain) is None
                and timer_refusal(action, timers, rules) is None
                and not hooks.action_veto(case, action, open_timers)
            )

        return tuple(action for action in allowed_actions(case.state) if offered(action))


def _check_routing(tenant: LoadedTenant, case: Case, command: DispatchCase) -> None:
    """A binding route leaves no choice of unit (the plugin's rule, named)."""
    route = tenant.hooks.case_routing(case)
    if route is None or not route.binding or command.unit_code == route.unit_code:
        return
    unit = tenant.ctx.unit(route.unit_code)
    name = f"{unit.name}（{route.unit_code}）" if unit else route.unit_code
    raise RuleViolation(f"按本单位分流规定，本案须转{name}办理：{route.reason or '未说明'}")


def _check_against_tenant(tenant: LoadedTenant, case: Case, command: CaseCommand) -> None:
    """Guards that need the tenant: acceptance conditions, known units, supplementable fields."""
    if isinstance(command, SupplyMaterial) and command.fields:
        # A supplement fills the case's intake fields, which every reader sees: identity values
        # would escape the vault, so only the schema's non-identity fields of this kind are taken.
        schema = tenant.hooks.intake_schema(case.kind)
        allowed = sorted(spec.key for spec in schema.fields if case.kind in spec.kinds and not spec.identity)
        wrong = sorted(set(command.fields) - set(allowed))
        if wrong:
            raise InvalidCommand(
                f"补正只能补充登记项目（{'、'.join(allowed) or '无'}）；{'、'.join(wrong)} 不可补正"
                "（投诉人身份信息另行保密登记）",
                field="fields",
            )
    if isinstance(command, AcceptCase):
        check = tenant.hooks.case_acceptance(case)
        if not check.acceptable:
            basis = f"（依据：{check.basis}）" if check.basis else ""
            raise RuleViolation(f"不符合受理条件：{'；'.join(check.unmet) or '未说明'}{basis}")
    if (
        isinstance(command, CloseCase)
        and command.respondent_unit
        and tenant.ctx.unit(command.respondent_unit) is None
    ):
        known = "、".join(f"{u.code}（{u.name}）" for u in tenant.ctx.units) or "（无）"
        raise InvalidCommand(
            f"被投诉单位 {command.respondent_unit} 不存在；可选单位：{known}", field="respondent_unit"
        )
    if isinstance(command, DispatchCase) and tenant.ctx.unit(command.unit_code) is None:
        known = "、".join(f"{u.code}（{u.name}）" for u in tenant.ctx.units) or "（无）"
        raise InvalidCommand(f"承办单位 {command.unit_code} 不存在；可选单位：{known}", field="unit_code")
