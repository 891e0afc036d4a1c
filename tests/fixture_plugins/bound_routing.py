"""A test organisation whose rules fix the handling unit: every case goes to the 镇监察室."""

from __future__ import annotations

from core.sdk import Case, Routing, TenantContext, hookimpl


@hookimpl
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return Routing(
        unit_code="jcs",
        cause=f"{case.kind.label}：{case.title}",
        reason="测试规则：一律由镇监察室办理",
        binding=True,
    )
