"""The plugin's routing is shown where a dispatcher dispatches, preselected; a binding one holds."""

from __future__ import annotations

import importlib

import pytest

from core.domain.cases import CaseState
from core.domain.commands import DispatchCase
from core.domain.errors import RuleViolation
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from tests.walks import NOW, walk_to


async def test_a_binding_route_refuses_another_unit_naming_the_rule(make_tenant, actors):
    bound = importlib.import_module("tests.fixture_plugins.bound_routing")
    registry = PluginRegistry.discover(extra={"bound": bound})
    tenant = await make_tenant("bound", registry_=registry)
    cases = CaseService(registry, FixedClock(NOW))
    case_id = await walk_to(cases, tenant.id, actors, CaseState.ACCEPTED, "township")
    route = await cases.routing(tenant.id, case_id, actors["leader"])
    assert (route.unit_code, route.binding) == ("jcs", True)
    elsewhere = DispatchCase(unit_code="dzb", cause="政务公开", opinion="请办理")
    with pytest.raises(RuleViolation, match="须转镇监察室（jcs）办理：测试规则：一律由镇监察室办理"):
        await cases.perform(tenant.id, case_id, elsewhere, actors["leader"])
    there = DispatchCase(unit_code="jcs", cause="政务公开", opinion="请办理")
    assert (await cases.perform(tenant.id, case_id, there, actors["leader"])).case.unit_code == "jcs"
