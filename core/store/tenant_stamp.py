"""A tenant row with a stamp that changes whenever anything a loaded tenant depends on changes.

On PostgreSQL the stamp is the row's ``xmin`` (the transaction that last wrote it) with its
creation time: triggers touch the tenant row on every change to it, its units or the holidays
(migration 2026-11-28T18:15), and a transaction id is never reused, so not even a change that
was rolled back after someone loaded it can come back under the same stamp. SQLite gives no
stamp (None): the embedded default reloads every time.
"""

from __future__ import annotations

from core.store.engine import is_postgres
from core.store.repositories import TenantNotFound, TenantRecord, _tenant
from core.store.tables import Tenant

__all__ = ["stamped_tenant"]


async def stamped_tenant(tenant_id: int) -> tuple[TenantRecord, str | None]:
    """The tenant and its stamp (None on SQLite), in one statement.

    Raises:
        TenantNotFound: no such tenant.
    """
    if not is_postgres():
        row = await Tenant.select().where(Tenant.id == tenant_id).first()
        if row is None:
            raise TenantNotFound(tenant_id)
        return _tenant(row), None
    rows = await Tenant.raw(
        "SELECT *, xmin::text AS row_xmin, created_at::text AS row_created FROM tenant WHERE id = {}",
        tenant_id,
    )
    if not rows:
        raise TenantNotFound(tenant_id)
    row = rows[0]
    return _tenant(row), f"{row['row_xmin']}@{row['row_created']}"
