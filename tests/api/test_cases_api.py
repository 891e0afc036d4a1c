"""The cases API: idempotent intake, lists and filters, actions with If-Match, tenants apart, roles."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import assert_problem

COMPLAINT = {
    "kind": "complaint",
    "channel": "phone",
    "title": "村务公开栏未更新",
    "content": "南溪村政务公开栏三个月未更新",
    "identity": {"name": "张三", "phone": "13812345678"},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}


async def test_the_same_idempotency_key_twenty_times_at_once_makes_one_case(client, township, login):
    headers = await login(township.slug, "operator") | {"Idempotency-Key": "call-2026-09-30-0001"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/cases", json=COMPLAINT, headers=headers) for _ in range(20))
    )
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19
    listed = await client.get("/api/v1/cases", headers=headers)
    assert len(listed.json()["items"]) == 1

    different = await client.post("/api/v1/cases", json=COMPLAINT | {"title": "另一件"}, headers=headers)
    assert assert_problem(different, 422)["errors"][0]["field"] == "Idempotency-Key"


async def test_list_filters_sort_and_cursor(client, township, login, clock):
    from datetime import timedelta

    headers = await login(township.slug, "operator")
    leader = await login(township.slug, "leader")
    ids = []
    for n, channel in enumerate(["phone", "letter", "web"]):
        body = COMPLAINT | {"channel": channel, "title": f"第{n + 1}件 低保" if n == 0 else f"第{n + 1}件"}
        ids.append((await client.post("/api/v1/cases", json=body, headers=headers)).json()["id"])
        clock.advance(timedelta(minutes=1))
    for action, payload, who in (
        ("register", {}, headers),
        ("accept", {}, headers),
        ("dispatch", {"unit_code": "jcs", "cause": "c", "opinion": "o"}, leader),
    ):
        response = await client.post(f"/api/v1/cases/{ids[0]}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text

    async def titles(**params) -> list[str]:
        response = await client.get("/api/v1/cases", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item["title"] for item in response.json()["items"]]

    assert await titles() == ["第3件", "第2件", "第1件 低保"]
    assert await titles(sort="received_at") == ["第1件 低保", "第2件", "第3件"]
    assert await titles(q="低保") == ["第1件 低保"]
    assert await titles(channel="letter") == ["第2件"]
    assert await titles(state=["received"]) == ["第3件", "第2件"]
    assert await titles(state=["dispatched", "received"], unit="jcs") == ["第1件 低保"]
    assert await titles(overdue="true") == []
    clock.advance(timedelta(days=30))
    assert await titles(overdue="true") == ["第1件 低保"]
    assert await titles(due_before="2026-10-09T00:00:00+08:00") == ["第1件 低保"]  # the return window

    first = await client.get("/api/v1/cases", params={"limit": 2}, headers=headers)
    page = first.json()
    second = await client.get(
        "/api/v1/cases", params={"limit": 2, "cursor": page["next_cursor"]}, headers=headers
    )
    assert [i["title"] for i in page["items"] + second.json()["items"]] == ["第3件", "第2件", "第1件 低保"]
    assert second.json()["next_cursor"] is None


async def test_if_match_stops_two_handlers_overwriting_each_other(client, township, login):
    headers = await login(township.slug, "operator")
    created = await client.post("/api/v1/cases", json=COMPLAINT, headers=headers)
    case_id, etag = created.json()["id"], created.headers["etag"]
    first = await client.post(
        f"/api/v1/cases/{case_id}/actions/register", json={}, headers=headers | {"If-Match": etag}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"1"'
    second = await client.post(
        f"/api/v1/cases/{case_id}/actions/refuse",
        json={"reason": "重复投诉"},
        headers=headers | {"If-Match": etag},
    )
    assert "请刷新后重试" in assert_problem(second, 412)["detail"]


async def test_another_tenants_case_is_not_found_on_every_endpoint(client, make_tenant, login):
    a, b = await make_tenant(demo=True), await make_tenant(demo=True)
    mine = await login(a.slug, "operator")
    theirs = await login(b.slug, "operator")
    case_id = (await client.post("/api/v1/cases", json=COMPLAINT, headers=mine)).json()["id"]
    missing = assert_problem(await client.get("/api/v1/cases/999999999", headers=theirs), 404)
    for method, path, body in (
        ("GET", f"/api/v1/cases/{case_id}", None),
        ("GET", f"/api/v1/cases/{case_id}/events", None),
        ("GET", f"/api/v1/cases/{case_id}/actions", None),
        ("POST", f"/api/v1/cases/{case_id}/actions/register", {}),
        ("POST", f"/api/v1/cases/{case_id}/actions/escalate", {"reason": "x"}),
    ):
        response = await client.request(method, path, json=body, headers=theirs)
        problem = assert_problem(response, 404)
        assert problem["type"] == missing["type"] and problem["title"] == missing["title"]
    listed = await client.get("/api/v1/cases", headers=theirs)
    assert listed.json()["items"] == []


# Which demo role may do what over the wire; the matrix itself lives in core.domain.roles.
ROLE_CASES = [
    ("operator", "intake", 201),
    ("leader", "intake", 201),
    ("handler", "intake", 403),
    ("supervisor", "intake", 403),
    ("admin", "intake", 403),
    ("admin", "read", 200),
    ("handler", "read", 404),  # not sent to the handler's unit: not even its existence
    ("handler", "read_dispatched", 200),
    ("operator", "dispatch", 403),
    ("handler", "dispatch", 404),
    ("leader", "dispatch", 200),
    ("supervisor", "dispatch", 200),
    ("admin", "dispatch", 403),
]


@pytest.mark.parametrize(("role", "step", "status"), ROLE_CASES)
async def test_each_roles_allowed_and_forbidden_steps(client, township, login, role, step, status):
    operator = await login(township.slug, "operator")
    headers = await login(township.slug, role)
    if step == "intake":
        response = await client.post("/api/v1/cases", json=COMPLAINT, headers=headers)
    else:
        case_id = (await client.post("/api/v1/cases", json=COMPLAINT, headers=operator)).json()["id"]
        if step == "read":
            response = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
        elif step == "read_dispatched":
            await dispatch_to_jcs(client, case_id, operator, await login(township.slug, "leader"))
            response = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
        else:
            for action in ("register", "accept"):
                await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json={}, headers=operator)
            dispatch = {"unit_code": "jcs", "cause": "政务公开", "opinion": "请核实"}
            response = await client.post(
                f"/api/v1/cases/{case_id}/actions/dispatch", json=dispatch, headers=headers
            )
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.text


async def dispatch_to_jcs(client, case_id: int, operator: dict, leader: dict) -> None:
    for action in ("register", "accept"):
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json={}, headers=operator)
        assert response.status_code == 200, response.text
    dispatch = {"unit_code": "jcs", "cause": "政务公开", "opinion": "请核实"}
    response = await client.post(f"/api/v1/cases/{case_id}/actions/dispatch", json=dispatch, headers=leader)
    assert response.status_code == 200, response.text


async def test_allowed_actions_follow_state_and_role(client, township, login):
    operator = await login(township.slug, "operator")
    handler = await login(township.slug, "handler")
    case_id = (await client.post("/api/v1/cases", json=COMPLAINT, headers=operator)).json()["id"]
    ops = (await client.get(f"/api/v1/cases/{case_id}/actions", headers=operator)).json()
    assert ops == ["register"]
    assert (await client.get(f"/api/v1/cases/{case_id}/actions", headers=handler)).status_code == 404
    await dispatch_to_jcs(client, case_id, operator, await login(township.slug, "leader"))
    handler_ops = (await client.get(f"/api/v1/cases/{case_id}/actions", headers=handler)).json()
    assert "sign_for" in handler_ops and "dispatch" not in handler_ops


async def test_numbers_written_into_the_complaint_are_masked_for_the_handling_unit(client, township, login):
    operator = await login(township.slug, "operator")
    handler = await login(township.slug, "handler")
    body = COMPLAINT | {"content": "请回电 13912345678，身份证 510101199001011234"}
    case_id = (await client.post("/api/v1/cases", json=body, headers=operator)).json()["id"]
    await dispatch_to_jcs(client, case_id, operator, await login(township.slug, "leader"))
    seen_by_operator = (await client.get(f"/api/v1/cases/{case_id}", headers=operator)).json()["content"]
    seen_by_handler = (await client.get(f"/api/v1/cases/{case_id}", headers=handler)).json()["content"]
    assert "13912345678" in seen_by_operator  # intake may read the identity in clear
    assert "13912345678" not in seen_by_handler and "139****5678" in seen_by_handler
    assert "510101199001011234" not in seen_by_handler


async def test_text_no_engine_can_store_gets_the_same_clear_4xx(client, township, login):
    # One rule in the domain, checked before the store: PostgreSQL would refuse a NUL or an
    # over-long category with a 500, SQLite would store them.
    operator = await login(township.slug, "operator")
    nul = await client.post("/api/v1/cases", json=COMPLAINT | {"content": "来电\x00反映"}, headers=operator)
    assert "控制字符" in assert_problem(nul, 400)["detail"]  # the request schema's check, same words
    created = await client.post("/api/v1/cases", json=COMPLAINT, headers=operator)
    case_id = created.json()["id"]
    long = await client.post(
        f"/api/v1/cases/{case_id}/actions/register", json={"category": "类" * 65}, headers=operator
    )
    problem = assert_problem(long, 422)
    assert "类别过长：最多 64 个字符" in problem["detail"]
    supervisor = await login(township.slug, "supervisor")
    for query in ("unit=%00", "subject=%00", "kind=a%01b"):
        answer = await client.get(f"/api/v1/ledger?{query}", headers=supervisor)
        assert "控制字符" in assert_problem(answer, 422)["detail"], query
    listed = await client.get("/api/v1/cases?q=%00", headers=operator)
    assert_problem(listed, 422)


async def test_identity_that_would_escape_the_vault_is_refused_by_name(client, township, login):
    operator = await login(township.slug, "operator")
    undeclared = COMPLAINT | {"identity": {**COMPLAINT["identity"], "passport": "E12345678"}}
    problem = assert_problem(await client.post("/api/v1/cases", json=undeclared, headers=operator), 422)
    assert "passport" in problem["detail"]
    in_clear = COMPLAINT | {"fields": {**COMPLAINT["fields"], "phone": "13900001111"}}
    problem = assert_problem(await client.post("/api/v1/cases", json=in_clear, headers=operator), 422)
    assert "须放在 identity 中" in problem["detail"]
