"""Signing in over HTTP: tokens and their claims, lock-out, refresh, and tokens that stop working."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.helpers import PASSWORD, assert_problem, bearer, request_token, sign_in_platform

OTHER_KEY = "not-the-signing-key-" + "y" * 32


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def responses(client):
    """Every response the test's client receives (to check no password is ever echoed)."""
    seen: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    client.event_hooks["response"].append(record)
    return seen


async def test_sign_in_returns_a_token_pair_with_tenant_claims(client, township):
    response = await request_token(client, township.slug, "leader")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    access = claims_of(body["access_token"])
    assert access["tenant"] == township.slug
    assert access["tid"] == township.id
    assert access["sub"] == "leader"
    assert access["roles"] == ["approver", "duty_leader"]
    assert access["typ"] == "access"
    assert access["scope"] == "tenant"
    assert access["exp"] - access["iat"] == body["expires_in"]
    refresh = claims_of(body["refresh_token"])
    assert (refresh["typ"], refresh["scope"], refresh["tid"]) == ("refresh", "tenant", township.id)
    cases = await client.get("/api/v1/cases", headers=bearer(body["access_token"]))
    assert cases.status_code == 200, cases.text


async def test_failures_all_say_the_same_thing(client, township):
    wrong_password = assert_problem(await request_token(client, township.slug, "operator", "wrong-pass"), 401)
    unknown_user = assert_problem(await request_token(client, township.slug, "nobody"), 401)
    unknown_tenant = assert_problem(await request_token(client, "no-such-tenant-anywhere", "operator"), 401)
    assert wrong_password == unknown_user == unknown_tenant


async def test_five_failures_lock_the_account_until_the_lock_runs_out(client, township, clock):
    for _ in range(5):
        assert_problem(await request_token(client, township.slug, "operator", "wrong-pass"), 401)
    locked = await request_token(client, township.slug, "operator")  # the right password
    body = assert_problem(locked, 429)
    assert body["type"] == "urn:huiying:problem:account_locked"
    assert locked.headers["retry-after"] == str(15 * 60)  # the business clock has not moved
    # Other users of the tenant are not affected.
    assert (await request_token(client, township.slug, "leader")).status_code == 200

    clock.advance(timedelta(minutes=14))
    still_locked = await request_token(client, township.slug, "operator")
    assert_problem(still_locked, 429)
    assert still_locked.headers["retry-after"] == "60"

    clock.advance(timedelta(minutes=2))
    assert (await request_token(client, township.slug, "operator")).status_code == 200
    # The success reset the counter: four more failures do not lock the account again.
    for _ in range(4):
        assert_problem(await request_token(client, township.slug, "operator", "wrong-pass"), 401)
    assert (await request_token(client, township.slug, "operator")).status_code == 200


async def test_a_burst_of_parallel_guesses_is_counted_one_by_one(client, township):
    # Sixteen wrong passwords at once: five are checked and fail, the rest meet the lock-out,
    # and the right password afterwards is refused too (the counter was never outrun).
    answers = await asyncio.gather(
        *(request_token(client, township.slug, "operator", "wrong-pass") for _ in range(16))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * 5 + [429] * 11, statuses
    assert_problem(await request_token(client, township.slug, "operator"), 429)


async def test_a_body_nested_too_deep_is_refused_before_decoding(client, township):
    deep = "[" * 1000 + "]" * 1000
    signed = await request_token(client, township.slug, "operator")
    headers = bearer(signed.json()["access_token"]) | {"content-type": "application/json"}
    for path in ("/api/v1/auth/token", "/api/v1/cases", f"/api/v1/public/{township.slug}/cases"):
        answer = await client.post(path, content=deep, headers=headers)
        assert answer.status_code == 400, (path, answer.status_code, answer.text)
        assert "嵌套" in answer.json()["detail"], answer.text
    # Brackets inside a string are text, not nesting: a title full of them is fine.
    title = {"kind": "consultation", "channel": "phone", "title": "[" * 100, "content": "{" * 100}
    created = await client.post(
        "/api/v1/cases", json=title | {"anonymous": True}, headers=bearer(signed.json()["access_token"])
    )
    assert created.status_code == 201, created.text


async def test_refresh_returns_a_new_pair(client, township):
    first = (await request_token(client, township.slug, "operator")).json()
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    renewed = response.json()
    assert renewed["token_type"] == "bearer"
    assert renewed["refresh_token"] != first["refresh_token"]
    assert claims_of(renewed["access_token"])["typ"] == "access"
    assert claims_of(renewed["refresh_token"])["typ"] == "refresh"
    assert claims_of(renewed["access_token"])["tid"] == township.id
    cases = await client.get("/api/v1/cases", headers=bearer(renewed["access_token"]))
    assert cases.status_code == 200, cases.text


async def test_a_refresh_token_works_once_and_a_reused_one_ends_the_sign_in(client, township):
    first = (await request_token(client, township.slug, "operator")).json()
    renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    # The first token again: a copy in someone else's hands. Refused, and the sign-in revoked,
    # so the token the owner holds now stops working too.
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert "已被使用过" in assert_problem(reused, 401)["detail"]
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(after, 401)
    # Another sign-in of the same person is a family of its own and is not affected.
    other = (await request_token(client, township.slug, "operator")).json()
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    ).status_code == 200


