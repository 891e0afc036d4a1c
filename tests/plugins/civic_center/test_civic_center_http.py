"""One letter of complaint about a window over HTTP, from its registration to the points.

永济市市民服务中心投诉举报制度: the letter is opened and registered (第六条) → dispatched to the
accused window's department, which has 5 working days (第八条) → a phone answer is refused, the
written one taken (第七条) → fed back to the signed complainant (第五条) → upheld: points off the
window and the staff member (第十条). Received Wed 2026-09-30 10:00, the eve of National Day.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
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

TENANT_FILE = Path(__file__).parents[3] / "tenants" / "yongji-civic.toml"
STAFF = "不动产登记窗口 王磊"


def due(body: dict, kind: str) -> str:
    timer = next(timer for timer in body["timers"] if timer["kind"] == kind)
    return datetime.fromisoformat(timer["due_at"]).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


async def test_a_letter_about_a_window_over_http(registry, unique_slug):
    config = read_tenant_file(TENANT_FILE, registry)
    tenant = await onboard(dataclasses.replace(config, slug=unique_slug("yongji")), registry, demo=True)
    clock = FixedClock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    app = create_app(config=ApiConfig(secret_key="x" * 40), registry=registry, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:

        async def login(username: str) -> dict[str, str]:
            return await sign_in(client, tenant.slug, username)

        operator, supervisor, handler = (
            await login("operator"),
            await login("supervisor"),
            await login("handler"),
        )

        async def act(action: str, payload: dict, who: dict, *, status: int = 200) -> dict:
            response = await client.post(
                f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who
            )
            assert response.status_code == status, response.text
            return response.json()

        anonymous = await client.post(
            "/api/v1/cases",
            headers=operator,
            json={
                "kind": "complaint",
                "channel": "web",
                "title": "税务窗口办事拖拉",
                "content": "网上留言：税务窗口办理发票申领等候两小时。",
                "anonymous": True,
                "fields": {"matter": "efficiency", "accused_unit": "税务窗口", "accused_person": "不知姓名"},
            },
        )
        assert anonymous.status_code == 201, anonymous.text
        created = await client.post(
            "/api/v1/cases",
            headers=operator,
            json={
                "kind": "complaint",
                "channel": "letter",
                "title": "不动产登记窗口收取“加急费”",
                "content": "办理抵押登记时，窗口工作人员王磊收取 80 元“加急费”，未开具票据。",
                "identity": {"name": "李娜", "phone": "13935900001"},
                "fields": {
                    "matter": "fees",
                    "accused_unit": "win-realty",
                    "accused_person": STAFF,
                    "evidence": "收款截图",
                    "letter_register": "督查科杨洁拆阅，来信 2 页",
                },
            },
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]

        # 第五条: the signed letter heads the section's queue although it came in later.
        queue = await client.get("/api/v1/cases", params={"sort": "queue"}, headers=supervisor)
        assert [item["id"] for item in queue.json()["items"]] == [case_id, anonymous.json()["id"]]

        await act("register", {"category": "fees"}, operator)
        case = await act("accept", {}, operator)
        assert due(case, "coordinate") == "2026-10-08T23:59:59+08:00"
        case = await act(
            "dispatch",
            {"unit_code": "win-realty", "cause": "收费", "opinion": "请调查核实并书面答复"},
            supervisor,
        )
        assert due(case, "answer") == "2026-10-13T23:59:59+08:00"  # 5 working days past National Day
        await act("sign_for", {"handler": "handler"}, handler)

        refused = await act("reply", {"mode": "phone", "content": "电话告知已退费"}, handler, status=422)
        assert "书面投诉必须书面答复" in refused["detail"] and "第七条" in refused["detail"]
        await act(
            "reply",
            {"mode": "written", "content": "调查核实情况：收费属实。处理意见：全额退还，责令书面检查。"},
            handler,
        )
        blocked = await act(
            "close", {"summary": "属实", "outcome": "upheld", "respondent": STAFF}, supervisor, status=422
        )
        assert "第五条" in blocked["detail"]
        await act("record_feedback", {"satisfaction": "satisfied", "note": "电话告知投诉人"}, operator)
        case = await act(
            "close",
            {
                "summary": "投诉属实",
                "outcome": "upheld",
                "respondent": STAFF,
                "respondent_unit": "win-realty",
            },
            supervisor,
        )
        assert case["state"] == "closed"

        ledger = await client.get("/api/v1/ledger", headers=supervisor)
        assert ledger.status_code == 200, ledger.text
    lines = {line["subject"]: line for line in ledger.json() if line["case_id"] == case_id}
    assert set(lines) == {"win-realty", STAFF}
    for line in lines.values():
        assert (line["sanction"], line["points"], line["in_force"]) == ("points_deducted", 2, True)
        assert line["basis"] == "永济市市民服务中心投诉举报制度 第十条"
