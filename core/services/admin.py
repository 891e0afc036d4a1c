"""Administration: a tenant admin's users, units and plugin settings; the platform's tenants."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.roles import Actor, Permission, Role
from core.domain.tenancy import SettingSpec, Unit, resolve_settings
from core.plugins import PluginRegistry
from core.services.passwords import hash_password
from core.services.tenants import TenantConfig, TenantConfigError, onboard
from core.store.directory import TenantDirectory, UserRecord
from core.store.tenants import TenantRecord, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["PlatformAdmin", "TenantAdmin", "UserNotFound"]

_USERNAME = re.compile(r"^[a-z0-9_.-]{2,64}$")
_UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_PASSWORD = 8


class UserNotFound(InvalidCommand):
    """No such user in this tenant."""

    code = "not_found"


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidCommand(f"密码至少 {MIN_PASSWORD} 个字符 (password too short)", field="password")
    return hash_password(password)


class TenantAdmin:
    """What a tenant admin manages inside their own tenant."""

    def __init__(self, registry: PluginRegistry) -> None:
        self.registry = registry

    @staticmethod
    def _require(actor: Actor) -> None:
        if not actor.can(Permission.TENANT_ADMIN):
            raise NotPermitted("只有租户管理员可以管理用户、单位和设置")

    async def users(self, tenant_id: int, actor: Actor) -> list[UserRecord]:
        self._require(actor)
        async with tenant_tx(tenant_id):
            return await TenantDirectory(tenant_id).users()

    async def create_user(
        self,
        tenant_id: int,
        actor: Actor,
        *,
        username: str,
        display_name: str,
        roles: frozenset[Role],
        unit_code: str | None,
        password: str | None,
    ) -> UserRecord:
        """Add a user; without a password the user cannot sign in until one is set."""
        self._require(actor)
        if not _USERNAME.match(username):
            raise InvalidCommand("用户名只能含小写字母、数字和 _.-（2–64 个字符）", field="username")
        if not roles:
            raise InvalidCommand("请至少指定一个角色", field="roles")
        password_hash = _check_password(password) if password is not None else ""
        async with tenant_tx(tenant_id):
            directory = TenantDirectory(tenant_id)
            await self._check_unit(directory, unit_code)
            if await directory.user(username) is not None:
                raise InvalidCommand(f"用户名 {username} 已存在", field="username")
            await directory.add_user(
                username=username,
                display_name=display_name or username,
                roles=sorted(roles),
                unit_code=unit_code,
                password_hash=password_hash,
            )
            return await directory.user(username)

    async def update_user(
        self,
        tenant_id: int,
        actor: Actor,
        username: str,
        changes: Mapping[str, Any],
        *,
        password: str | None = None,
    ) -> UserRecord:
        """Change `display_name`, `roles`, `unit_code` or `active`, and reset the password, at once.

        A new password also lifts a lock-out.
        """
        self._require(actor)
        if "roles" in changes and not changes["roles"]:
            raise InvalidCommand("请至少指定一个角色", field="roles")
        if username == actor.username and changes.get("active") is False:
            raise InvalidCommand("不能停用自己的账户", field="active")
        if username == actor.username and Role.TENANT_ADMIN not in changes.get("roles", {Role.TENANT_ADMIN}):
            raise InvalidCommand("不能取消自己的管理员角色", field="roles")
        password_hash = _check_password(password) if password is not None else None
        async with tenant_tx(tenant_id):
            directory = TenantDirectory(tenant_id)
            if "unit_code" in changes:
                await self._check_unit(directory, changes["unit_code"])
            if await directory.user(username) is None:
                raise UserNotFound(f"用户 {username} 不存在", field="username")
            if changes:
                await directory.update_user(username, changes)
            if password_hash is not None:
                await directory.set_password_hash(username, password_hash)
                await directory.record_login(username, failed_logins=0, locked_until=None)
            user = await directory.user(username)
            if user is None:
                raise UserNotFound(f"用户 {username} 不存在", field="username")
            return user

    async def units(self, tenant_id: int, actor: Actor) -> tuple[Unit, ...]:
        if not actor.can(Permission.CASE_READ):
            raise NotPermitted("无权查看承办单位")
        async with tenant_tx(tenant_id):
            return await TenantDirectory(tenant_id).units()

    async def add_unit(self, tenant_id: int, actor: Actor, unit: Unit) -> Unit:
        self._require(actor)
        if not _UNIT_CODE.match(unit.code):
            raise InvalidCommand("单位代码只能含字母、数字和 _.-（1–32 个字符）", field="code")
        if not unit.name.strip():
            raise InvalidCommand("请填写单位名称", field="name")
        async with tenant_tx(tenant_id):
            directory = TenantDirectory(tenant_id)
            await self._check_unit(directory, unit.parent)
            if any(existing.code == unit.code for existing in await directory.units()):
                raise InvalidCommand(f"单位代码 {unit.code} 已存在", field="code")
            await directory.add_unit(unit)
            return unit

    async def update_unit(
        self, tenant_id: int, actor: Actor, code: str, *, name: str, parent: str | None
    ) -> Unit:
        self._require(actor)
        if not name.strip():
            raise InvalidCommand("请填写单位名称", field="name")
        if parent == code:
            raise InvalidCommand("单位不能以自己为上级", field="parent")
        async with tenant_tx(tenant_id):
            directory = TenantDirectory(tenant_id)
            await self._check_unit(directory, parent)
            if not await directory.update_unit(code, name=name, parent=parent):
                raise UserNotFound(f"单位 {code} 不存在", field="code")
            return Unit(code, name, parent)

    async def settings(
        self, tenant_id: int, actor: Actor
    ) -> tuple[tuple[SettingSpec, ...], Mapping[str, Any]]:
        """The settings the tenant's plugin declares, and their values for this tenant."""
        self._require(actor)
        async with platform_tx():
            record = await TenantRepository().get(tenant_id)
        specs = self.registry.settings_specs(record.plugin)
        stored = record.settings.get("tenant", {})
        values = dict(resolve_settings(specs, platform={}, tenant=stored, by_kind={}))
        for spec in specs:
            if spec.secret and values[spec.key]:
                values[spec.key] = "********"  # set, and not shown
        return specs, values

    async def update_settings(
        self, tenant_id: int, actor: Actor, values: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Change tenant settings; each value is validated against the plugin's declaration."""
        self._require(actor)
        tenants = TenantRepository()
        async with platform_tx():
            record = await tenants.get(tenant_id)
            specs = self.registry.settings_specs(record.plugin)
            merged = {**record.settings.get("tenant", {}), **values}
            by_kind = record.settings.get("by_kind", {})
            resolve_settings(specs, platform={}, tenant=merged, by_kind=by_kind)
            await tenants.update_settings(tenant_id, {"tenant": merged, "by_kind": dict(by_kind)})
        return (await self.settings(tenant_id, actor))[1]

    @staticmethod
    async def _check_unit(directory: TenantDirectory, code: str | None) -> None:
        if code is not None and all(unit.code != code for unit in await directory.units()):
            raise InvalidCommand(f"单位 {code} 不存在", field="unit_code")


class PlatformAdmin:
    """What platform admins do: onboard, list, suspend and resume tenants. No case data."""

    def __init__(self, registry: PluginRegistry) -> None:
        self.registry = registry

    async def onboard(self, data: Mapping[str, Any]) -> TenantRecord:
        """Onboard from the same structure as a tenant file, with the same validation."""
        return await onboard(TenantConfig.from_mapping(data, self.registry), self.registry)

    async def tenants(self) -> list[TenantRecord]:
        async with platform_tx():
            return await TenantRepository().all()

    async def set_status(self, slug: str, *, active: bool, reason: str) -> TenantRecord:
        """Suspend (tokens stop working at once) or resume a tenant."""
        tenants = TenantRepository()
        async with platform_tx():
            record = await tenants.by_slug(slug)
            if active and record.plugin not in self.registry.names:
                raise TenantConfigError(f"插件“{record.plugin}”尚未安装，租户不能启用", field="plugin")
            await tenants.set_status(record.id, "active" if active else "suspended", "" if active else reason)
            return await tenants.get(record.id)
