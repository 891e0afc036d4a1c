"""Real processes: `huiying scheduler` and `huiying worker` on Redis, and a worker killed mid-run.

Every timer's effect must exist exactly once, however the work was interrupted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from core.domain.calendar import Period
from core.domain.cases import CaseKind, Channel
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor, Role
from core.domain.sla import Timer, TimerState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import SystemClock
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

pytestmark = pytest.mark.postgres

HUIYING = str(Path(sys.executable).with_name("huiying"))
ROOT = Path(__file__).resolve().parents[2]
TIMERS = 1000


def draft(**overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.VISIT,
        "title": "现场投诉",
        "content": "商家拒不退款",
    }
    return IntakeDraft(anonymous=True, **(values | overrides))


class Processes:
    """Worker and scheduler subprocesses, each in its own process group."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = os.environ | {
            "HUIYING_REDIS_URL": "redis://127.0.0.1:6379/0",
            "HUIYING_REDIS_NAMESPACE": f"huiying-test-{uuid.uuid4().hex[:8]}",
            "HUIYING_PLUGIN_MODULES": "onsite=tests.fixture_plugins.onsite",
            "PYTHONPATH": str(ROOT),
        }
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen] = {}
        self.logs_open: list = []

    def start(self, name: str, *args: str) -> None:
        log = open(self.tmp_path / f"{name}.log", "a")  # noqa: SIM115 - closed in stop_all
        self.logs_open.append(log)
        self.running[name] = subprocess.Popen(
            [HUIYING, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: dramatiq forks worker children
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.running):
            process = self.running.pop(name)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        for log in self.logs_open:
            log.close()

    def wait_for_log(self, name: str, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        log = self.tmp_path / f"{name}.log"
        while text not in log.read_text(errors="replace"):
            assert self.running[name].poll() is None, self.logs()
            assert time.monotonic() < deadline, f"{name} not ready after {timeout} s\n{self.logs()}"
            time.sleep(0.1)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.tmp_path.glob("*.log"))


async def count(owner: asyncpg.Connection, sql: str, tenant_id: int) -> int:
    return await owner.fetchval(sql, tenant_id)


async def wait_for(owner, sql: str, tenant_id: int, target: int, timeout: float, processes: Processes) -> int:
    deadline = time.monotonic() + timeout
    while True:
        value = await count(owner, sql, tenant_id)
        if value >= target:
            return value
        assert time.monotonic() < deadline, f"only {value} of {target} after {timeout} s\n{processes.logs()}"
        await asyncio.sleep(0.2)


FIRED = "SELECT count(*) FROM sla_timer WHERE tenant_id = $1 AND breached_at IS NOT NULL"


async def test_a_killed_worker_loses_nothing_and_repeats_nothing(make_tenant, tmp_path):
    import importlib

    onsite = importlib.import_module("tests.fixture_plugins.onsite")
    registry = PluginRegistry.discover(extra={"onsite": onsite})
    tenant = await make_tenant("onsite", registry_=registry)
    operator_actor = Actor("operator", roles=frozenset({Role.INTAKE_OFFICER}))
    service = CaseService(registry, SystemClock())
    case_ids = [(await service.intake(tenant.id, draft(), operator_actor)).case.id for _ in range(10)]

    processes = Processes(tmp_path)
    owner = await asyncpg.connect(os.environ["HUIYING_OWNER_DATABASE_URL"])
    try:
        await _killed_worker_run(service, tenant, operator_actor, case_ids, processes, owner)
    finally:
        await owner.close()  # also when an assertion failed: a leaked connection fails a later test


async def _killed_worker_run(service, tenant, operator_actor, case_ids, processes, owner) -> None:
    try:
        processes.start("scheduler", "scheduler", "--interval", "0.2", "--requeue-after", "10")
        processes.start("worker", "worker", "--processes", "1", "--threads", "4")

        # A case taken in already past its 10-minute rule breaches within seconds, no clock tricks.
        processes.wait_for_log("worker", "ready for action", timeout=30)
        started = time.monotonic()
        late = await service.intake(
            tenant.id, draft(received_at=datetime.now(UTC) - timedelta(minutes=20)), operator_actor
        )
        deadline = time.monotonic() + 30
        while not await owner.fetchval(
            "SELECT breached_at IS NOT NULL FROM sla_timer WHERE case_id = $1", late.case.id
        ):
            assert time.monotonic() < deadline, processes.logs()
            await asyncio.sleep(0.05)
        assert time.monotonic() - started < 5  # the precision promised for minute-scale rules

        # A thousand timers due now; the worker is killed with -9 half-way and started again.
        now = datetime.now(UTC)
        async with tenant_tx(tenant.id):
            repo = TenantStore(tenant.id)
            for n in range(TIMERS):
                due = now + timedelta(milliseconds=500 + 2 * n)
                timer = Timer(
                    kind=f"bulk-{n:04d}",
                    started_at=now - timedelta(minutes=10),
                    due_at=due,
                    warn_at=due,
                    state=TimerState.RUNNING,
                    basis="批量测试",
                    provisional=False,
                    period=Period.parse("10 minutes"),
                )
                await repo.timers.add(case_ids[n % 10], "批量期限", timer)
        fired = await wait_for(owner, FIRED, tenant.id, 150, 60, processes)
        processes.kill("worker")  # kill -9 mid-run
        assert fired < TIMERS + 1, "the worker finished before it could be killed"
        processes.start("worker", "worker", "--processes", "1", "--threads", "4")
        await wait_for(owner, FIRED, tenant.id, TIMERS + 1, 240, processes)
    finally:
        processes.stop_all()
    notices = await owner.fetch(
        "SELECT number FROM document WHERE tenant_id = $1 AND kind = 'supervision_notice'", tenant.id
    )
    events = await owner.fetchval(
        "SELECT count(*) FROM case_event WHERE tenant_id = $1 AND name = 'case_supervision_notice_issued'",
        tenant.id,
    )
    reminded = await owner.fetchval(
        "SELECT count(*) FROM case_event WHERE tenant_id = $1 AND name = 'case_reminded'", tenant.id
    )
    # Every timer (the late case's and the thousand) has its effects exactly once.
    assert len(notices) == TIMERS + 1 and len({row["number"] for row in notices}) == TIMERS + 1
    assert events == TIMERS + 1 and reminded == TIMERS + 1
