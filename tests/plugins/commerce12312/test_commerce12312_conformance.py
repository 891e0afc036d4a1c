"""The 12312 station against the platform's conformance suite, with default and tenant settings."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.domain.tenancy import Unit
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.commerce12312 import hooks


class TestCommerce12312Conformance(PluginConformance):
    plugin = hooks
    name = "commerce12312"
    units: ClassVar[tuple[Unit, ...]] = (
        Unit("squad-1", "业务一中队", parent="brigade"),
        Unit("brigade", "商务稽查大队"),
        Unit("supervision", "监察部门"),
    )


class TestCommerce12312ConformanceOnSite(TestCommerce12312Conformance):
    """A tenant with a squad table; every sample complaint and report needs on-site handling."""

    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {
            "squad_routing": {"消费纠纷": "squad-1", "成品油": "no-such-unit"},
            "supervision_unit": "supervision",
            "handling_working_days": 15,
        }
    )

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        return {**super().case_fields(hooks, kind), "on_site": "yes", "category": "消费纠纷"}


class TestCommerce12312ConformanceCadreMisconduct(TestCommerce12312Conformance):
    """Every sample complaint and report is a cadre-misconduct report: routed to supervision."""

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        return {**super().case_fields(hooks, kind), "on_site": "no", "category": "cadre_misconduct"}
