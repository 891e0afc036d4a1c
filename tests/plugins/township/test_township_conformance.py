"""The platform's conformance suite for Nanxi Town's plugin, on defaults and on tenant settings."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.domain.tenancy import Unit
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.township import hooks


class TestTownshipConformance(PluginConformance):
    plugin = hooks
    name = "township"
    units: ClassVar[tuple[Unit, ...]] = (Unit("jcs", "镇监察室"), Unit("dzb", "党政办"))

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        # A situation the regulation lists, so the samples are acceptable complaints.
        return {**super().case_fields(hooks, kind), "situation": "no_disclosure"}


class TestTownshipConformanceWithTenantSettings(TestTownshipConformance):
    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {"general_working_days": 3, "complex_working_days": 15, "extension_cap_working_days": 5}
    )
