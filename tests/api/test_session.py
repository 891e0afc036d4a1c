"""Browser sign-in: an HttpOnly session cookie, and a CSRF token for every unsafe request."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import PASSWORD

CASE = {"kind": "consultation", "channel": "phone", "title": "咨询", "content": "公开目录在哪里查？"}


@pytest.fixture
async def browser(app):
    """A client on https, as a browser would be: secure cookies are sent only there."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://huiying.test") as client:
        yield client


async def test_cookie_session_with_csrf(browser, township):
    client = browser
    signed_in = await client.post(
        "/api/v1/auth/session",
        json={"tenant": township.slug, "username": "operator", "password": PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.headers["set-cookie"]
    assert (
        "huiying_session=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie
        and "Secure" in cookie
    )
    csrf = signed_in.json()["csrf_token"]

    assert (await client.get("/api/v1/cases")).status_code == 200  # reading needs only the cookie
    refused = await client.post("/api/v1/cases", json=CASE)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    forged = await client.post("/api/v1/cases", json=CASE, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    created = await client.post("/api/v1/cases", json=CASE, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text

    signed_out = await client.delete("/api/v1/auth/session")
    assert signed_out.status_code == 204
    client.cookies.clear()
    assert (await client.get("/api/v1/cases")).status_code == 401


async def test_a_wrong_password_sets_no_cookie(client, township):
    response = await client.post(
        "/api/v1/auth/session",
        json={"tenant": township.slug, "username": "operator", "password": "wrong-password"},
    )
    assert response.status_code == 401 and "set-cookie" not in response.headers
