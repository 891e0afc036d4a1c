"""The whole Nanxi Town flow over HTTP, with each deadline checked against its regulation.

南溪镇制度 五(一): general complaints close within 5 working days; 六(二) transfer within 1
working day; 六(三) a misrouted case is returned within 1 working day; 六(四) feedback within
1 working day of the reply. Accepted on 2026-09-30 (the eve of National Day), so every count
jumps the 10-01..10-07 holiday and uses the Saturday 10-10 make-up workday.
"""

from __future__ import annotations

from datetime import timedelta


def timers(body: dict) -> dict[str, dict]:
    return {timer["kind"]: timer for timer in body["timers"]}


def due(body: dict, kind: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    instant = datetime.fromisoformat(timers(body)[kind]["due_at"])
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


async def test_intake_to_archive_over_http(client, township, login, clock):
    operator = await login(township.slug, "operator")
    leader = await login(township.slug, "leader")
    handler = await login(township.slug, "handler")
    dzb_handler = await login(township.slug, "dzb-handler")

    async def act(case_id: int, action: str, payload: dict, who: dict) -> dict:
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text
        return response.json()

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
    case = created.json()
    case_id = case["id"]
    assert case["timers"] == []  # Nanxi counts from acceptance

    case = await act(case_id, "register", {"category": "untrue"}, operator)
    case = await act(case_id, "accept", {}, operator)
    assert due(case, "transfer") == "2026-10-08T23:59:59+08:00"  # 六(二)
    assert due(case, "handling") == "2026-10-13T23:59:59+08:00"  # 五(一)
    assert timers(case)["handling"]["basis"] == "南溪镇制度 五(一)"
    assert timers(case)["handling"]["provisional"] is False

    clock.advance(timedelta(days=8))  # 2026-10-08 10:00, the first working day after the holiday
    case = await act(
        case_id, "dispatch", {"unit_code": "dzb", "cause": "公开信息不实", "opinion": "请核实"}, leader
    )
    assert timers(case)["transfer"]["state"] == "stopped"
    assert due(case, "return_window") == "2026-10-09T23:59:59+08:00"  # 六(三)
    case = await act(case_id, "return", {"reason": "补贴发放由财政所负责"}, dzb_handler)
    assert case["state"] == "returned" and case["unit_code"] is None
    assert due(case, "transfer") == "2026-10-09T23:59:59+08:00"  # a new working day to re-dispatch
    case = await act(
        case_id, "dispatch", {"unit_code": "jcs", "cause": "公开信息不实", "opinion": "请核实"}, leader
    )
    case = await act(case_id, "sign_for", {"handler": "handler"}, handler)
    assert timers(case)["return_window"]["state"] == "stopped"

    clock.advance(timedelta(days=2))  # Saturday 10-10, a make-up workday
    case = await act(case_id, "reply", {"mode": "in_person", "content": "名单已更正并重新公示。"}, handler)
    assert timers(case)["handling"]["state"] == "stopped"
    assert due(case, "feedback") == "2026-10-12T23:59:59+08:00"  # 六(四): Sunday is a rest day

    refused = await client.post(f"/api/v1/cases/{case_id}/actions/close", json={}, headers=operator)
    assert refused.status_code == 422 and "六(四)" in refused.json()["detail"]

    case = await act(
        case_id, "record_feedback", {"satisfaction": "satisfied", "note": "当事人签字"}, operator
    )
    case = await act(case_id, "close", {"summary": "已办结"}, operator)
    case = await act(case_id, "archive", {}, operator)
    assert case["state"] == "archived"
    assert {t["state"] for t in case["timers"]} == {"stopped"}

    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    assert [e["name"] for e in events] == [
        "case_received",
        "case_registered",
        "case_accepted",
        "case_dispatched",
        "case_returned",
        "case_dispatched",
        "case_signed_for",
        "case_replied",
        "case_feedback_recorded",
        "case_closed",
        "case_archived",
    ]
    assert [e["seq"] for e in events] == list(range(1, 12))
