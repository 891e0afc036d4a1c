"""Each tenant's case events form one hash chain, on both engines and under concurrent intake."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import asyncpg
import pytest

from core.domain.audit import GENESIS, HASH_MISMATCH, PREV_MISMATCH, first_broken, head_mismatch
from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.events import CaseEvent
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.engine import DB
from core.store.events import EventRepository, case_serials, chain_head, chain_records
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx
from tests.helpers import on_postgres

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def draft(n: int) -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.CONSULTATION,
        channel=Channel.PHONE,
        title=f"咨询 {n}",
        content="政务公开目录在哪里查询？",
        anonymous=True,
    )


async def intake(tenant, registry, actors, count: int) -> list[int]:
    service = CaseService(registry, FixedClock(NOW))
    return [(await service.intake(tenant.id, draft(n), actors["operator"])).case.id for n in range(count)]


def note(data: dict, at: datetime = NOW) -> CaseEvent:
    return CaseEvent(
        name="note_added",
        at=at,
        actor="handler",
        from_state=CaseState.RECEIVED,
        to_state=CaseState.RECEIVED,
        action="note",
        data=MappingProxyType(data),
    )


async def assert_intact(tenant_id: int) -> list:
    events = await chain_records(tenant_id)
    assert first_broken(events) is None
    assert head_mismatch(events, await chain_head(tenant_id)) is None
    return events


async def test_a_tenants_events_across_cases_form_one_chain(make_tenant, registry, actors):
    tenant = await make_tenant()
    case_ids = await intake(tenant, registry, actors, 3)
    repo = TenantStore(tenant.id)
    odd_instant = datetime(2026, 11, 2, 10, 30, 15, 123456, tzinfo=SHANGHAI)
    odd_data = {
        "n": 1e16,
        "x": 0.1,
        "文字": "测试“引号”",
        "when": NOW,
        "items": [1, None, True],
        "nested": {},
    }
    async with tenant_tx(tenant.id):
        assert await repo.events.append(case_ids[0], note(odd_data, odd_instant)) == 2
        assert await repo.events.append(case_ids[2], note({})) == 2

    events = await assert_intact(tenant.id)
    assert [(e.record["case_id"], e.record["seq"]) for e in events] == [
        (case_ids[0], 1),
        (case_ids[1], 1),
        (case_ids[2], 1),
        (case_ids[0], 2),
        (case_ids[2], 2),
    ]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 5 and all(len(e.hash) == 64 for e in events)
    assert await chain_head(tenant.id) == (events[-1].hash, events[-1].id)
    assert events[3].record["at"] == "2026-11-02T02:30:15.123456+00:00"
    async with tenant_tx(tenant.id):
        stored = (await repo.events.of_case(case_ids[0]))[1]
    assert stored.at == odd_instant
    assert dict(stored.data) == {
        "n": 10**16,
        "x": 0.1,
        "文字": "测试“引号”",
        "when": str(NOW),
        "items": [1, None, True],
        "nested": {},
    }
    assert await case_serials(tenant.id, case_ids[:2]) == {
        case_ids[0]: "NX-2026-000001",
        case_ids[1]: "NX-2026-000002",
    }


async def test_many_events_appended_in_one_statement_chain_in_the_order_given(make_tenant, registry, actors):
    """The timer jobs write a batch's events together: each case's numbers go on, one chain."""
    tenant = await make_tenant()
    case_ids = await intake(tenant, registry, actors, 3)
    repo = TenantStore(tenant.id)
    batch = [(case_ids[2], note({"n": 1})), (case_ids[0], note({"n": 2})), (case_ids[2], note({"n": 3}))]
    async with tenant_tx(tenant.id):
        assert await repo.events.append_many(batch) == [2, 2, 3]
        assert await repo.events.append_many([]) == []
        assert await repo.events.append(case_ids[1], note({"n": 4})) == 2

    events = await assert_intact(tenant.id)
    assert [(e.record["case_id"], e.record["seq"], e.record["data"].get("n")) for e in events[3:]] == [
        (case_ids[2], 2, 1),
        (case_ids[0], 2, 2),
        (case_ids[2], 3, 3),
        (case_ids[1], 2, 4),
    ]


async def test_two_tenants_have_independent_chains(make_tenant, registry, actors):
    a, b = await make_tenant(), await make_tenant()
    for tenant in (a, b, a, b, b):
        await intake(tenant, registry, actors, 1)
    chain_a, chain_b = await assert_intact(a.id), await assert_intact(b.id)
    assert (len(chain_a), len(chain_b)) == (2, 3)
    assert chain_a[0].prev_hash == chain_b[0].prev_hash == GENESIS
    assert {e.record["tenant_id"] for e in chain_a} == {a.id}
    assert {e.record["tenant_id"] for e in chain_b} == {b.id}
    assert not {e.hash for e in chain_a} & {e.hash for e in chain_b}


async def test_fifty_concurrent_intakes_still_form_one_intact_chain(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    views = await asyncio.gather(
        *(service.intake(tenant.id, draft(n), actors["operator"]) for n in range(50))
    )
    events = await assert_intact(tenant.id)
    assert len(events) == 50
    assert {e.record["case_id"] for e in events} == {view.case.id for view in views}


async def test_concurrent_appends_to_different_cases_queue_on_the_chain_head(make_tenant, registry, actors):
    # Intake is already serialised by the serial counter; appends to different cases are not.
    tenant = await make_tenant()
    case_ids = await intake(tenant, registry, actors, 5)

    async def append(case_id: int, n: int) -> int:
        async with tenant_tx(tenant.id):
            return await EventRepository(tenant.id).append(case_id, note({"n": n}))

    await asyncio.gather(*(append(case_ids[n % 5], n) for n in range(40)))
    events = await assert_intact(tenant.id)
    assert len(events) == 45
    for case_id in case_ids:
        assert [e.record["seq"] for e in events if e.record["case_id"] == case_id] == list(range(1, 10))


async def test_a_rolled_back_append_leaves_the_chain_as_it_was(make_tenant, registry, actors):
    tenant = await make_tenant()
    [case_id] = await intake(tenant, registry, actors, 1)
    head = await chain_head(tenant.id)
    with pytest.raises(RuntimeError, match="boom"):
        async with tenant_tx(tenant.id):
            await EventRepository(tenant.id).append(case_id, note({"lost": True}))
            raise RuntimeError("boom")
    assert await chain_head(tenant.id) == head
    assert len(await assert_intact(tenant.id)) == 1


async def tamper(statement: str, *args) -> None:
    """Change stored events behind the app's back: a superuser with the trigger switched off."""
    if not on_postgres():
        # SQLite: someone with the file drops the append-only triggers, tampers, and puts them back.
        from core.store.migrations.baseline_sql import SQLITE_CASE_EVENT_APPEND_ONLY

        for trigger in ("case_event_no_update", "case_event_no_delete"):
            await DB.run_ddl(f"DROP TRIGGER {trigger}")
        await DB.run_ddl(statement.replace("$1", str(*args)))
        for create in SQLITE_CASE_EVENT_APPEND_ONLY:
            await DB.run_ddl(create)
        return
    connection = await asyncpg.connect(os.environ["HUIYING_OWNER_DATABASE_URL"])
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute(statement, *args)
    finally:
        await connection.close()


