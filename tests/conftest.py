"""Test set-up: a fresh database per run, migrated as the owner and used as the app role.

On PostgreSQL (the default) each run creates its own ``huiying_test_<pid>`` (so parallel runs
never pull the database from under each other, and databases of dead runs are dropped), runs the
migrations as the owner in a subprocess, then connects as ``huiying_app`` — NOSUPERUSER,
NOBYPASSRLS — so row-level security is really in force. With ``HUIYING_DATABASE_URL`` set to
a ``sqlite://`` URL, the store runs on a fresh SQLite file instead. This happens in
`pytest_configure`, before any test module imports the store and so fixes its engine.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ADMIN_URL = os.environ.get("HUIYING_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB = f"huiying_test_{os.getpid()}"
APP_ROLE = "huiying_app"


def _with_database(url: str, name: str, user: str | None = None) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{user}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit((parts.scheme, netloc, f"/{name}", "", ""))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _recreate_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL)
    try:
        rows = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'huiying_test_%'")
        for row in rows:
            pid = row["datname"].removeprefix("huiying_test_")
            if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
                await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{TEST_DB}"')
    finally:
        await connection.close()


async def _drop_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
    finally:
        await connection.close()


def _migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.exit(f"migrations failed:\n{result.stdout}\n{result.stderr}", returncode=3)


def pytest_configure(config: pytest.Config) -> None:
    os.environ["HUIYING_PASSWORD_PROFILE"] = "cheapest"
    # A master key for the identity vault, new every run (subprocesses inherit it).
    os.environ["HUIYING_MASTER_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    url = os.environ.get("HUIYING_DATABASE_URL", "")
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _migrate(dict(os.environ))
        return
    asyncio.run(_recreate_database())
    owner_url = _with_database(ADMIN_URL, TEST_DB)
    app_url = _with_database(ADMIN_URL, TEST_DB, user=APP_ROLE)
    _migrate({**os.environ, "HUIYING_DATABASE_URL": owner_url, "HUIYING_APP_DATABASE_URL": app_url})
    os.environ["HUIYING_DATABASE_URL"] = app_url
    os.environ["HUIYING_OWNER_DATABASE_URL"] = owner_url


def pytest_unconfigure(config: pytest.Config) -> None:
    if os.environ.get("HUIYING_OWNER_DATABASE_URL", "").endswith(f"/{TEST_DB}"):
        asyncio.run(_drop_database())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ["HUIYING_DATABASE_URL"].startswith("sqlite://"):
        skip = pytest.mark.skip(reason="needs PostgreSQL (RLS, row locks)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
async def connection_pool():
    """One pool for the session's event loop on PostgreSQL (SQLite has none)."""
    from core.store.engine import DB
    from tests.helpers import on_postgres

    if on_postgres():
        await DB.start_connection_pool(min_size=1, max_size=20)
    yield
    if on_postgres():
        await DB.close_connection_pool()


@pytest.fixture(scope="session")
def registry():
    """The installed plugins, discovered through the entry-point group."""
    from core.plugins import PluginRegistry

    return PluginRegistry.discover()


@pytest.fixture
def unique_slug():
    """A tenant slug no other test uses, so tests share the database without cleaning up."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


USERS = (
    {"username": "admin", "roles": ["tenant_admin"]},
    {"username": "operator", "roles": ["intake_officer"]},
    {"username": "leader", "roles": ["approver", "duty_leader"]},
    {"username": "handler", "roles": ["handler"], "unit": "jcs"},
    {"username": "dzb-handler", "roles": ["handler"], "unit": "dzb"},
    {"username": "supervisor", "roles": ["supervisor"]},
)


@pytest.fixture
def make_tenant(registry, unique_slug):
    """Onboard a fresh tenant (township by default) and return its record.

    With ``demo=True`` every user has the demo password ``demo12345``; `extra_users` join the
    demo people (e.g. a unit head).
    """
    from core.services.tenants import TenantConfig, onboard

    async def make(
        plugin: str = "township",
        *,
        registry_=None,
        settings=None,
        kind_settings=None,
        calendar=None,
        prefix="NX",
        demo=False,
        extra_users=(),
    ):
        reg = registry_ or registry
        config = TenantConfig.from_mapping(
            {
                "slug": unique_slug(plugin.replace("_", "-")),
                "name": "测试租户",
                "plugin": plugin,
                "serial_prefix": prefix,
                "settings": settings or {},
                "kind_settings": kind_settings or {},
                "calendar": calendar or {},
                "units": [
                    {"code": "jcs", "name": "镇监察室"},
                    {"code": "dzb", "name": "党政办"},
                ],
                "users": [*USERS, *extra_users],
            },
            reg,
        )
        return await onboard(config, reg, demo=demo)

    return make


@pytest.fixture
def actors():
    """Actors of the demo roles, by username."""
    from core.domain.roles import Actor, Role

    return {
        user["username"]: Actor(
            username=user["username"],
            roles=frozenset(Role(role) for role in user["roles"]),
            unit_code=user.get("unit"),
        )
        for user in USERS
    }
