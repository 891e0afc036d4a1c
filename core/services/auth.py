"""Signing in: tenant users and platform admins, with lock-out after repeated failures.

Every failure says the same thing whether the tenant, the user or the password was wrong, so
nobody learns which tenants or usernames exist. Passwords are never logged or stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.domain.errors import DomainError
from core.domain.roles import Actor, Role
from core.services.passwords import hash_password, verify_password
from core.store.directory import TenantDirectory, UserRecord, tenant_and_user
from core.store.platform import PlatformAdminRepository, RefreshFamilyRepository
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "AccountLocked",
    "AuthenticationFailed",
    "Principal",
    "authenticate_platform_admin",
    "authenticate_user",
    "lockout_until",
    "platform_principal_for",
    "principal_for",
]

MAX_FAILURES = 5
"""Consecutive failures before an account is locked."""

_BASE_LOCK = timedelta(minutes=15)
_MAX_LOCK = timedelta(hours=24)

# Verifying against a real hash when the user does not exist keeps the timing the same.
_DUMMY_HASH = hash_password("this password never matches anything")


class AuthenticationFailed(DomainError):
    """Wrong tenant, username or password — deliberately not saying which."""

    code = "authentication_failed"

    def __init__(self, message: str = "租户、用户名或密码错误 (invalid credentials)") -> None:
        super().__init__(message)


class AccountLocked(DomainError):
    """Too many failures: the account is locked until `until`."""

    code = "account_locked"

    def __init__(self, until: datetime, now: datetime) -> None:
        self.retry_after = max(1, int((until - now).total_seconds()))
        minutes = -(-self.retry_after // 60)
        super().__init__(f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试 (account locked)")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a tenant user (with its tenant) or a platform admin (with none)."""

    username: str
    tenant_id: int | None = None
    tenant_slug: str = ""
    roles: frozenset[Role] = frozenset()
    unit_code: str | None = None
    display_name: str = ""

    @property
    def is_platform_admin(self) -> bool:
        """True for platform admins, who hold no tenant and no tenant role."""
        return self.tenant_id is None

    @property
    def actor(self) -> Actor:
        """The actor recorded on the events this principal writes."""
        return Actor(self.username, self.display_name, self.roles, self.unit_code)


def lockout_until(failures: int, now: datetime) -> datetime | None:
    """When an account with `failures` consecutive failures unlocks: 15 min, doubling, at most 24 h."""
    if failures < MAX_FAILURES:
        return None
    return now + min(_BASE_LOCK * 2 ** (failures - MAX_FAILURES), _MAX_LOCK)


async def _verify(password_hash: str, password: str) -> bool:
    # argon2 takes ~200 ms; keep it off the event loop.
    return await asyncio.to_thread(verify_password, password_hash or _DUMMY_HASH, password)


REFRESH_REUSED = (
    "刷新令牌已被使用过：为安全起见，这次登录的所有刷新令牌均已作废，请重新登录 (refresh token reused)"
)


async def start_refresh_family(family: str, jti: str, expires_at: datetime) -> None:
    """Remember a new sign-in's first refresh token (the family it starts); forget expired ones."""
    async with platform_tx():
        families = RefreshFamilyRepository()
        await families.prune(datetime.now(UTC))
        await families.start(family, jti, expires_at)


async def rotate_refresh(family: str, used: str, fresh: str, expires_at: datetime, *, now: datetime) -> None:
    """Let `used` be exchanged for `fresh`, once. A token used again is taken as stolen.

    Raises:
        AuthenticationFailed: `used` is not the family's current token (already used, or the
            family revoked or expired); the whole family is revoked, so the thief's copy and
            the owner's both stop working and the owner signs in again.
    """
    async with platform_tx():
        families = RefreshFamilyRepository()
        if await families.rotate(family, used, fresh, expires_at, now):
            return
        await families.revoke(family)
    raise AuthenticationFailed(REFRESH_REUSED)


