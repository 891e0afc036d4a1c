"""Page fixtures: the app on the test's loop, a signed-in browser per user, a case half-way through."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from tests.helpers import PASSWORD

SECRET = "web-test-signing-key-" + "x" * 32
NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@pytest.fixture
def clock():
    from core.services.clock import FixedClock

    return FixedClock(NOW)


@pytest.fixture
def app(registry, clock):
    from core.api.config import ApiConfig
    from core.app import create_app

    # Plain http in tests: the session cookie must not be Secure-only.
    return create_app(
        config=ApiConfig(secret_key=SECRET, secure_cookies=False), registry=registry, clock=clock
    )


@pytest.fixture
async def browser(app):
    """Makes browsers: each call is one person's cookie jar."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://huiying.test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def sign_in(browser):
    """Sign a tenant user in through the login form; returns (client, csrf token)."""

    async def go(slug: str, username: str, password: str = PASSWORD) -> tuple[httpx.AsyncClient, str]:
        client = browser()
        page = await client.get(f"/t/{slug}/login")
        assert page.status_code == 200
        response = await client.post(
            f"/t/{slug}/login",
            data={"_csrf": csrf_of(page.text), "username": username, "password": password},
        )
        assert response.status_code in (302, 303), response.text
        queue = await client.get(f"/t/{slug}/queue")
        assert queue.status_code == 200, queue.text
        return client, csrf_of(queue.text)

    return go


@pytest.fixture
async def township(make_tenant):
    return await make_tenant(demo=True)


@pytest.fixture
async def platform_admin():
    """A platform admin `root-<n>` with the demo password; returns the username."""
    import uuid

    from core.services.passwords import hash_password
    from core.store.platform import PlatformAdminRepository
    from core.store.tx import platform_tx

    username = f"root-{uuid.uuid4().hex[:8]}"
    async with platform_tx():
        await PlatformAdminRepository().put(username, hash_password(PASSWORD))
    return username
