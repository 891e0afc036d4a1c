"""Tenant-scoped repositories: piccolo rows in, domain values out.

Every method runs inside the caller's `tenant_tx` (or `platform_tx`) and every query keeps an
explicit ``WHERE tenant_id`` — for the index, and for SQLite, which has no RLS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.query import Max
from piccolo.table import Table
from piccolo.utils.encoding import dump_json

from core.domain.audit import chain_record, event_hash
from core.domain.calendar import Period, YearSchedule
from core.domain.cases import (
    Case,
    CaseKind,
    CaseState,
    Channel,
    Complexity,
    Satisfaction,
    Severity,
    SeverityFlag,
)
from core.domain.decisions import AccountabilityKind, Sanction, SanctionKind
from core.domain.errors import DomainError
from core.domain.events import CaseEvent as CaseEventValue
from core.domain.ledger import AppealDecision, EntryType, Instalment
from core.domain.ledger import LedgerEntry as LedgerJournalEntry
from core.domain.lifecycle import Action
from core.domain.roles import Role
from core.domain.sla import Timer, TimerState
from core.domain.tenancy import Unit as UnitValue
from core.store.engine import is_postgres
from core.store.tables import (
    AppUser,
    Attachment,
    CaseEvent,
    CaseReceipt,
    CaseRow,
    CaseSerial,
    ComplainantIdentity,
    Document,
    EventChain,
    HolidaySchedule,
    IdempotencyKey,
    IdentityReveal,
    LedgerEntry,
    PlatformAdmin,
    SlaTimer,
    Tenant,
    TenantKey,
    Unit,
)
from core.store.tx import current_tenant

__all__ = [
    "CaseNotFound",
    "CaseRepository",
    "HolidayRepository",
    "NewDocument",
    "PlatformAdminRecord",
    "PlatformAdminRepository",
    "SealedIdentity",
    "StaleCase",
    "StoredAttachment",
    "StoredDocument",
    "StoredTimer",
    "TenantDirectory",
    "TenantNotFound",
    "TenantRecord",
    "TenantRepository",
    "TimersForFiring",
    "UserRecord",
]


class CaseNotFound(DomainError):
    """No such case in this tenant (another tenant's case is "not found" too)."""

    code = "not_found"

    def __init__(self, ref: object) -> None:
        super().__init__(f"案件 {ref} 不存在 (case not found)")


class StaleCase(DomainError):
    """The case changed since the caller read it (optimistic locking)."""

    code = "conflict"

    def __init__(self, serial: str, expected: int, actual: int) -> None:
        super().__init__(f"案件 {serial} 已被他人更新（版本 {actual}，您看到的是 {expected}），请刷新后重试")


class TenantNotFound(DomainError):
    """No tenant with that slug or id."""

    code = "not_found"

    def __init__(self, ref: object) -> None:
        super().__init__(f"租户 {ref} 不存在 (tenant not found)")


def _json(value: Any) -> Any:
    # piccolo hands JSONB back as text unless asked (STACK.md trap 9); SQLite always as text.
    import json

    return json.loads(value) if isinstance(value, str) else value


async def insert_rows(
    table: type[Table],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "",
    returning: str = "id",
) -> list[Any]:
    """Insert `rows` in one statement; returns each inserted row's `returning` value, in order.

    Raw SQL, because building many piccolo rows costs more than the database's work (the timer
    jobs' batches, bench/plans/profile_fire.txt). JSON values must be passed encoded. On
    PostgreSQL the rows travel as one array per column (``unnest``), so the statement's text is
    the same whatever the number of rows and each connection prepares and caches it once.
    """
    if not rows:
        return []
    head = f"INSERT INTO {table._meta.tablename} ({', '.join(columns)}) "
    tail = f" {on_conflict} RETURNING {returning}"
    if is_postgres():
        types = [table._meta.get_column_by_name(column).column_type for column in columns]
        arrays = ", ".join(f"{{}}::{column_type}[]" for column_type in types)
        columns_of_rows = (list(values) for values in zip(*rows, strict=True))
        inserted = await table.raw(f"{head}SELECT * FROM unnest({arrays}){tail}", *columns_of_rows)
    else:
        row = f"({', '.join('{}' for _ in columns)})"
        inserted = await table.raw(
            f"{head}VALUES {', '.join(row for _ in rows)}{tail}",
            *(value for values in rows for value in values),
        )
    return [r[returning] for r in inserted]


def chained_record(
    tenant_id: int, case_id: int, seq: int, event: CaseEventValue
) -> tuple[dict[str, Any], datetime]:
    """The record `event` is hashed as on the chain, and its instant in UTC (as stored)."""
    at = (event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)).astimezone(UTC)
    record = chain_record(
        tenant_id=tenant_id,
        case_id=case_id,
        seq=seq,
        name=event.name,
        action=event.action,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        actor=event.actor,
        at=at,
        data=event.data,
    )
    return record, at


def ids_in(column: Column, ids: Sequence[int]) -> Combinable:
    """``column IN ids``; on PostgreSQL ``= ANY(array)``, one statement text for any count."""
    if is_postgres():
        name = f'"{column._meta.table._meta.tablename}"."{column._meta.db_column_name}"'
        return WhereRaw(f"{name} = ANY({{}})", list(ids))
    return column.is_in(list(ids))


_EVENT_COLUMNS = (
    "tenant_id",
    "case_id",
    "seq",
    "name",
    "action",
    "from_state",
    "to_state",
    "actor",
    "at",
    "data",
    "prev_hash",
    "hash",
)


_LEDGER_COLUMNS = (
    "tenant_id",
    "entry_type",
    "case_id",
    "subject",
    "unit_code",
    "event_kind",
    "event_ref",
    "sanction_kind",
    "points",
    "amount",
    "basis",
    "note",
    "appealable",
    "refers_to",
    "evidence",
    "reason",
    "decision",
    "due_at",
    "schedule",
    "created_by",
    "at",
)


def _in_tenant(tenant_id: int) -> None:
    if current_tenant() != tenant_id:
        raise RuntimeError(f"repository for tenant {tenant_id} used outside tenant_tx({tenant_id})")


