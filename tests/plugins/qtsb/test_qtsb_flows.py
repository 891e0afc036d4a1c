"""The quality bureau's flows through `CaseService` against the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    CloseCase,
    DispatchCase,
    Outcome,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    SignForCase,
    SubmitForApproval,
)
from core.domain.decisions import AccountabilityKind, SanctionKind
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.sla import TimerState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.ledger import LedgerService
from core.services.tenants import load_tenant
from core.store.cases import CaseNotFound
from core.store.ledger import LedgerRepository
from core.store.tx import tenant_tx
from plugins.qtsb import hooks

REGISTRY = PluginRegistry({"qtsb": hooks})
SHANGHAI_0930 = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the eve of National Day
# The conftest tenant's units are jcs and dzb; the matrix maps areas and industries onto them.
ROUTING = {"城东/*": "jcs", "*/计量": "dzb", "城东/计量": "dzb"}


def report(**overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.REPORT,
        "channel": Channel.LETTER,
        "title": "城东某厂生产不合格电线",
        "content": "城东工业园某电线厂以次充好，线芯截面不足。",
        "identity": {"name": "陈某", "phone": "13812345678", "address": "城东路 1 号"},
        "fields": {"product": "某电线厂", "area": "城东", "industry": "电线电缆"},
    }
    return IntakeDraft(**(values | overrides))


def due(view, kind: str) -> str:
    timer = next(stored.timer for stored in view.timers if stored.timer.kind == kind)
    return timer.due_at.astimezone(datetime.fromisoformat("2026-01-01T00:00+08:00").tzinfo).isoformat()


def state_of(view, kind: str) -> TimerState:
    return next(stored.timer.state for stored in view.timers if stored.timer.kind == kind)


async def routing_of(tenant_id: int, case):
    async with tenant_tx(tenant_id):
        loaded = await load_tenant(tenant_id, REGISTRY)
    return loaded.hooks.case_routing(case)


async def test_approval_gates_transfer_and_a_verified_report_is_rewarded(make_tenant, actors):
    tenant = await make_tenant("qtsb", registry_=REGISTRY, settings={"routing": ROUTING}, prefix="ZJ")
    clock = FixedClock(SHANGHAI_0930)
    service = CaseService(REGISTRY, clock)

    view = await service.intake(tenant.id, report(), actors["operator"])
    case_id = view.case.id
    assert view.case.category == "电线电缆"
    assert view.timers == ()
    await service.perform(tenant.id, case_id, RegisterCase(category="电线电缆"), actors["operator"])
    view = await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    assert due(view, "transfer") == "2026-10-10T23:59:59+08:00"  # 3 working days over National Day

    route = await routing_of(tenant.id, view.case)
    assert route is not None and route.unit_code == "jcs"
    assert "城东/*" in route.reason

    dispatch = DispatchCase(unit_code=route.unit_code, cause=route.cause, opinion="请依法查处")
    with pytest.raises(RuleViolation, match="局领导审批"):
        await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    await service.perform(tenant.id, case_id, SubmitForApproval(opinion="拟转城东稽查"), actors["operator"])
    with pytest.raises(NotPermitted):
        await service.perform(tenant.id, case_id, ApproveCase(opinion="同意"), actors["operator"])
    view = await service.perform(tenant.id, case_id, ApproveCase(opinion="同意"), actors["leader"])
    assert view.case.approvals == ("bureau_leader",)

    clock.advance(timedelta(days=8))  # 2026-10-08 10:00, the first workday after the holiday
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    assert (view.case.state, view.case.unit_code) == (CaseState.DISPATCHED, "jcs")
    assert state_of(view, "transfer") is TimerState.STOPPED
    assert due(view, "handling") == "2026-10-28T23:59:59+08:00"  # 15 working days from dispatch

    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    with pytest.raises(NotPermitted, match="特定岗位"):  # 三: the office notifies the person
        await service.perform(
            tenant.id, case_id, ReplyToCase(mode=ReplyMode.WRITTEN, content="已查处"), actors["handler"]
        )
    with pytest.raises(RuleViolation, match="written"):  # a letter is answered in writing
        await service.perform(
            tenant.id, case_id, ReplyToCase(mode=ReplyMode.PHONE, content="已查处"), actors["operator"]
        )
    view = await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.WRITTEN, content="经查属实，已立案查处，罚没款十万元。"),
        actors["operator"],
    )
    assert state_of(view, "handling") is TimerState.STOPPED

    close = CloseCase(summary="举报查实", outcome=Outcome.VERIFIED, amount=Decimal("100000"))
    view = await service.perform(tenant.id, case_id, close, actors["operator"])
    assert view.case.state is CaseState.CLOSED

    async with tenant_tx(tenant.id):
        ledger = await LedgerRepository(tenant.id).journal()
    (line,) = ledger
    assert line.subject == f"举报人（{view.case.serial}）"
    assert line.event_kind is AccountabilityKind.REPORT_VERIFIED
    assert line.sanction.kind is SanctionKind.REWARD
    assert line.sanction.amount == Decimal("5000.00")  # 5% of 100000, at the cap
    assert line.sanction.basis == "质监局制度 四"


async def test_routing_suggestions_follow_the_tenant_matrix(make_tenant, actors):
    tenant = await make_tenant("qtsb", registry_=REGISTRY, settings={"routing": ROUTING}, prefix="ZJ")
    service = CaseService(REGISTRY, FixedClock(SHANGHAI_0930))
    cases = {
        (area, industry): (
            await service.intake(
                tenant.id,
                report(fields={"product": "某企业", "area": area, "industry": industry}),
                actors["operator"],
            )
        ).case
        for area, industry in [("城东", "食品"), ("城东", "计量"), ("城西", "计量"), ("城西", "食品")]
    }
    suggested = {key: await routing_of(tenant.id, case) for key, case in cases.items()}
    assert {key: route.unit_code if route else None for key, route in suggested.items()} == {
        ("城东", "食品"): "jcs",
        ("城东", "计量"): "dzb",  # the exact key beats 城东/*
        ("城西", "计量"): "dzb",
        ("城西", "食品"): None,  # no entry: the dispatcher chooses
    }


async def test_only_the_office_and_leaders_read_the_identity(make_tenant, actors):
    tenant = await make_tenant("qtsb", registry_=REGISTRY, prefix="ZJ")
    service = CaseService(REGISTRY, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, report(), actors["operator"])).case.id

    for who in ("operator", "leader"):
        clear = await service.identities.reveal(tenant.id, case_id, actors[who], "电话告知办理结果")
        assert clear["name"] == "陈某" and clear["address"] == "城东路 1 号"
    with pytest.raises(NotPermitted, match="特定角色"):
        await service.identities.reveal(tenant.id, case_id, actors["supervisor"], "督查")
    with pytest.raises(CaseNotFound):  # not sent to the handler's unit: not even its existence
        await service.identities.reveal(tenant.id, case_id, actors["handler"], "办案需要")
    masked = await service.identities.masked(tenant.id, case_id, actors["supervisor"])
    assert "陈某" not in masked.masked.values()


async def test_a_tenant_may_let_supervisors_read_identities(make_tenant, actors):
    tenant = await make_tenant(
        "qtsb", registry_=REGISTRY, settings={"supervisor_reads_identity": True}, prefix="ZJ"
    )
    service = CaseService(REGISTRY, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, report(), actors["operator"])).case.id
    clear = await service.identities.reveal(tenant.id, case_id, actors["supervisor"], "督查核实")
    assert clear["name"] == "陈某"


async def test_a_complaint_cannot_close_as_a_verified_report(make_tenant, actors):
    tenant = await make_tenant("qtsb", registry_=REGISTRY, prefix="ZJ")
    service = CaseService(REGISTRY, FixedClock(SHANGHAI_0930))
    view = await service.intake(
        tenant.id, report(kind=CaseKind.COMPLAINT, channel=Channel.PHONE), actors["operator"]
    )
    case_id = view.case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    await service.perform(
        tenant.id, case_id, ReplyToCase(mode=ReplyMode.PHONE, content="已解答"), actors["operator"]
    )
    with pytest.raises(RuleViolation, match="质监局制度 四"):
        await service.perform(
            tenant.id, case_id, CloseCase(outcome=Outcome.VERIFIED, amount=Decimal("1")), actors["operator"]
        )
    view = await service.perform(tenant.id, case_id, CloseCase(summary="已答复"), actors["operator"])
    assert view.case.state is CaseState.CLOSED
    async with tenant_tx(tenant.id):
        assert await LedgerRepository(tenant.id).journal() == []


async def test_a_leak_recorded_by_the_leaders_becomes_a_circulated_criticism(make_tenant, actors):
    tenant = await make_tenant("qtsb", registry_=REGISTRY, prefix="ZJ")
    service = CaseService(REGISTRY, FixedClock(SHANGHAI_0930))
    ledger = LedgerService(REGISTRY, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, report(), actors["operator"])).case.id
    with pytest.raises(NotPermitted):  # the office records cases, leaders record leaks
        await ledger.record_event(
            tenant.id,
            case_id,
            actors["operator"],
            AccountabilityKind.IDENTITY_LEAKED,
            "handler",
            "泄露举报人电话",
        )
    with pytest.raises(InvalidCommand, match="系统根据办理过程记录"):
        await ledger.record_event(
            tenant.id, case_id, actors["leader"], AccountabilityKind.DEADLINE_BREACHED, "handler", "逾期"
        )
    (line,) = await ledger.record_event(
        tenant.id,
        case_id,
        actors["leader"],
        AccountabilityKind.IDENTITY_LEAKED,
        "handler",
        "向被举报企业透露举报人电话",
    )
    assert (line.subject, line.sanction.kind, line.case_id) == (
        "handler",
        SanctionKind.CIRCULATED_CRITICISM,
        case_id,
    )
    assert "向被举报企业透露举报人电话" in line.evidence
    events = await service.events(tenant.id, case_id, actors["leader"])
    assert events[-1].name == "case_accountability_recorded" and events[-1].data["entries"] == [line.id]
