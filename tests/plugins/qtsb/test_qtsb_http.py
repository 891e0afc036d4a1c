"""A quality-bureau report from the office's registration to the reporter's reward, over HTTP.

质监局制度 一: registered at the office, approved by a bureau leader, then transferred by area
and industry; 二: only the office and leaders read the reporter's name and address; 三: the
result goes back through the office; 四: a verified report earns the reporter a reward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.api.config import ApiConfig
from core.app import create_app
from core.domain.decisions import SanctionKind
from core.plugins import PluginRegistry
from core.services.clock import FixedClock
from core.store.ledger import LedgerRepository
from core.store.tx import tenant_tx
from plugins.qtsb import hooks
from tests.helpers import sign_in

REGISTRY = PluginRegistry({"qtsb": hooks})
NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the eve of National Day


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def client(clock):
    app = create_app(
        config=ApiConfig(secret_key="qtsb-test-signing-key-" + "x" * 40), registry=REGISTRY, clock=clock
    )
    # The ASGI transport runs the app on this loop, where the session's pool lives.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://qtsb.test"
    ) as client:
        yield client


def due(body: dict, kind: str) -> str:
    timer = next(timer for timer in body["timers"] if timer["kind"] == kind)
    return datetime.fromisoformat(timer["due_at"]).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


async def test_a_report_from_registration_to_reward_over_http(client, make_tenant, clock):
    tenant = await make_tenant(
        "qtsb", registry_=REGISTRY, settings={"routing": {"城东/*": "jcs"}}, prefix="ZJ", demo=True
    )

    async def login(username: str) -> dict[str, str]:
        return await sign_in(client, tenant.slug, username)

    operator, leader, handler, supervisor = [
        await login(name) for name in ("operator", "leader", "handler", "supervisor")
    ]

    async def act(case_id: int, action: str, payload: dict, who: dict) -> dict:
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text
        return response.json()

    created = await client.post(
        "/api/v1/cases",
        headers=operator,
        json={
            "kind": "report",
            "channel": "letter",
            "title": "城东某厂生产不合格电线",
            "content": "城东工业园某电线厂以次充好，线芯截面不足。",
            "identity": {"name": "陈某", "phone": "13812345678", "address": "城东路 1 号"},
            "fields": {"product": "某电线厂", "area": "城东", "industry": "电线电缆"},
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    case = await act(case_id, "register", {"category": "电线电缆"}, operator)
    case = await act(case_id, "accept", {}, operator)
    assert due(case, "transfer") == "2026-10-10T23:59:59+08:00"

    # 二: the supervisor may not read the reporter in clear; the office may, and it is logged.
    refused = await client.post(
        f"/api/v1/cases/{case_id}/identity/reveal", json={"reason": "督查核实"}, headers=supervisor
    )
    assert refused.status_code == 403, refused.text
    revealed = await client.post(
        f"/api/v1/cases/{case_id}/identity/reveal", json={"reason": "书面告知结果"}, headers=operator
    )
    assert revealed.status_code == 200 and revealed.json()["identity"]["address"] == "城东路 1 号"

    # 一: no transfer before the bureau leader signs.
    dispatch = {"unit_code": "jcs", "cause": "举报：某电线厂", "opinion": "请依法查处"}
    early = await client.post(f"/api/v1/cases/{case_id}/actions/dispatch", json=dispatch, headers=leader)
    assert early.status_code == 422 and "局领导审批" in early.json()["detail"]
    case = await act(case_id, "submit_for_approval", {"opinion": "拟转城东稽查"}, operator)
    case = await act(case_id, "approve", {"opinion": "同意"}, leader)

    clock.advance(timedelta(days=8))  # 2026-10-08, the first workday after National Day
    case = await act(case_id, "dispatch", dispatch, leader)
    assert case["unit_code"] == "jcs"
    assert due(case, "handling") == "2026-10-28T23:59:59+08:00"
    case = await act(case_id, "sign_for", {"handler": "handler"}, handler)

    # 三: the unit reports to the office; the office answers the person, a letter in writing.
    from_the_unit = await client.post(
        f"/api/v1/cases/{case_id}/actions/reply",
        json={"mode": "written", "content": "已查处"},
        headers=handler,
    )
    assert from_the_unit.status_code == 403
    by_phone = await client.post(
        f"/api/v1/cases/{case_id}/actions/reply",
        json={"mode": "phone", "content": "已查处"},
        headers=operator,
    )
    assert by_phone.status_code == 422 and "written" in by_phone.json()["detail"]
    case = await act(case_id, "reply", {"mode": "written", "content": "经查属实，已立案查处。"}, operator)
    case = await act(
        case_id, "close", {"summary": "举报查实", "outcome": "verified", "amount": "100000"}, operator
    )
    case = await act(case_id, "archive", {}, operator)
    assert case["state"] == "archived"

    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    assert [e["name"] for e in events] == [
        "case_received",
        "case_registered",
        "case_accepted",
        "case_identity_revealed",
        "case_submitted_for_approval",
        "case_approved",
        "case_dispatched",
        "case_signed_for",
        "case_replied",
        "case_closed",
        "case_archived",
    ]

    # 四: the reward line, 5% of 100000 at the 5000 cap.
    async with tenant_tx(tenant.id):
        (line,) = await LedgerRepository(tenant.id).journal()
    assert (line.sanction.kind, line.sanction.amount) == (SanctionKind.REWARD, Decimal("5000.00"))