# --- tenants (platform scope) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """A tenant as stored."""

    id: int
    slug: str
    name: str
    plugin: str
    timezone: str
    serial_prefix: str
    status: str
    status_reason: str
    settings: Mapping[str, Any]
    calendar: Mapping[str, Any]
    revision: int

    @property
    def active(self) -> bool:
        """True when the tenant may sign in and take cases."""
        return self.status == "active"


def _tenant(row: dict[str, Any]) -> TenantRecord:
    return TenantRecord(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        plugin=row["plugin"],
        timezone=row["timezone"],
        serial_prefix=row["serial_prefix"],
        status=row["status"],
        status_reason=row["status_reason"],
        settings=MappingProxyType(_json(row["settings"]) or {}),
        calendar=MappingProxyType(_json(row["calendar"]) or {}),
        revision=row["revision"],
    )


class TenantRepository:
    """The tenant list. Platform scope: no tenant filter, no RLS on this table."""

    async def get(self, tenant_id: int) -> TenantRecord:
        row = await Tenant.select().where(Tenant.id == tenant_id).first()
        if row is None:
            raise TenantNotFound(tenant_id)
        return _tenant(row)

    async def by_slug(self, slug: str) -> TenantRecord:
        row = await Tenant.select().where(Tenant.slug == slug).first()
        if row is None:
            raise TenantNotFound(slug)
        return _tenant(row)

    async def find_by_id(self, tenant_id: int) -> TenantRecord | None:
        row = await Tenant.select().where(Tenant.id == tenant_id).first()
        return _tenant(row) if row else None

    async def find(self, slug: str) -> TenantRecord | None:
        row = await Tenant.select().where(Tenant.slug == slug).first()
        return _tenant(row) if row else None

    async def all(self) -> list[TenantRecord]:
        return [_tenant(row) for row in await Tenant.select().order_by(Tenant.slug)]

    async def add(
        self,
        *,
        slug: str,
        name: str,
        plugin: str,
        timezone: str,
        serial_prefix: str,
        status: str,
        status_reason: str,
        settings: Mapping[str, Any],
        calendar: Mapping[str, Any],
    ) -> TenantRecord:
        row = Tenant(
            slug=slug,
            name=name,
            plugin=plugin,
            timezone=timezone,
            serial_prefix=serial_prefix,
            status=status,
            status_reason=status_reason,
            settings=dict(settings),
            calendar=dict(calendar),
        )
        await row.save()
        return await self.get(row.id)

    async def update_settings(self, tenant_id: int, settings: Mapping[str, Any]) -> None:
        await Tenant.update({Tenant.settings: dict(settings), Tenant.revision: Tenant.revision + 1}).where(
            Tenant.id == tenant_id
        )

    async def set_status(self, tenant_id: int, status: str, reason: str) -> None:
        await Tenant.update(
            {Tenant.status: status, Tenant.status_reason: reason, Tenant.revision: Tenant.revision + 1}
        ).where(Tenant.id == tenant_id)


# --- units and users (tenant scope) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A tenant user as stored (the password hash never leaves the store's callers' hands)."""

    id: int
    tenant_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    unit_code: str | None
    active: bool
    password_hash: str
    failed_logins: int = 0
    locked_until: datetime | None = None
    email: str | None = None


def _user(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=frozenset(Role(value) for value in _json(row["roles"])),
        unit_code=row["unit_code"],
        active=row["active"],
        password_hash=row["password_hash"],
        failed_logins=row["failed_logins"],
        locked_until=row["locked_until"],
        email=row["email"],
    )


class TenantDirectory:
    """A tenant's units and users."""

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id

    async def units(self) -> tuple[UnitValue, ...]:
        _in_tenant(self.tenant_id)
        rows = await Unit.select().where(Unit.tenant_id == self.tenant_id).order_by(Unit.code)
        return tuple(UnitValue(code=r["code"], name=r["name"], parent=r["parent_code"]) for r in rows)

    async def add_unit(self, unit: UnitValue) -> None:
        _in_tenant(self.tenant_id)
        await Unit(tenant_id=self.tenant_id, code=unit.code, name=unit.name, parent_code=unit.parent).save()

    async def add_user(
        self,
        *,
        username: str,
        display_name: str,
        roles: Sequence[Role],
        unit_code: str | None,
        password_hash: str,
    ) -> None:
        _in_tenant(self.tenant_id)
        await AppUser(
            tenant_id=self.tenant_id,
            username=username,
            display_name=display_name,
            roles=[role.value for role in roles],
            unit_code=unit_code,
            password_hash=password_hash,
        ).save()

    async def user(self, username: str) -> UserRecord | None:
        _in_tenant(self.tenant_id)
        row = (
            await AppUser.select()
            .where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))
            .first()
        )
        return _user(row) if row else None

    async def users(self) -> list[UserRecord]:
        _in_tenant(self.tenant_id)
        rows = await AppUser.select().where(AppUser.tenant_id == self.tenant_id).order_by(AppUser.username)
        return [_user(row) for row in rows]

    async def update_user(self, username: str, values: Mapping[str, Any]) -> bool:
        """Change a user's `display_name`, `roles`, `unit_code` or `active`; False if no such user."""
        _in_tenant(self.tenant_id)
        columns = {getattr(AppUser, key): value for key, value in values.items()}
        if "roles" in values:
            columns[AppUser.roles] = sorted(role.value for role in values["roles"])
        rows = (
            await AppUser.update(columns)
            .where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))
            .returning(AppUser.id)
        )
        return bool(rows)

    async def record_login(self, username: str, *, failed_logins: int, locked_until: datetime | None) -> None:
        """Store the outcome of a sign-in attempt (the lock-out counter)."""
        _in_tenant(self.tenant_id)
        await AppUser.update(
            {AppUser.failed_logins: failed_logins, AppUser.locked_until: locked_until}
        ).where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))

    async def update_unit(self, code: str, *, name: str, parent: str | None) -> bool:
        _in_tenant(self.tenant_id)
        rows = (
            await Unit.update({Unit.name: name, Unit.parent_code: parent})
            .where((Unit.tenant_id == self.tenant_id) & (Unit.code == code))
            .returning(Unit.id)
        )
        return bool(rows)

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        _in_tenant(self.tenant_id)
        rows = (
            await AppUser.update({AppUser.password_hash: password_hash})
            .where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))
            .returning(AppUser.id)
        )
        return bool(rows)


