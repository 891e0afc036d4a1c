"""Tenant administration: users, roles, units and plugin settings (tenant admins only)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import (
    SettingOut,
    SettingsIn,
    UnitIn,
    UnitOut,
    UnitUpdateIn,
    UserIn,
    UserOut,
    UserUpdateIn,
    user_out,
)
from core.api.security import requires, tenant_scope
from core.domain.roles import Permission
from core.domain.tenancy import Unit
from core.services.auth import Principal

__all__ = ["TenantAdminController"]

_ADMIN = [requires(Permission.TENANT_ADMIN)]


class TenantAdminController(Controller):
    path = "/api/v1/admin"
    tags = ("admin 租户管理",)
    security = ({"BearerToken": []},)

    @get("/users", guards=_ADMIN, summary="用户列表", responses=PROBLEMS)
    async def users(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services]
    ) -> list[UserOut]:
        user = request.user
        now = services.clock.now()
        return [user_out(u, now) for u in await services.tenant_admin.users(user.tenant_id, user.actor)]

    @post("/users", guards=_ADMIN, summary="新增用户", responses=PROBLEMS)
    async def create_user(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[UserIn],
        services: NamedDependency[Services],
    ) -> UserOut:
        user = request.user
        created = await services.tenant_admin.create_user(
            user.tenant_id,
            user.actor,
            username=data.username,
            display_name=data.display_name,
            roles=frozenset(data.roles),
            unit_code=data.unit_code,
            password=data.password,
        )
        return user_out(created, services.clock.now())

    @patch(
        "/users/{username:str}",
        guards=_ADMIN,
        summary="修改用户（角色、单位、停用、重设密码）",
        responses=PROBLEMS,
    )
    async def update_user(
        self,
        request: Request[Principal, Any, Any],
        username: FromPath[str],
        data: JSONBody[UserUpdateIn],
        services: NamedDependency[Services],
    ) -> UserOut:
        user = request.user
        changes = {
            k: v
            for k, v in msgspec.structs.asdict(data).items()
            if v is not msgspec.UNSET and k != "password"
        }
        if "roles" in changes:
            changes["roles"] = frozenset(changes["roles"])
        password = None if data.password is msgspec.UNSET else data.password
        updated = await services.tenant_admin.update_user(
            user.tenant_id, user.actor, username, changes, password=password
        )
        return user_out(updated, services.clock.now())

    @get("/units", guards=[tenant_scope], summary="承办单位列表", responses=PROBLEMS)
    async def units(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services]
    ) -> list[UnitOut]:
        user = request.user
        return [
            UnitOut(u.code, u.name, u.parent)
            for u in await services.tenant_admin.units(user.tenant_id, user.actor)
        ]

    @post("/units", guards=_ADMIN, summary="新增承办单位", responses=PROBLEMS)
    async def add_unit(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[UnitIn],
        services: NamedDependency[Services],
    ) -> UnitOut:
        user = request.user
        unit = await services.tenant_admin.add_unit(
            user.tenant_id, user.actor, Unit(data.code, data.name, data.parent)
        )
        return UnitOut(unit.code, unit.name, unit.parent)

    @put("/units/{code:str}", guards=_ADMIN, summary="修改承办单位", responses=PROBLEMS)
    async def update_unit(
        self,
        request: Request[Principal, Any, Any],
        code: FromPath[str],
        data: JSONBody[UnitUpdateIn],
        services: NamedDependency[Services],
    ) -> UnitOut:
        user = request.user
        unit = await services.tenant_admin.update_unit(
            user.tenant_id, user.actor, code, name=data.name, parent=data.parent
        )
        return UnitOut(unit.code, unit.name, unit.parent)

    @get("/settings", guards=_ADMIN, summary="插件设置", responses=PROBLEMS)
    async def settings(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services]
    ) -> list[SettingOut]:
        user = request.user
        specs, values = await services.tenant_admin.settings(user.tenant_id, user.actor)
        return [SettingOut(s.key, s.type.__name__, s.default, values[s.key], s.description) for s in specs]

    @patch("/settings", guards=_ADMIN, summary="修改插件设置", responses=PROBLEMS)
    async def update_settings(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[SettingsIn],
        services: NamedDependency[Services],
    ) -> list[SettingOut]:
        user = request.user
        await services.tenant_admin.update_settings(user.tenant_id, user.actor, data.values)
        specs, values = await services.tenant_admin.settings(user.tenant_id, user.actor)
        return [SettingOut(s.key, s.type.__name__, s.default, values[s.key], s.description) for s in specs]
