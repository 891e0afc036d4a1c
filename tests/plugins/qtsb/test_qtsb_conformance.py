"""The quality bureau against the platform's conformance suite, with and without tenant settings."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.domain.tenancy import Unit
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.qtsb import hooks


class TestQtsbConformance(PluginConformance):
    plugin = hooks
    name = "qtsb"
    units: ClassVar[tuple[Unit, ...]] = (
        Unit("inspection", "质量技术监督稽查队"),
        Unit("area-east", "城东质量技术监督所"),
        Unit("special-equipment", "特种设备安全监察科"),
    )


class TestQtsbConformanceWithTenantSettings(TestQtsbConformance):
    """A routed tenant: every sample case gets a suggestion, some to a unit the tenant lacks."""

    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {
            "routing": {
                "城东/特种设备": "special-equipment",
                "城东/*": "area-east",
                "*/*": "inspection",
                "城西/*": "no-such-unit",
            },
            "supervisor_reads_identity": True,
            "reward_rate": "0.1",
            "reward_cap": "10000",
            "reward_min": "0",
            "transfer_working_days": 1,
            "handling_working_days": 30,
            "extension_cap_working_days": 30,
        }
    )

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        return {**super().case_fields(hooks, kind), "area": "城东", "industry": "特种设备"}
