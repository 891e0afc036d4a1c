"""Property run over every operation of ``/schema/openapi.json`` with schemathesis.

The app runs in a real uvicorn process on 127.0.0.1: schemathesis' ASGI transport would run it
on an event loop of its own thread, where the session's asyncpg pool cannot be used
(a pool belongs to its event loop), and its lifespan would start and close the process-wide pool. The server
shares the test database (the conftest put its URL in ``HUIYING_DATABASE_URL``); the tenant and
the platform admin are made in-process, tokens are obtained over HTTP from the server.

Who calls what (the caller is part of each test id):

- ``/api/v1/cases…`` and ``/api/v1/admin…`` — the tenant admin of a fresh township tenant
  (``tenant_admin`` only); the case operations run a second time as a user holding every role,
  mostly against real cases of the tenant;
- ``/api/v1/platform/tenants…`` — a platform admin;
- everything else (health, schema, sign-in, public portal) — no token.

Checks: no 5xx, the status code is documented, the content type is the documented one and the
body conforms to its schema. At most 25 generated examples per operation, derandomized, so a
run is repeatable; the whole module takes about half a minute. The server's log is printed at
teardown when it holds a traceback (shown with the report of a failing test).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.builder import ApiOperationMark
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import PASSWORD, sign_in, sign_in_platform

SECRET = "fuzz-signing-key-" + "f" * 32
ROOT = Path(__file__).resolve().parents[2]
ALL_ROLES = [
    "intake_officer",
    "duty_leader",
    "approver",
    "handler",
    "unit_head",
    "supervisor",
    "tenant_admin",
    "auditor",
]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
INTAKE = {
    "kind": "complaint",
    "channel": "phone",
    "title": "村务公开栏三个月未更新",
    "content": "南溪村政务公开栏自七月以来未更新，财务收支未公开。",
    "identity": {"name": "张三", "phone": "13812345678"},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base_url: str
    log: Path
    process: subprocess.Popen


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app in a uvicorn process of its own, on a free port, against the test database."""
    port = _free_port()
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    env = {
        **os.environ,
        "HUIYING_SECRET_KEY": SECRET,
        "HUIYING_PUBLIC_RATE_PER_MINUTE": "1000000",  # fuzz the portal, not its rate limit
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HUIYING_REDIS_URL", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "core.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not get ready in 30 s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield Server(base_url, log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        errors = log.read_text(errors="replace")
        if "Traceback" in errors:
            print(f"\n--- server log (errors) ---\n{errors[-20_000:]}")


@dataclass
class Identities:
    """Authorization headers by caller, and real case ids to aim requests at."""

    headers: dict[str, dict[str, str]]
    case_ids: list[int] = field(default_factory=list)


def caller_for(test_name: str, path: str) -> str:
    """Who calls the operation at `path` in the test named `test_name`."""
    tenant_paths = ("/api/v1/cases", "/api/v1/duty", "/api/v1/me", "/api/v1/stats")
    if path.startswith(tenant_paths) and "every_role" in test_name:
        return "every-role"
    if path.startswith((*tenant_paths, "/api/v1/admin")):
        return "tenant-admin"
    if path.startswith("/api/v1/platform/tenants"):
        return "platform-admin"
    return "anonymous"


@pytest.fixture
async def identities(server, township, platform_admin) -> Identities:
    """Tokens from the server: the township's admin, a user with every role, a platform admin."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        admin = await sign_in(http, township.slug, "admin")
        created = await http.post(
            "/api/v1/admin/users",
            headers=admin,
            json={
                "username": "fuzzer",
                "display_name": "全角色测试员",
                "roles": ALL_ROLES,
                "unit_code": "jcs",
                "password": PASSWORD,
            },
        )
        assert created.status_code in (200, 201), created.text
        everyone = await sign_in(http, township.slug, "fuzzer")
        platform = await sign_in_platform(http, platform_admin)
        case_ids = []
        for _ in range(3):
            case = await http.post("/api/v1/cases", headers=everyone, json=INTAKE)
            assert case.status_code == 201, case.text
            case_ids.append(case.json()["id"])
    headers = {"tenant-admin": admin, "every-role": everyone, "platform-admin": platform, "anonymous": {}}
    return Identities(headers=headers, case_ids=case_ids)


def _openapi_document() -> dict:
    """The document the app serves at ``/schema/openapi.json``, built without a server or database.

    ``schemathesis.pytest.from_fixture`` (a schema fetched from the running server) cannot be used:
    schemathesis 4.32's lazy loader sets ``request.node._nodeid``, which pytest 9 no longer has
    (AttributeError). So operations are collected from the same app factory and
    `test_the_fuzzed_document_is_the_served_one` proves the server serves exactly this document.
    """
    from core.api.config import ApiConfig
    from core.app import create_app
    from core.plugins import PluginRegistry

    app = create_app(config=ApiConfig(secret_key=SECRET), registry=PluginRegistry.discover())
    return json.loads(json.dumps(app.openapi_schema.to_schema()))


DOCUMENT = _openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_fuzzed_document_is_the_served_one(server):
    served = httpx.get(f"{server.base_url}/schema/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == DOCUMENT
    assert len(DOCUMENT["paths"]) >= 15


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``caller`` with who calls each operation (and so name the operation's test id).

    schemathesis 4.32 names its items ``test[GET /path]``, but pytest 9 builds node ids from the
    original name and the parametrization only, so without a parameter all operations of a test
    would share a single node id.
    """
    if "caller" not in metafunc.fixturenames:
        return
    operation = ApiOperationMark.get(metafunc.definition.obj)
    assert operation is not None, "not a schemathesis test"
    caller = caller_for(metafunc.definition.originalname, operation.path)
    metafunc.parametrize("caller", [caller], ids=[caller])


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@schema.parametrize()
@SETTINGS
def test_every_operation_answers_within_its_schema(case, caller, identities, server):
    """Tenant endpoints as the tenant admin, platform ones as a platform admin, the rest anonymous."""
    case.call_and_validate(
        base_url=server.base_url, headers=identities.headers[caller], checks=CHECKS, timeout=30
    )


@schema.include(path_regex="^/api/v1/cases").parametrize()
@SETTINGS
def test_case_operations_as_a_user_with_every_role(case, caller, identities, server):
    """Intake, search and every lifecycle action, by a user whose roles permit them all."""
    case_id = (case.path_parameters or {}).get("case_id")
    if isinstance(case_id, int) and case_id % 4 != 3:
        # Three in four aimed at a real case of the tenant: random ids only ever find a 404.
        case.path_parameters["case_id"] = identities.case_ids[case_id % 4]
    case.call_and_validate(
        base_url=server.base_url, headers=identities.headers[caller], checks=CHECKS, timeout=30
    )
