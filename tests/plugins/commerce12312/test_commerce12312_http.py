"""An on-site complaint over HTTP: 接 with the eight facts, 10 minutes to dispatch, 30 to arrive."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.api.config import ApiConfig
from core.app import create_app
from core.plugins import PluginRegistry
from core.services.clock import FixedClock
from tests.helpers import sign_in

REGISTRY = PluginRegistry.discover(
    extra={"commerce12312": importlib.import_module("plugins.commerce12312.hooks")}
)
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def client(clock):
    app = create_app(config=ApiConfig(secret_key="x" * 40), registry=REGISTRY, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def test_an_on_site_complaint_over_http(client, make_tenant, clock):
    tenant = await make_tenant(
        "commerce12312",
        registry_=REGISTRY,
        settings={"squad_routing": {"消费纠纷": "jcs"}, "supervision_unit": "dzb"},
        prefix="SW",
        demo=True,
    )

    async def login(username: str) -> dict[str, str]:
        return await sign_in(client, tenant.slug, username)

    operator, leader, handler = [await login(name) for name in ("operator", "leader", "handler")]

    async def act(case_id: int, action: str, payload: dict, who: dict) -> dict:
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text
        return response.json()

    body = {
        "kind": "complaint",
        "channel": "phone",
        "title": "某加油站加油机计量不足",
        "content": "消费者称加油 200 元，油箱仅进油一半。",
        "identity": {"name": "赵某", "work_unit": "无", "phone": "13900001111"},
        "fields": {"event_time": "08:50", "place": "城关镇某加油站", "harm_scope": "一人"},
    }
    missing = await client.post("/api/v1/cases", headers=operator, json=body)
    assert missing.status_code == 422 and "危害程度" in missing.text and "现场处置情况" in missing.text
    body["fields"] |= {
        "harm_degree": "约 100 元",
        "onsite_handling": "无",
        "on_site": "yes",
        "category": "消费纠纷",
    }
    created = await client.post("/api/v1/cases", headers=operator, json=body)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    await act(case_id, "register", {"category": "消费纠纷"}, operator)
    case = await act(case_id, "accept", {}, operator)
    assert {timer["kind"] for timer in case["timers"]} == {"dispatch"}

    clock.advance(timedelta(minutes=5))
    dispatch = {
        "unit_code": "jcs",
        "cause": "投诉：加油计量不足",
        "opinion": "立即到场处置",
        "mode": "divert",
    }
    case = await act(case_id, "dispatch", dispatch, leader)
    states = {timer["kind"]: timer["state"] for timer in case["timers"]}
    assert states["dispatch"] == "stopped" and states["arrival"] == "running"

    clock.advance(timedelta(minutes=20))
    case = await act(case_id, "arrive", {"note": "已到达现场"}, handler)
    assert {timer["kind"]: timer["state"] for timer in case["timers"]}["arrival"] == "stopped"
