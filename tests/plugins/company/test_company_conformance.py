"""The platform's conformance suite for the company plugin, with the demo tenant's settings."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.domain.tenancy import Unit
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.company import hooks


class TestCompanyConformance(PluginConformance):
    """客户投诉处理制度 [S5b]: settings as spelled out in tenants/demo-company.toml."""

    plugin = hooks
    name = "company"
    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {
            "main_unit": "market",
            "handling_working_days": 5,
            "late_wage_deduction": 200,
            "upheld_wage_deduction": 200,
            "admin_head": "xingzheng",
            "instalment_threshold": 5000,
        }
    )
    # The routing names the Market Development Dept, so the sample tenant has one.
    units: ClassVar[tuple[Unit, ...]] = (Unit("market", "市场发展部"), Unit("sales", "销售部"))

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        # A real subject key, so the sample complaints are classified as the company's are.
        extra = {"subject": "product"} if kind is CaseKind.COMPLAINT else {}
        return {**super().case_fields(hooks, kind), **extra}