async def test_two_refreshes_at_once_with_one_token_renew_it_once(client, township):
    pair = (await request_token(client, township.slug, "operator")).json()
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
            for _ in range(5)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 401, 401, 401, 401]


async def test_an_access_token_does_not_refresh(client, township):
    pair = (await request_token(client, township.slug, "operator")).json()
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert_problem(response, 401)


async def test_a_refresh_token_is_not_an_access_token(client, township):
    pair = (await request_token(client, township.slug, "operator")).json()
    assert_problem(await client.get("/api/v1/cases", headers=bearer(pair["refresh_token"])), 401)


async def test_garbage_forged_and_missing_tokens_are_refused(client, township):
    pair = (await request_token(client, township.slug, "operator")).json()
    genuine = claims_of(pair["access_token"])
    forged = jwt.encode(genuine, OTHER_KEY, algorithm="HS256")
    assert_problem(await client.get("/api/v1/cases", headers=bearer(forged)), 401)
    assert_problem(await client.get("/api/v1/cases", headers=bearer("not.a.token")), 401)
    unsigned = jwt.encode(genuine, key=None, algorithm="none")
    assert_problem(await client.get("/api/v1/cases", headers=bearer(unsigned)), 401)
    assert_problem(await client.get("/api/v1/cases"), 401)
    assert_problem(await client.get("/api/v1/cases", headers={"Authorization": "Basic b3A6cGFzcw=="}), 401)
    # The genuine one still works, so the refusals above are about the tokens.
    assert (await client.get("/api/v1/cases", headers=bearer(pair["access_token"]))).status_code == 200


async def test_an_expired_token_is_refused(client, township, api_config):
    pair = (await request_token(client, township.slug, "operator")).json()
    claims = claims_of(pair["access_token"])
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = jwt.encode(
        claims | {"iat": int(past.timestamp()), "exp": int(past.timestamp()) + 60},
        api_config.secret_key,
        algorithm="HS256",
    )
    body = assert_problem(await client.get("/api/v1/cases", headers=bearer(expired)), 401)
    assert "expired" in body["detail"]


async def test_a_deactivated_users_token_stops_working_at_once(client, township, login):
    admin = await login(township.slug, "admin")
    handler = await login(township.slug, "handler")
    assert (await client.get("/api/v1/cases", headers=handler)).status_code == 200
    response = await client.patch("/api/v1/admin/users/handler", headers=admin, json={"active": False})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert_problem(await client.get("/api/v1/cases", headers=handler), 401)
    assert_problem(await request_token(client, township.slug, "handler"), 401)
    # Reactivated, the very same token works again.
    response = await client.patch("/api/v1/admin/users/handler", headers=admin, json={"active": True})
    assert response.status_code == 200, response.text
    assert (await client.get("/api/v1/cases", headers=handler)).status_code == 200


