"""Deadline visibility: "my" overdue / today / week lists, time left, and overdue cases per unit.

Nanxi Town counts from acceptance: a complaint accepted on 2026-09-30 10:00 (Shanghai) is due
for handling on 2026-10-13 23:59:59 (5 working days past the National Day holiday, using the
Saturday 10-10 make-up workday) and for transfer on 2026-10-08 23:59:59.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain import sla
from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase, SignForCase
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor, Role
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.deadlines import DeadlineScope, DeadlineService, DeadlineWindow, UnitOverdue
from core.store.deadlines import live_timers, overdue_by_unit
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACCEPTED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
MONDAY = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # 10:00 Shanghai, the day before the due day
DUE_DAY = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)
LATE = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # past 10-13 23:59:59
HANDLING_DUE = datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)


def complaint(title: str = "政务公开栏未更新") -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title=title,
        content="三个月未更新",
        identity={"name": "王五", "phone": "13700001111"},
        fields={"situation": "not_compiled", "respondent": "南溪村委会"},
    )


async def accepted_case(
    cases: CaseService, tenant_id: int, actors, *, unit: str | None = None, signed: bool = False
) -> int:
    """A case accepted now; dispatched to `unit` and signed for by "handler" when asked."""
    case_id = (await cases.intake(tenant_id, complaint(), actors["operator"])).case.id
    await cases.perform(tenant_id, case_id, RegisterCase(), actors["operator"])
    await cases.perform(tenant_id, case_id, AcceptCase(), actors["operator"])
    if unit is not None:
        dispatch = DispatchCase(unit_code=unit, cause="政务公开", opinion="请核实")
        await cases.perform(tenant_id, case_id, dispatch, actors["leader"])
    if signed:
        await cases.perform(tenant_id, case_id, SignForCase(handler="handler"), actors["handler"])
    return case_id


async def pause_timer(tenant_id: int, case_id: int, kind: str, at: datetime) -> None:
    """Stop a timer's clock (the township plugin has no pausing step of its own)."""
    async with tenant_tx(tenant_id):
        repo = TenantStore(tenant_id)
        stored = next(t for t in await repo.timers.of_case(case_id) if t.timer.kind == kind)
        await repo.timers.update(stored.id, sla.pause(stored.timer, at))


def unit_head(unit: str) -> Actor:
    return Actor(username=f"head-{unit}", roles=frozenset({Role.UNIT_HEAD}), unit_code=unit)


@pytest.fixture
def clock():
    return FixedClock(ACCEPTED)


@pytest.fixture
def cases(registry, clock):
    return CaseService(registry, clock)


@pytest.fixture
def deadlines(registry, clock):
    return DeadlineService(registry, clock)


async def test_the_handlers_week_then_overdue(make_tenant, cases, deadlines, clock, actors):
    tenant = await make_tenant()
    case_id = await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    handler = actors["handler"]

    clock.at = MONDAY
    week = await deadlines.mine(tenant.id, handler, "week")
    assert week.scope is DeadlineScope.HANDLER and week.window is DeadlineWindow.WEEK
    assert week.until == datetime(2026, 10, 18, 23, 59, 59, tzinfo=SHANGHAI)  # Sunday
    assert [(item.case_id, item.kind) for item in week.items] == [(case_id, "handling")]
    item = week.items[0]
    assert item.due_at == HANDLING_DUE and item.due_at.utcoffset() == timedelta(hours=8)
    assert item.state is sla.TimerState.RUNNING and not item.overdue and not item.provisional
    assert item.basis == "南溪镇制度 五(一)" and item.label.startswith("办结时限")
    assert item.remaining_seconds == (HANDLING_DUE - MONDAY).total_seconds() == 86_400 + 13 * 3600 + 3599
    assert item.remaining_working_days == 1  # Tuesday 10-13 is the due day
    assert item.case_state is CaseState.IN_HANDLING and item.unit_code == "jcs" and item.handler == "handler"
    assert (await deadlines.mine(tenant.id, handler, "overdue")).items == ()
    assert (await deadlines.mine(tenant.id, handler, "today")).items == ()

    clock.at = DUE_DAY
    today = await deadlines.mine(tenant.id, handler, DeadlineWindow.TODAY)
    assert today.until == datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)
    assert [(item.kind, item.remaining_working_days) for item in today.items] == [("handling", 0)]

    clock.at = LATE
    overdue = await deadlines.mine(tenant.id, handler, "overdue")
    assert overdue.until == overdue.as_of == LATE
    assert [(item.case_id, item.kind) for item in overdue.items] == [(case_id, "handling")]
    item = overdue.items[0]
    assert item.overdue and item.remaining_seconds == -(10 * 3600 + 1)
    assert item.remaining_working_days == -1
    assert (await deadlines.mine(tenant.id, handler, "week")).items == ()
    assert (await deadlines.mine(tenant.id, handler, "today")).items == ()


