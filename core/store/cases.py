"""A tenant's cases: their serial counter, rows and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from core.domain.errors import DomainError
from core.store import dialect
from core.store.rows import json_value
from core.store.tables import (
    CaseRow,
    CaseSerial,
    IdempotencyKey,
)
from core.store.tx import TenantScoped

__all__ = [
    "CaseNotFound",
    "CaseRepository",
    "StaleCase",
    "case_columns",
    "case_from_row",
    "serial_sql",
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


def case_from_row(row: dict[str, Any]) -> Case:
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
        flags=frozenset(SeverityFlag(flag) for flag in json_value(row["flags"])),
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
        approvals=tuple(json_value(row["approvals"])),
        extensions=row["extensions"],
        investigations=row["investigations"],
        verified=bool(row["verified"]),
        owner=row["owner"],
        priority=row["priority"],
        version=row["version"],
        fields=json_value(row["fields"]),
    )


def case_columns(case: Case) -> dict[Any, Any]:
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


def serial_sql(prefix: str, year: str, number: str) -> str:
    """`core.domain.cases.case_serial` in PostgreSQL, over three SQL expressions.

    The intake draws and gives a case its number in one statement (`core.store.intake`), so
    the serial is spelled there in SQL; tests/store/test_sql_rules.py compares it with the
    Python rule.
    """
    return (
        f"{prefix}::text || '-' || {year}::text || '-' "
        f"|| lpad({number}::text, greatest(6, length({number}::text)), '0')"
    )


class CaseRepository(TenantScoped):
    """A tenant's cases."""

    async def next_serial_number(self, year: int) -> int:
        """The next number of `year`, gap-free: the counter row is locked until the transaction ends."""
        rows = await CaseSerial.raw(
            "INSERT INTO case_serial (tenant_id, year, last) VALUES ({}, {}, 1) "
            "ON CONFLICT (tenant_id, year) DO UPDATE SET last = case_serial.last + 1 RETURNING last",
            self.tenant_id,
            year,
        )
        return rows[0]["last"]

    async def add(self, case: Case, *, year: int) -> Case:
        row = CaseRow(
            tenant_id=self.tenant_id,
            serial=case.serial,
            year=year,
            kind=case.kind.value,
            channel=case.channel.value,
            received_at=case.received_at,
            anonymous=case.anonymous,
        )
        for column, value in case_columns(case).items():
            setattr(row, column._meta.name, value)
        await row.save()
        return await self.get(row.id)

    def _select(self):
        return CaseRow.select().where(CaseRow.tenant_id == self.tenant_id)

    async def get(self, case_id: int, *, for_update: bool = False) -> Case:
        query = self._select().where(CaseRow.id == case_id)
        if for_update:
            query = dialect.lock_for_update(query)
        row = await query.first()
        if row is None:
            raise CaseNotFound(case_id)
        return case_from_row(row)

    async def list(self, *, state: CaseState | None = None, limit: int = 50) -> list[Case]:
        query = self._select().order_by(CaseRow.id, ascending=False).limit(limit)
        if state is not None:
            query = query.where(CaseRow.state == state.value)
        return [case_from_row(row) for row in await query]

    async def save(self, case: Case, *, expected_version: int, now: datetime) -> None:
        """Write `case` if nobody changed it since `expected_version` was read.

        Raises:
            StaleCase: another transaction got there first.
        """
        columns = case_columns(case) | {CaseRow.updated_at: now}
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

    async def claim_idempotency_key(self, key: str, fingerprint: str) -> tuple[bool, str, int | None]:
        """Claim `key` for this intake, or find who holds it.

        Returns ``(claimed, fingerprint, case_id)``: claimed is True when this transaction took
        the key; otherwise the stored fingerprint and case tell the caller what to replay. On
        PostgreSQL a concurrent holder makes this wait until it commits or rolls back.
        """
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
        await IdempotencyKey.update({IdempotencyKey.case_id: case_id}).where(
            (IdempotencyKey.tenant_id == self.tenant_id) & (IdempotencyKey.key == key)
        )
