"""What the browser pages need beyond the API's use cases, kept here so pages hold no rules.

The staff console, the portal and the platform admin pages call `CaseService`, `PublicPortal`,
`DeadlineService`, `StatisticsService`, `DutyService` and the admin services directly; this
module adds the few reads those lack (one page's worth of a case, the intake form's schema and
phrases, a tenant's health for the platform) and the one rule pages need that the API does not
apply yet: staff bound to a handling unit see only their unit's cases.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain.cases import CaseKind, CaseState, Satisfaction
from core.domain.decisions import DocumentTemplate, IntakeSchema, ReplyRequirements, Routing, StandardPhrase
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.events import CaseEvent
from core.domain.lifecycle import Action
from core.domain.phrases import fill_phrase, phrase_values
from core.domain.redaction import redacted_case, redacted_event
from core.domain.roles import Actor, Permission, Role
from core.domain.tenancy import Unit
from core.plugins import PluginRegistry
from core.services.access import may_reveal, scoped_query
from core.services.admin import MIN_PASSWORD, PlatformAdmin
from core.services.auth import authenticate_user
from core.services.cases import CaseService, CaseView
from core.services.confidentiality import IdentityView
from core.services.documents import DocumentService, may_issue
from core.services.passwords import hash_password
from core.services.portal import PublicReceipt, secret_hash
from core.services.tenants import load_tenant
from core.store.attachments import StoredAttachment
from core.store.case_search import CaseQuery, search_cases
from core.store.deadlines import overdue_by_unit
from core.store.directory import TenantDirectory
from core.store.documents import DocumentInfo, DocumentRepository
from core.store.statistics import satisfaction_counts
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantNotFound, TenantRecord, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "CasePage",
    "Console",
    "IntakeForm",
    "RepeatCaller",
    "TenantHealth",
]

REPEAT_WINDOW = timedelta(days=365)
"""How far back the intake page's repeat-caller hint looks ("近期": the last twelve months)."""

REPEAT_SERIALS = 5
"""How many of those cases the hint names (the newest); the count covers them all."""

REPEAT_LIMIT = 200
"""The most cases counted (a number calling more often than this in a year is told as 200)."""


@dataclass(frozen=True, slots=True)
class CasePage:
    """Everything the case page shows, read in one go."""

    view: CaseView
    events: tuple[CaseEvent, ...]
    actions: tuple[Action, ...]
    units: tuple[Unit, ...]
    reply: ReplyRequirements
    phrases: tuple[StandardPhrase, ...]
    identity: IdentityView | None  # None: the actor's roles do not see the complainant at all
    attachments: tuple[StoredAttachment, ...]
    documents: tuple[DocumentInfo, ...]  # number, title and render state; copies via DocumentService
    templates: tuple[DocumentTemplate, ...]  # what the actor may issue on the case (empty: may not)
    handlers: tuple[str, ...]  # usernames that may sign for the case in its unit
    field_labels: dict[str, str]  # the plugin's names for intake fields and identity keys
    schema: IntakeSchema  # the case kind's intake schema: choices by their label
    routing: Routing | None = None  # the plugin's suggested unit, when dispatching is open

    @property
    def category_label(self) -> str:
        """The case's category as people know it (a choice by its label)."""
        return self.schema.label_of(self.view.case.category)

    @property
    def answers(self) -> tuple[tuple[str, str], ...]:
        """The intake answers on the case, (label, answer), a choice printed by its label."""
        specs = {spec.key: spec for spec in self.schema.fields}
        return tuple(
            (specs[key].label, specs[key].text(value)) if key in specs else (key, str(value))
            for key, value in self.view.case.fields.items()
        )


@dataclass(frozen=True, slots=True)
class IntakeForm:
    """What the intake form asks, from the tenant's plugin."""

    kind: CaseKind
    schema: IntakeSchema
    phrases: tuple[StandardPhrase, ...]

    @property
    def fields(self):
        """The plugin's fields for this kind, in the plugin's order."""
        return tuple(spec for spec in self.schema.fields if self.kind in spec.kinds)


@dataclass(frozen=True, slots=True)
class RepeatCaller:
    """Earlier cases of a phone number, as the intake page hints at them: a count and serials only."""

    count: int
    serials: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TenantHealth:
    """A tenant as the platform sees it: counts and instants, never a case's contents."""

    record: TenantRecord
    overdue_cases: int | None  # None when the tenant cannot be read (inactive plugin, …)
    last_received_at: datetime | None
    users: int