async def test_whose_deadlines_mine_means(make_tenant, cases, deadlines, clock, actors):
    tenant = await make_tenant()
    signed = await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    unsigned = await accepted_case(cases, tenant.id, actors, unit="jcs")  # with jcs, no handler yet
    waiting = await accepted_case(cases, tenant.id, actors)  # not dispatched
    clock.at = LATE

    def listed(found) -> set[int]:
        return {item.case_id for item in found.items}

    found = await deadlines.mine(tenant.id, actors["handler"], "overdue")
    assert found.scope is DeadlineScope.HANDLER and listed(found) == {signed}
    found = await deadlines.mine(tenant.id, unit_head("jcs"), "overdue")
    assert found.scope is DeadlineScope.UNIT and listed(found) == {signed, unsigned}
    assert (await deadlines.mine(tenant.id, unit_head("dzb"), "overdue")).items == ()
    found = await deadlines.mine(tenant.id, actors["supervisor"], "overdue")
    assert found.scope is DeadlineScope.TENANT and listed(found) == {signed, unsigned, waiting}
    # Soonest due first: the transfer and return deadlines (10-08) before handling (10-13).
    assert [item.due_at for item in found.items] == sorted(item.due_at for item in found.items)
    assert [item.kind for item in found.items if item.case_id == waiting] == ["transfer", "handling"]
    assert (await deadlines.mine(tenant.id, actors["operator"], "overdue")).items == ()  # handles none


async def test_a_paused_timer_keeps_its_time_left(make_tenant, cases, deadlines, clock, actors):
    tenant = await make_tenant()
    case_id = await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    clock.at = MONDAY
    await pause_timer(tenant.id, case_id, "handling", MONDAY)
    before = (await deadlines.mine(tenant.id, actors["handler"], "week")).items[0]
    assert before.state is sla.TimerState.PAUSED and before.paused_at == MONDAY

    clock.at = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)  # a week on, long past the stored due instant
    assert (await deadlines.mine(tenant.id, actors["handler"], "overdue")).items == ()
    after = (await deadlines.mine(tenant.id, actors["handler"], "week")).items  # as if resumed now
    assert [(item.case_id, item.state) for item in after] == [(case_id, sla.TimerState.PAUSED)]
    assert after[0].remaining_seconds == before.remaining_seconds > 0
    assert after[0].remaining_working_days == before.remaining_working_days == 1
    assert after[0].due_at == HANDLING_DUE  # moves on resume, not while paused
    async with tenant_tx(tenant.id):
        assert await overdue_by_unit(tenant.id, clock.now()) == []


async def test_a_timer_paused_when_already_late_stays_late(make_tenant, cases, deadlines, clock, actors):
    tenant = await make_tenant()
    case_id = await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    clock.at = LATE
    await pause_timer(tenant.id, case_id, "handling", LATE)
    clock.advance(timedelta(days=3))
    [item] = (await deadlines.mine(tenant.id, actors["handler"], "overdue")).items
    assert item.state is sla.TimerState.PAUSED and item.overdue
    assert item.remaining_seconds == -(10 * 3600 + 1)  # frozen at the pause
    async with tenant_tx(tenant.id):
        assert await overdue_by_unit(tenant.id, clock.now()) == [("jcs", 1)]


