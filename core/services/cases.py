"""Case use cases: intake and every lifecycle action, each one tenant transaction.

A step loads the tenant and the case (locked), asks the tenant's plugin through the facade,
lets the domain decide, then writes the case, its event and its timers together. Plugins hear
about it (``hy_on_*``) only after the transaction committed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from core.domain import sla
from core.domain.attachments import MAX_ATTACHMENTS_PER_CASE, check_attachment
from core.domain.cases import Case, CaseState
from core.domain.commands import (
    AcceptCase,
    CaseCommand,
    CloseCase,
    ConfirmRemedy,
    DispatchCase,
    ExtendCase,
    InstructCase,
    OrderRemedy,
    Outcome,
    RecordFeedback,
    RegisterCase,
    SetDeadline,
    SupplyMaterial,
)
from core.domain.decisions import AccountabilityKind, TimerRule
from core.domain.duty import on_duty
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.events import CaseEvent, EventName, on_portal
from core.domain.intake import IntakeDraft, check_intake
from core.domain.ledger import LedgerEntry
from core.domain.lifecycle import Action, allowed_actions
from core.domain.masking import mask_identity
from core.domain.roles import Actor, Permission, Role, can, permission_for
from core.domain.transitions import decide
from core.domain.visibility import sees_case, unit_bound
from core.plugins import PluginRegistry
from core.services.accountability import record_accountability
from core.services.clock import Clock, SystemClock
from core.services.duty import leader_on_duty, tell_leader_of_new_case
from core.services.notify import notify_users
from core.services.tenants import LoadedTenant, load_tenant
from core.services.vault import Vault, default_vault
from core.store.case_search import CaseQuery, search_cases
from core.store.intake import IntakeWriter
from core.store.repositories import (
    CaseNotFound,
    CaseRepository,
    StaleCase,
    StoredAttachment,
    StoredTimer,
    TenantDirectory,
    TenantNotFound,
    TenantRepository,
)
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "CaseService",
    "CaseView",
    "IdentityView",
    "PublicMilestone",
    "PublicPortal",
    "PublicReceipt",
    "PublicStatus",
    "draft_fingerprint",
    "may_reveal",
    "scoped_query",
]

# A case logged more than this after it arrived is marked back-dated in its intake event.
_BACKDATE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class IdentityView:
    """What most roles see of a complainant: masked values, and related cases by blind index."""

    anonymous: bool
    masked: Mapping[str, str]
    related: tuple[str, ...]


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


def may_reveal(actor: Actor, allowed: frozenset[Role]) -> bool:
    """Whether `actor` may read a complainant in clear.

    The matrix's ``identity:reveal``, narrowed to the roles `allowed` by the plugin's
    `hy_identity_access` answer for the case (never widened). The one rule for every reading:
    the identity route, exports and the web pages.
    """
    return actor.can(Permission.IDENTITY_REVEAL) and bool(actor.roles & allowed)


async def _visible(repo: CaseRepository, case_id: int, actor: Actor, *, for_update: bool = False) -> Case:
    """The case, unless `actor` may not see it (another unit's case is "not found", like another tenant's)."""
    case = await repo.get(case_id, for_update=for_update)
    if not sees_case(actor, case):
        raise CaseNotFound(case_id)
    return case


def scoped_query(actor: Actor, query: CaseQuery) -> CaseQuery:
    """`query` narrowed to the cases `actor` may see (`sees_case`)."""
    if not unit_bound(actor):
        return query
    if actor.unit_code:
        return dataclasses.replace(query, unit_code=actor.unit_code)
    return dataclasses.replace(query, handler=actor.username)


class CaseService:
    """Intake and lifecycle actions for any tenant, through that tenant's plugin."""

    def __init__(
        self, registry: PluginRegistry, clock: Clock | None = None, vault: Vault | None = None
    ) -> None:
        self.registry = registry
        self.clock = clock or SystemClock()
        self._vault = vault

    @property
    def vault(self) -> Vault:
        return self._vault or default_vault()

    async def _data_key(self, repo: CaseRepository) -> tuple[int, bytes]:
        """The tenant's data key (version, key), made on the tenant's first identity."""
        return await self._unwrapped_key(repo, await repo.data_key())

    async def _unwrapped_key(
        self, repo: CaseRepository, stored: tuple[int, bytes, bytes, str] | None
    ) -> tuple[int, bytes]:
        """`_data_key` from the wrapped key as the caller read it (`repo.data_key`)."""
        if stored is None:
            _, wrapped, nonce, master_id = self.vault.new_data_key()
            await repo.add_data_key(wrapped, nonce, master_id)
            stored = await repo.data_key()  # a concurrent first intake may have won: use its key
        version, wrapped, nonce, master_id = stored
        return version, self.vault.unwrap(wrapped, nonce, master_id)

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
            repo = CaseRepository(tenant_id)
            if idempotency_key is not None:
                claimed, fingerprint, case_id = await repo.claim_idempotency_key(
                    idempotency_key, draft_fingerprint(draft)
                )
                if not claimed:
                    if fingerprint != draft_fingerprint(draft) or case_id is None:
                        raise InvalidCommand(
                            "该 Idempotency-Key 已用于另一项不同的受理请求，请换用新的键",
                            field="Idempotency-Key",
                        )
                    case = await repo.get(case_id)
                    return CaseView(case, tuple(await repo.timers(case_id)), replayed=True)
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
                version, key = await self._unwrapped_key(repo, reads.data_key)
                await repo.add_identity(
                    case.id, self.vault.seal(key, version, tenant_id, case.id, draft.identity)
                )
            if idempotency_key is not None:
                await repo.bind_idempotency_key(idempotency_key, case.id)
            # 报: the leader on duty hears of every new case at once (12312 接报 rule).
            shift = on_duty(reads.shifts, now)
            leader = shift.leader if shift else None
            timers, timer_changes = await _start_timers(writer, tenant, case, received_at)
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
            await _escalate_if_needed(repo, tenant, case, now)
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
            repo = CaseRepository(tenant_id)
            case = await _visible(repo, case_id, actor, for_update=True)
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
                for stored in await repo.timers(case.id)
                if stored.timer.state is not sla.TimerState.STOPPED
            )
            vetoes = hooks.transition_veto(case, command, open_timers)
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
            timer_changes = await _timers_after(repo, tenant, decision.case, command, now)
            extra: dict[str, Any] = {"timers": timer_changes}
            relayed = await _relay(tenant, decision.case, command, case.version + 1, now)
            if relayed:
                extra["relayed_to"] = relayed
            escalate_after = isinstance(command, RegisterCase)
            if isinstance(command, CloseCase) and command.outcome is not None:
                extra["accountability"] = await _close_accountability(
                    repo, tenant, decision.case, command, now
                )
            event = dataclasses.replace(
                decision.event, data=MappingProxyType({**decision.event.data, **extra})
            )
            await repo.append_event(case.id, event)
            if escalate_after:  # registration may have raised the severity flags
                await _escalate_if_needed(repo, tenant, decision.case, now)
            view = CaseView(decision.case, tuple(await repo.timers(case.id)))
        hooks.on_case_transitioned(decision.case, event)
        return view

    async def get(self, tenant_id: int, case_id: int, actor: Actor) -> CaseView:
        """A case with its timers (no identity)."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            case = await _visible(repo, case_id, actor)
            return CaseView(case, tuple(await repo.timers(case_id)))

    async def events(self, tenant_id: int, case_id: int, actor: Actor) -> list[CaseEvent]:
        """The case's events, oldest first."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            await _visible(repo, case_id, actor)
            return await repo.events(case_id)

    async def search(
        self, tenant_id: int, query: CaseQuery, actor: Actor
    ) -> tuple[list[CaseView], str | None]:
        """A page of the tenant's cases matching `query`, with their timers, and the next cursor."""
        actor.require(Permission.CASE_READ)
        async with tenant_tx(tenant_id):
            page = await search_cases(tenant_id, scoped_query(actor, query))
            timers = await CaseRepository(tenant_id).timers_for([case.id for case in page.cases])
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
            repo = CaseRepository(tenant_id)
            case = await _visible(repo, case_id, actor, for_update=True)
            if check_role:
                actor.require(Permission.CASE_ATTACH)
            if not case.state.is_open:
                raise RuleViolation(f"案件已{case.state.label}，不能再添加材料")
            if len(await repo.attachments(case_id)) >= MAX_ATTACHMENTS_PER_CASE:
                raise InvalidCommand(f"每件案件最多 {MAX_ATTACHMENTS_PER_CASE} 个附件", field="file")
            stored = await repo.add_attachment(
                case_id,
                filename=checked.filename,
                content_type=checked.content_type,
                data=checked.data,
                sha256=checked.sha256,
                added_by=actor.username,
            )
            await repo.append_event(
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
            repo = CaseRepository(tenant_id)
            await _visible(repo, case_id, actor)
            actor.require(Permission.CASE_MATERIALS)
            return await repo.attachments(case_id)

    async def attachment(
        self, tenant_id: int, case_id: int, attachment_id: int, actor: Actor
    ) -> tuple[StoredAttachment, bytes]:
        """One attachment with its bytes.

        Raises:
            CaseNotFound: no such case or attachment in this tenant.
        """
        async with tenant_tx(tenant_id):
            found = await CaseRepository(tenant_id).attachment_data(case_id, attachment_id)
        if found is None:
            raise CaseNotFound(f"{case_id}/附件 {attachment_id}")
        actor.require(Permission.CASE_MATERIALS)
        return found

    async def identity(self, tenant_id: int, case_id: int, actor: Actor) -> IdentityView:
        """The complainant's identity, masked, and the other cases with the same phone or ID number.

        Not for the handling unit: even masked, a name and a phone can point at a neighbour.
        """
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            case = await _visible(repo, case_id, actor)
            actor.require(Permission.CASE_MATERIALS)
            sealed = await repo.identity(case_id)
            if sealed is None:
                return IdentityView(anonymous=case.anonymous, masked={}, related=())
            _, key = await self._data_key(repo)
            clear = self.vault.open(key, tenant_id, case_id, sealed)
            related = tuple(await repo.cases_sharing_identity(case_id, sealed))
        return IdentityView(anonymous=False, masked=mask_identity(clear), related=related)

    async def reveal_identity(
        self, tenant_id: int, case_id: int, actor: Actor, reason: str
    ) -> dict[str, Any]:
        """The identity in clear, for a role that needs it; the reading and its reason are recorded.

        Raises:
            NotPermitted: the actor's roles may not read identities.
            InvalidCommand: no reason was given.
            CaseNotFound: no such case (or it has no identity: anonymous).
        """
        if len(reason.strip()) < 2:
            raise InvalidCommand("查看投诉人身份须说明理由", field="reason")
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            case = await _visible(repo, case_id, actor)
            actor.require(Permission.IDENTITY_REVEAL)
            tenant = await load_tenant(tenant_id, self.registry)
            allowed = tenant.hooks.identity_access(case)  # a plugin may narrow, never widen
            if not may_reveal(actor, allowed):
                raise NotPermitted("本单位规定此类案件的投诉人身份仅限特定角色查看")
            sealed = await repo.identity(case_id)
            if sealed is None:
                raise CaseNotFound(f"{case.serial} 的投诉人身份（匿名案件）")
            _, key = await self._data_key(repo)
            clear = self.vault.open(key, tenant_id, case_id, sealed)
            await repo.log_reveal(case_id, reader=actor.username, reason=reason.strip(), at=now)
            await repo.append_event(
                case_id,
                CaseEvent(
                    name=EventName.IDENTITY_REVEALED,
                    at=now,
                    actor=actor.username,
                    from_state=case.state,
                    to_state=case.state,
                    # The reason stays in the reveal log (supervisors, auditors), not on the timeline.
                    data=MappingProxyType({}),
                ),
            )
        return clear

    async def identity_reveals(
        self, tenant_id: int, case_id: int, actor: Actor
    ) -> list[tuple[str, str, datetime]]:
        """Who read the identity in clear, why and when: for supervisors and auditors."""
        if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
            raise NotPermitted("只有督查员、审计员和领导可以查看身份查阅记录")
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            await _visible(repo, case_id, actor)
            return await repo.reveals(case_id)

    async def allowed_actions(self, tenant_id: int, case_id: int, actor: Actor) -> tuple[Action, ...]:
        """The actions the table allows from the case's state that the actor's roles permit."""
        view = await self.get(tenant_id, case_id, actor)
        return tuple(a for a in allowed_actions(view.case.state) if actor.can(permission_for(a)))


async def _escalate_if_needed(repo: CaseRepository, tenant: LoadedTenant, case: Case, now: datetime) -> None:
    """Escalate a new case to the head at once when the plugin says so (once per case)."""
    reason = tenant.hooks.case_escalation(case)
    if not reason:
        return
    if any(e.name == EventName.AUTO_ESCALATED and e.data.get("at_once") for e in await repo.events(case.id)):
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
    await repo.append_event(
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


async def _relay(
    tenant: LoadedTenant, case: Case, command: CaseCommand, version: int, now: datetime
) -> list[str]:
    """传: a dispatch reaches the receiving unit, and a leader's instruction whoever acts on it.

    The unit's handlers and heads hear of a case sent to them (with its cause and opinion); an
    instruction goes to the unit handling the case, or before dispatch to the intake officers
    and the leader on duty. Nothing of the complainant's identity is in the message.
    """
    if isinstance(command, DispatchCase):
        people = await _unit_people(case.tenant_id, command.unit_code)
        subject = f"新转办案件：{case.serial} {case.title}"
        body = f"案由：{command.cause}\n转办意见：{command.opinion}"
    elif isinstance(command, InstructCase):
        if case.unit_code:
            people = await _unit_people(case.tenant_id, case.unit_code)
        else:
            users = await TenantDirectory(case.tenant_id).users()
            people = [u.username for u in users if u.active and Role.INTAKE_OFFICER in u.roles]
            on_duty = await leader_on_duty(case.tenant_id, now)
            people += [on_duty] if on_duty else []
        subject = f"领导批示：{case.serial} {case.title}"
        body = command.instruction
    else:
        return []
    return await notify_users(
        case.tenant_id,
        people,
        subject=subject,
        body=body,
        key=f"relay:{case.id}:{version}",
        now=now,
        case_id=case.id,
        webhook_url=tenant.ctx.settings.get("webhook_url", ""),
    )


async def _unit_people(tenant_id: int, unit_code: str) -> list[str]:
    users = await TenantDirectory(tenant_id).users()
    return [
        u.username
        for u in users
        if u.active and u.unit_code == unit_code and u.roles & {Role.HANDLER, Role.UNIT_HEAD}
    ]


async def _close_accountability(
    repo: CaseRepository, tenant: LoadedTenant, case: Case, command: CloseCase, now: datetime
) -> dict[str, Any] | None:
    """An upheld complaint holds its respondent to account; a verified report rewards its reporter."""
    if command.outcome is Outcome.UPHELD:
        kind, subject = AccountabilityKind.COMPLAINT_UPHELD, command.respondent
    elif command.outcome is Outcome.VERIFIED:
        kind, subject = AccountabilityKind.REPORT_VERIFIED, f"举报人（{case.serial}）"
    else:
        return None
    event, lines = await record_accountability(
        repo,
        tenant,
        case,
        kind=kind,
        subject=subject,
        now=now,
        evidence=f"案件 {case.serial} 办结：{command.outcome.label}",
        detail=command.summary,
        amount=command.amount,
        commission=command.commission,
        unit_code=command.respondent_unit,
        responsible=(case.owner, case.handler or ""),
    )
    return {
        "subject": subject,
        "count_in_year": event.count_in_year,
        "sanctions": [_line_summary(line) for line in lines],
    }


def _line_summary(line: LedgerEntry) -> dict[str, Any]:
    sanction = line.sanction
    assert sanction is not None  # record_accountability writes lines only
    return {
        "entry": line.id,
        "subject": line.subject,
        "kind": sanction.kind.value,
        "points": sanction.points,
        "amount": str(sanction.amount),
    }


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
                await repo.update_timer(stored.id, timer, rearm=True)
            changes.setdefault("started", []).append(rule.kind)
            continue
        if stored is None or action is None:
            continue
        updated = _next_timer(rule, stored.timer, action, at)
        if updated is not None:
            await repo.update_timer(stored.id, updated, rearm=updated.due_at != stored.timer.due_at)
            changes.setdefault(updated.state.value, []).append(rule.kind)
    return changes


async def _start_timers(
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


async def _timers_after(
    repo: CaseRepository, tenant: LoadedTenant, case: Case, command: CaseCommand, now: datetime
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
    repo: CaseRepository, tenant: LoadedTenant, case: Case, command: SetDeadline, now: datetime
) -> Mapping[str, list[str]]:
    """A date agreed with the person replaces the due date of a negotiable running timer."""
    negotiable = {rule.kind for rule in tenant.hooks.sla_timers(case) if rule.negotiable}
    timers = {stored.timer.kind: stored for stored in await repo.timers(case.id)}
    stored = timers.get(command.timer)
    if command.timer not in negotiable:
        names = "、".join(sorted(negotiable)) or "（无）"
        raise RuleViolation(f"期限“{command.timer}”不能由约定改变；本案可约定的期限：{names}")
    if stored is None or stored.timer.state is not sla.TimerState.RUNNING:
        raise RuleViolation(f"期限“{command.timer}”未在计时，不能约定新的日期")
    await repo.update_timer(
        stored.id, sla.reschedule(stored.timer, command.due_on, tenant.calendar, now), rearm=True
    )
    return {"rescheduled": [command.timer]}


REMEDY_TIMER = "remedy"


async def _remedy_timer(
    repo: CaseRepository,
    tenant: LoadedTenant,
    case: Case,
    command: OrderRemedy | ConfirmRemedy,
    now: datetime,
) -> dict[str, list[str]]:
    """An order to put things right runs a `remedy` deadline until the remedy is confirmed."""
    stored = next((t for t in await repo.timers(case.id) if t.timer.kind == REMEDY_TIMER), None)
    open_order = stored is not None and stored.timer.state in (
        sla.TimerState.RUNNING,
        sla.TimerState.BREACHED,
    )
    if isinstance(command, ConfirmRemedy):
        if stored is None or not open_order:
            raise RuleViolation("本案没有待验收的整改要求")
        await repo.update_timer(stored.id, sla.stop(stored.timer, now), rearm=False)
        return {"stopped": [REMEDY_TIMER]}
    if open_order:
        raise RuleViolation("本案已有未验收的整改要求；请先验收，再下达新的整改要求")
    timer = sla.start_timer_until(REMEDY_TIMER, now, command.due_on, tenant.calendar, basis="责令整改")
    if stored is None:
        await repo.add_timer(case.id, "整改期限", timer)
    else:
        await repo.update_timer(stored.id, timer, rearm=True)
    return {"started": [REMEDY_TIMER]}


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
    await repo.update_timer(
        stored.id, sla.extend(stored.timer, command.period, tenant.calendar, cap=cap), rearm=True
    )
    return {"extended": [stored.timer.kind]}


# --- the public portal --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PublicMilestone:
    """One step of a case as its submitter sees it: no staff, no units, no internal notes."""

    label: str
    at: datetime
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PublicStatus:
    """A case as its submitter follows it with the receipt and secret."""

    receipt: str
    kind: str
    state: CaseState
    received_at: datetime
    milestones: tuple[PublicMilestone, ...]
    reply_mode: str
    reply_content: str
    satisfaction: str | None
    can_give_feedback: bool


@dataclass(frozen=True, slots=True)
class PublicReceipt:
    """What a submitter keeps: the receipt number and the secret, shown once."""

    view: CaseView
    receipt: str
    secret: str


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


_NO_SUCH_SECRET = _secret_hash(secrets.token_urlsafe(24))


class PublicPortal:
    """Submitting and following a case without signing in, per tenant."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    async def _tenant_id(self, slug: str) -> int:
        async with platform_tx():
            record = await TenantRepository().find(slug)
        if record is None or not record.active:
            raise TenantNotFound(slug)
        return record.id

    async def submit(
        self, slug: str, draft: IntakeDraft, *, idempotency_key: str | None = None
    ) -> PublicReceipt:
        """Take a case in from the portal and hand back its receipt number and secret."""
        tenant_id = await self._tenant_id(slug)
        view = await self.cases.intake(tenant_id, draft, Actor.from_public(), idempotency_key=idempotency_key)
        secret = secrets.token_urlsafe(24)
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            if view.replayed and await repo.receipt(view.case.serial) is not None:
                # A retried submission gets a fresh secret; the old one stops working.
                await repo.replace_receipt_secret(view.case.serial, _secret_hash(secret))
            else:
                await repo.add_receipt(view.case.id, view.case.serial, _secret_hash(secret))
        return PublicReceipt(view, view.case.serial, secret)

    async def _case_id(self, tenant_id: int, receipt: str, secret: str) -> int:
        async with tenant_tx(tenant_id):
            found = await CaseRepository(tenant_id).receipt(receipt)
        stored = found[1] if found else _NO_SUCH_SECRET
        # Compare in constant time, and compare even when the receipt is unknown.
        if not hmac.compare_digest(stored, _secret_hash(secret)) or found is None:
            raise CaseNotFound(receipt)
        return found[0]

    async def status(self, slug: str, receipt: str, secret: str) -> PublicStatus:
        """Progress and replies of the case behind `receipt`; a wrong secret is "not found"."""
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            case = await repo.get(case_id)
            events = await repo.events(case_id)
        shown = ((shown_as, event) for event in events if (shown_as := on_portal(event.name)))
        milestones = tuple(
            PublicMilestone(
                label=name.portal_label or "",
                at=event.at,
                detail=MappingProxyType({k: event.data[k] for k in name.portal_fields if k in event.data}),
            )
            for name, event in shown
        )
        return PublicStatus(
            receipt=case.serial,
            kind=case.kind.value,
            state=case.state,
            received_at=case.received_at,
            milestones=milestones,
            reply_mode=case.reply_mode,
            reply_content=case.reply_content,
            satisfaction=case.satisfaction.value if case.satisfaction else None,
            can_give_feedback=case.state is CaseState.REPLIED,
        )

    async def attach(
        self,
        slug: str,
        receipt: str,
        secret: str,
        *,
        filename: str,
        content_type: str,
        data: bytes,
        max_bytes: int,
    ) -> StoredAttachment:
        """Add material to one's own case (authorised by the receipt and secret)."""
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        return await self.cases._attach(
            tenant_id, case_id, Actor.from_public(), filename, content_type, data, max_bytes, False
        )

    async def message(self, slug: str, receipt: str, secret: str, text: str) -> PublicStatus:
        """The submitter answers a question or adds an explanation (recorded on the case)."""
        if not text.strip():
            raise InvalidCommand("请填写补充说明", field="text")
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        now = self.cases.clock.now()
        async with tenant_tx(tenant_id):
            repo = CaseRepository(tenant_id)
            case = await repo.get(case_id, for_update=True)
            if not case.state.is_open:
                raise RuleViolation(f"案件已{case.state.label}，不能再补充说明")
            await repo.append_event(
                case_id,
                CaseEvent(
                    name=EventName.COMPLAINANT_MESSAGE,
                    at=now,
                    actor=Actor.from_public().username,
                    from_state=case.state,
                    to_state=case.state,
                    data=MappingProxyType({"text": text.strip()}),
                ),
            )
        return await self.status(slug, receipt, secret)

    async def feedback(self, slug: str, receipt: str, secret: str, command: RecordFeedback) -> PublicStatus:
        """The submitter's satisfaction with the reply (only once the case is replied)."""
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        # The receipt and secret authorise this step, not a role.
        await self.cases._perform(
            tenant_id, case_id, command, Actor.from_public(), expected_version=None, check_role=False
        )
        return await self.status(slug, receipt, secret)
