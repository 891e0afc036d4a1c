"""Platform administration: onboard organisations, list, suspend and resume them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import StatusIn, TenantOut
from core.api.security import platform_scope
from core.services.values import TenantRecord

__all__ = ["PlatformController"]


def tenant_out(record: TenantRecord) -> TenantOut:
    return TenantOut(
        slug=record.slug,
        name=record.name,
        plugin=record.plugin,
        status=record.status,
        status_reason=record.status_reason,
        timezone=record.timezone,
        serial_prefix=record.serial_prefix,
    )


class PlatformController(Controller):
    path = "/api/v1/platform/tenants"
    tags = ("platform 平台管理",)
    guards = (platform_scope,)
    security = ({"BearerToken": []},)

    @get("/", summary="租户列表", responses=PROBLEMS)
    async def tenants(self, services: NamedDependency[Services]) -> list[TenantOut]:
        return [tenant_out(record) for record in await services.platform_admin.tenants()]

    @post("/", summary="入驻一个组织（与租户文件相同的结构和校验）", responses=PROBLEMS)
    async def onboard(self, data: JSONBody[dict[str, Any]], services: NamedDependency[Services]) -> TenantOut:
        return tenant_out(await services.platform_admin.onboard(data))

    @post("/{slug:str}/suspend", status_code=200, summary="暂停租户（其令牌立即失效）", responses=PROBLEMS)
    async def suspend(
        self, slug: FromPath[str], data: JSONBody[StatusIn], services: NamedDependency[Services]
    ) -> TenantOut:
        return tenant_out(
            await services.platform_admin.set_status(
                slug, active=False, reason=data.reason or "平台管理员暂停"
            )
        )

    @post("/{slug:str}/resume", status_code=200, summary="恢复租户", responses=PROBLEMS)
    async def resume(
        self, slug: FromPath[str], data: JSONBody[StatusIn], services: NamedDependency[Services]
    ) -> TenantOut:
        return tenant_out(await services.platform_admin.set_status(slug, active=True, reason=""))
