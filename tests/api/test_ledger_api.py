"""The accountability ledger over HTTP: a line from a closed case, an appeal, a decision, CSV."""

from __future__ import annotations

COMPLAINT = {
    "kind": "complaint",
    "channel": "phone",
    "title": "政务公开栏未更新",
    "content": "三个月未更新",
    "identity": {"name": "王五", "phone": "13700001111"},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}


async def test_a_line_is_appealed_decided_and_exported_over_http(client, township, login):
    operator, leader, handler, supervisor = [
        await login(township.slug, name) for name in ("operator", "leader", "handler", "supervisor")
    ]

    async def act(case_id: int, action: str, payload: dict, who: dict) -> None:
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text

    created = await client.post("/api/v1/cases", json=COMPLAINT, headers=operator)
    case_id = created.json()["id"]
    await act(case_id, "register", {}, operator)
    await act(case_id, "accept", {}, operator)
    await act(case_id, "dispatch", {"unit_code": "jcs", "cause": "政务公开", "opinion": "请核实"}, leader)
    await act(case_id, "sign_for", {"handler": "handler"}, handler)
    await act(case_id, "reply", {"mode": "written", "content": "已更新"}, handler)
    await act(case_id, "record_feedback", {"satisfaction": "satisfied"}, supervisor)
    bad_unit = await client.post(
        f"/api/v1/cases/{case_id}/actions/close",
        json={"outcome": "upheld", "respondent": "handler", "respondent_unit": "nope"},
        headers=supervisor,
    )
    assert bad_unit.status_code == 422 and "被投诉单位 nope 不存在" in bad_unit.json()["detail"]
    await act(
        case_id, "close", {"outcome": "upheld", "respondent": "handler", "respondent_unit": "jcs"}, supervisor
    )

    (line,) = (await client.get("/api/v1/ledger", headers=supervisor)).json()
    assert (line["subject"], line["unit_code"], line["sanction"], line["in_force"]) == (
        "handler",
        "jcs",
        "criticism",
        True,
    )
    by_unit = (await client.get("/api/v1/ledger", params={"unit": "jcs"}, headers=supervisor)).json()
    assert [x["id"] for x in by_unit] == [line["id"]]
    assert (await client.get("/api/v1/ledger", params={"unit": "dzb"}, headers=supervisor)).json() == []
    # The handler sees their own line; the operator has none and may not read others'.
    assert [x["id"] for x in (await client.get("/api/v1/ledger", headers=handler)).json()] == [line["id"]]
    assert (await client.get("/api/v1/ledger", headers=operator)).json() == []
    other = await client.get("/api/v1/ledger", params={"subject": "handler"}, headers=operator)
    assert other.status_code == 403

    empty = await client.post(f"/api/v1/ledger/{line['id']}/appeal", json={"reason": ""}, headers=handler)
    assert empty.status_code == 400
    appeal = await client.post(
        f"/api/v1/ledger/{line['id']}/appeal", json={"reason": "已整改"}, headers=handler
    )
    assert appeal.status_code == 201, appeal.text
    assert appeal.json()["type"] == "appeal" and appeal.json()["due_at"]
    again = await client.post(f"/api/v1/ledger/{line['id']}/appeal", json={"reason": "再诉"}, headers=handler)
    assert again.status_code == 422 and "不能重复申诉" in again.json()["detail"]
    not_yours = await client.post(
        f"/api/v1/ledger/{line['id']}/appeal/decision",
        json={"decision": "overturn", "reason": "x"},
        headers=handler,
    )
    assert not_yours.status_code == 403
    decided = await client.post(
        f"/api/v1/ledger/{line['id']}/appeal/decision",
        json={"decision": "overturn", "reason": "经复查不属实"},
        headers=leader,
    )
    assert decided.status_code == 201, decided.text
    assert [e["type"] for e in decided.json()] == ["appeal_decision", "reversal"]
    (after,) = (await client.get("/api/v1/ledger", headers=supervisor)).json()
    assert after["in_force"] is False
    assert [e["type"] for e in after["history"]] == ["appeal", "appeal_decision", "reversal"]

    missing = await client.post("/api/v1/ledger/999999/appeal", json={"reason": "x"}, headers=handler)
    assert missing.status_code == 404
    export = await client.get("/api/v1/ledger/export.csv", params={"year": 2026}, headers=supervisor)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = export.text.lstrip("\ufeff").splitlines()
    assert len(rows) == 2 and ",已撤销,撤销原处理," in rows[1]
    assert (await client.get("/api/v1/ledger/export.csv", headers=handler)).status_code == 403
    yearly = await client.get("/api/v1/ledger/yearly", params={"year": 2026}, headers=supervisor)
    assert yearly.status_code == 200 and yearly.json() == []  # the only event was overturned


async def test_leaders_record_a_found_fact_on_a_case(client, township, login):
    operator, leader, supervisor = [
        await login(township.slug, n) for n in ("operator", "leader", "supervisor")
    ]
    case_id = (await client.post("/api/v1/cases", json=COMPLAINT, headers=operator)).json()["id"]
    fact = {
        "case_id": case_id,
        "kind": "identity_leaked",
        "subject": "handler",
        "detail": "向村委会透露投诉人电话",
    }
    assert (await client.post("/api/v1/ledger/events", json=fact, headers=supervisor)).status_code == 403
    wrong = await client.post(
        "/api/v1/ledger/events", json={**fact, "kind": "deadline_breached"}, headers=leader
    )
    assert wrong.status_code == 422 and "不能手工登记" in wrong.json()["detail"]
    unknown = await client.post("/api/v1/ledger/events", json={**fact, "kind": "gossip"}, headers=leader)
    assert unknown.status_code == 400
    elsewhere = await client.post("/api/v1/ledger/events", json={**fact, "case_id": 999_999}, headers=leader)
    assert elsewhere.status_code == 404
    recorded = await client.post("/api/v1/ledger/events", json=fact, headers=leader)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json() == []  # the township's rules name no sanction for a leak; the fact is on record
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=supervisor)).json()
    assert events[-1]["name"] == "case_accountability_recorded"
    assert events[-1]["data"]["kind"] == "identity_leaked"
