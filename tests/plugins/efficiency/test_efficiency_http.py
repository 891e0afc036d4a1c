"""One Chengdu efficiency complaint over HTTP, from the phone call to the upheld closing.

局投诉举报制度 第六条: 登记 → 呈报 (the leader reads the draft) → 移送 → 办理 within 30 days,
extended with the leader's approval by at most 30 → closed (查结) → 反馈 to the real-name
complainant within 2 days after it → the 第八条 ledger. Accepted on 2026-09-30 10:00, the eve
of National Day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.api.config import ApiConfig
from core.app import create_app
from core.services.clock import FixedClock
from tests.helpers import sign_in

pytestmark = pytest.mark.postgres

CHENGDU: dict[str, Any] = {"regulation": "jgswj", "day_unit": "calendar", "leader_approval": True}


def timers(body: dict) -> dict[str, dict]:
    return {timer["kind"]: timer for timer in body["timers"]}


def due(body: dict, kind: str) -> str:
    instant = datetime.fromisoformat(timers(body)[kind]["due_at"])
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


async def test_a_chengdu_complaint_over_http(make_tenant, registry):
    tenant = await make_tenant("efficiency", demo=True, settings=CHENGDU, prefix="JG")
    clock = FixedClock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    app = create_app(config=ApiConfig(secret_key="x" * 40), registry=registry, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:

        async def login(username: str) -> dict[str, str]:
            return await sign_in(client, tenant.slug, username)

        operator, leader, handler = await login("operator"), await login("leader"), await login("handler")

        async def act(action: str, payload: dict, who: dict, *, status: int = 200) -> dict:
            response = await client.post(
                f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who
            )
            assert response.status_code == status, response.text
            return response.json()

        created = await client.post(
            "/api/v1/cases",
            headers=operator,
            json={
                "kind": "complaint",
                "channel": "phone",
                "title": "机关服务中心窗口人员态度恶劣",
                "content": "办理会议室预订时窗口人员推诿，拒不说明所需材料。",
                "identity": {"name": "陈静", "phone": "13700003333"},
                "fields": {"nature": "work_style", "respondent": "机关服务中心 刘洋"},
            },
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        assert created.json()["category"] == "work_style"

        await act("register", {"category": "work_style"}, operator)
        case = await act("accept", {}, operator)
        assert due(case, "draft_opinion") == "2026-09-30T23:59:59+08:00"  # 第六条(二) 当日内
        assert due(case, "handoff") == "2026-10-08T23:59:59+08:00"  # 第六条(三)
        assert due(case, "handling") == "2026-10-30T23:59:59+08:00"  # 第六条(四)
        assert timers(case)["handling"]["basis"] == "局投诉举报制度 第六条(四)"

        refused = await act(
            "dispatch", {"unit_code": "jcs", "cause": "工作作风", "opinion": "请核实"}, leader, status=422
        )
        assert "分管领导审批" in refused["detail"]
        await act("submit_for_approval", {"opinion": "拟转机关服务中心核实"}, operator)
        await act("approve", {"opinion": "同意，请限期查处"}, leader)
        case = await act("dispatch", {"unit_code": "jcs", "cause": "工作作风", "opinion": "请核实"}, leader)
        assert timers(case)["draft_opinion"]["state"] == "stopped"
        assert timers(case)["handoff"]["state"] == "stopped"
        await act("sign_for", {"handler": "handler"}, handler)

        case = await act("extend", {"period": "30 days", "reason": "需调取监控", "timer": "handling"}, leader)
        assert due(case, "handling") == "2026-11-30T23:59:59+08:00"  # 11-29 is a Sunday: rolled over
        over = await act(
            "extend", {"period": "1 day", "reason": "再延", "timer": "handling"}, leader, status=422
        )
        assert "上限" in over["detail"]

        case = await act("reply", {"mode": "written", "content": "经查属实，已对当事人批评教育。"}, handler)
        assert "feedback" not in timers(case)  # 查结后2日内: from the closure

        # 第七条: the leader reads the draft, never who complained; the complaint office does.
        hidden = await client.post(
            f"/api/v1/cases/{case_id}/identity/reveal", json={"reason": "阅批需要"}, headers=leader
        )
        assert hidden.status_code == 403, hidden.text
        shown = await client.post(
            f"/api/v1/cases/{case_id}/identity/reveal", json={"reason": "告知查办结果"}, headers=operator
        )
        assert shown.status_code == 200 and shown.json()["identity"]["name"] == "陈静"

        case = await act(
            "close",
            {"summary": "投诉属实", "outcome": "upheld", "respondent": "机关服务中心 刘洋"},
            operator,
        )
        assert case["state"] == "closed"
        assert due(case, "feedback") == "2026-10-08T23:59:59+08:00"  # 2 days from 09-30, past the holiday
        assert timers(case)["feedback"]["basis"] == "局投诉举报制度 第六条(六)"
        case = await act("record_feedback", {"satisfaction": "satisfied", "note": "电话告知"}, operator)
        assert case["state"] == "closed"
        assert {t["state"] for t in case["timers"]} == {"stopped"}

        events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    assert [e["name"] for e in events] == [
        "case_received",
        "case_registered",
        "case_accepted",
        "case_submitted_for_approval",
        "case_approved",
        "case_dispatched",
        "case_signed_for",
        "case_extended",
        "case_replied",
        "case_identity_revealed",
        "case_closed",
        "case_feedback_recorded",
    ]
    accountability = events[-2]["data"]["accountability"]
    assert accountability["subject"] == "机关服务中心 刘洋"
    (line,) = accountability["sanctions"]
    assert (line["kind"], line["points"], line["amount"], line["subject"]) == (
        "admonition",
        0,
        "0",
        "机关服务中心 刘洋",
    )
