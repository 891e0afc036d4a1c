"""The platform's conformance suite for the disease-control centre's plugin."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.domain.tenancy import Unit
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.cdc import hooks


class TestCdcConformance(PluginConformance):
    """市疾控中心 [S4d]: the declared defaults, spelled out as in tenants/city-cdc.toml."""

    plugin = hooks
    name = "cdc"
    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {"office_unit": "office", "checking_days": 7, "reply_days": 30, "reply_max_days": 60}
    )
    units: ClassVar[tuple[Unit, ...]] = (
        Unit("immunization", "免疫规划科"),
        Unit("office", "中心办公室"),
        Unit("lab", "卫生检验科"),
    )

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        # Values that meet the acceptance conditions and name two sections, so routing answers.
        return {
            **super().case_fields(hooks, kind),
            "direct_harm": "yes",
            "statement": "written",
            "sections": "immunization,lab",
        }
