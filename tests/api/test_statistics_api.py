"""Monthly statistics over HTTP: for supervisors and auditors, with a circular ready to send."""

from __future__ import annotations


async def test_monthly_statistics_over_http(client, township, login):
    operator = await login(township.slug, "operator")
    case = {"kind": "consultation", "channel": "phone", "title": "咨询", "content": "公开目录在哪里查？"}
    assert (await client.post("/api/v1/cases", json=case, headers=operator)).status_code == 201
    supervisor = await login(township.slug, "supervisor")
    response = await client.get(
        "/api/v1/stats/monthly", params={"year": 2026, "month": 9}, headers=supervisor
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totals"]["received"] == 1 and "2026 年 9 月" in body["circular"]
    handler = await login(township.slug, "handler")
    refused = await client.get("/api/v1/stats/monthly", params={"year": 2026, "month": 9}, headers=handler)
    assert refused.status_code == 403
    bad = await client.get("/api/v1/stats/monthly", params={"year": 2026, "month": 13}, headers=supervisor)
    assert bad.status_code == 400
