"""Deadlines over HTTP: GET /api/v1/me/deadlines and GET /api/v1/stats/overdue-by-unit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import assert_problem

MONDAY = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # 10:00 Shanghai; handling is due 10-13 23:59:59
LATE = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)


@pytest.fixture
def app(app):
    """The app with the deadlines controller, registered here until `create_app` does it."""
    from core.api.controllers.deadlines import DeadlinesController

    if "/api/v1/me/deadlines" not in {route.path for route in app.routes}:
        app.register(DeadlinesController)
    return app


async def case_in_jcs(client, login, slug: str, *, signed: bool = True) -> int:
    """A complaint accepted at the clock's 2026-09-30 10:00, sent to jcs (and signed for by handler)."""
    operator = await login(slug, "operator")

    async def act(case_id: int, action: str, payload: dict, who: dict) -> None:
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text

    created = await client.post(
        "/api/v1/cases",
        headers=operator,
        json={
            "kind": "complaint",
            "channel": "visit",
            "title": "政务公开栏信息不真实",
            "content": "公开栏公布的补贴名单与实际发放不一致。",
            "identity": {"name": "李四", "phone": "13900001111"},
            "fields": {"situation": "untrue", "respondent": "南溪村委会"},
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    await act(case_id, "register", {"category": "untrue"}, operator)
    await act(case_id, "accept", {}, operator)
    dispatch = {"unit_code": "jcs", "cause": "公开信息不实", "opinion": "请核实"}
    await act(case_id, "dispatch", dispatch, await login(slug, "leader"))
    if signed:
        await act(case_id, "sign_for", {"handler": "handler"}, await login(slug, "handler"))
    return case_id


async def test_my_deadlines_over_http(client, township, login, clock):
    case_id = await case_in_jcs(client, login, township.slug)
    handler = await login(township.slug, "handler")

    clock.at = MONDAY
    response = await client.get("/api/v1/me/deadlines", params={"window": "week"}, headers=handler)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["window"], body["scope"]) == ("week", "handler")
    assert body["until"] == "2026-10-18T23:59:59+08:00"
    [item] = body["items"]
    assert item["case"]["id"] == case_id and item["case"]["state"] == "in_handling"
    assert item["case"]["unit_code"] == "jcs" and item["case"]["handler"] == "handler"
    assert (item["kind"], item["state"], item["provisional"], item["overdue"]) == (
        "handling",
        "running",
        False,
        False,
    )
    assert item["due_at"] == "2026-10-13T23:59:59+08:00"
    assert item["remaining_seconds"] == 136_799 and item["remaining_working_days"] == 1
    assert item["basis"] == "南溪镇制度 五(一)"
    overdue = await client.get("/api/v1/me/deadlines", params={"window": "overdue"}, headers=handler)
    assert overdue.status_code == 200 and overdue.json()["items"] == []

    clock.at = LATE
    overdue = await client.get("/api/v1/me/deadlines?window=overdue", headers=handler)
    [item] = overdue.json()["items"]
    assert item["overdue"] and item["remaining_seconds"] == -36_001 and item["remaining_working_days"] == -1
    today = await client.get("/api/v1/me/deadlines", headers=handler)  # window defaults to today
    assert today.status_code == 200 and today.json()["window"] == "today" and today.json()["items"] == []


async def test_overdue_by_unit_over_http(client, township, login, clock):
    await case_in_jcs(client, login, township.slug)
    await case_in_jcs(client, login, township.slug, signed=False)
    clock.at = LATE
    supervisor = await login(township.slug, "supervisor")
    response = await client.get("/api/v1/stats/overdue-by-unit", headers=supervisor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and body["as_of"] == "2026-10-14T10:00:00+08:00"
    assert body["units"] == [
        {"unit_code": "jcs", "unit_name": "镇监察室", "overdue_cases": 2},
        {"unit_code": "dzb", "unit_name": "党政办", "overdue_cases": 0},
    ]
    mine = await client.get("/api/v1/me/deadlines?window=overdue", headers=supervisor)
    assert mine.json()["scope"] == "tenant" and len({i["case"]["id"] for i in mine.json()["items"]}) == 2


async def test_refusals(client, township, login):
    handler = await login(township.slug, "handler")
    forbidden = await client.get("/api/v1/stats/overdue-by-unit", headers=handler)
    assert_problem(forbidden, 403)
    bad = await client.get("/api/v1/me/deadlines", params={"window": "month"}, headers=handler)
    assert_problem(bad, 400)
    assert "window" in bad.text
    assert (await client.get("/api/v1/me/deadlines")).status_code == 401
    assert (await client.get("/api/v1/stats/overdue-by-unit")).status_code == 401


async def test_no_deadline_crosses_tenants(client, township, make_tenant, login, clock):
    await case_in_jcs(client, login, township.slug)
    other = await make_tenant(demo=True)
    clock.at = LATE
    for username in ("supervisor", "handler"):
        who = await login(other.slug, username)
        found = await client.get("/api/v1/me/deadlines?window=overdue", headers=who)
        assert found.status_code == 200 and found.json()["items"] == []
    stats = await client.get("/api/v1/stats/overdue-by-unit", headers=await login(other.slug, "supervisor"))
    assert stats.json()["total"] == 0
    assert [line["overdue_cases"] for line in stats.json()["units"]] == [0, 0]
    mine = await client.get(
        "/api/v1/me/deadlines?window=overdue", headers=await login(township.slug, "supervisor")
    )
    assert len(mine.json()["items"]) == 1
