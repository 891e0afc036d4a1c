"""The platform's conformance suite for the civic service centre plugin, as its demo tenant runs it."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.cases import CaseKind
from core.domain.tenancy import Unit
from core.plugins import TenantHooks
from core.sdk.testing import PluginConformance
from plugins.civic_center import hooks


class TestCivicCenterConformance(PluginConformance):
    """永济市市民服务中心 [S4c]: the settings of tenants/yongji-civic.toml, spelled out."""

    plugin = hooks
    name = "civic_center"
    settings: ClassVar[MappingProxyType[str, Any]] = MappingProxyType(
        {
            "answer_working_days": 5,
            "coordinate_working_days": 1,
            "feedback_working_days": 2,
            "window_points": 2,
            "staff_points": 2,
            "transfer_matters": "integrity,discipline",
            "superior_government": "永济市人民政府",
        }
    )
    units: ClassVar[tuple[Unit, ...]] = (
        Unit("win-realty", "不动产登记窗口"),
        Unit("ducha", "督查科"),
    )

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> dict[str, Any]:
        # A matter the regulation lists, a window of the centre and each channel's record,
        # so the sample complaints are acceptable and every rule past acceptance is exercised.
        return {
            **super().case_fields(hooks, kind),
            "matter": "fees",
            "accused_unit": "win-realty",
            "call_record": "来电人反映窗口多收登记费，已询问清楚并如实记录。",
            "letter_register": "督查科杨洁拆阅，来信 2 页。",
        }
