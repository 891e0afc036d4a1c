"""Tenants (platform scope): who they are, their plugin, settings and standing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from core.domain.errors import DomainError
from core.store import dialect
from core.store.rows import json_value
from core.store.tables import (
    Tenant,
)

__all__ = ["TenantNotFound", "TenantRecord", "TenantRepository", "stamped_tenant", "tenant_from_row"]


class TenantNotFound(DomainError):
    """No tenant with that slug or id."""

    code = "not_found"

    def __init__(self, ref: object) -> None:
        super().__init__(f"租户 {ref} 不存在 (tenant not found)")


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


def tenant_from_row(row: dict[str, Any]) -> TenantRecord:
    return TenantRecord(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        plugin=row["plugin"],
        timezone=row["timezone"],
        serial_prefix=row["serial_prefix"],
        status=row["status"],
        status_reason=row["status_reason"],
        settings=MappingProxyType(json_value(row["settings"]) or {}),
        calendar=MappingProxyType(json_value(row["calendar"]) or {}),
        revision=row["revision"],
    )


class TenantRepository:
    """The tenant list. Platform scope: no tenant filter, no RLS on this table."""

    async def get(self, tenant_id: int) -> TenantRecord:
        row = await Tenant.select().where(Tenant.id == tenant_id).first()
        if row is None:
            raise TenantNotFound(tenant_id)
        return tenant_from_row(row)

    async def by_slug(self, slug: str) -> TenantRecord:
        row = await Tenant.select().where(Tenant.slug == slug).first()
        if row is None:
            raise TenantNotFound(slug)
        return tenant_from_row(row)

    async def find_by_id(self, tenant_id: int) -> TenantRecord | None:
        row = await Tenant.select().where(Tenant.id == tenant_id).first()
        return tenant_from_row(row) if row else None

    async def find(self, slug: str) -> TenantRecord | None:
        row = await Tenant.select().where(Tenant.slug == slug).first()
        return tenant_from_row(row) if row else None

    async def all(self) -> list[TenantRecord]:
        return [tenant_from_row(row) for row in await Tenant.select().order_by(Tenant.slug)]

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


# --- the tenant with its stamp ------------------------------------------------------------------
# On PostgreSQL the stamp is the row's xmin (the transaction that last wrote it) with its
# creation time: triggers touch the tenant row on every change to it, its units or the holidays,
# and a transaction id is never reused, so not even a change that was rolled back after someone
# loaded it can come back under the same stamp. SQLite gives no stamp: the embedded default
# reloads every time.
async def stamped_tenant(tenant_id: int) -> tuple[TenantRecord, str | None]:
    """The tenant and its stamp (None on SQLite), in one statement.

    Raises:
        TenantNotFound: no such tenant.
    """
    if not dialect.has_row_versions():
        row = await Tenant.select().where(Tenant.id == tenant_id).first()
        if row is None:
            raise TenantNotFound(tenant_id)
        return tenant_from_row(row), None
    rows = await Tenant.raw(
        "SELECT *, xmin::text AS row_xmin, created_at::text AS row_created FROM tenant WHERE id = {}",
        tenant_id,
    )
    if not rows:
        raise TenantNotFound(tenant_id)
    row = rows[0]
    return tenant_from_row(row), f"{row['row_xmin']}@{row['row_created']}"