async def test_altered_and_removed_events_are_found(make_tenant, registry, actors):
    altered, removed = await make_tenant(), await make_tenant()
    await intake(altered, registry, actors, 3)
    await intake(removed, registry, actors, 3)
    victim = (await chain_records(altered.id))[1]
    await tamper('UPDATE case_event SET data = \'{"kind": "forged"}\' WHERE id = $1', victim.id)
    broken = first_broken(await chain_records(altered.id))
    assert (broken.position, broken.event_id, broken.case_id, broken.why) == (
        2,
        victim.id,
        victim.record["case_id"],
        HASH_MISMATCH,
    )

    events = await chain_records(removed.id)
    await tamper("DELETE FROM case_event WHERE id = $1", events[1].id)
    broken = first_broken(await chain_records(removed.id))
    assert (broken.position, broken.event_id, broken.why) == (2, events[2].id, PREV_MISMATCH)


@pytest.mark.postgres
async def test_the_app_role_can_neither_update_nor_delete_events(make_tenant, registry, actors):
    tenant = await make_tenant()
    await intake(tenant, registry, actors, 1)
    for statement in ("UPDATE case_event SET actor = 'forger'", "DELETE FROM case_event"):
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            async with tenant_tx(tenant.id):
                await DB.run_ddl(statement)
    assert len(await assert_intact(tenant.id)) == 1


@pytest.mark.postgres
async def test_a_superuser_is_refused_too_unless_the_trigger_is_switched_off(make_tenant, registry, actors):
    tenant = await make_tenant()
    await intake(tenant, registry, actors, 1)
    [event] = await chain_records(tenant.id)
    connection = await asyncpg.connect(os.environ["HUIYING_OWNER_DATABASE_URL"])
    try:
        assert await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        for statement in (
            "UPDATE case_event SET actor = 'forger' WHERE id = $1",
            "DELETE FROM case_event WHERE id = $1",
        ):
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
                await connection.execute(statement, event.id)
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
            await connection.execute("TRUNCATE case_event")
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute("SET LOCAL session_replication_role = replica")
            changed = await connection.execute(
                "UPDATE case_event SET actor = 'forger' WHERE id = $1", event.id
            )
            assert changed == "UPDATE 1"
            row = await connection.fetchrow("SELECT actor, data FROM case_event WHERE id = $1", event.id)
            assert row["actor"] == "forger"
        finally:
            await transaction.rollback()  # leave the shared database as it was
    finally:
        await connection.close()
    assert [e.record["actor"] for e in await assert_intact(tenant.id)] == ["operator"]