class Console:
    """Reads for the browser pages; every write goes through the existing services."""

    def __init__(self, registry: PluginRegistry, cases: CaseService, documents: DocumentService) -> None:
        self.registry = registry
        self.clock = cases.clock
        self.cases = cases
        self.documents = documents

    async def visible_case(self, tenant_id: int, case_id: int, actor: Actor) -> CaseView:
        """The case, if `actor` may see it (`CaseService.get` applies `sees_case`).

        Raises:
            CaseNotFound: no such case, or another unit's.
        """
        return await self.cases.get(tenant_id, case_id, actor)

    async def search(
        self, tenant_id: int, query: CaseQuery, actor: Actor
    ) -> tuple[list[CaseView], str | None]:
        """`CaseService.search`, narrowed to what `actor` may see, free text as they may read it."""
        views, cursor = await self.cases.search(tenant_id, scoped_query(actor, query), actor)
        redactors = await self.cases.identities.redactors(tenant_id, [view.case for view in views], actor)
        return [
            dataclasses.replace(view, case=redacted_case(view.case, redactors[view.case.id]))
            for view in views
        ], cursor

    async def case_page(self, tenant_id: int, case_id: int, actor: Actor) -> CasePage:
        """The case, its timeline, the actions the actor may take now and what their forms need.

        Raises:
            CaseNotFound: no such case, or another unit's.
        """
        view = await self.visible_case(tenant_id, case_id, actor)
        actions = await self.cases.allowed_actions(tenant_id, case_id, actor)
        events = await self.cases.events(tenant_id, case_id, actor)
        # What people typed reaches the page through the reader's redaction rule.
        redact = (await self.cases.identities.redactors(tenant_id, [view.case], actor))[case_id]
        view = dataclasses.replace(view, case=redacted_case(view.case, redact))
        events = [redacted_event(event, redact) for event in events]
        sees_materials = actor.can(Permission.CASE_MATERIALS)
        identity = await self.cases.identities.masked(tenant_id, case_id, actor) if sees_materials else None
        attachments = await self.cases.attachments(tenant_id, case_id, actor) if sees_materials else []
        case = view.case
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            documents = await DocumentRepository(tenant_id).of_case(case_id)
            users = await TenantDirectory(tenant_id).users()
            templates = (
                await self.documents.templates(tenant_id, case_id, actor) if may_issue(actor, case) else []
            )
        handlers = tuple(
            user.username
            for user in users
            if user.active
            and (Role.HANDLER in user.roles or Role.UNIT_HEAD in user.roles)
            and (case.unit_code is None or user.unit_code == case.unit_code)
        )
        return CasePage(
            view=view,
            events=tuple(events),
            actions=actions,
            units=tenant.ctx.units,
            reply=tenant.hooks.reply_requirements(case),
            phrases=tuple(
                fill_phrase(p, phrase_values(case, events, tenant.ctx.units))
                for p in tenant.hooks.register_phrases()
            ),
            identity=identity,
            attachments=tuple(attachments),
            documents=tuple(documents),
            templates=tuple(templates),
            handlers=handlers,
            field_labels={spec.key: spec.label for spec in tenant.hooks.intake_schema(case.kind).fields},
            schema=tenant.hooks.intake_schema(case.kind),
            routing=tenant.hooks.case_routing(case) if Action.DISPATCH in actions else None,
        )

    async def intake_form(self, tenant_id: int, actor: Actor, kind: CaseKind) -> IntakeForm:
        """The plugin's intake schema for `kind`, and its standard phrases."""
        if not actor.can(Permission.CASE_INTAKE):
            raise NotPermitted("您的角色无权受理登记案件")
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
        phrases = tuple(fill_phrase(p, {}) for p in tenant.hooks.register_phrases())  # no case yet
        return IntakeForm(kind, tenant.hooks.intake_schema(kind), phrases)

    async def repeat_caller(self, tenant_id: int, actor: Actor, phone: str) -> RepeatCaller:
        """The tenant's recent cases with this phone number (by blind index), for the intake page.

        Only for those taking cases in who may read identities (``case:intake`` and
        ``identity:reveal``); a case whose plugin narrows identity access away from the actor
        (`may_reveal`) is neither counted nor named. Nothing else about the cases is told.

        Raises:
            NotPermitted: the actor may not take cases in or read identities.
        """
        if not (actor.can(Permission.CASE_INTAKE) and actor.can(Permission.IDENTITY_REVEAL)):
            raise NotPermitted("您的角色无权查询来电号码的既往案件")
        if len(re.sub(r"\D", "", phone)) < 7:  # still being typed
            return RepeatCaller(0, ())
        since = self.clock.now() - REPEAT_WINDOW
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            stored = await repo.keys.current()
            if stored is None:  # no identity was ever sealed in this tenant
                return RepeatCaller(0, ())
            _, wrapped, nonce, master_key_id = stored
            vault = self.cases.vault
            index = vault.blind_index(vault.unwrap(wrapped, nonce, master_key_id), "phone", phone)
            found = await repo.identities.cases_with_phone(index, since=since, limit=REPEAT_LIMIT)
            tenant = await load_tenant(tenant_id, self.registry)
        shown = [
            case.serial for case in found if may_reveal(actor, tenant.hooks.identity_access(case, actor))
        ]
        return RepeatCaller(len(shown), tuple(shown[:REPEAT_SERIALS]))

    async def satisfaction(
        self, tenant_id: int, actor: Actor, start: datetime, end: datetime
    ) -> dict[str, int]:
        """Satisfaction of the cases received in ``[start, end)`` that have a verdict, by verdict.

        Counted in the database in one query (the dashboard's; bench/pages.md), over the cases
        `actor` may see.

        Raises:
            NotPermitted: the actor may not read cases.
        """
        if not actor.can(Permission.CASE_READ):
            raise NotPermitted("您的角色无权查看案件")
        scope = scoped_query(actor, CaseQuery())
        async with tenant_tx(tenant_id):
            found = await satisfaction_counts(
                tenant_id,
                start,
                end,
                states=[CaseState.FEEDBACK.value, CaseState.CLOSED.value, CaseState.ARCHIVED.value],
                unit_code=scope.unit_code,
                handler=scope.handler,
            )
        return {value.value: found.get(value.value, 0) for value in Satisfaction}

    async def change_password(self, slug: str, username: str, current: str, new: str) -> None:
        """A user changes their own password, proving the current one (failures count to lock-out).

        Raises:
            AuthenticationFailed, AccountLocked: the current password is wrong.
            InvalidCommand: the new password is too short.
        """
        if len(new) < MIN_PASSWORD:
            raise InvalidCommand(f"新密码至少 {MIN_PASSWORD} 个字符", field="new_password")
        principal = await authenticate_user(slug, username, current, now=self.clock.now())
        password_hash = hash_password(new)
        async with tenant_tx(principal.tenant_id):
            await TenantDirectory(principal.tenant_id).set_password_hash(username, password_hash)

    async def tenant_health(self) -> list[TenantHealth]:
        """Every tenant with its overdue count, last intake and number of users (no case contents)."""
        now = self.clock.now()
        async with platform_tx():
            records = await TenantRepository().all()
        health = []
        for record in records:
            async with tenant_tx(record.id):
                overdue = sum(count for _, count in await overdue_by_unit(record.id, now))
                latest = await search_cases(record.id, CaseQuery(limit=1))
                users = len(await TenantDirectory(record.id).users())
            last = latest.cases[0].received_at if latest.cases else None
            health.append(TenantHealth(record, overdue, last, users))
        return health

    async def tenant(self, tenant_id: int) -> TenantRecord:
        """The tenant's record (name, time zone) for page headers."""
        async with platform_tx():
            return await TenantRepository().get(tenant_id)

    async def public_tenant(self, slug: str) -> TenantRecord:
        """An active tenant by slug, for the portal; any other is "not found".

        Raises:
            TenantNotFound: unknown, suspended or inactive.
        """
        async with platform_tx():
            record = await TenantRepository().find(slug)
        if record is None or not record.active:
            raise TenantNotFound(slug)
        return record

    async def public_intake_form(self, slug: str, kind: CaseKind) -> IntakeForm:
        """The intake form the portal shows for `kind` (the same schema staff fill in)."""
        record = await self.public_tenant(slug)
        return await self.intake_form(record.id, Actor.from_public(), kind)

    async def onboard(
        self, admin: PlatformAdmin, data: dict, *, username: str, display_name: str, password: str
    ) -> TenantRecord:
        """Onboard an organisation (the API's structure and checks) with its first admin, who can sign in.

        Raises:
            InvalidCommand, TenantConfigError, UnknownPlugin: as `PlatformAdmin.onboard`, or a
                password that is too short.
        """
        if len(password) < MIN_PASSWORD:
            raise InvalidCommand(f"管理员密码至少 {MIN_PASSWORD} 个字符", field="admin_password")
        user = {"username": username, "display_name": display_name or username, "roles": ["tenant_admin"]}
        record = await admin.onboard({**data, "users": [user]})
        password_hash = hash_password(password)
        async with tenant_tx(record.id):
            await TenantDirectory(record.id).set_password_hash(username, password_hash)
        return record

    async def issue_receipt(self, tenant_id: int, view: CaseView, actor: Actor) -> PublicReceipt:
        """A portal receipt for a case staff took in (phone, visit), so the person can follow it online.

        The secret is returned once and stored as its digest, as for portal submissions.

        Raises:
            NotPermitted: the actor may not take cases in.
        """
        if not actor.can(Permission.CASE_INTAKE):
            raise NotPermitted("您的角色无权受理登记案件")
        secret = secrets.token_urlsafe(24)
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            await repo.cases.get(view.case.id)
            if await repo.receipts.find(view.case.serial) is None:
                await repo.receipts.add(view.case.id, view.case.serial, secret_hash(secret))
            else:
                await repo.receipts.replace_secret(view.case.serial, secret_hash(secret))
        return PublicReceipt(view, view.case.serial, secret)
