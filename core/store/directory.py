"""A tenant's units and users."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.domain.roles import Role
from core.domain.tenancy import Unit as UnitValue
from core.store.rows import json_value
from core.store.tables import (
    AppUser,
    Tenant,
    Unit,
)
from core.store.tx import TenantScoped, require_tenant

__all__ = ["TenantDirectory", "TenantStanding", "UserRecord", "tenant_and_user", "user_from_row"]


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


def user_from_row(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=frozenset(Role(value) for value in json_value(row["roles"])),
        unit_code=row["unit_code"],
        active=row["active"],
        password_hash=row["password_hash"],
        failed_logins=row["failed_logins"],
        locked_until=row["locked_until"],
        email=row["email"],
    )


class TenantDirectory(TenantScoped):
    """A tenant's units and users."""

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id

    async def units(self) -> tuple[UnitValue, ...]:
        rows = await Unit.select().where(Unit.tenant_id == self.tenant_id).order_by(Unit.code)
        return tuple(UnitValue(code=r["code"], name=r["name"], parent=r["parent_code"]) for r in rows)

    async def add_unit(self, unit: UnitValue) -> None:
        await Unit(tenant_id=self.tenant_id, code=unit.code, name=unit.name, parent_code=unit.parent).save()

    async def add_user(
        self,
        *,
        username: str,
        display_name: str,
        roles: Sequence[Role],
        unit_code: str | None,
        password_hash: str,
        email: str | None = None,
    ) -> None:
        await AppUser(
            tenant_id=self.tenant_id,
            username=username,
            display_name=display_name,
            roles=[role.value for role in roles],
            unit_code=unit_code,
            password_hash=password_hash,
            email=email,
        ).save()

    async def user(self, username: str) -> UserRecord | None:
        row = (
            await AppUser.select()
            .where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))
            .first()
        )
        return user_from_row(row) if row else None

    async def users(self) -> list[UserRecord]:
        rows = await AppUser.select().where(AppUser.tenant_id == self.tenant_id).order_by(AppUser.username)
        return [user_from_row(row) for row in rows]

    async def update_user(self, username: str, values: Mapping[str, Any]) -> bool:
        """Change a user's `display_name`, `roles`, `unit_code` or `active`; False if no such user."""
        columns = {getattr(AppUser, key): value for key, value in values.items()}
        if "roles" in values:
            columns[AppUser.roles] = sorted(role.value for role in values["roles"])
        rows = (
            await AppUser.update(columns)
            .where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))
            .returning(AppUser.id)
        )
        return bool(rows)

    async def user_for_sign_in(self, username: str) -> UserRecord | None:
        """The user, locked against other sign-ins until the transaction ends.

        A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so parallel
        guesses at one account are checked one after another against the lock-out counter.
        """
        await AppUser.update({AppUser.failed_logins: AppUser.failed_logins}).where(
            (AppUser.tenant_id == self.tenant_id) & (AppUser.username == username)
        )
        return await self.user(username)

    async def record_login(self, username: str, *, failed_logins: int, locked_until: datetime | None) -> None:
        """Store the outcome of a sign-in attempt (the lock-out counter)."""
        await AppUser.update(
            {AppUser.failed_logins: failed_logins, AppUser.locked_until: locked_until}
        ).where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))

    async def update_unit(self, code: str, *, name: str, parent: str | None) -> bool:
        rows = (
            await Unit.update({Unit.name: name, Unit.parent_code: parent})
            .where((Unit.tenant_id == self.tenant_id) & (Unit.code == code))
            .returning(Unit.id)
        )
        return bool(rows)

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        rows = (
            await AppUser.update({AppUser.password_hash: password_hash})
            .where((AppUser.tenant_id == self.tenant_id) & (AppUser.username == username))
            .returning(AppUser.id)
        )
        return bool(rows)


# --- who is behind a token ----------------------------------------------------------------------
# Every API request re-reads the tenant's standing and the user's (a suspension or a
# deactivation acts at once), so they are read together in one statement.
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
    require_tenant(tenant_id)
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
    user = user_from_row(row) if row["id"] is not None else None
    return TenantStanding(slug=row["tenant_slug"], status=row["tenant_status"], user=user)
