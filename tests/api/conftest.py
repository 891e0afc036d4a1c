"""API fixtures: the app on the test's event loop (httpx ASGI transport), tenants with demo passwords."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.helpers import PASSWORD, sign_in

SECRET = "test-signing-key-" + "x" * 32
NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the day before National Day


@pytest.fixture
def clock():
    """The business clock of the app (deadlines, lock-out); tokens run on real time."""
    from core.services.clock import FixedClock

    return FixedClock(NOW)


@pytest.fixture
def api_config():
    from core.api.config import ApiConfig

    return ApiConfig(secret_key=SECRET)


@pytest.fixture
def app(api_config, registry, clock):
    from core.app import create_app

    return create_app(config=api_config, registry=registry, clock=clock)


@pytest.fixture
async def client(app):
    # The ASGI transport runs the app on this loop, where the session's pool lives: a pool belongs
    # to the event loop it was opened on.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://huiying.test") as client:
        yield client


@pytest.fixture
def login(client):
    """Sign a tenant user in on the test's client; returns the Authorization header."""

    async def signed_in(slug: str, username: str, password: str = PASSWORD) -> dict[str, str]:
        return await sign_in(client, slug, username, password)

    return signed_in


@pytest.fixture
async def township(make_tenant):
    """A fresh township tenant with demo passwords."""
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
