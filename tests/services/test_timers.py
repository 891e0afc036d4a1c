"""Deadlines that fire: warning and breach effects exactly once, claims, and recomputation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain.calendar import YearSchedule
from core.domain.cases import CaseKind, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase
from core.domain.decisions import TimerPhase
from core.domain.intake import IntakeDraft
from core.jobs.scheduler import Scheduler
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.timers import TimerJobs
from core.store.outbox import OutboxRepository
from core.store.platform import HolidayRepository
from core.store.tenant_store import TenantStore
from core.store.timers import TimerRepository
from core.store.tx import platform_tx, tenant_tx

ACCEPTED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 Shanghai; handling due 2026-10-13 23:59:59


def complaint() -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title="政务公开栏未更新",
        content="三个月未更新",
        identity={"name": "王五", "phone": "13700001111"},
        fields={"situation": "not_compiled", "respondent": "南溪村委会"},
    )


async def accepted_case(service, tenant, actors, *, dispatched: bool = False) -> int:
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    if dispatched:
        dispatch = DispatchCase(unit_code="jcs", cause="政务公开", opinion="请核实")
        await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    return case_id


async def timer_id(tenant_id: int, case_id: int, kind: str) -> int:
    async with tenant_tx(tenant_id):
        timers = await TimerRepository(tenant_id).of_case(case_id)
    return next(t.id for t in timers if t.timer.kind == kind)


async def record(tenant_id: int, case_id: int):
    async with tenant_tx(tenant_id):
        repo = TenantStore(tenant_id)
        return (
            [e.name for e in await repo.events.of_case(case_id)],
            await repo.documents.with_bodies(case_id),
            await repo.ledger.journal(),
            await OutboxRepository(tenant_id).for_case(case_id),
        )


async def test_warning_then_breach_each_fire_once(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(ACCEPTED)
    service = CaseService(registry, clock)
    case_id = await accepted_case(service, tenant, actors, dispatched=True)
    jobs = TimerJobs(registry, clock)
    handling = await timer_id(tenant.id, case_id, "handling")

    assert await jobs.fire(tenant.id, handling) == []  # nothing due yet
    clock.at = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # past the 80 % warning point
    assert await jobs.fire(tenant.id, handling) == [TimerPhase.WARNING]
    assert await jobs.fire(tenant.id, handling) == []  # a duplicate message does nothing
    events, documents, ledger, notifications = await record(tenant.id, case_id)
    assert events.count("case_reminded") == 1 and documents == [] and ledger == []
    reminded = {n.recipient for n in notifications if n.subject.startswith("催办")}
    assert reminded == {"handler"}  # the unit jcs has a handler and no unit head

    clock.at = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # past 10-13 23:59:59
    assert await jobs.fire(tenant.id, handling) == [TimerPhase.BREACH]
    assert await jobs.fire(tenant.id, handling) == []
    events, documents, ledger, notifications = await record(tenant.id, case_id)
    assert events.count("case_supervision_notice_issued") == 1
    assert events.count("case_accountability_recorded") == 1
    assert [(d.kind, d.number) for d in documents] == [("supervision_notice", "督办-2026-0001")]
    assert "南溪镇制度 五(一)" in documents[0].body and "王五" not in documents[0].body
    assert [(line.subject, line.sanction.kind.value) for line in ledger] == [
        ("jcs", "criticism")
    ]  # nobody signed yet
    noticed = {n.recipient for n in notifications if n.subject.startswith("督办通知单")}
    assert noticed == {"handler", "supervisor"}
    assert all("王五" not in n.body and "13700001111" not in n.body for n in notifications)


async def test_the_second_breach_of_the_year_climbs_the_ladder(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(ACCEPTED)
    service = CaseService(registry, clock)
    first = await accepted_case(service, tenant, actors, dispatched=True)
    second = await accepted_case(service, tenant, actors, dispatched=True)
    jobs = TimerJobs(registry, clock)
    clock.at = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)
    for case_id in (first, second):
        await jobs.fire(tenant.id, await timer_id(tenant.id, case_id, "handling"))
    _, documents, ledger, _ = await record(tenant.id, second)
    assert [line.sanction.kind.value for line in ledger] == ["criticism", "circulated_criticism"]
    assert documents[0].number == "督办-2026-0002"


async def test_stopped_and_paused_timers_do_not_fire(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(ACCEPTED)
    service = CaseService(registry, clock)
    case_id = await accepted_case(service, tenant, actors, dispatched=True)
    transfer = await timer_id(tenant.id, case_id, "transfer")  # stopped by the dispatch
    clock.advance(timedelta(days=60))
    assert await TimerJobs(registry, clock).fire(tenant.id, transfer) == []


async def test_the_scheduler_hands_out_due_timers_once_until_requeue(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(ACCEPTED)
    service = CaseService(registry, clock)
    case_id = await accepted_case(service, tenant, actors)
    transfer = await timer_id(tenant.id, case_id, "transfer")  # due 2026-10-08 23:59:59
    handed: list[tuple[int, int]] = []
    scheduler = Scheduler(
        clock=clock,
        fire_timers=lambda t, ids: handed.extend((t, i) for i in ids),
        deliver_notification=lambda t, i: None,
        requeue_after=timedelta(seconds=30),
    )
    clock.at = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    await scheduler.tick()
    assert (tenant.id, transfer) in handed
    handed.clear()
    await scheduler.tick()
    assert (tenant.id, transfer) not in handed  # claimed, not yet fired: not handed out twice
    clock.advance(timedelta(seconds=31))
    await scheduler.tick()
    assert (tenant.id, transfer) in handed  # the worker never finished it: handed out again
    await TimerJobs(registry, clock).fire(tenant.id, transfer)
    handed.clear()
    clock.advance(timedelta(seconds=31))
    await scheduler.tick()
    assert (tenant.id, transfer) not in handed  # fired: done for good


async def test_importing_a_holiday_schedule_recomputes_provisional_deadlines(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(datetime(2032, 12, 28, 2, 0, tzinfo=UTC))  # 2033 has no holiday data
    service = CaseService(registry, clock)
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    view = await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    handling = next(t.timer for t in view.timers if t.timer.kind == "handling")
    assert handling.provisional is True
    assert handling.due_at == datetime(2033, 1, 4, 15, 59, 59, tzinfo=UTC)  # 12-29,30,31, 01-03, 01-04

    schedules = (
        YearSchedule(year=2032, holidays=frozenset(), workdays=frozenset(), source="测试安排"),
        YearSchedule(
            year=2033,
            holidays=frozenset({date(2033, 1, 3), date(2033, 1, 4)}),
            workdays=frozenset(),
            source="测试安排",
        ),
    )
    async with platform_tx():
        for schedule in schedules:
            await HolidayRepository().put(schedule)
    try:
        assert await TimerJobs(registry, clock).recompute_provisional() >= 1
        after = await service.get(tenant.id, case_id, actors["operator"])
        handling = next(t.timer for t in after.timers if t.timer.kind == "handling")
        assert handling.provisional is False
        assert handling.due_at == datetime(2033, 1, 6, 15, 59, 59, tzinfo=UTC)  # skips the two holidays
        events = await service.events(tenant.id, case_id, actors["operator"])
        assert (
            events[-1].name == "case_deadline_recomputed" and events[-1].data["reason"] == "节假日安排已导入"
        )
    finally:
        async with platform_tx():
            from core.store.tables import HolidaySchedule

            await HolidaySchedule.delete().where(HolidaySchedule.year.is_in([2032, 2033]))


@pytest.mark.parametrize("phase_clock", [datetime(2026, 10, 14, 2, 0, tzinfo=UTC)])
async def test_a_suspended_tenants_timers_wait(make_tenant, registry, actors, phase_clock):
    from core.services.tenants import suspend

    tenant = await make_tenant()
    clock = FixedClock(ACCEPTED)
    service = CaseService(registry, clock)
    case_id = await accepted_case(service, tenant, actors, dispatched=True)
    await suspend(tenant.slug, "欠费")
    clock.at = phase_clock
    assert (
        await TimerJobs(registry, clock).fire(tenant.id, await timer_id(tenant.id, case_id, "handling")) == []
    )


async def test_an_onsite_complaint_not_dispatched_in_ten_minutes(make_tenant, actors):
    """The 12312 rule through a test plugin: breach, a 督办通知单, and the leader on shift told."""
    import importlib

    from core.domain.roles import Actor, Role
    from core.plugins import PluginRegistry
    from core.services.duty import DutyService

    onsite = importlib.import_module("tests.fixture_plugins.onsite")
    registry = PluginRegistry.discover(extra={"onsite": onsite})
    tenant = await make_tenant("onsite", registry_=registry)
    now = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai
    clock = FixedClock(now)
    admin = Actor("admin", roles=frozenset({Role.TENANT_ADMIN}))
    await DutyService(clock).add_shift(
        tenant.id,
        admin,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
        leader="leader",
        officers=["operator"],
    )
    service = CaseService(registry, clock)
    view = await service.intake(tenant.id, complaint(), actors["operator"])
    dispatch_timer = view.timers[0]
    assert dispatch_timer.timer.due_at == now + timedelta(minutes=10)

    clock.advance(timedelta(minutes=11))
    assert await TimerJobs(registry, clock).fire(tenant.id, dispatch_timer.id) == [TimerPhase.BREACH]
    events, documents, _, notifications = await record(tenant.id, view.case.id)
    assert "case_supervision_notice_issued" in events
    assert documents[0].kind == "supervision_notice" and "10 分钟" in documents[0].body
    told = {n.recipient for n in notifications if n.channel == "inbox" and n.subject.startswith("督办通知单")}
    # Who must act before dispatch (the desk and the leader on shift), and the supervisors.
    assert told == {"operator", "leader", "supervisor"}
    reported = {n.recipient for n in notifications if n.subject.startswith("新案件")}
    assert reported == {"leader"}  # 报: the leader on duty heard of the case at intake too


async def test_timers_fired_together_do_what_each_does_alone(make_tenant, registry, actors):
    """A batch (one transaction, the scheduler's unit of work) against the same timers one by one."""
    from core.domain.audit import first_broken, head_mismatch
    from core.store.events import chain_head, chain_records

    outcomes = []
    for together in (False, True):
        tenant = await make_tenant()
        clock = FixedClock(ACCEPTED)
        service = CaseService(registry, clock)
        cases = [await accepted_case(service, tenant, actors, dispatched=True) for _ in range(3)]
        handling = [await timer_id(tenant.id, case_id, "handling") for case_id in cases]
        jobs = TimerJobs(registry, clock)
        clock.at = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # all three past due
        if together:
            fired = await jobs.fire_many(tenant.id, list(reversed(handling)))
            assert await jobs.fire_many(tenant.id, handling) == {}  # a duplicate message does nothing
        else:
            fired = {timer: await jobs.fire(tenant.id, timer) for timer in handling}
        assert fired == {timer: [TimerPhase.BREACH] for timer in handling}
        per_case = [await record(tenant.id, case_id) for case_id in cases]
        events = [names for names, _, _, _ in per_case]
        numbers = [[d.number for d in documents] for _, documents, _, _ in per_case]
        ledger = [(line.subject, line.sanction.kind.value) for line in per_case[0][2]]
        told = [sorted((n.channel, n.recipient) for n in notes) for _, _, _, notes in per_case]
        chain = await chain_records(tenant.id)
        assert first_broken(chain) is None and head_mismatch(chain, await chain_head(tenant.id)) is None
        outcomes.append((events, numbers, ledger, told))
    alone, together = outcomes
    assert together == alone
    assert alone[1] == [["督办-2026-0001"], ["督办-2026-0002"], ["督办-2026-0003"]]
    # The unit answers for all three, so the ladder climbs within one batch as it does across them.
    assert alone[2] == [
        ("jcs", "criticism"),
        ("jcs", "circulated_criticism"),
        ("jcs", "disciplinary"),
    ]


async def test_one_timer_that_cannot_fire_does_not_hold_back_the_others(make_tenant, actors):
    import importlib

    from core.plugins import PluginRegistry

    faulty = importlib.import_module("tests.fixture_plugins.faulty_effects")
    registry = PluginRegistry.discover(extra={"faulty": faulty})
    tenant = await make_tenant("faulty", registry_=registry)
    clock = FixedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    service = CaseService(registry, clock)
    titles = ["占道经营", f"{faulty.FAULTY}：无法督办", "油烟扰民"]
    views = [
        await service.intake(tenant.id, replace(complaint(), title=title), actors["operator"])
        for title in titles
    ]
    timers = [view.timers[0].id for view in views]  # 10 minutes to dispatch
    clock.advance(timedelta(minutes=11))
    jobs = TimerJobs(registry, clock)
    with pytest.raises(RuntimeError, match="插件故障"):
        await jobs.fire_many(tenant.id, timers)
    fired = [(await record(tenant.id, view.case.id))[1] for view in views]
    assert [len(documents) for documents in fired] == [1, 0, 1]  # the good two fired, the bad one waits
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        stamped = [(await repo.timers.for_firing(timer))[2] is not None for timer in timers]
    assert stamped == [True, False, True]  # the retry of the message fires only what is left
    with pytest.raises(RuntimeError, match="插件故障"):
        await jobs.fire_many(tenant.id, timers)
    assert [len((await record(tenant.id, view.case.id))[1]) for view in views] == [1, 0, 1]
