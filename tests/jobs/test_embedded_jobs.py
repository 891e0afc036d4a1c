"""The embedded mode: the web process runs the scheduler and the same job code, without Redis."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime, timedelta

from core.api.config import ApiConfig
from core.app import create_app, embedded_jobs
from core.domain.cases import CaseKind, Channel
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor, Role
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.events import EventRepository
from core.store.tx import tenant_tx


async def test_a_due_timer_fires_inside_the_web_process(make_tenant):
    onsite = importlib.import_module("tests.fixture_plugins.onsite")
    registry = PluginRegistry.discover(extra={"onsite": onsite})
    tenant = await make_tenant("onsite", registry_=registry)
    clock = FixedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    app = create_app(
        config=ApiConfig(secret_key="embedded-" + "k" * 40, embedded_jobs=True),
        registry=registry,
        clock=clock,
    )
    operator = Actor("operator", roles=frozenset({Role.INTAKE_OFFICER}))
    draft = IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.VISIT,
        title="现场投诉",
        content="商家拒不退款",
        anonymous=True,
        received_at=clock.now() - timedelta(minutes=30),  # already past its 10-minute rule
    )
    case_id = (await CaseService(registry, clock).intake(tenant.id, draft, operator)).case.id
    async with embedded_jobs(app):
        for _ in range(100):
            async with tenant_tx(tenant.id):
                events = [e.name for e in await EventRepository(tenant.id).of_case(case_id)]
            if "case_supervision_notice_issued" in events:
                break
            await asyncio.sleep(0.05)  # the in-process scheduler polls every second
    assert "case_supervision_notice_issued" in events
