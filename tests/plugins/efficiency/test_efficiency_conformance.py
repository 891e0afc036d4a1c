"""The platform's conformance suite, once per tenant flavour of the efficiency plugin."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.efficiency import hooks


class TestChengduEfficiencyConformance(PluginConformance):
    """成都市机关事务管理局 [S4a]: the declared defaults, spelled out as in its tenant file."""

    plugin = hooks
    name = "efficiency"
    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {
            "regulation": "jgswj",
            "day_unit": "calendar",
            "handling_days": 30,
            "extension_cap_days": 30,
            "handoff_days": 5,
            "feedback_days": 2,
            "leader_approval": True,
            "may_order_remedy": False,
            "sanction_ladder": "admonition,circulated_criticism,disciplinary",
        }
    )

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        # A nature the regulation lists, so the sample complaints and reports are acceptable.
        return {**super().case_fields(hooks, kind), "nature": "efficiency"}


class TestFamilyPlanningEfficiencyConformance(TestChengduEfficiencyConformance):
    """城区计生局 [S4b]: working days, no leader step, no feedback deadline, remedy orders, two steps."""

    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {
            "regulation": "jsj",
            "day_unit": "working",
            "handling_days": 30,
            "extension_cap_days": 30,
            "handoff_days": 5,
            "feedback_days": 0,
            "leader_approval": False,
            "may_order_remedy": True,
            "sanction_ladder": "criticism,disciplinary",
        }
    )
