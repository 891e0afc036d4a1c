"""A first pass over the wire: health, sign-in, intake and reading back."""

from __future__ import annotations


async def test_health_and_a_case_over_http(client, township, login):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    headers = await login(township.slug, "operator")
    created = await client.post(
        "/api/v1/cases",
        headers=headers,
        json={
            "kind": "complaint",
            "channel": "phone",
            "title": "村务公开栏未更新",
            "content": "三个月未更新",
            "identity": {"name": "张三", "phone": "13812345678"},
            "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["serial"] == "NX-2026-000001" and body["state"] == "received"
    assert created.headers["etag"] == '"0"'
    fetched = await client.get(f"/api/v1/cases/{body['id']}", headers=headers)
    assert fetched.json()["id"] == body["id"]
    assert "张三" not in fetched.text


def test_the_app_will_not_start_without_the_identity_master_key(monkeypatch, api_config, registry):
    import pytest

    from core.api.config import ConfigError
    from core.app import create_app

    monkeypatch.delenv("HUIYING_MASTER_KEY")
    with pytest.raises(ConfigError, match="HUIYING_MASTER_KEY"):
        create_app(config=api_config, registry=registry)