# --- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredTimer:
    """A timer row: the domain timer plus where it belongs."""

    id: int
    case_id: int
    label: str
    timer: Timer


@dataclass(frozen=True, slots=True)
class TimersForFiring:
    """Timers locked for firing, by id, with when each phase fired; and their cases, by id."""

    timers: dict[int, tuple[StoredTimer, datetime | None, datetime | None]]
    cases: dict[int, Case]


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A document to store on a case (numbered already)."""

    case_id: int | None
    kind: str
    number: str
    title: str
    body: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document stored on a case."""

    id: int
    case_id: int | None
    kind: str
    number: str
    title: str
    body: str
    created_by: str


@dataclass(frozen=True, slots=True)
class SealedIdentity:
    """A complainant identity as stored: AES-GCM ciphertext and nonce, and its blind indexes."""

    ciphertext: bytes
    nonce: bytes
    key_version: int
    phone_index: str | None
    id_number_index: str | None


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """An attachment's description (its bytes are read separately)."""

    id: int
    case_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    added_by: str


def _journal_entry(r: dict[str, Any]) -> LedgerJournalEntry:
    entry_type = EntryType(r["entry_type"])
    sanction = None
    if entry_type is EntryType.LINE:
        sanction = Sanction(
            kind=SanctionKind(r["sanction_kind"]),
            basis=r["basis"],
            points=r["points"],
            amount=Decimal(r["amount"]).quantize(Decimal("0.01")),
            appealable=r["appealable"],
            note=r["note"],
        )
    return LedgerJournalEntry(
        id=r["id"],
        type=entry_type,
        subject=r["subject"],
        at=r["at"],
        by=r["created_by"],
        unit_code=r["unit_code"],
        case_id=r["case_id"],
        event_kind=AccountabilityKind(r["event_kind"]) if r["event_kind"] else None,
        event_ref=r["event_ref"],
        sanction=sanction,
        refers_to=r["refers_to"],
        evidence=r["evidence"],
        reason=r["reason"],
        decision=AppealDecision(r["decision"]) if r["decision"] else None,
        due_at=r["due_at"],
        schedule=tuple(
            Instalment(due_on=date.fromisoformat(i["due_on"]), amount=Decimal(i["amount"]))
            for i in _json(r["schedule"])
        ),
    )


def _case(row: dict[str, Any]) -> Case:
    return Case(
        id=row["id"],
        tenant_id=row["tenant_id"],
        serial=row["serial"],
        kind=CaseKind(row["kind"]),
        channel=Channel(row["channel"]),
        state=CaseState(row["state"]),
        title=row["title"],
        content=row["content"],
        received_at=row["received_at"],
        severity=Severity(row["severity"]),
        flags=frozenset(SeverityFlag(flag) for flag in _json(row["flags"])),
        complexity=Complexity(row["complexity"]),
        category=row["category"],
        anonymous=row["anonymous"],
        unit_code=row["unit_code"],
        handler=row["handler"],
        cause=row["cause"],
        opinion=row["opinion"],
        reply_mode=row["reply_mode"],
        reply_content=row["reply_content"],
        satisfaction=Satisfaction(row["satisfaction"]) if row["satisfaction"] else None,
        approvals=tuple(_json(row["approvals"])),
        extensions=row["extensions"],
        investigations=row["investigations"],
        verified=bool(row["verified"]),
        owner=row["owner"],
        priority=row["priority"],
        version=row["version"],
        fields=_json(row["fields"]),
    )


def _case_columns(case: Case) -> dict[Any, Any]:
    return {
        CaseRow.state: case.state.value,
        CaseRow.title: case.title,
        CaseRow.content: case.content,
        CaseRow.severity: case.severity.value,
        CaseRow.flags: sorted(flag.value for flag in case.flags),
        CaseRow.complexity: case.complexity.value,
        CaseRow.category: case.category,
        CaseRow.unit_code: case.unit_code,
        CaseRow.handler: case.handler,
        CaseRow.cause: case.cause,
        CaseRow.opinion: case.opinion,
        CaseRow.reply_mode: case.reply_mode,
        CaseRow.reply_content: case.reply_content,
        CaseRow.satisfaction: case.satisfaction.value if case.satisfaction else None,
        CaseRow.approvals: list(case.approvals),
        CaseRow.extensions: case.extensions,
        CaseRow.investigations: case.investigations,
        CaseRow.verified: case.verified,
        CaseRow.owner: case.owner,
        CaseRow.priority: case.priority,
        CaseRow.version: case.version,
        CaseRow.fields: dict(case.fields),
    }


def _timer(row: dict[str, Any]) -> StoredTimer:
    return StoredTimer(
        id=row["id"],
        case_id=row["case_id"],
        label=row["label"],
        timer=Timer(
            kind=row["kind"],
            started_at=row["started_at"],
            due_at=row["due_at"],
            warn_at=row["warn_at"],
            state=TimerState(row["state"]),
            basis=row["basis"],
            provisional=row["provisional"],
            period=Period.parse(row["period"]),
            paused_at=row["paused_at"],
            paused_seconds=row["paused_seconds"],
            extended=row["extended"],
            stopped_at=row["stopped_at"],
        ),
    )


def _timer_columns(timer: Timer) -> dict[Any, Any]:
    return {
        SlaTimer.state: timer.state.value,
        SlaTimer.basis: timer.basis,
        SlaTimer.period: str(timer.period),
        SlaTimer.started_at: timer.started_at,
        SlaTimer.due_at: timer.due_at,
        SlaTimer.warn_at: timer.warn_at,
        SlaTimer.paused_at: timer.paused_at,
        SlaTimer.paused_seconds: timer.paused_seconds,
        SlaTimer.extended: timer.extended,
        SlaTimer.provisional: timer.provisional,
        SlaTimer.stopped_at: timer.stopped_at,
    }


