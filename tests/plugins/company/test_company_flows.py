"""Customer complaints of the demo company through the real services and database.

The tenant is `tenants/demo-company.toml` itself (under a fresh slug), so its units, users and
settings are the ones under test. Complaints are accepted on 2026-09-30 10:00 (Shanghai), the
eve of National Day (10-01..10-07; Saturday 10-10 is a make-up workday).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.cases import CaseKind, CaseState, Channel, Complexity, Satisfaction
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    CloseCase,
    DispatchCase,
    Outcome,
    RecordFeedback,
    RegisterCase,
    ReopenCase,
    ReplyMode,
    ReplyToCase,
    SetDeadline,
    SignForCase,
    SubmitForApproval,
)
from core.domain.decisions import AccountabilityKind, SanctionKind, TimerPhase
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.ledger import AppealDecision
from core.domain.roles import Actor
from core.domain.sla import TimerState
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.duty import DutyService
from core.services.ledger import LedgerService
from core.services.tenants import onboard, read_tenant_file
from core.services.timers import TimerJobs
from core.store.outbox import OutboxRepository
from core.store.tx import tenant_tx

pytestmark = pytest.mark.postgres

SHANGHAI = ZoneInfo("Asia/Shanghai")
TENANT_FILE = Path(__file__).parents[3] / "tenants" / "demo-company.toml"
ACCEPTED_AT = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
async def company(registry, unique_slug):
    """The demo company, onboarded from its tenant file under a fresh slug."""
    config = read_tenant_file(TENANT_FILE, registry)
    tenant = await onboard(dataclasses.replace(config, slug=unique_slug("company")), registry)
    people = {
        user.username: Actor(username=user.username, roles=frozenset(user.roles), unit_code=user.unit_code)
        for user in config.users
    }
    return tenant, people


def complaint(**overrides: Any) -> IntakeDraft:
    values: dict[str, Any] = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "空调安装后墙面渗水",
        "content": "销售承诺免费上门安装，安装师傅未按规范打孔，雨后墙面渗水。",
        "identity": {"name": "周先生", "phone": "13700001234"},
        "fields": {"subject": "service", "reason": "安装不规范", "demand": "重新安装并修复墙面"},
    }
    return IntakeDraft(**(values | overrides))


def due(view: Any, kind: str = "handling") -> str:
    timer = next(stored.timer for stored in view.timers if stored.timer.kind == kind)
    return timer.due_at.astimezone(SHANGHAI).isoformat()


def state_of(view: Any, kind: str = "handling") -> TimerState:
    return next(stored.timer.state for stored in view.timers if stored.timer.kind == kind)


async def accepted(service: CaseService, tenant_id: int, who: Actor, draft: IntakeDraft | None = None) -> Any:
    case_id = (await service.intake(tenant_id, draft or complaint(), who)).case.id
    await service.perform(tenant_id, case_id, RegisterCase(category="service"), who)
    return await service.perform(tenant_id, case_id, AcceptCase(), who)


async def in_handling(service: CaseService, tenant_id: int, people: dict, first_asked: str = "sales1") -> int:
    case_id = (await accepted(service, tenant_id, people[first_asked])).case.id
    await service.perform(
        tenant_id,
        case_id,
        DispatchCase(unit_code="market", cause="客户投诉：安装渗水", opinion="请市场发展部协调处理"),
        people["supervisor"],
    )
    await service.perform(tenant_id, case_id, SignForCase(handler="handler"), people["handler"])
    return case_id


async def standing_lines(ledger: LedgerService, tenant_id: int, reader: Actor, subject: str | None = None):
    """The ledger lines in force, as the GM (who holds ledger:read) reads them."""
    return [s for s in await ledger.lines(tenant_id, reader, subject=subject) if s.in_force]


async def test_company_cause_fixed_until_the_customer_is_satisfied_then_the_employee_pays(company, registry):
    tenant, people = company
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)

    # 四.1: the salesperson who heard the complaint takes it in and is its first-asked person.
    view = await accepted(service, tenant.id, people["sales1"])
    case_id = view.case.id
    assert view.case.owner == "sales1"
    assert view.case.serial.startswith("KF-2026-")
    assert view.case.category == "service"
    # 五: 5 working days from acceptance: 10-08, 10-09, Sat 10-10 (make-up), 10-12, 10-13.
    assert due(view) == "2026-10-13T23:59:59+08:00"
    assert state_of(view) is TimerState.RUNNING

    # 三: the Market Development Dept handles it.
    await service.perform(
        tenant.id,
        case_id,
        DispatchCase(unit_code="market", cause="客户投诉：安装渗水", opinion="请协调安装班组处理"),
        people["supervisor"],
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), people["handler"])

    # 五: "或客户与公司协商确定的日期" — the customer agrees to the 20th.
    view = await service.perform(
        tenant.id,
        case_id,
        SetDeadline(timer="handling", due_on=date(2026, 10, 20), reason="客户同意待配件到货后上门"),
        people["handler"],
    )
    assert due(view) == "2026-10-20T23:59:59+08:00"

    clock.at = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.PHONE, content="经核实系安装不规范，已安排重新安装并修复墙面。"),
        people["handler"],
    )
    # 四.3: the responsibility must be settled; 四.5: the company's cause waits for a satisfied customer.
    with pytest.raises(RuleViolation, match="四\\.3"):
        await service.perform(tenant.id, case_id, CloseCase(summary="已处理"), people["supervisor"])
    upheld = CloseCase(
        summary="销售过度承诺、安装不规范，公司赔偿客户墙面损失",
        outcome=Outcome.UPHELD,
        respondent="sales1",
        respondent_unit="sales",
        amount=Decimal("25000"),
        commission=Decimal("1800"),
    )
    with pytest.raises(RuleViolation, match="四\\.5"):
        await service.perform(tenant.id, case_id, upheld, people["supervisor"])

    await service.perform(
        tenant.id,
        case_id,
        RecordFeedback(satisfaction=Satisfaction.DISSATISFIED, note="墙面仍有水渍"),
        people["supervisor"],
    )
    with pytest.raises(RuleViolation, match="直到客户满意"):
        await service.perform(tenant.id, case_id, upheld, people["supervisor"])
    # The responsible department fixes it again — against the same agreed date.
    view = await service.perform(
        tenant.id, case_id, ReopenCase(reason="客户不满意：墙面仍有水渍"), people["supervisor"]
    )
    assert view.case.state is CaseState.IN_HANDLING
    assert state_of(view) is TimerState.RUNNING and due(view) == "2026-10-20T23:59:59+08:00"
    await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.IN_PERSON, content="已重新粉刷墙面。"),
        people["handler"],
    )
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), people["supervisor"]
    )

    # 四.9: the department's superior gives the handling opinion; the clerk who took calls may not.
    with pytest.raises(NotPermitted):
        await service.perform(tenant.id, case_id, upheld, people["operator"])
    view = await service.perform(tenant.id, case_id, upheld, people["supervisor"])
    assert view.case.state is CaseState.CLOSED
    assert state_of(view) is TimerState.STOPPED

    # 六.2, 六.3: ¥25,000 → ¥3,500 back to the company, the commission clawed back, the month's wage.
    ledger = LedgerService(registry, clock)
    lines = await standing_lines(ledger, tenant.id, people["gm"], subject="sales1")
    assert sorted((s.line.sanction.kind, s.line.sanction.amount) for s in lines) == sorted(
        [
            (SanctionKind.WAGE_DEDUCTION, Decimal("200.00")),
            (SanctionKind.REIMBURSEMENT, Decimal("3500.00")),
            (SanctionKind.COMMISSION_CLAWBACK, Decimal("1800.00")),
        ]
    )
    assert {s.line.event_kind for s in lines} == {AccountabilityKind.COMPLAINT_UPHELD}
    assert {s.line.case_id for s in lines} == {case_id}


async def test_customers_own_cause_is_explained_and_closes_without_sanctions(company, registry):
    tenant, people = company
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    # 四.2: the first-asked person explains it at once.
    view = await accepted(service, tenant.id, people["operator"])
    case_id = view.case.id
    await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.PHONE, content="遥控器电池装反，已指导客户正确使用。"),
        people["operator"],
    )
    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="属客户使用原因，已解释并协助解决", outcome=Outcome.NOT_UPHELD),
        people["supervisor"],
    )
    assert view.case.state is CaseState.CLOSED and state_of(view) is TimerState.STOPPED
    assert (
        await standing_lines(LedgerService(registry, FixedClock(ACCEPTED_AT)), tenant.id, people["gm"]) == []
    )


async def test_a_complaint_is_never_anonymous_and_records_the_demand(company, registry):
    tenant, people = company
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    with pytest.raises(InvalidCommand, match="客户要求"):
        await service.intake(
            tenant.id, complaint(fields={"subject": "product", "reason": "质量差"}), people["operator"]
        )
    with pytest.raises(InvalidCommand):
        await service.intake(tenant.id, complaint(anonymous=True, identity={}), people["operator"])


async def test_unclear_responsibility_goes_to_the_vp_or_gm_who_picks_the_department(company, registry):
    tenant, people = company
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    case_id = (await service.intake(tenant.id, complaint(), people["operator"])).case.id
    # 四.10: the Market Development Dept finds the responsibility unclear (sales or installation?).
    await service.perform(
        tenant.id,
        case_id,
        RegisterCase(category="service", complexity=Complexity.COMPLEX),
        people["operator"],
    )
    events = await service.events(tenant.id, case_id, people["supervisor"])
    escalated = [e for e in events if e.name == "case_auto_escalated"]
    assert len(escalated) == 1 and "四.10" in escalated[0].data["reason"]
    async with tenant_tx(tenant.id):
        told = {
            n.recipient for n in await OutboxRepository(tenant.id).for_case(case_id) if n.channel == "inbox"
        }
    assert {"leader", "gm"} <= told  # the approvers: the VP and the GM

    await service.perform(tenant.id, case_id, AcceptCase(), people["operator"])
    to_sales = DispatchCase(unit_code="sales", cause="客户投诉：安装渗水", opinion="由销售部负责解决")
    with pytest.raises(RuleViolation, match="分管副总或总经理"):
        await service.perform(tenant.id, case_id, to_sales, people["supervisor"])
    await service.perform(
        tenant.id,
        case_id,
        SubmitForApproval(opinion="销售与安装责任难以明确，提请总经理处理"),
        people["operator"],
    )
    await service.perform(tenant.id, case_id, ApproveCase(opinion="由销售部负责解决"), people["gm"])
    view = await service.perform(tenant.id, case_id, to_sales, people["gm"])
    assert view.case.unit_code == "sales" and view.case.approvals == ("gm",)


async def test_a_late_complaint_charges_every_direct_responsible_person(company, registry):
    tenant, people = company
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)
    case_id = await in_handling(service, tenant.id, people, first_asked="sales1")
    view = await service.get(tenant.id, case_id, people["supervisor"])
    handling = next(stored for stored in view.timers if stored.timer.kind == "handling")

    clock.at = datetime(2026, 10, 13, 16, 0, 1, tzinfo=UTC)  # one second past 10-13 23:59:59 Shanghai
    assert TimerPhase.BREACH in await TimerJobs(registry, clock).fire(tenant.id, handling.id)

    # 六.1: the first-asked person, the handler, the handling department's manager and the admin
    # head each lose assessment wage and are criticised by name.
    lines = await standing_lines(LedgerService(registry, clock), tenant.id, people["gm"])
    charged = sorted((s.line.subject, s.line.sanction.kind, s.line.sanction.amount) for s in lines)
    assert charged == sorted(
        (person, kind, amount)
        for person in ("sales1", "handler", "supervisor", "xingzheng")
        for kind, amount in (
            (SanctionKind.WAGE_DEDUCTION, Decimal("200.00")),
            (SanctionKind.CRITICISM, Decimal("0.00")),
        )
    )
    assert {s.line.event_kind for s in lines} == {AccountabilityKind.DEADLINE_BREACHED}
    events = [e.name for e in await service.events(tenant.id, case_id, people["supervisor"])]
    assert "case_reminded" in events and "case_accountability_recorded" in events
    assert "case_supervision_notice_issued" not in events  # a company urges; it issues no notices


async def test_appeal_to_the_gm_and_instalments_for_a_large_reimbursement(company, registry):
    tenant, people = company
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)
    case_id = await in_handling(service, tenant.id, people)
    await service.perform(
        tenant.id, case_id, ReplyToCase(content="已赔偿客户并更换产品。"), people["handler"]
    )
    await service.perform(
        tenant.id,
        case_id,
        RecordFeedback(satisfaction=Satisfaction.BASICALLY_SATISFIED),
        people["supervisor"],
    )
    await service.perform(
        tenant.id,
        case_id,
        CloseCase(
            summary="销售过度承诺交货期，公司赔偿客户停工损失",
            outcome=Outcome.UPHELD,
            respondent="sales1",
            respondent_unit="sales",
            amount=Decimal("60000"),
            commission=Decimal("3000"),
        ),
        people["supervisor"],
    )
    ledger = LedgerService(registry, clock)
    by_kind = {
        s.line.sanction.kind: s for s in await standing_lines(ledger, tenant.id, people["gm"], "sales1")
    }
    reimbursement = by_kind[SanctionKind.REIMBURSEMENT]
    # 2,000 + 10% of 50,000; above the 5,000 threshold, so "金额较大": instalments may be agreed.
    assert reimbursement.line.sanction.amount == Decimal("7000.00")
    assert "协商支付期限及方式" in reimbursement.line.sanction.note

    # 六.3: the employee and the company agree seven monthly payments.
    schedule = await ledger.agree_instalments(
        tenant.id, reimbursement.line.id, people["gm"], 7, date(2026, 10, 31)
    )
    assert [i.amount for i in schedule.schedule] == [Decimal("1000.00")] * 7
    assert schedule.schedule[-1].due_on == date(2027, 4, 30)
    with pytest.raises(NotPermitted):  # the department manager does not agree money schedules
        await ledger.agree_instalments(
            tenant.id, reimbursement.line.id, people["supervisor"], 2, date(2026, 10, 31)
        )

    # 四.9: the penalised person appeals the wage deduction to the GM, who reduces it.
    wage = by_kind[SanctionKind.WAGE_DEDUCTION]
    appeal = await ledger.lodge_appeal(tenant.id, wage.line.id, people["sales1"], "交货期系经理口头同意")
    assert appeal.due_at is not None and appeal.due_at > ACCEPTED_AT
    with pytest.raises(NotPermitted):  # only someone with ledger rights decides
        await ledger.decide_appeal(
            tenant.id, wage.line.id, people["supervisor"], AppealDecision.OVERTURN, "同意"
        )
    await ledger.decide_appeal(
        tenant.id,
        wage.line.id,
        people["gm"],
        AppealDecision.REDUCE,
        "经理确有口头同意，减半",
        amount=Decimal("100"),
    )
    after = {s.line.sanction.kind: s for s in await standing_lines(ledger, tenant.id, people["gm"], "sales1")}
    assert after[SanctionKind.WAGE_DEDUCTION].line.sanction.amount == Decimal("100.00")
    assert after[SanctionKind.REIMBURSEMENT].schedule == schedule.schedule
    # The claw-back is appealable too, but stands until decided.
    assert after[SanctionKind.COMMISSION_CLAWBACK].line.sanction.appealable
    assert after[SanctionKind.COMMISSION_CLAWBACK].line.sanction.amount == Decimal("3000.00")


async def test_holiday_duty_roster_reports_a_holiday_complaint_to_the_leader_on_duty(company, registry):
    tenant, people = company
    holiday_start = datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI)
    clock = FixedClock(holiday_start - timedelta(days=2))
    duty = DutyService(clock)
    # 七: the Market Development Dept's manager plans National Day: the VP and the GM alternate.
    for day in range(7):
        start = holiday_start + timedelta(days=day)
        leader, officer = ("leader", "operator") if day % 2 == 0 else ("gm", "duty1")
        await duty.add_shift(
            tenant.id,
            people["supervisor"],
            starts_at=start,
            ends_at=start + timedelta(days=1),
            leader=leader,
            officers=[officer],
        )
    holiday = (holiday_start, holiday_start + timedelta(days=7))
    assert await duty.coverage(tenant.id, people["supervisor"], *holiday) == []
    with pytest.raises(NotPermitted):
        await duty.add_shift(
            tenant.id,
            people["handler"],
            starts_at=holiday[1],
            ends_at=holiday[1] + timedelta(days=1),
            leader="leader",
            officers=["operator"],
        )

    # A complaint phoned in on 10-02 (the GM's day) reaches the GM at once; nothing runs until acceptance.
    clock.at = datetime(2026, 10, 2, 10, 0, tzinfo=SHANGHAI)
    view = await CaseService(registry, clock).intake(tenant.id, complaint(), people["duty1"])
    assert view.case.owner == "duty1" and view.timers == ()
    async with tenant_tx(tenant.id):
        notes = await OutboxRepository(tenant.id).for_case(view.case.id)
    assert {n.recipient for n in notes if n.subject.startswith("新案件")} == {"gm"}
    # Accepted on the holiday, the 5 working days start after it: 10-08 .. 10-13.
    view = await CaseService(registry, clock).perform(
        tenant.id, view.case.id, RegisterCase(), people["duty1"]
    )
    view = await CaseService(registry, clock).perform(tenant.id, view.case.id, AcceptCase(), people["duty1"])
    assert due(view) == "2026-10-13T23:59:59+08:00"
