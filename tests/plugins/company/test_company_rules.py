"""The company's rules as pure functions (no database, no clock), and the hooks handing them the settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, statutory_schedules
from core.domain.cases import Case, CaseKind, CaseState, Channel, Complexity, Satisfaction
from core.domain.commands import CloseCase, Outcome, ReplyToCase
from core.domain.decisions import (
    AccountabilityEvent,
    AccountabilityKind,
    SanctionKind,
    TimerEffect,
    TimerPhase,
)
from core.domain.lifecycle import Action
from core.domain.roles import Role
from core.domain.tenancy import TenantContext, Unit, resolve_settings
from core.plugins import PluginRegistry
from plugins.company import hooks as company_hooks
from plugins.company import rules

RECEIVED = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
UNITS = (Unit("market", "市场发展部"), Unit("sales", "销售部"))
LATE = Decimal(200)
UPHELD = Decimal(300)
THRESHOLD = Decimal(5000)


def case(**overrides) -> Case:
    values = {
        "id": 1,
        "tenant_id": 1,
        "serial": "KF-2026-000001",
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "state": CaseState.REPLIED,
        "title": "空调安装后漏水",
        "content": "安装师傅未按规范打孔，墙面渗水。",
        "received_at": RECEIVED,
        "fields": {"subject": "service", "reason": "安装不规范", "demand": "重新安装并赔偿墙面"},
        "owner": "sales1",
    }
    return Case(**(values | overrides))


def sanctions(kind: AccountabilityKind, *, admin_head: str = "", subject: str = "sales1", **event):
    return rules.sanctions_for(
        AccountabilityEvent(kind=kind, subject=subject, **event),
        late_wage_deduction=LATE,
        upheld_wage_deduction=UPHELD,
        admin_head=admin_head,
        instalment_threshold=THRESHOLD,
    )


# --- 六.2: tiered reimbursement and commission ------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "owed"),
    [
        ("25000", "3500.00"),  # 10000 × 20% + 15000 × 10%
        ("8000", "1600.00"),  # all within the first band
        ("10000", "2000.00"),  # exactly at the bound: 20% of all of it
        ("10000.01", "2000.00"),  # one fen above: 10% of 0.01 rounds away
        ("10000.10", "2000.01"),
        ("0", "0.00"),
    ],
)
def test_reimbursement_is_twenty_percent_up_to_ten_thousand_and_ten_above(loss, owed):
    assert rules.reimbursement(Decimal(loss)) == Decimal(owed)


def test_a_loss_of_25000_costs_3500_the_commission_and_the_months_wage():
    lines = sanctions(
        AccountabilityKind.COMPLAINT_UPHELD,
        amount=Decimal(25000),
        commission=Decimal("1800"),
        case_serial="KF-1",
    )
    assert [(s.kind, s.amount, s.basis) for s in lines] == [
        (SanctionKind.WAGE_DEDUCTION, UPHELD, "客户投诉处理制度 六.3"),
        (SanctionKind.REIMBURSEMENT, Decimal("3500.00"), "客户投诉处理制度 六.2"),
        (SanctionKind.COMMISSION_CLAWBACK, Decimal("1800"), "客户投诉处理制度 六.2"),
    ]
    # Charged to the employee at fault, the event's subject; all appealable to the GM (四.9).
    assert all(s.subject == "" and s.appealable for s in lines)
    # 3500 is within the 5000 threshold: no instalment note.
    assert "分期" not in lines[1].note and "协商" not in lines[1].note


def test_a_loss_of_8000_costs_1600():
    lines = sanctions(AccountabilityKind.LOSS_CAUSED, amount=Decimal(8000))
    # A loss outside an upheld complaint carries no 六.3 wage line and, without a commission, no claw-back.
    assert [(s.kind, s.amount) for s in lines] == [(SanctionKind.REIMBURSEMENT, Decimal("1600.00"))]


def test_a_large_reimbursement_may_be_paid_in_agreed_instalments():
    (line,) = sanctions(AccountabilityKind.LOSS_CAUSED, amount=Decimal(60000))
    assert line.amount == Decimal("7000.00")  # 2000 + 5000 > the 5000 threshold
    assert "协商支付期限及方式" in line.note and "六.3" in line.note


def test_no_commission_is_clawed_back_without_a_loss():
    lines = sanctions(AccountabilityKind.COMPLAINT_UPHELD, commission=Decimal(500))
    assert [s.kind for s in lines] == [SanctionKind.WAGE_DEDUCTION]


def test_a_zero_wage_setting_writes_no_wage_line():
    event = AccountabilityEvent(
        kind=AccountabilityKind.COMPLAINT_UPHELD, subject="sales1", amount=Decimal(100)
    )
    lines = rules.fault_sanctions(event, wage_deduction=Decimal(0), instalment_threshold=THRESHOLD)
    assert [(s.kind, s.amount) for s in lines] == [(SanctionKind.REIMBURSEMENT, Decimal("20.00"))]


# --- 六.1: late without good reason ------------------------------------------------------------------


def test_a_late_complaint_charges_every_direct_responsible_person():
    lines = sanctions(
        AccountabilityKind.DEADLINE_BREACHED,
        subject="handler",
        responsible=("sales1", "handler", "fangfang", "handler", ""),
        case_serial="KF-2026-000007",
        admin_head="xingzheng",
    )
    charged = [(s.subject, s.kind) for s in lines]
    assert charged == [
        (person, kind)
        for person in ("sales1", "handler", "fangfang", "xingzheng")
        for kind in (SanctionKind.WAGE_DEDUCTION, SanctionKind.CRITICISM)
    ]
    wages = [s for s in lines if s.kind is SanctionKind.WAGE_DEDUCTION]
    assert {s.amount for s in wages} == {LATE}
    assert all(s.basis == "客户投诉处理制度 六.1" and "KF-2026-000007" in s.note for s in lines)
    assert all(s.appealable for s in lines)  # a good reason is heard on appeal


def test_a_late_complaint_with_nobody_named_charges_the_event_subject():
    lines = sanctions(AccountabilityKind.DEADLINE_BREACHED, subject="market")
    assert [(s.subject, s.kind) for s in lines] == [
        ("market", SanctionKind.WAGE_DEDUCTION),
        ("market", SanctionKind.CRITICISM),
    ]


@pytest.mark.parametrize(
    "kind",
    [AccountabilityKind.REPORT_VERIFIED, AccountabilityKind.DUTY_MISSED, AccountabilityKind.IDENTITY_LEAKED],
)
def test_other_events_carry_no_line(kind):
    assert sanctions(kind, amount=Decimal(1000)) == ()


# --- 五: the deadline -------------------------------------------------------------------------------


def test_five_working_days_from_acceptance_negotiable_and_kept_through_reopening():
    (rule,) = rules.timer_rules(case(), handling_days=5)
    assert rule.kind == rules.HANDLING_TIMER and rule.negotiable
    assert rule.starts_on is Action.ACCEPT
    assert rule.stops_on == {Action.CLOSE, Action.REFER_OUT}  # resolved means closed, customer satisfied
    assert rule.restarts_on == {Action.REOPEN}
    assert rule.extension_cap is None  # more time is a date agreed with the customer, not an extension
    # Accepted on the eve of National Day: 10-08, 10-09, Saturday 10-10 (make-up), 10-12, 10-13.
    assert (
        CALENDAR.add(RECEIVED, rule.period, basis=rule.basis).due_at.isoformat()
        == "2026-10-13T23:59:59+08:00"
    )


@pytest.mark.parametrize("kind", [CaseKind.CONSULTATION, CaseKind.REPORT])
def test_only_complaints_run_against_the_deadline(kind):
    assert rules.timer_rules(case(kind=kind), handling_days=5) == ()


def test_breach_reminds_and_holds_to_account_without_a_supervision_notice():
    assert rules.timer_effects(TimerPhase.WARNING) == (TimerEffect.REMIND,)
    assert rules.timer_effects(TimerPhase.BREACH) == (TimerEffect.REMIND, TimerEffect.ACCOUNTABILITY)


# --- 三, 四.10: routing and unclear responsibility ---------------------------------------------------


def test_complaints_go_to_the_market_development_dept():
    route = rules.route(case(state=CaseState.ACCEPTED), "market", UNITS)
    assert route is not None and route.unit_code == "market" and "三" in route.reason
    assert rules.route(case(state=CaseState.ACCEPTED), "market", (Unit("sales", "销售部"),)) is None
    assert rules.route(case(kind=CaseKind.CONSULTATION), "market", UNITS) is None


def test_unclear_responsibility_goes_to_the_vp_or_gm():
    unclear = case(state=CaseState.REGISTERED, complexity=Complexity.COMPLEX)
    reason = rules.UnclearResponsibility(unclear)
    assert reason is not None and "四.10" in reason and "总经理" in reason
    assert rules.approval_chain(unclear) == (rules.GM_STEP,)
    assert rules.GM_STEP.role is Role.APPROVER
    clear = case(state=CaseState.REGISTERED)
    assert rules.UnclearResponsibility(clear) is None and rules.approval_chain(clear) == ()
    assert rules.UnclearResponsibility(replace(unclear, kind=CaseKind.CONSULTATION)) is None


def test_classification_is_what_the_complaint_is_about():
    assert rules.classification(case()).category == "service"
    assert rules.classification(case(fields={}, category="product")).category == "product"


def test_a_complaint_needs_the_reason_the_demand_and_a_way_to_reach_the_customer():
    schema = rules.intake_schema(CaseKind.COMPLAINT)
    missing = schema.missing(CaseKind.COMPLAINT, {"subject": "product"}, anonymous=False)
    assert [spec.key for spec in missing] == ["reason", "demand", "name", "phone"]
    assert not schema.allow_anonymous
    off = schema.off_list(CaseKind.COMPLAINT, {"subject": "price"})
    assert [(spec.key, value) for spec, value in off] == [("subject", "price")]
    assert schema.off_list(CaseKind.COMPLAINT, {"subject": "service"}) == ()
    assert rules.intake_schema(CaseKind.CONSULTATION).allow_anonymous


# --- 四.3, 四.5, 四.9: closing ----------------------------------------------------------------------


def test_an_answered_complaint_closes_with_its_responsibility_settled():
    reason = rules.ResponsibilityDetermined(case(), CloseCase(summary="已处理"))
    assert reason is not None and "四.3" in reason
    for outcome in (Outcome.UPHELD, Outcome.NOT_UPHELD):
        command = CloseCase(summary="已处理", outcome=outcome, respondent="sales1")
        assert rules.ResponsibilityDetermined(case(), command) is None
    # Refused or referred cases were never answered; other actions are not concerned.
    assert rules.ResponsibilityDetermined(case(state=CaseState.REFUSED), CloseCase()) is None
    assert rules.ResponsibilityDetermined(case(), ReplyToCase(content="x")) is None
    assert rules.ResponsibilityDetermined(case(kind=CaseKind.CONSULTATION), CloseCase()) is None


@pytest.mark.parametrize(
    ("satisfaction", "refused"),
    [
        (None, True),
        (Satisfaction.DISSATISFIED, True),
        (Satisfaction.SATISFIED, False),
        (Satisfaction.BASICALLY_SATISFIED, False),
        (Satisfaction.UNREACHABLE, False),
    ],
)
def test_the_companys_cause_is_fixed_until_the_customer_is_satisfied(satisfaction, refused):
    upheld = CloseCase(summary="已解决", outcome=Outcome.UPHELD, respondent="sales1")
    reason = rules.SatisfiedBeforeClosing(case(state=CaseState.FEEDBACK, satisfaction=satisfaction), upheld)
    assert (reason is not None) is refused
    if refused:
        assert "四.5" in reason and "重办" in reason


def test_the_customers_own_cause_closes_after_the_explanation():
    not_upheld = CloseCase(summary="已解释", outcome=Outcome.NOT_UPHELD)
    assert rules.SatisfiedBeforeClosing(case(), not_upheld) is None


def test_the_supervisor_or_gm_closes_a_complaint():
    assert rules.closing_roles(case(), Action.CLOSE) == {Role.SUPERVISOR, Role.APPROVER}
    assert rules.closing_roles(case(), Action.REPLY) is None
    assert rules.closing_roles(case(kind=CaseKind.CONSULTATION), Action.CLOSE) is None


# --- phrases ----------------------------------------------------------------------------------------


def test_phrases_explain_the_customers_cause_and_promise_the_deadline():
    by_key = {p.key: p for p in rules.phrases(5)}
    assert by_key["customer_cause"].step is Action.REPLY and "协助您" in by_key["customer_cause"].text
    assert by_key["company_cause"].step is Action.REPLY and "直到您满意" in by_key["company_cause"].text
    assert "5个工作日" in by_key["accepted"].text and by_key["accepted"].step is Action.ACCEPT
    assert by_key["agreed_date"].step is Action.SET_DEADLINE
    assert "7个工作日" in {p.key: p for p in rules.phrases(7)}["accepted"].text


# --- the hooks read the tenant's settings ------------------------------------------------------------


def tenant_hooks(**settings):
    """The plugin's facade for a tenant with `settings`, built the way the platform builds it."""
    registry = PluginRegistry({"company": company_hooks})
    specs = registry.settings_specs("company")
    ctx = TenantContext(
        tenant_id=1,
        slug="demo-company",
        name="示范实业有限公司",
        plugin="company",
        units=UNITS,
        settings=resolve_settings(specs, platform={}, tenant=settings, by_kind={}),
    )
    return registry.hooks_for(ctx)


def test_the_hooks_apply_the_tenants_settings():
    hooks = tenant_hooks(handling_working_days=7, late_wage_deduction=150, admin_head="", main_unit="sales")
    (rule,) = hooks.sla_timers(case(state=CaseState.ACCEPTED))
    assert rule.period.amount == 7
    assert hooks.case_routing(case(state=CaseState.ACCEPTED)).unit_code == "sales"
    late = AccountabilityEvent(
        kind=AccountabilityKind.DEADLINE_BREACHED, subject="handler", responsible=("sales1", "handler")
    )
    lines = hooks.accountability_sanctions(late)
    assert {(s.subject, s.amount) for s in lines if s.kind is SanctionKind.WAGE_DEDUCTION} == {
        ("sales1", Decimal(150)),
        ("handler", Decimal(150)),
    }
    # A core timer (a remedy order) keeps the core's effects, supervision notice included.
    assert TimerEffect.SUPERVISION_NOTICE in hooks.timer_effects(case(), "remedy", TimerPhase.BREACH)
    assert hooks.timer_effects(case(), "handling", TimerPhase.BREACH) == rules.timer_effects(
        TimerPhase.BREACH
    )