class CaseRepository:
    """A tenant's cases with their identities, events, timers, documents and ledger."""

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id

    # serial numbers
    async def next_serial_number(self, year: int) -> int:
        """The next number of `year`, gap-free: the counter row is locked until the transaction ends."""
        _in_tenant(self.tenant_id)
        rows = await CaseSerial.raw(
            "INSERT INTO case_serial (tenant_id, year, last) VALUES ({}, {}, 1) "
            "ON CONFLICT (tenant_id, year) DO UPDATE SET last = case_serial.last + 1 RETURNING last",
            self.tenant_id,
            year,
        )
        return rows[0]["last"]

    # cases
    async def add(self, case: Case, *, year: int) -> Case:
        _in_tenant(self.tenant_id)
        row = CaseRow(
            tenant_id=self.tenant_id,
            serial=case.serial,
            year=year,
            kind=case.kind.value,
            channel=case.channel.value,
            received_at=case.received_at,
            anonymous=case.anonymous,
        )
        for column, value in _case_columns(case).items():
            setattr(row, column._meta.name, value)
        await row.save()
        return await self.get(row.id)

    def _select(self):
        return CaseRow.select().where(CaseRow.tenant_id == self.tenant_id)

    async def get(self, case_id: int, *, for_update: bool = False) -> Case:
        _in_tenant(self.tenant_id)
        query = self._select().where(CaseRow.id == case_id)
        if for_update and is_postgres():
            query = query.lock_rows("UPDATE")
        row = await query.first()
        if row is None:
            raise CaseNotFound(case_id)
        return _case(row)

    async def list(self, *, state: CaseState | None = None, limit: int = 50) -> list[Case]:
        _in_tenant(self.tenant_id)
        query = self._select().order_by(CaseRow.id, ascending=False).limit(limit)
        if state is not None:
            query = query.where(CaseRow.state == state.value)
        return [_case(row) for row in await query]

    async def save(self, case: Case, *, expected_version: int, now: datetime) -> None:
        """Write `case` if nobody changed it since `expected_version` was read.

        Raises:
            StaleCase: another transaction got there first.
        """
        _in_tenant(self.tenant_id)
        columns = _case_columns(case) | {CaseRow.updated_at: now}
        rows = (
            await CaseRow.update(columns)
            .where(
                (CaseRow.tenant_id == self.tenant_id)
                & (CaseRow.id == case.id)
                & (CaseRow.version == expected_version)
            )
            .returning(CaseRow.id)
        )
        if not rows:
            current = await self.get(case.id)
            raise StaleCase(case.serial, expected_version, current.version)

    # idempotency keys and public receipts
    async def claim_idempotency_key(self, key: str, fingerprint: str) -> tuple[bool, str, int | None]:
        """Claim `key` for this intake, or find who holds it.

        Returns ``(claimed, fingerprint, case_id)``: claimed is True when this transaction took
        the key; otherwise the stored fingerprint and case tell the caller what to replay. On
        PostgreSQL a concurrent holder makes this wait until it commits or rolls back.
        """
        _in_tenant(self.tenant_id)
        rows = await IdempotencyKey.raw(
            "INSERT INTO idempotency_key (tenant_id, key, fingerprint, case_id, created_at) "
            "VALUES ({}, {}, {}, NULL, CURRENT_TIMESTAMP) "
            "ON CONFLICT (tenant_id, key) DO NOTHING RETURNING id",
            self.tenant_id,
            key,
            fingerprint,
        )
        if rows:
            return True, fingerprint, None
        row = (
            await IdempotencyKey.select(IdempotencyKey.fingerprint, IdempotencyKey.case_id)
            .where((IdempotencyKey.tenant_id == self.tenant_id) & (IdempotencyKey.key == key))
            .first()
        )
        return False, row["fingerprint"], row["case_id"]

    async def bind_idempotency_key(self, key: str, case_id: int) -> None:
        _in_tenant(self.tenant_id)
        await IdempotencyKey.update({IdempotencyKey.case_id: case_id}).where(
            (IdempotencyKey.tenant_id == self.tenant_id) & (IdempotencyKey.key == key)
        )

    async def add_receipt(self, case_id: int, receipt: str, secret_hash: str) -> None:
        _in_tenant(self.tenant_id)
        await CaseReceipt(
            tenant_id=self.tenant_id, case_id=case_id, receipt=receipt, secret_hash=secret_hash
        ).save()

    async def replace_receipt_secret(self, receipt: str, secret_hash: str) -> None:
        _in_tenant(self.tenant_id)
        await CaseReceipt.update({CaseReceipt.secret_hash: secret_hash}).where(
            (CaseReceipt.tenant_id == self.tenant_id) & (CaseReceipt.receipt == receipt)
        )

    async def receipt(self, receipt: str) -> tuple[int, str] | None:
        """The case id and secret hash behind a receipt number, or None."""
        _in_tenant(self.tenant_id)
        row = (
            await CaseReceipt.select(CaseReceipt.case_id, CaseReceipt.secret_hash)
            .where((CaseReceipt.tenant_id == self.tenant_id) & (CaseReceipt.receipt == receipt))
            .first()
        )
        return (row["case_id"], row["secret_hash"]) if row else None

    # attachments
    async def add_attachment(
        self, case_id: int, *, filename: str, content_type: str, data: bytes, sha256: str, added_by: str
    ) -> StoredAttachment:
        _in_tenant(self.tenant_id)
        row = Attachment(
            tenant_id=self.tenant_id,
            case_id=case_id,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=sha256,
            data=data,
            added_by=added_by,
        )
        await row.save()
        return StoredAttachment(row.id, case_id, filename, content_type, len(data), sha256, added_by)

    async def attachments(self, case_id: int) -> list[StoredAttachment]:
        """The case's attachments without their bytes."""
        _in_tenant(self.tenant_id)
        rows = (
            await Attachment.select(
                Attachment.id,
                Attachment.case_id,
                Attachment.filename,
                Attachment.content_type,
                Attachment.size,
                Attachment.sha256,
                Attachment.added_by,
            )
            .where((Attachment.tenant_id == self.tenant_id) & (Attachment.case_id == case_id))
            .order_by(Attachment.id)
        )
        return [StoredAttachment(**row) for row in rows]

    async def attachment_data(
        self, case_id: int, attachment_id: int
    ) -> tuple[StoredAttachment, bytes] | None:
        _in_tenant(self.tenant_id)
        row = (
            await Attachment.select()
            .where(
                (Attachment.tenant_id == self.tenant_id)
                & (Attachment.case_id == case_id)
                & (Attachment.id == attachment_id)
            )
            .first()
        )
        if row is None:
            return None
        data = bytes(row.pop("data"))
        row.pop("tenant_id")
        row.pop("created_at")
        return StoredAttachment(**row), data

    # identities
    async def add_identity(self, case_id: int, sealed: SealedIdentity) -> None:
        _in_tenant(self.tenant_id)
        await ComplainantIdentity(
            tenant_id=self.tenant_id,
            case_id=case_id,
            ciphertext=sealed.ciphertext,
            nonce=sealed.nonce,
            key_version=sealed.key_version,
            phone_index=sealed.phone_index,
            id_number_index=sealed.id_number_index,
        ).save()

    async def identity(self, case_id: int) -> SealedIdentity | None:
        """The sealed identity of a case (None for anonymous cases)."""
        _in_tenant(self.tenant_id)
        row = (
            await ComplainantIdentity.select()
            .where(
                (ComplainantIdentity.tenant_id == self.tenant_id) & (ComplainantIdentity.case_id == case_id)
            )
            .first()
        )
        if row is None:
            return None
        return SealedIdentity(
            ciphertext=bytes(row["ciphertext"]),
            nonce=bytes(row["nonce"]),
            key_version=row["key_version"],
            phone_index=row["phone_index"],
            id_number_index=row["id_number_index"],
        )

    async def cases_sharing_identity(self, case_id: int, sealed: SealedIdentity) -> list[str]:
        """Serials of the tenant's other cases with the same phone or ID number (by blind index)."""
        _in_tenant(self.tenant_id)
        match = None
        if sealed.phone_index:
            match = ComplainantIdentity.phone_index == sealed.phone_index
        if sealed.id_number_index:
            by_id = ComplainantIdentity.id_number_index == sealed.id_number_index
            match = by_id if match is None else (match | by_id)
        if match is None:
            return []
        rows = await ComplainantIdentity.select(ComplainantIdentity.case_id).where(
            (ComplainantIdentity.tenant_id == self.tenant_id)
            & (ComplainantIdentity.case_id != case_id)
            & match
        )
        ids = sorted({row["case_id"] for row in rows})
        if not ids:
            return []
        serials = (
            await CaseRow.select(CaseRow.serial)
            .where((CaseRow.tenant_id == self.tenant_id) & CaseRow.id.is_in(ids))
            .order_by(CaseRow.id)
        )
        return [row["serial"] for row in serials]

    async def cases_with_phone(self, phone_index: str, *, since: datetime, limit: int) -> list[Case]:
        """The tenant's cases received since `since` with this phone's blind index, newest first."""
        _in_tenant(self.tenant_id)
        ids = [
            row["case_id"]
            for row in await ComplainantIdentity.select(ComplainantIdentity.case_id).where(
                (ComplainantIdentity.tenant_id == self.tenant_id)
                & (ComplainantIdentity.phone_index == phone_index)
            )
        ]
        if not ids:
            return []
        rows = (
            await self._select()
            .where(CaseRow.id.is_in(ids) & (CaseRow.received_at >= since))
            # Two calls logged in the same instant keep their intake order: newest first.
            .order_by(CaseRow.received_at, CaseRow.id, ascending=False)
            .limit(limit)
        )
        return [_case(row) for row in rows]

    async def delete_identity(self, case_id: int) -> None:
        _in_tenant(self.tenant_id)
        await ComplainantIdentity.delete().where(
            (ComplainantIdentity.tenant_id == self.tenant_id) & (ComplainantIdentity.case_id == case_id)
        )

    async def archived_with_identity(self) -> list[tuple[int, datetime]]:
        """(case id, when archived) of archived cases that still hold an identity."""
        _in_tenant(self.tenant_id)
        with_identity = ComplainantIdentity.select(ComplainantIdentity.case_id).where(
            ComplainantIdentity.tenant_id == self.tenant_id
        )
        ids = {row["case_id"] for row in await with_identity}
        if not ids:
            return []
        rows = (
            await CaseEvent.select(CaseEvent.case_id, CaseEvent.at)
            .where(
                (CaseEvent.tenant_id == self.tenant_id)
                & (CaseEvent.name == Action.ARCHIVE.event_name)
                & CaseEvent.case_id.is_in(sorted(ids))
            )
            .order_by(CaseEvent.id)
        )
        archived = {row["case_id"]: row["at"] for row in rows}  # the latest archiving counts
        return sorted(archived.items())

    async def data_key(self) -> tuple[int, bytes, bytes, str] | None:
        """The tenant's newest wrapped data key: (version, wrapped, nonce, master key id)."""
        _in_tenant(self.tenant_id)
        row = (
            await TenantKey.select()
            .where(TenantKey.tenant_id == self.tenant_id)
            .order_by(TenantKey.version, ascending=False)
            .first()
        )
        if row is None:
            return None
        return row["version"], bytes(row["wrapped"]), bytes(row["nonce"]), row["master_key_id"]

    async def add_data_key(self, wrapped: bytes, nonce: bytes, master_key_id: str) -> None:
        """Store the first data key; a concurrent first intake that lost the race changes nothing."""
        _in_tenant(self.tenant_id)
        await TenantKey.raw(
            "INSERT INTO tenant_key (tenant_id, version, wrapped, nonce, master_key_id, created_at) "
            "VALUES ({}, 1, {}, {}, {}, CURRENT_TIMESTAMP) ON CONFLICT (tenant_id, version) DO NOTHING",
            self.tenant_id,
            wrapped,
            nonce,
            master_key_id,
        )

    async def rewrap_data_key(self, version: int, wrapped: bytes, nonce: bytes, master_key_id: str) -> None:
        _in_tenant(self.tenant_id)
        await TenantKey.update(
            {TenantKey.wrapped: wrapped, TenantKey.nonce: nonce, TenantKey.master_key_id: master_key_id}
        ).where((TenantKey.tenant_id == self.tenant_id) & (TenantKey.version == version))

    async def log_reveal(self, case_id: int, *, reader: str, reason: str, at: datetime) -> None:
        _in_tenant(self.tenant_id)
        await IdentityReveal(
            tenant_id=self.tenant_id, case_id=case_id, reader=reader, reason=reason, at=at
        ).save()

    async def reveals(self, case_id: int) -> list[tuple[str, str, datetime]]:
        """(reader, reason, at) of every clear reading of the case's identity, oldest first."""
        _in_tenant(self.tenant_id)
        rows = (
            await IdentityReveal.select()
            .where((IdentityReveal.tenant_id == self.tenant_id) & (IdentityReveal.case_id == case_id))
            .order_by(IdentityReveal.id)
        )
        return [(row["reader"], row["reason"], row["at"]) for row in rows]

    # events
    async def append_event(self, case_id: int, event: CaseEventValue) -> int:
        """Append `event` as the case's next one; returns its sequence number (1-based)."""
        return (await self.append_events([(case_id, event)]))[0]

    async def append_events(self, events: Sequence[tuple[int, CaseEventValue]]) -> list[int]:
        """Append events (each to its case, in this order); returns their sequence numbers.

        The events join the tenant's hash chain: the chain head is locked until the transaction
        ends (SQLite's write transactions are exclusive already), so a tenant's appends queue up
        and each event carries the hash of the one before it. Many events go in one INSERT, so
        the timer jobs write a whole batch's events with the head locked only at the end.
        """
        _in_tenant(self.tenant_id)
        if not events:
            return []

        def chain_head():
            query = EventChain.select(EventChain.last_hash).where(EventChain.tenant_id == self.tenant_id)
            return query.lock_rows("UPDATE") if is_postgres() else query

        head = await chain_head().first()
        if head is None:  # the tenant's first event
            await EventChain.raw(
                "INSERT INTO event_chain (tenant_id, last_hash, last_event_id) VALUES ({}, '', 0) "
                "ON CONFLICT (tenant_id) DO NOTHING",
                self.tenant_id,
            )
            head = await chain_head().first()  # a concurrent first event made it: this waited for it
        prev_hash = head["last_hash"]
        case_ids = list(dict.fromkeys(case_id for case_id, _ in events))
        last_seq = await self._last_seqs(case_ids)
        rows, seqs = [], []
        for case_id, event in events:
            seq = last_seq.get(case_id, 0) + 1
            last_seq[case_id] = seq
            record, at = chained_record(self.tenant_id, case_id, seq, event)
            digest = event_hash(prev_hash, record)
            rows.append(
                (
                    self.tenant_id,
                    case_id,
                    seq,
                    record["name"],
                    record["action"],
                    record["from_state"],
                    record["to_state"],
                    record["actor"],
                    at,
                    dump_json(record["data"]),  # stored as hashed
                    prev_hash,
                    digest,
                )
            )
            seqs.append(seq)
            prev_hash = digest
        # One statement: the rows take their ids in the order given, which is the chain's order
        # (`huiying audit verify` walks the chain by id).
        ids = await insert_rows(CaseEvent, _EVENT_COLUMNS, rows)
        await EventChain.update({EventChain.last_hash: prev_hash, EventChain.last_event_id: max(ids)}).where(
            EventChain.tenant_id == self.tenant_id
        )
        return seqs

    async def _last_seqs(self, case_ids: Sequence[int]) -> dict[int, int]:
        rows = (
            await CaseEvent.select(CaseEvent.case_id, Max(CaseEvent.seq, alias="seq"))
            .where((CaseEvent.tenant_id == self.tenant_id) & ids_in(CaseEvent.case_id, case_ids))
            .group_by(CaseEvent.case_id)
        )
        return {row["case_id"]: row["seq"] for row in rows}

    async def events(self, case_id: int) -> list[CaseEventValue]:
        _in_tenant(self.tenant_id)
        rows = (
            await CaseEvent.select()
            .where((CaseEvent.tenant_id == self.tenant_id) & (CaseEvent.case_id == case_id))
            .order_by(CaseEvent.seq)
        )
        return [
            CaseEventValue(
                name=row["name"],
                at=row["at"],
                actor=row["actor"],
                from_state=CaseState(row["from_state"]) if row["from_state"] else None,
                to_state=CaseState(row["to_state"]),
                action=row["action"],
                data=MappingProxyType(_json(row["data"])),
            )
            for row in rows
        ]

    # timers
    async def timers(self, case_id: int) -> list[StoredTimer]:
        _in_tenant(self.tenant_id)
        rows = (
            await SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & (SlaTimer.case_id == case_id))
            .order_by(SlaTimer.id)
        )
        return [_timer(row) for row in rows]

    async def timers_for(self, case_ids: Sequence[int]) -> dict[int, list[StoredTimer]]:
        """The timers of several cases at once, by case id."""
        _in_tenant(self.tenant_id)
        if not case_ids:
            return {}
        rows = (
            await SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & SlaTimer.case_id.is_in(list(case_ids)))
            .order_by(SlaTimer.id)
        )
        found: dict[int, list[StoredTimer]] = {}
        for row in rows:
            found.setdefault(row["case_id"], []).append(_timer(row))
        return found

    async def add_timer(self, case_id: int, label: str, timer: Timer) -> None:
        _in_tenant(self.tenant_id)
        row = SlaTimer(tenant_id=self.tenant_id, case_id=case_id, kind=timer.kind, label=label)
        for column, value in _timer_columns(timer).items():
            setattr(row, column._meta.name, value)
        await row.save()

    async def update_timer(self, timer_id: int, timer: Timer, *, rearm: bool = False) -> None:
        """Write a timer; `rearm` when its due instant moved, so its warning and breach fire anew."""
        _in_tenant(self.tenant_id)
        columns = _timer_columns(timer)
        if rearm:
            columns |= {SlaTimer.warned_at: None, SlaTimer.breached_at: None, SlaTimer.enqueued_at: None}
        await SlaTimer.update(columns).where(
            (SlaTimer.tenant_id == self.tenant_id) & (SlaTimer.id == timer_id)
        )

    async def provisional_timers(self) -> list[StoredTimer]:
        """Timers whose deadline crossed a year without holiday data."""
        _in_tenant(self.tenant_id)
        rows = (
            await SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & (SlaTimer.provisional == True))  # noqa: E712 - SQL
            .order_by(SlaTimer.id)
        )
        return [_timer(row) for row in rows]

    async def timer_for_firing(
        self, timer_id: int
    ) -> tuple[StoredTimer, datetime | None, datetime | None] | None:
        """A timer locked for firing, with when its warning and breach already fired (None: not yet)."""
        found = await self.timers_for_firing([timer_id])
        return found.timers.get(timer_id)

    async def timers_for_firing(self, timer_ids: Sequence[int]) -> TimersForFiring:
        """Timers locked for firing, with their cases (locked too) and when each phase already fired.

        The cases are locked first, in id order: every writer takes case, then timers, then the
        event chain, so firing and a person's action on the same case queue instead of
        deadlocking, and two batches sharing a case lock it in the same order. Unknown ids are
        left out.
        """
        _in_tenant(self.tenant_id)
        found = TimersForFiring({}, {})
        ids = sorted(set(timer_ids))
        if not ids:
            return found
        owners = (
            await SlaTimer.select(SlaTimer.case_id)
            .where((SlaTimer.tenant_id == self.tenant_id) & ids_in(SlaTimer.id, ids))
            .distinct()
        )
        if not owners:
            return found
        cases = (
            self._select().where(ids_in(CaseRow.id, [row["case_id"] for row in owners])).order_by(CaseRow.id)
        )
        timers = (
            SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & ids_in(SlaTimer.id, ids))
            .order_by(SlaTimer.id)
        )
        if is_postgres():
            cases, timers = cases.lock_rows("UPDATE"), timers.lock_rows("UPDATE")
        for row in await cases:
            found.cases[row["id"]] = _case(row)
        for row in await timers:
            found.timers[row["id"]] = (_timer(row), row["warned_at"], row["breached_at"])
        return found

    async def stamp_timer(
        self, timer_id: int, *, state: str, warned_at: datetime | None, breached_at: datetime | None
    ) -> None:
        """Record that a phase fired (in the transaction that carried out its effects)."""
        await self.stamp_timers([(timer_id, state, warned_at, breached_at)])

    async def stamp_timers(self, stamps: Sequence[tuple[int, str, datetime | None, datetime | None]]) -> None:
        """Record fired phases as (timer id, state, warned at, breached at).

        Timers fired together share their stamps, so one UPDATE per distinct stamp does.
        """
        _in_tenant(self.tenant_id)
        alike: dict[tuple[str, datetime | None, datetime | None], list[int]] = {}
        for timer_id, state, warned_at, breached_at in stamps:
            alike.setdefault((state, warned_at, breached_at), []).append(timer_id)
        for (state, warned_at, breached_at), ids in alike.items():
            await SlaTimer.update(
                {SlaTimer.state: state, SlaTimer.warned_at: warned_at, SlaTimer.breached_at: breached_at}
            ).where((SlaTimer.tenant_id == self.tenant_id) & ids_in(SlaTimer.id, ids))

    async def next_document_number(self, kind: str, year: int) -> int:
        """The next number of a document kind in a year (gap-free, like case serials)."""
        return (await self.next_document_numbers(kind, year, 1))[0]

    async def next_document_numbers(self, kind: str, year: int, count: int) -> range:
        """The next `count` numbers of a document kind in a year, gap-free, in one statement."""
        _in_tenant(self.tenant_id)
        if count < 1:
            return range(0)
        rows = await CaseSerial.raw(
            "INSERT INTO document_serial (tenant_id, kind, year, last) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = document_serial.last + {} "
            "RETURNING last",
            self.tenant_id,
            kind,
            year,
            count,
            count,
        )
        last = rows[0]["last"]
        return range(last - count + 1, last + 1)

    # documents
    async def add_document(
        self,
        *,
        case_id: int | None,
        kind: str,
        number: str,
        title: str,
        body: str,
        created_by: str,
        created_at: datetime,
    ) -> StoredDocument:
        _in_tenant(self.tenant_id)
        row = Document(
            tenant_id=self.tenant_id,
            case_id=case_id,
            kind=kind,
            number=number,
            title=title,
            body=body,
            created_by=created_by,
            created_at=created_at,
        )
        await row.save()
        return StoredDocument(row.id, case_id, kind, number, title, body, created_by)

    async def add_documents(self, documents: Sequence[NewDocument]) -> None:
        """Store several documents in one statement (the timer jobs' supervision notices)."""
        _in_tenant(self.tenant_id)
        await insert_rows(
            Document,
            ("tenant_id", "case_id", "kind", "number", "title", "body", "created_by", "created_at"),
            [
                (self.tenant_id, d.case_id, d.kind, d.number, d.title, d.body, d.created_by, d.created_at)
                for d in documents
            ],
        )

    async def documents(self, case_id: int) -> list[StoredDocument]:
        _in_tenant(self.tenant_id)
        rows = (
            await Document.select()
            .where((Document.tenant_id == self.tenant_id) & (Document.case_id == case_id))
            .order_by(Document.id)
        )
        return [
            StoredDocument(
                r["id"], r["case_id"], r["kind"], r["number"], r["title"], r["body"], r["created_by"]
            )
            for r in rows
        ]

    # accountability ledger (an append-only journal, see core/domain/ledger.py)
    async def add_ledger_entry(self, entry: LedgerJournalEntry) -> LedgerJournalEntry:
        """Append one journal entry; returns it with its id."""
        return (await self.add_ledger_entries([entry]))[0]

    async def add_ledger_entries(self, entries: Sequence[LedgerJournalEntry]) -> list[LedgerJournalEntry]:
        """Append journal entries in one statement; returns them with their ids."""
        _in_tenant(self.tenant_id)
        rows = []
        for entry in entries:
            sanction, schedule = entry.sanction, entry.schedule
            rows.append(
                (
                    self.tenant_id,
                    entry.type.value,
                    entry.case_id,
                    entry.subject,
                    entry.unit_code,
                    entry.event_kind.value if entry.event_kind else "",
                    entry.event_ref,
                    sanction.kind.value if sanction else "",
                    sanction.points if sanction else 0,
                    sanction.amount if sanction else Decimal("0"),
                    sanction.basis if sanction else "",
                    sanction.note if sanction else "",
                    sanction.appealable if sanction else False,
                    entry.refers_to,
                    entry.evidence,
                    entry.reason,
                    entry.decision.value if entry.decision else "",
                    entry.due_at,
                    dump_json([{"due_on": i.due_on.isoformat(), "amount": str(i.amount)} for i in schedule]),
                    entry.by,
                    entry.at,
                )
            )
        ids = await insert_rows(LedgerEntry, _LEDGER_COLUMNS, rows)
        return [replace(entry, id=entry_id) for entry, entry_id in zip(entries, ids, strict=True)]

    async def standing_events(
        self, subject: str, event_kind: AccountabilityKind, since: datetime, until: datetime
    ) -> int:
        """How many events of `event_kind` still hold `subject` to account, first written in [since, until).

        The count `core.domain.ledger.events_in_force` makes of a folded journal, done in SQL so
        a breach does not read the subject's whole history: an event counts once, unless every
        one of its lines was reversed.
        """
        _in_tenant(self.tenant_id)
        rows = await LedgerEntry.raw(
            "SELECT COUNT(*) AS n FROM ("
            " SELECT l.event_ref FROM ledger_entry l"
            " WHERE l.tenant_id = {} AND l.entry_type = 'line' AND l.subject = {} AND l.event_kind = {}"
            " GROUP BY l.event_ref"
            " HAVING MIN(l.at) >= {} AND MIN(l.at) < {}"
            " AND SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE r.tenant_id = l.tenant_id"
            " AND r.entry_type = 'reversal' AND r.refers_to = l.id) THEN 1 ELSE 0 END) > 0"
            ") standing",
            self.tenant_id,
            subject,
            event_kind.value,
            since.astimezone(UTC),
            until.astimezone(UTC),
        )
        return int(rows[0]["n"])

    async def lock_ledger_line(self, line_id: int) -> None:
        """Serialise everyone answering one line (no FOR UPDATE: the journal grants no UPDATE)."""
        _in_tenant(self.tenant_id)
        if is_postgres():
            await LedgerEntry.raw("SELECT pg_advisory_xact_lock({}, {})", self.tenant_id, line_id)

    async def ledger_journal(
        self, *, subjects: Sequence[str] | None = None, unit: str | None = None
    ) -> list[LedgerJournalEntry]:
        """The journal, oldest first; narrowed to entries about some subjects or one unit.

        A narrowed journal still holds every entry about the lines it returns (their
        reversals, appeals and decisions share the line's subject and unit).
        """
        _in_tenant(self.tenant_id)
        query = LedgerEntry.select().where(LedgerEntry.tenant_id == self.tenant_id)
        if subjects is not None:
            query = query.where(LedgerEntry.subject.is_in(list(subjects) or [""]))
        if unit is not None:
            query = query.where(LedgerEntry.unit_code == unit)
        return [_journal_entry(r) for r in await query.order_by(LedgerEntry.id)]