async def test_overdue_cases_per_unit(make_tenant, cases, deadlines, clock, actors):
    tenant = await make_tenant()
    await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    await accepted_case(cases, tenant.id, actors, unit="jcs")  # two late timers: counted once
    await accepted_case(cases, tenant.id, actors, unit="dzb")
    await accepted_case(cases, tenant.id, actors)  # transfer and handling late, no unit
    clock.at = MONDAY
    await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)  # due 10-19: in time
    clock.at = LATE

    async with tenant_tx(tenant.id):
        assert await overdue_by_unit(tenant.id, LATE) == [("dzb", 1), ("jcs", 2), (None, 1)]
        assert await overdue_by_unit(tenant.id, ACCEPTED) == []
    report = await deadlines.by_unit(tenant.id, actors["supervisor"])
    assert report.as_of == LATE and report.total == 4
    assert report.units == (
        UnitOverdue("jcs", "镇监察室", 2),
        UnitOverdue("dzb", "党政办", 1),
        UnitOverdue(None, "未交办单位", 1),
    )
    with pytest.raises(NotPermitted):
        await deadlines.by_unit(tenant.id, actors["handler"])


async def test_a_deadline_in_a_year_without_holiday_data_is_provisional(
    make_tenant, cases, deadlines, clock, actors
):
    tenant = await make_tenant()
    clock.at = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # Monday; 5 working days run into 2027
    await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    assert (await deadlines.mine(tenant.id, actors["handler"], "week")).items == ()  # to Sunday 01-03
    clock.at = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    [item] = (await deadlines.mine(tenant.id, actors["handler"], "today")).items
    assert item.kind == "handling" and item.provisional
    assert item.due_at == datetime(2027, 1, 4, 23, 59, 59, tzinfo=SHANGHAI)  # Mon-Fri without data


async def test_tenants_never_see_each_other(make_tenant, cases, deadlines, clock, actors):
    first = await make_tenant()
    second = await make_tenant()
    await accepted_case(cases, first.id, actors, unit="jcs", signed=True)
    clock.at = LATE
    assert len((await deadlines.mine(first.id, actors["supervisor"], "overdue")).items) == 1
    assert (await deadlines.mine(second.id, actors["supervisor"], "overdue")).items == ()
    assert (await deadlines.mine(second.id, actors["handler"], "overdue")).items == ()
    report = await deadlines.by_unit(second.id, actors["supervisor"])
    assert report.total == 0 and {line.overdue_cases for line in report.units} == {0}
    async with tenant_tx(second.id):
        assert await live_timers(second.id) == []
        assert await overdue_by_unit(second.id, LATE) == []
        with pytest.raises(RuntimeError):
            await live_timers(first.id)  # another tenant's repository use is refused
        with pytest.raises(RuntimeError):
            await overdue_by_unit(first.id, LATE)
    with pytest.raises(RuntimeError):
        await live_timers(first.id)  # outside any tenant transaction


async def test_the_store_filters_live_timers(make_tenant, cases, clock, actors):
    tenant = await make_tenant()
    signed = await accepted_case(cases, tenant.id, actors, unit="jcs", signed=True)
    waiting = await accepted_case(cases, tenant.id, actors)
    async with tenant_tx(tenant.id):
        everything = await live_timers(tenant.id)
        assert {(row.case_id, row.timer.timer.kind) for row in everything} == {
            (signed, "handling"),  # transfer and return_window stopped: not live
            (waiting, "transfer"),
            (waiting, "handling"),
        }
        assert [row.timer.timer.due_at for row in everything] == sorted(
            r.timer.timer.due_at for r in everything
        )
        row = next(row for row in everything if row.case_id == signed)
        assert row.timer.timer.due_at == HANDLING_DUE and row.timer.timer.provisional is False
        assert (row.serial.startswith("NX-2026-"), row.title, row.handler) == (
            True,
            "政务公开栏未更新",
            "handler",
        )
        assert [r.case_id for r in await live_timers(tenant.id, handler="handler")] == [signed]
        assert [r.case_id for r in await live_timers(tenant.id, unit_code="jcs")] == [signed]
        soon = await live_timers(tenant.id, due_before=datetime(2026, 10, 9, tzinfo=SHANGHAI))
        assert [(r.case_id, r.timer.timer.kind) for r in soon] == [(waiting, "transfer")]


async def test_an_unknown_window_is_refused(make_tenant, deadlines, actors):
    tenant = await make_tenant()
    with pytest.raises(InvalidCommand) as refused:
        await deadlines.mine(tenant.id, actors["handler"], "month")
    assert refused.value.field == "window"
    with pytest.raises(NotPermitted):
        await deadlines.mine(tenant.id, Actor(username="nobody"), "today")
