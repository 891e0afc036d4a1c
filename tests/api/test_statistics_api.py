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


async def test_any_period_broken_down_by_the_plugins_dimensions_over_http(client, township, login):
    operator = await login(township.slug, "operator")
    case = {
        "kind": "complaint",
        "channel": "phone",
        "title": "公开栏未更新",
        "content": "村务公开栏半年未更新",
        "anonymous": True,
        "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
    }
    assert (await client.post("/api/v1/cases", json=case, headers=operator)).status_code == 201
    supervisor = await login(township.slug, "supervisor")
    for period in ("2026-09", "2026-Q3", "2026", "2026-09-01..2026-09-30"):
        response = await client.get("/api/v1/stats/report", params={"period": period}, headers=supervisor)
        assert response.status_code == 200, response.text
        body = response.json()
        by_key = {b["key"]: b for b in body["breakdowns"]}
        # Township registers 投诉情形 (the category) and 承办单位; values come by label, not key.
        assert by_key["situation"]["label"] == "投诉情形"
        assert [(r["label"], r["received"]) for r in by_key["situation"]["rows"]] == [
            ("不编制、不提供、不及时更新公开的政务信息、指南和目录", 1)
        ]
        assert [(r["label"], r["received"]) for r in by_key["unit"]["rows"]] == [("（未填）", 1)]
        assert "【按投诉情形】" in body["circular"]
    csv = await client.get(
        "/api/v1/stats/report", params={"period": "2026-Q3", "format": "csv"}, headers=supervisor
    )
    assert csv.status_code == 200
    assert 'filename="statistics-2026-Q3.csv"' in csv.headers["content-disposition"]
    assert "按投诉情形" in csv.content.decode("utf-8-sig")
    monthly = await client.get("/api/v1/stats/monthly", params={"year": 2026, "month": 9}, headers=supervisor)
    assert {b["key"] for b in monthly.json()["breakdowns"]} == {"situation", "unit"}

    bad = await client.get("/api/v1/stats/report", params={"period": "上个月"}, headers=supervisor)
    assert bad.status_code in (400, 422) and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert "上个月" in bad.json()["detail"] and "2026-Q2" in bad.json()["detail"]
    bad_format = await client.get(
        "/api/v1/stats/report", params={"period": "2026", "format": "pdf"}, headers=supervisor
    )
    assert bad_format.status_code in (400, 422) and "pdf" in bad_format.json()["detail"]