# --- holiday schedules (platform scope) ---------------------------------------------------------
class HolidayRepository:
    """Imported holiday schedules for years the calendar package does not know."""
    async def all(self) -> dict[int, YearSchedule]:
        rows = await HolidaySchedule.select().order_by(HolidaySchedule.year)
        return {
            row["year"]: YearSchedule(
                year=row["year"],
                holidays=frozenset(date.fromisoformat(d) for d in _json(row["holidays"])),
                workdays=frozenset(date.fromisoformat(d) for d in _json(row["workdays"])),
                source=row["source"],
            )
            for row in rows
        }

    async def put(self, schedule: YearSchedule) -> None:
        values = {
            HolidaySchedule.holidays: sorted(d.isoformat() for d in schedule.holidays),
            HolidaySchedule.workdays: sorted(d.isoformat() for d in schedule.workdays),
            HolidaySchedule.source: schedule.source,
        }
        existing = await HolidaySchedule.select(HolidaySchedule.id).where(
            HolidaySchedule.year == schedule.year
        )
        if existing:
            await HolidaySchedule.update(values).where(HolidaySchedule.year == schedule.year)
        else:
            row = HolidaySchedule(year=schedule.year)
            for column, value in values.items():
                setattr(row, column._meta.name, value)
            await row.save()


# --- platform admins (platform scope) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlatformAdminRecord:
    """A platform operator as stored."""

    id: int
    username: str
    password_hash: str
    failed_logins: int
    locked_until: datetime | None


class PlatformAdminRepository:
    """Platform operators: outside every tenant."""

    async def get(self, username: str) -> PlatformAdminRecord | None:
        row = await PlatformAdmin.select().where(PlatformAdmin.username == username).first()
        if row is None:
            return None
        return PlatformAdminRecord(
            row["id"], row["username"], row["password_hash"], row["failed_logins"], row["locked_until"]
        )

    async def put(self, username: str, password_hash: str) -> None:
        """Create the admin, or set a new password for an existing one."""
        if await self.get(username) is None:
            await PlatformAdmin(username=username, password_hash=password_hash).save()
        else:
            await PlatformAdmin.update(
                {PlatformAdmin.password_hash: password_hash, PlatformAdmin.failed_logins: 0}
            ).where(PlatformAdmin.username == username)

    async def record_login(self, username: str, *, failed_logins: int, locked_until: datetime | None) -> None:
        await PlatformAdmin.update(
            {PlatformAdmin.failed_logins: failed_logins, PlatformAdmin.locked_until: locked_until}
        ).where(PlatformAdmin.username == username)
