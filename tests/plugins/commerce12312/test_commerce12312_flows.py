"""The 12312 station's flows through `CaseService` and `TimerJobs` against the real database."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.cases import CaseKind, CaseState, Channel, SeverityFlag
from core.domain.commands import (
    AcceptCase,
    ArriveOnSite,
    CloseCase,
    DispatchCase,
    DispatchMode,
    Outcome,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
)
from core.domain.decisions import SanctionKind, TimerPhase
from core.domain.errors import InvalidCommand, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.sla import TimerState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.tenants import load_tenant
from core.services.timers import TimerJobs
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

REGISTRY = PluginRegistry.discover(
    extra={"commerce12312": importlib.import_module("plugins.commerce12312.hooks")}
)
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
# The conftest tenant's units are jcs and dzb: jcs plays the business squad, dzb the supervision office.
SETTINGS = {"squad_routing": {"消费纠纷": "jcs"}, "supervision_unit": "dzb"}


def complaint(*, on_site: str = "yes", category: str = "消费纠纷", **overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "某加油站加油机计量不足",
        "content": "消费者称加油 200 元，油箱仅进油一半，与站方争执。",
        "identity": {"name": "赵某", "work_unit": "县第一中学", "phone": "13900001111"},
        "fields": {
            "event_time": "2026-11-02 08:50",
            "place": "城关镇某加油站",
            "harm_scope": "一名消费者",
            "harm_degree": "经济损失约 100 元",
            "onsite_handling": "双方仍在现场争执",
            "on_site": on_site,
            "category": category,
        },
    }
    return IntakeDraft(**(values | overrides))


async def new_tenant(make_tenant):
    return await make_tenant("commerce12312", registry_=REGISTRY, settings=SETTINGS, prefix="SW")


async def accepted(service: CaseService, tenant, actors, draft: IntakeDraft) -> int:
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await service.perform(
        tenant.id, case_id, RegisterCase(category=draft.fields["category"]), actors["operator"]
    )
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    return case_id


def timers_of(view) -> dict:
    return {stored.timer.kind: stored for stored in view.timers}


async def test_intake_tells_every_missing_fact_at_once(make_tenant, actors):
    tenant = await new_tenant(make_tenant)
    service = CaseService(REGISTRY, FixedClock(NOW))
    with pytest.raises(InvalidCommand) as refused:
        await service.intake(tenant.id, complaint(fields={}, identity={}), actors["operator"])
    for label in ("姓名", "单位", "联系电话", "发生时间", "地点", "危害范围", "危害程度", "现场处置情况"):
        assert label in str(refused.value)


async def test_an_on_site_complaint_not_dispatched_in_ten_minutes_gets_a_supervision_notice(
    make_tenant, actors
):
    tenant = await new_tenant(make_tenant)
    clock = FixedClock(NOW)
    service = CaseService(REGISTRY, clock)
    case_id = await accepted(service, tenant, actors, complaint())
    view = await service.get(tenant.id, case_id, actors["operator"])
    dispatch = timers_of(view)["dispatch"]
    assert dispatch.timer.due_at == NOW + timedelta(minutes=10)
    assert "arrival" not in timers_of(view)  # starts on dispatch

    clock.advance(timedelta(minutes=11))
    phases = await TimerJobs(REGISTRY, clock).fire(tenant.id, dispatch.id)
    assert TimerPhase.BREACH in phases
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        events = [e.name for e in await repo.events.of_case(case_id)]
        documents = await repo.documents.with_bodies(case_id)
        ledger = await repo.ledger.journal()
    assert "case_supervision_notice_issued" in events
    (notice,) = documents
    assert notice.kind == "supervision_notice" and "10分钟之内" in notice.body
    assert "赵某" not in notice.body and "13900001111" not in notice.body
    (line,) = ledger
    assert line.sanction.kind is SanctionKind.CIRCULATED_CRITICISM
    assert line.sanction.basis == "12312办结反馈制度 四"


async def test_dispatched_in_time_then_arrival_stops_the_arrival_clock(make_tenant, actors):
    tenant = await new_tenant(make_tenant)
    clock = FixedClock(NOW)
    service = CaseService(REGISTRY, clock)
    case_id = await accepted(service, tenant, actors, complaint())
    view = await service.get(tenant.id, case_id, actors["operator"])
    async with tenant_tx(tenant.id):
        route = (await load_tenant(tenant.id, REGISTRY)).hooks.case_routing(view.case)
    assert route is not None and route.unit_code == "jcs" and "一.1" in route.reason

    clock.advance(timedelta(minutes=4))
    dispatch = DispatchCase(
        unit_code=route.unit_code, cause=route.cause, opinion="立即到场处置", mode=DispatchMode.DIVERT
    )
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    timers = timers_of(view)
    assert timers["dispatch"].timer.state is TimerState.STOPPED
    assert timers["arrival"].timer.due_at == NOW + timedelta(minutes=34)
    assert timers["handling"].timer.state is TimerState.RUNNING

    clock.advance(timedelta(minutes=25))
    view = await service.perform(tenant.id, case_id, ArriveOnSite(note="已到达现场"), actors["handler"])
    timers = timers_of(view)
    assert timers["arrival"].timer.state is TimerState.STOPPED
    clock.advance(timedelta(minutes=30))
    assert await TimerJobs(REGISTRY, clock).fire(tenant.id, timers["arrival"].id) == []


async def test_cadre_misconduct_goes_to_the_supervision_department_only(make_tenant, actors):
    tenant = await new_tenant(make_tenant)
    service = CaseService(REGISTRY, FixedClock(NOW))
    draft = complaint(
        kind=CaseKind.REPORT, on_site="no", category="cadre_misconduct", title="稽查人员收受商户财物"
    )
    case_id = await accepted(service, tenant, actors, draft)
    to_squad = DispatchCase(unit_code="jcs", cause="举报：干部违纪", opinion="请查处")
    with pytest.raises(RuleViolation, match=r"一\.2"):
        await service.perform(tenant.id, case_id, to_squad, actors["leader"])
    to_supervision = DispatchCase(unit_code="dzb", cause="举报：干部违纪", opinion="请监察部门查处")
    view = await service.perform(tenant.id, case_id, to_supervision, actors["leader"])
    assert (view.case.state, view.case.unit_code) == (CaseState.DISPATCHED, "dzb")
    assert set(timers_of(view)) == {"handling"}


async def test_a_mass_case_is_escalated_at_once(make_tenant, actors):
    tenant = await new_tenant(make_tenant)
    service = CaseService(REGISTRY, FixedClock(NOW))
    quiet = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, quiet, RegisterCase(category="消费纠纷"), actors["operator"])
    loud = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(
        tenant.id,
        loud,
        RegisterCase(category="消费纠纷", flags=frozenset({SeverityFlag.MASS})),
        actors["operator"],
    )
    assert "case_auto_escalated" not in [
        e.name for e in await service.events(tenant.id, quiet, actors["operator"])
    ]
    (escalated,) = [
        e
        for e in await service.events(tenant.id, loud, actors["operator"])
        if e.name == "case_auto_escalated"
    ]
    assert escalated.data["at_once"] is True and "leader" in escalated.data["told"]
    assert "群体性" in escalated.data["reason"] and "站长" in escalated.data["reason"]


async def test_a_consultation_is_answered_and_closed_at_once(make_tenant, actors):
    tenant = await new_tenant(make_tenant)
    service = CaseService(REGISTRY, FixedClock(NOW))
    draft = IntakeDraft(
        kind=CaseKind.CONSULTATION,
        channel=Channel.PHONE,
        title="单用途预付卡退卡",
        content="商家倒闭，预付卡余额怎么退？",
    )
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    view = await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    assert view.timers == ()
    answer = ReplyToCase(
        mode=ReplyMode.ON_THE_SPOT, content="依据《单用途商业预付卡管理办法》，可向发卡企业申请退卡。"
    )
    await service.perform(tenant.id, case_id, answer, actors["operator"])
    view = await service.perform(
        tenant.id, case_id, CloseCase(summary="当场解答", outcome=Outcome.ANSWERED), actors["operator"]
    )
    assert view.case.state is CaseState.CLOSED
