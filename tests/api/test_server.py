"""The API as deployed: `huiying serve` in its own process, two workers, real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import assert_problem, sign_in

HUIYING = str(Path(sys.executable).with_name("huiying"))
SERVER_SECRET = "server-signing-key-" + "s" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server():
    """`huiying serve --workers 2` on the test database, Redis configured; yields its base URL."""
    port = free_port()
    env = os.environ | {"HUIYING_SECRET_KEY": SERVER_SECRET, "HUIYING_REDIS_URL": "redis://127.0.0.1:6379/0"}
    process = subprocess.Popen(
        [HUIYING, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start within 30 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output, output


async def test_a_real_server_signs_in_takes_cases_and_serves_the_portal(server, make_tenant):
    tenant = await make_tenant(demo=True)
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {
            "status": "ready",
            "database": "ok",
            "redis": "ok",
        }
        schema = await http.get("/schema/openapi.json")
        assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.1")

        headers = await sign_in(http, tenant.slug, "operator")
        case = {"kind": "consultation", "channel": "phone", "title": "咨询公开目录", "content": "在哪里查？"}
        created = await http.post("/api/v1/cases", json=case, headers=headers)
        assert created.status_code == 201, created.text
        listed = await http.get("/api/v1/cases", headers=headers)
        assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]

        portal_case = {
            "kind": "consultation",
            "title": "咨询公开目录",
            "content": "在哪里查？",
            "anonymous": True,
        }
        submitted = await http.post(f"/api/v1/public/{tenant.slug}/cases", json=portal_case)
        assert submitted.status_code == 201, submitted.text
        receipt = submitted.json()
        status = await http.get(
            f"/api/v1/public/{tenant.slug}/cases/{receipt['receipt']}",
            headers={"X-Receipt-Secret": receipt["secret"]},
        )
        assert status.status_code == 200 and status.json()["state"] == "received"

        broken = await http.post(
            "/api/v1/cases", content=b"{not json", headers=headers | {"Content-Type": "application/json"}
        )
        assert_problem(broken, 400)
