"""One complaint to the disease-control centre over HTTP, from the call to the ledger line.

举报投诉处理制度: 二 acceptance conditions told all at once (首办制度 二.3) → 三.3 accepted once
supplemented → 三.5 two investigators, signed record → 三.7 the four-section written reply →
首办制度 四.2 the first handler's admonition. The tenant is tenants/city-cdc.toml.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
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

SHANGHAI = ZoneInfo("Asia/Shanghai")
TENANT_FILE = Path(__file__).parents[3] / "tenants" / "city-cdc.toml"
REPLY = (
    "调查经过：办公室二人到门诊调取接种登记并询问窗口人员。事实和证据：登记无告知记录，当事人承认。"
    "责任认定：窗口人员未履行告知义务。处理意见：诫勉谈话并书面道歉。"
)


async def test_a_cdc_complaint_over_http(registry, unique_slug):
    config = read_tenant_file(TENANT_FILE, registry)
    tenant = await onboard(dataclasses.replace(config, slug=unique_slug("cdc")), registry, demo=True)
    clock = FixedClock(datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))
    app = create_app(config=ApiConfig(secret_key="x" * 40), registry=registry, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:

        async def login(username: str) -> dict[str, str]:
            return await sign_in(client, tenant.slug, username)

        operator, leader, handler = await login("operator"), await login("leader"), await login("handler")
        supervisor = await login("supervisor")

        async def act(action: str, payload: dict, who: dict, *, status: int = 200) -> dict:
            url = f"/api/v1/cases/{case_id}/actions/{action}"
            response = await client.post(url, json=payload, headers=who)
            assert response.status_code == status, response.text
            return response.json()

        created = await client.post(
            "/api/v1/cases",
            headers=operator,
            json={
                "kind": "complaint",
                "channel": "phone",
                "title": "接种门诊未告知禁忌症",
                "content": "家长来电反映接种前窗口人员未告知禁忌症。",
                "identity": {"name": "李华", "address": "市中区人民路12号", "phone": "13800001111"},
                "fields": {"respondent": "window", "facts": "9月28日接种前未告知禁忌症"},
            },
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        await act("register", {}, operator)

        refused = await act("accept", {}, operator, status=422)
        for condition in ("直接受到侵害", "具体要求", "签字（盖章）的口述笔录"):
            assert condition in refused["detail"], refused["detail"]
        partial = await act("request_supplement", {"items": ["具体要求"]}, operator, status=422)
        assert "一次性交待清楚" in partial["detail"]
        waiting = await act(
            "request_supplement",
            {"items": ["是否本人在本中心接种时权益直接受到侵害", "具体要求", "在口述笔录上签字"]},
            operator,
        )
        assert waiting["state"] == "awaiting_supplement" and waiting["timers"] == []
        await act(
            "supply",
            {
                "note": "投诉人来中心签字",
                "fields": {
                    "demands": "说明情况并道歉",
                    "direct_harm": "yes",
                    "statement": "signed_transcript",
                },
            },
            operator,
        )
        case = await act("accept", {}, operator)
        (checking,) = case["timers"]
        assert checking["kind"] == "checking" and checking["basis"] == "举报投诉处理制度 三.2"
        # 7 days from Friday 10-09 end on Friday 10-16.
        assert datetime.fromisoformat(checking["due_at"]).astimezone(SHANGHAI).isoformat() == (
            "2026-10-16T23:59:59+08:00"
        )

        await act("dispatch", {"unit_code": "immunization", "cause": "接种告知", "opinion": "请核实"}, leader)
        await act("sign_for", {"handler": "handler"}, handler)
        alone = await act(
            "investigate",
            {"investigators": ["宋佳"], "interviewee": "周敏", "findings": "属实", "signed": True},
            handler,
            status=422,
        )
        assert "两人随行" in alone["detail"]
        await act(
            "investigate",
            {"investigators": ["宋佳", "何平"], "interviewee": "周敏", "findings": "属实", "signed": True},
            handler,
        )
        incomplete = await act(
            "reply",
            {"mode": "written", "content": REPLY.replace("责任认定：窗口人员未履行告知义务。", "")},
            handler,
            status=422,
        )
        assert "书面答复缺少：责任认定" in incomplete["detail"]
        await act("reply", {"mode": "written", "content": REPLY}, handler)
        closed = await act(
            "close",
            {"summary": "投诉属实", "outcome": "upheld", "respondent": "window", "respondent_unit": "clinic"},
            operator,
        )
        assert closed["state"] == "closed"

        ledger = await client.get("/api/v1/ledger", params={"subject": "window"}, headers=supervisor)
        assert ledger.status_code == 200, ledger.text
        (line,) = ledger.json()
        assert (line["sanction"], line["basis"], line["in_force"]) == (
            "admonition",
            "接待群众来访办事首办责任制度 四.2",
            True,
        )
        events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    names = [event["name"] for event in events]
    assert names[:4] == ["case_received", "case_registered", "case_supplement_requested", "case_supplied"]
    assert "case_investigated" in names and names[-1] == "case_closed"
