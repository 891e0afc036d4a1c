"""GET /api/v1/cases/{id}/routing: the unit the tenant's rules suggest, why, and whether it binds."""

from __future__ import annotations

import importlib

import pytest

from core.domain.cases import CaseState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from tests.helpers import assert_problem
from tests.walks import walk_to


@pytest.fixture(scope="session")
def registry():
    return PluginRegistry.discover(
        extra={"bound": importlib.import_module("tests.fixture_plugins.bound_routing")}
    )


async def test_the_routing_and_a_dispatch_against_it(make_tenant, registry, clock, actors, client, login):
    tenant = await make_tenant("bound", demo=True)
    case_id = await walk_to(CaseService(registry, clock), tenant.id, actors, CaseState.ACCEPTED, "township")
    headers = await login(tenant.slug, "leader")
    routing = await client.get(f"/api/v1/cases/{case_id}/routing", headers=headers)
    assert routing.status_code == 200
    assert routing.json() == {
        "unit_code": "jcs",
        "cause": "咨询：政务公开目录在哪里查询",
        "reason": "测试规则：一律由镇监察室办理",
        "binding": True,
    }
    refused = await client.post(
        f"/api/v1/cases/{case_id}/actions/dispatch",
        json={"unit_code": "dzb", "cause": "政务公开", "opinion": "请办理"},
        headers=headers,
    )
    assert_problem(refused, 422, mentions=("镇监察室", "测试规则"))