async def test_a_deactivated_users_refresh_token_is_refused(client, township, login):
    admin = await login(township.slug, "admin")
    pair = (await request_token(client, township.slug, "supervisor")).json()
    response = await client.patch("/api/v1/admin/users/supervisor", headers=admin, json={"active": False})
    assert response.status_code == 200, response.text
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(refreshed, 401)


async def test_suspending_a_tenant_stops_its_tokens_and_logins_until_resumed(
    client, township, login, platform_admin
):
    operator = await login(township.slug, "operator")
    pair = (await request_token(client, township.slug, "leader")).json()
    root = await sign_in_platform(client, platform_admin)

    response = await client.post(
        f"/api/v1/platform/tenants/{township.slug}/suspend", headers=root, json={"reason": "合同到期"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended"

    assert_problem(await client.get("/api/v1/cases", headers=operator), 401)
    assert_problem(await request_token(client, township.slug, "operator"), 401)
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(refreshed, 401)

    response = await client.post(f"/api/v1/platform/tenants/{township.slug}/resume", headers=root, json={})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"

    assert (await client.get("/api/v1/cases", headers=operator)).status_code == 200
    assert (await request_token(client, township.slug, "operator")).status_code == 200


async def test_platform_admin_signs_in_with_a_platform_token(client, platform_admin):
    response = await client.post(
        "/api/v1/platform/auth/token", json={"username": platform_admin, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = claims_of(body["access_token"])
    assert (claims["sub"], claims["scope"], claims["typ"]) == (platform_admin, "platform", "access")
    assert "tid" not in claims and "tenant" not in claims and "roles" not in claims
    tenants = await client.get("/api/v1/platform/tenants", headers=bearer(body["access_token"]))
    assert tenants.status_code == 200, tenants.text


async def test_platform_admin_wrong_password_is_refused(client, platform_admin):
    response = await client.post(
        "/api/v1/platform/auth/token", json={"username": platform_admin, "password": "wrong-pass"}
    )
    wrong = assert_problem(response, 401)
    response = await client.post(
        "/api/v1/platform/auth/token", json={"username": "root-nobody", "password": PASSWORD}
    )
    assert assert_problem(response, 401) == wrong


async def test_a_platform_token_opens_no_tenant_data(client, platform_admin, township):
    root = await sign_in_platform(client, platform_admin)
    body = assert_problem(await client.get("/api/v1/cases", headers=root), 403)
    assert "platform" in body["detail"]
    assert_problem(await client.get("/api/v1/admin/users", headers=root), 403)


async def test_a_tenant_token_opens_no_platform_administration(client, township, login):
    admin = await login(township.slug, "admin")
    assert_problem(await client.get("/api/v1/platform/tenants", headers=admin), 403)


async def test_no_response_ever_contains_a_password(client, township, login, responses):
    assert (await request_token(client, township.slug, "operator")).status_code == 200
    assert_problem(await request_token(client, township.slug, "operator", "wrong-pass-123"), 401)
    assert_problem(await request_token(client, township.slug, "nobody", "wrong-pass-456"), 401)
    pair = (await request_token(client, township.slug, "leader")).json()
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    admin = await login(township.slug, "admin")
    created = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "newbie", "roles": ["auditor"], "password": "first-secret-1"},
    )
    assert created.status_code == 201, created.text
    reset = await client.patch(
        "/api/v1/admin/users/newbie", headers=admin, json={"password": "second-secret-2"}
    )
    assert reset.status_code == 200, reset.text
    too_short = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "xy", "roles": ["auditor"], "password": "tiny7pw"},
    )
    assert_problem(too_short, 400)
    assert (await client.get("/api/v1/admin/users", headers=admin)).status_code == 200
    assert len(responses) == 10
    for response in responses:
        for secret in (
            PASSWORD,
            "wrong-pass-123",
            "wrong-pass-456",
            "first-secret-1",
            "second-secret-2",
            "tiny7pw",
        ):
            assert secret not in response.text, (response.request.url, response.text)
        assert "password_hash" not in response.text and "argon2" not in response.text
