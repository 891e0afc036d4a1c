"""Who is behind a token: the tenant's standing and the user's, read together in one statement.

Every API request re-reads both (a suspension or a deactivation acts at once), so this is on
the path of every request and worth one round trip instead of two transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.repositories import UserRecord, _in_tenant, _user
from core.store.tables import Tenant

__all__ = ["TenantStanding", "tenant_and_user"]

_USER_COLUMNS = (
    "id",
    "tenant_id",
    "username",
    "display_name",
    "roles",
    "unit_code",
    "active",
    "password_hash",
    "failed_logins",
    "locked_until",
    "email",
)


@dataclass(frozen=True, slots=True)
class TenantStanding:
    """A tenant's slug and status, and the user asked for (None: no such user in it)."""

    slug: str
    status: str
    user: UserRecord | None


async def tenant_and_user(tenant_id: int, username: str) -> TenantStanding | None:
    """The tenant and its user `username`; None when there is no such tenant.

    Runs inside ``tenant_tx(tenant_id)``: RLS lets the user row through only there.
    """
    _in_tenant(tenant_id)
    columns = ", ".join(f"u.{name} AS {name}" for name in _USER_COLUMNS)
    rows = await Tenant.raw(
        f"SELECT t.slug AS tenant_slug, t.status AS tenant_status, {columns} FROM tenant t "
        "LEFT JOIN app_user u ON u.tenant_id = t.id AND u.username = {} WHERE t.id = {}",
        username,
        tenant_id,
    )
    if not rows:
        return None
    row = rows[0]
    user = _user(row) if row["id"] is not None else None
    return TenantStanding(slug=row["tenant_slug"], status=row["tenant_status"], user=user)
