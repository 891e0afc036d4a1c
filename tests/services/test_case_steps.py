"""Steps with their own dates, feedback after closing, the case owner and the work-queue order.

Agreed deadlines, remedy orders and investigations are recorded steps; the first receiver
owns the case; queues list the plugin's priority first.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

import plugins.township.hooks as township
from core.domain.cases import CaseKind, CaseState, Channel, Satisfaction
from core.domain.commands import (
    AcceptCase,
    CloseCase,
    ConfirmRemedy,
    DispatchCase,
    OrderRemedy,
    RecordFeedback,
    RecordInvestigation,
    RegisterCase,
    ReplyToCase,
    SetDeadline,
    SignForCase,
)
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor
from core.domain.sla import TimerState
from core.hookspecs import hookimpl
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.case_search import CaseQuery

# Wed 30 Sep 2026, 10:00 Shanghai: National Day (1–8 Oct) is ahead.
NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


def draft(*, anonymous: bool = False, title: str = "政务公开栏未更新") -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title=title,
        content="三个月未更新",
        anonymous=anonymous,
        identity={} if anonymous else {"name": "王五", "phone": "13700001111"},
        fields={"situation": "not_compiled", "respondent": "南溪村委会"},
    )


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def service(registry, clock):
    return CaseService(registry, clock)


async def accepted(service, tenant, actors) -> int:
    case_id = (await service.intake(tenant.id, draft(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    return case_id


def timer(view, kind):
    return next(stored.timer for stored in view.timers if stored.timer.kind == kind)


async def test_an_agreed_date_replaces_a_negotiable_deadline(make_tenant, actors, service):
    tenant = await make_tenant()
    case_id = await accepted(service, tenant, actors)
    handler = Actor(username="operator", roles=actors["operator"].roles)
    view = await service.perform(
        tenant.id,
        case_id,
        SetDeadline(timer="handling", due_on=date(2026, 10, 20), reason="需现场核查，已告知"),
        handler,
    )
    handling = timer(view, "handling")
    assert handling.due_at == datetime(2026, 10, 20, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Shanghai
    assert handling.state is TimerState.RUNNING and NOW < handling.warn_at < handling.due_at
    events = await service.events(tenant.id, case_id, handler)
    assert events[-1].name == "case_deadline_set" and events[-1].data["timers"] == {
        "rescheduled": ["handling"]
    }

    with pytest.raises(RuleViolation, match="不能由约定改变"):  # the 1-day transfer limit is the rule's own
        await service.perform(
            tenant.id, case_id, SetDeadline(timer="transfer", due_on=date(2026, 10, 20), reason="x"), handler
        )
    with pytest.raises(InvalidCommand, match="已过"):
        await service.perform(
            tenant.id, case_id, SetDeadline(timer="handling", due_on=date(2026, 9, 29), reason="x"), handler
        )


async def test_a_remedy_order_runs_its_own_deadline_until_confirmed(make_tenant, actors, service, clock):
    tenant = await make_tenant()
    case_id = await accepted(service, tenant, actors)
    order = OrderRemedy(accused="南溪村委会", measures="立即更新公开栏", due_on=date(2026, 10, 9))
    view = await service.perform(tenant.id, case_id, order, actors["supervisor"])
    remedy = timer(view, "remedy")
    assert (remedy.state, remedy.due_at) == (
        TimerState.RUNNING,
        datetime(2026, 10, 9, 15, 59, 59, tzinfo=UTC),
    )
    assert [s.label for s in view.timers if s.timer.kind == "remedy"] == ["整改期限"]
    with pytest.raises(RuleViolation, match="未验收的整改"):
        await service.perform(tenant.id, case_id, order, actors["supervisor"])
    with pytest.raises(NotPermitted, match="case:supervise"):  # an intake officer cannot order a remedy
        await service.perform(tenant.id, case_id, order, actors["operator"])

    clock.advance(timedelta(days=3))
    view = await service.perform(tenant.id, case_id, ConfirmRemedy(note="已更新"), actors["supervisor"])
    assert timer(view, "remedy").state is TimerState.STOPPED
    with pytest.raises(RuleViolation, match="没有待验收"):
        await service.perform(tenant.id, case_id, ConfirmRemedy(note="再次验收"), actors["supervisor"])
    # A new order after the first was confirmed starts the deadline afresh.
    view = await service.perform(
        tenant.id,
        case_id,
        dataclasses.replace(order, due_on=date(2026, 10, 16)),
        actors["supervisor"],
    )
    assert timer(view, "remedy").due_at == datetime(2026, 10, 16, 15, 59, 59, tzinfo=UTC)


async def test_investigations_are_recorded_and_feedback_may_follow_closing(make_tenant, actors, service):
    tenant = await make_tenant()
    case_id = await accepted(service, tenant, actors)
    await service.perform(
        tenant.id,
        case_id,
        DispatchCase(unit_code="jcs", cause="政务公开", opinion="请核实"),
        actors["leader"],
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    record = RecordInvestigation(
        investigators=("handler", "李明"), interviewee="村委会主任", findings="属实", signed=True
    )
    view = await service.perform(tenant.id, case_id, record, actors["handler"])
    assert view.case.state is CaseState.IN_HANDLING
    events = await service.events(tenant.id, case_id, actors["supervisor"])
    assert events[-1].name == "case_investigated"
    assert events[-1].data["investigators"] == ["handler", "李明"] and events[-1].data["signed"] is True

    await service.perform(tenant.id, case_id, ReplyToCase(content="已更新"), actors["handler"])
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actors["supervisor"]
    )
    await service.perform(tenant.id, case_id, CloseCase(summary="办结"), actors["supervisor"])
    later = RecordFeedback(satisfaction=Satisfaction.BASICALLY_SATISFIED, note="办结后回访")
    view = await service.perform(tenant.id, case_id, later, actors["supervisor"])
    assert (view.case.state, view.case.satisfaction) == (CaseState.CLOSED, Satisfaction.BASICALLY_SATISFIED)


async def test_the_first_receiver_owns_the_case_and_the_portal_owns_none(make_tenant, actors, service):
    tenant = await make_tenant()
    view = await service.intake(tenant.id, draft(), actors["operator"])
    assert view.case.owner == "operator"
    public = await service.intake(tenant.id, draft(anonymous=True), Actor.from_public())
    assert public.case.owner == ""


class RealNameFirst:
    """The township's rules, with real-name complaints investigated first."""

    @hookimpl
    def hy_case_classification(self, ctx, case):
        base = township.hy_case_classification(ctx, case)
        return dataclasses.replace(base, priority=0 if case.anonymous else 1)


async def test_the_work_queue_lists_priority_first_then_oldest_first_across_pages(make_tenant, actors, clock):
    registry = PluginRegistry({"township": township, "realname": RealNameFirst()})
    tenant = await make_tenant("realname", registry_=registry)
    service = CaseService(registry, clock)
    order = []
    for n, anonymous in enumerate([True, False, True, False, True]):
        view = await service.intake(
            tenant.id, draft(anonymous=anonymous, title=f"第{n}件"), actors["operator"]
        )
        order.append((view.case.title, view.case.priority))
        clock.advance(timedelta(minutes=1))
    assert [p for _, p in order] == [0, 1, 0, 1, 0]
    seen, cursor = [], None
    while True:
        page, cursor = await service.search(
            tenant.id, CaseQuery(sort="queue", limit=2, cursor=cursor), actors["supervisor"]
        )
        seen.extend(view.case.title for view in page)
        if cursor is None:
            break
    assert seen == ["第1件", "第3件", "第0件", "第2件", "第4件"]
