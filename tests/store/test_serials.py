"""Serial numbers are unified per tenant and year, gap-free, and safe under concurrent intake."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.domain.calendar import Period
from core.domain.cases import CaseKind, Channel
from core.domain.decisions import TimerRule
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.hookspecs import hookimpl
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx
from tests.helpers import on_postgres

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def draft(n: int, **overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.CONSULTATION,
        "channel": Channel.PHONE,
        "title": f"咨询 {n}",
        "content": "政务公开目录在哪里查询？",
        "anonymous": True,
    }
    return IntakeDraft(**(values | overrides))


async def test_concurrent_intake_gives_distinct_consecutive_serials(make_tenant, registry, actors):
    tenant = await make_tenant(prefix="NX")
    service = CaseService(registry, FixedClock(NOW))
    count = 200 if on_postgres() else 25  # SQLite serialises writers; the property is the same
    views = await asyncio.gather(
        *(service.intake(tenant.id, draft(n), actors["operator"]) for n in range(count))
    )
    serials = sorted(view.case.serial for view in views)
    assert serials == [f"NX-2026-{n:06d}" for n in range(1, count + 1)]


async def test_a_rolled_back_intake_leaves_no_gap(make_tenant):
    tenant = await make_tenant(prefix="GF")
    repo = TenantStore(tenant.id)
    async with tenant_tx(tenant.id):
        assert await repo.cases.next_serial_number(2026) == 1
    with pytest.raises(RuntimeError, match="boom"):
        async with tenant_tx(tenant.id):
            assert await repo.cases.next_serial_number(2026) == 2
            raise RuntimeError("boom")  # the intake failed after taking a number
    async with tenant_tx(tenant.id):
        assert await repo.cases.next_serial_number(2026) == 2
        assert await repo.cases.next_serial_number(2027) == 1


async def test_numbering_restarts_each_year_in_the_tenants_zone(make_tenant, registry, actors):
    tenant = await make_tenant(prefix="YR")
    # 2026-12-31T16:30Z is already 2027-01-01 in Shanghai.
    service = CaseService(registry, FixedClock(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)))
    new_year = await service.intake(tenant.id, draft(1), actors["operator"])
    old_year = await service.intake(
        tenant.id, draft(2, received_at=datetime(2026, 12, 31, 15, 0, tzinfo=UTC)), actors["operator"]
    )
    assert new_year.case.serial == "YR-2027-000001"
    assert old_year.case.serial == "YR-2026-000001"


class IntakeTimersPlugin:
    """Two deadlines counted from intake, so intake writes several timers at once."""

    @hookimpl
    def hy_sla_timers(self, ctx, case):
        return tuple(
            TimerRule(kind, label, Period.parse(period), "测试规则", stops_on=frozenset({Action.REPLY}))
            for kind, label, period in (
                ("answer", "答复时限", "3 working days"),
                ("contact", "联系时限", "1 day"),
            )
        )


async def test_concurrent_intakes_keep_no_provisional_serial_and_their_own_rows(make_tenant, actors):
    # Intake stores the case first and numbers it last (core.store.intake): every committed case
    # carries its real serial, and its identity and timers are those the view returned.
    registry = PluginRegistry({"intake-timers": IntakeTimersPlugin()})
    tenant = await make_tenant("intake-timers", registry_=registry, prefix="PV")
    service = CaseService(registry, FixedClock(NOW))
    count = 40 if on_postgres() else 10
    identified = {"anonymous": False, "identity": {"name": "张三", "phone": "13812345678"}}
    views = await asyncio.gather(
        *(service.intake(tenant.id, draft(n, **identified), actors["operator"]) for n in range(count))
    )
    repo = TenantStore(tenant.id)
    async with tenant_tx(tenant.id):
        stored = {case.id: case for case in await repo.cases.list(limit=count + 1)}
        for view in views:
            assert stored[view.case.id] == view.case
            assert await repo.identities.of_case(view.case.id) is not None
            assert len(view.timers) == 2 and tuple(await repo.timers.of_case(view.case.id)) == view.timers
    assert sorted(case.serial for case in stored.values()) == [
        f"PV-2026-{n:06d}" for n in range(1, count + 1)
    ]
