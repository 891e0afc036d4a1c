"""What the HTTP tests share: the problem+json check and signing in for a bearer token."""

from __future__ import annotations

import re
from typing import Any

import httpx

PASSWORD = "demo12345"  # every demo user's password (``onboard(..., demo=True)``)
# Spelled here, not imported from core.api, so a change to the media type fails the tests.
PROBLEM_JSON = "application/problem+json"
CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_problem(
    response: httpx.Response, *statuses: int, field: str | None = None, mentions: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check `response` is an RFC 9457 problem with one of `statuses`; returns its body.

    The media type is ``application/problem+json``; ``type`` is a ``urn:huiying:problem:`` URN,
    ``status`` repeats the HTTP status, ``title`` is set and ``detail`` tells the user in Chinese
    what went wrong, without a traceback. With `field`, that field is named in ``detail`` or in
    ``errors[].field``; every word of `mentions` is in ``detail``.
    """
    assert statuses, "name the status (or statuses) expected"
    request = response.request
    where = f"{request.method} {request.url} -> {response.status_code} {response.text[:500]}"
    assert response.status_code in statuses, where
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert media_type == PROBLEM_JSON, where
    body = response.json()
    assert isinstance(body, dict), where
    assert {"type", "title", "status", "detail"} <= body.keys(), where
    assert str(body["type"]).startswith("urn:huiying:problem:"), where
    assert body["status"] == response.status_code, where
    assert isinstance(body["title"], str) and body["title"].strip(), where
    detail = body["detail"]
    assert isinstance(detail, str) and detail.strip(), where
    assert CJK.search(detail), f"detail has no Chinese: {where}"
    assert "Traceback" not in response.text, where
    if field is not None:
        named = {str(error.get("field", "")) for error in body.get("errors") or []}
        assert field in detail or any(field in name for name in named), f"{field!r} not named: {where}"
    for word in mentions:
        assert word in detail, f"{word!r} not in detail: {where}"
    return body


def error_fields(problem: dict[str, Any]) -> list[str]:
    """The fields a validation problem names, in order."""
    return [error["field"] for error in problem.get("errors", [])]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def request_token(
    client: httpx.AsyncClient, slug: str, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Ask for a tenant user's token pair; the raw answer, for tests of refusals."""
    return await client.post(
        "/api/v1/auth/token", json={"tenant": slug, "username": username, "password": password}
    )


async def sign_in(
    client: httpx.AsyncClient, slug: str, username: str, password: str = PASSWORD
) -> dict[str, str]:
    """Sign a tenant user in; returns the Authorization header."""
    response = await request_token(client, slug, username, password)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def sign_in_platform(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> dict[str, str]:
    """Sign a platform admin in; returns the Authorization header."""
    response = await client.post(
        "/api/v1/platform/auth/token", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def on_postgres() -> bool:
    """True when the suite runs on PostgreSQL (RLS, row locks, pg_trgm); False on the SQLite run."""
    from core.store.engine import DB

    return DB.engine_type == "postgres"
