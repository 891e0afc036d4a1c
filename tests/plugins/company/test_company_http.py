"""A customer complaint at the demo company over HTTP, from the first-asked person to the appeal.

四.1 a salesperson takes the complaint in; 三 the Market Development Dept handles it; 五 a date is
agreed with the customer; 四.5 fixed until the customer is satisfied; 六.2 the employee at fault
pays 20%/10% of the loss and loses the commission; 六.3 in agreed instalments; 四.9 appeals go to
the GM.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.api.config import ApiConfig
from core.app import create_app
from core.services.clock import FixedClock
from core.services.tenants import onboard, read_tenant_file
from tests.helpers import sign_in

pytestmark = pytest.mark.postgres

TENANT_FILE = Path(__file__).parents[3] / "tenants" / "demo-company.toml"
NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the eve of National Day


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def client(registry, clock):
    app = create_app(
        config=ApiConfig(secret_key="company-test-signing-key-" + "x" * 40), registry=registry, clock=clock
    )
    # The ASGI transport runs the app on this loop, where the session's pool lives.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://company.test") as c:
        yield c


def due(body: dict, kind: str = "handling") -> str:
    timer = next(timer for timer in body["timers"] if timer["kind"] == kind)
    return datetime.fromisoformat(timer["due_at"]).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


async def test_a_complaint_from_the_first_asked_person_to_the_gms_appeal_decision(
    client, registry, unique_slug, clock
):
    config = read_tenant_file(TENANT_FILE, registry)
    tenant = await onboard(dataclasses.replace(config, slug=unique_slug("company")), registry, demo=True)

    async def login(username: str) -> dict[str, str]:
        return await sign_in(client, tenant.slug, username)

    sales1, supervisor, handler, gm = [
        await login(name) for name in ("sales1", "supervisor", "handler", "gm")
    ]

    async def act(case_id: int, action: str, payload: dict, who: dict, status: int = 200) -> dict:
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == status, response.text
        return response.json()

    created = await client.post(
        "/api/v1/cases",
        headers=sales1,
        json={
            "kind": "complaint",
            "channel": "phone",
            "title": "承诺的交货期未兑现导致客户停工",
            "content": "销售承诺 9 月 20 日交货，实际延误十天，客户生产线停工。",
            "identity": {"name": "某机械厂 采购部 吴经理", "phone": "13600005678"},
            "fields": {"subject": "service", "reason": "交货延误", "demand": "赔偿停工损失"},
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    await act(case_id, "register", {"category": "service"}, sales1)
    case = await act(case_id, "accept", {}, sales1)
    assert due(case) == "2026-10-13T23:59:59+08:00"  # 5 working days across National Day

    await act(
        case_id, "dispatch", {"unit_code": "market", "cause": "交货延误", "opinion": "请协调处理"}, supervisor
    )
    await act(case_id, "sign_for", {"handler": "handler"}, handler)
    case = await act(
        case_id, "set_deadline", {"timer": "handling", "due_on": "2026-10-16", "reason": "客户同意"}, handler
    )
    assert due(case) == "2026-10-16T23:59:59+08:00"

    clock.advance(timedelta(days=10))
    await act(case_id, "reply", {"mode": "phone", "content": "已补发货物，公司赔偿停工损失。"}, handler)
    upheld = {
        "summary": "销售过度承诺交货期，公司赔偿客户 25000 元",
        "outcome": "upheld",
        "respondent": "sales1",
        "respondent_unit": "sales",
        "amount": "25000",
        "commission": "1800",
    }
    refused = await act(case_id, "close", upheld, supervisor, status=422)
    assert "四.5" in refused["detail"]
    await act(case_id, "record_feedback", {"satisfaction": "satisfied"}, supervisor)
    case = await act(case_id, "close", upheld, supervisor)
    assert case["state"] == "closed"

    ledger = await client.get("/api/v1/ledger", params={"subject": "sales1"}, headers=gm)
    assert ledger.status_code == 200, ledger.text
    lines = {line["sanction"]: line for line in ledger.json()}
    assert {kind: lines[kind]["amount"] for kind in lines} == {
        "wage_deduction": "200.00",
        "reimbursement": "3500.00",
        "commission_clawback": "1800.00",
    }
    assert lines["reimbursement"]["basis"] == "客户投诉处理制度 六.2"

    # 六.3: the reimbursement in two agreed payments.
    plan = await client.post(
        f"/api/v1/ledger/{lines['reimbursement']['id']}/instalments",
        json={"count": 2, "first_due": "2026-10-31"},
        headers=gm,
    )
    assert plan.status_code in (200, 201), plan.text

    # 四.9: the salesperson appeals the claw-back to the GM, who upholds it.
    clawback = lines["commission_clawback"]["id"]
    appeal = await client.post(
        f"/api/v1/ledger/{clawback}/appeal", json={"reason": "提成已用于客户公关"}, headers=sales1
    )
    assert appeal.status_code in (200, 201), appeal.text
    decision = await client.post(
        f"/api/v1/ledger/{clawback}/appeal/decision",
        json={"decision": "uphold", "reason": "制度规定取消该笔业务提成"},
        headers=gm,
    )
    assert decision.status_code in (200, 201), decision.text

    after = {line["sanction"]: line for line in (await client.get("/api/v1/ledger", headers=sales1)).json()}
    assert after["commission_clawback"]["in_force"] and not after["commission_clawback"]["appeal_open"]
    history = [(e["type"], e["by"], e["decision"]) for e in after["commission_clawback"]["history"]]
    assert history == [("appeal", "sales1", None), ("appeal_decision", "gm", "uphold")]
    assert [(i["due_on"], i["amount"]) for i in after["reimbursement"]["schedule"]] == [
        ("2026-10-31", "1750.00"),
        ("2026-11-30", "1750.00"),
    ]