async def authenticate_user(slug: str, username: str, password: str, *, now: datetime) -> Principal:
    """Check a tenant user's password.

    Raises:
        AuthenticationFailed: unknown or inactive tenant, unknown or inactive user, wrong password.
        AccountLocked: the account is locked; the error says for how long.
    """
    async with platform_tx():
        tenant = await TenantRepository().find(slug)
    if tenant is None or not tenant.active:
        await _verify("", password)
        raise AuthenticationFailed()
    async with tenant_tx(tenant.id):
        directory = TenantDirectory(tenant.id)
        # Held until the outcome is recorded: a burst of guesses is counted one by one, and those
        # after the lock-out are refused without their password being checked.
        user = await directory.user_for_sign_in(username)
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise AccountLocked(user.locked_until, now)
        ok = await _verify(user.password_hash if user else "", password)
        if user is None or not user.active:
            raise AuthenticationFailed()
        if not ok:
            failures = user.failed_logins + 1
            await directory.record_login(
                username, failed_logins=failures, locked_until=lockout_until(failures, now)
            )
        elif user.failed_logins:
            await directory.record_login(username, failed_logins=0, locked_until=None)
    if not ok:
        raise AuthenticationFailed()
    return _principal(tenant.id, tenant.slug, user)


def _principal(tenant_id: int, slug: str, user: UserRecord) -> Principal:
    return Principal(
        username=user.username,
        tenant_id=tenant_id,
        tenant_slug=slug,
        roles=user.roles,
        unit_code=user.unit_code,
        display_name=user.display_name,
    )


async def principal_for(tenant_id: int, username: str) -> Principal:
    """The current principal behind a token: the tenant must still be active and the user too.

    Roles come from the database, not the token, so a change of roles applies at once.

    Raises:
        AuthenticationFailed: the tenant was suspended or the user deactivated since sign-in.
    """
    found = None
    if isinstance(tenant_id, int) and not isinstance(tenant_id, bool) and tenant_id > 0:
        async with tenant_tx(tenant_id):
            found = await tenant_and_user(tenant_id, username)
    if found is None or found.status != "active":
        raise AuthenticationFailed("租户已暂停或不存在，请联系平台管理员 (tenant suspended)")
    if found.user is None or not found.user.active:
        raise AuthenticationFailed("用户已停用 (user deactivated)")
    return _principal(tenant_id, found.slug, found.user)


async def platform_principal_for(username: str) -> Principal:
    """The platform admin behind a token, if the account still exists.

    Raises:
        AuthenticationFailed: the admin was removed since sign-in.
    """
    async with platform_tx():
        admin = await PlatformAdminRepository().get(username)
    if admin is None:
        raise AuthenticationFailed("平台管理员账户不存在 (platform admin removed)")
    return Principal(username=admin.username)


async def authenticate_platform_admin(username: str, password: str, *, now: datetime) -> Principal:
    """Check a platform admin's password (same lock-out rules as tenant users).

    Raises:
        AuthenticationFailed: unknown admin or wrong password.
        AccountLocked: the account is locked.
    """
    admins = PlatformAdminRepository()
    async with platform_tx():
        admin = await admins.for_sign_in(username)  # locked until the outcome is recorded
        if admin is not None and admin.locked_until is not None and admin.locked_until > now:
            raise AccountLocked(admin.locked_until, now)
        ok = await _verify(admin.password_hash if admin else "", password)
        if admin is None:
            raise AuthenticationFailed("用户名或密码错误 (invalid credentials)")
        if not ok:
            failures = admin.failed_logins + 1
            await admins.record_login(
                username, failed_logins=failures, locked_until=lockout_until(failures, now)
            )
        elif admin.failed_logins:
            await admins.record_login(username, failed_logins=0, locked_until=None)
    if not ok:
        raise AuthenticationFailed("用户名或密码错误 (invalid credentials)")
    return Principal(username=admin.username)
