"""Nanxi Town's rules as plain functions, and the hooks that adapt them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, PeriodUnit, statutory_schedules
from core.domain.cases import Case, CaseKind, CaseState, Channel, Complexity
from core.domain.commands import ReplyMode
from core.domain.decisions import (
    AccountabilityEvent,
    AccountabilityKind,
    SanctionKind,
    TimerEffect,
    TimerPhase,
)
from core.domain.lifecycle import Action
from core.domain.tenancy import TenantContext
from core.plugins import PluginRegistry, TenantHooks
from plugins.township import hooks, rules

ACCEPTED_AT = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
DEFAULTS: dict[str, Any] = {"general_days": 5, "complex_days": 10, "extension_cap_days": 10}


def make_case(
    *,
    kind: CaseKind = CaseKind.COMPLAINT,
    state: CaseState = CaseState.ACCEPTED,
    complexity: Complexity = Complexity.GENERAL,
    anonymous: bool = False,
    situation: str = "untrue",
) -> Case:
    return Case(
        id=1,
        tenant_id=1,
        serial="NX-2026-000001",
        kind=kind,
        channel=Channel.PHONE,
        state=state,
        title="政务公开栏信息与实际不符",
        content="村务公开栏公布的补贴名单与实际发放不一致。",
        received_at=ACCEPTED_AT,
        complexity=complexity,
        anonymous=anonymous,
        fields={"situation": situation},
    )


def township_hooks(**settings: Any) -> TenantHooks:
    registry = PluginRegistry({"township": hooks})
    specs = registry.settings_specs("township")
    resolved = {spec.key: spec.default for spec in specs} | settings
    ctx = TenantContext(tenant_id=7, slug="nanxi", name="南溪镇", plugin="township", settings=resolved)
    return registry.hooks_for(ctx)


# --- OutOfScope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("situation", sorted(rules.SITUATIONS))
def test_the_seven_situations_are_in_scope(situation: str) -> None:
    assert rules.OutOfScope(situation) is None


def test_there_are_exactly_seven_situations() -> None:
    assert len(rules.SITUATIONS) == 7
    assert all(label.strip() for label in rules.SITUATIONS.values())


@pytest.mark.parametrize("situation", ["", "traffic_fine", "No_Disclosure", "不依法履行政务公开义务"])
def test_other_situations_are_out_of_scope(situation: str) -> None:
    reason = rules.OutOfScope(situation)
    assert reason is not None
    assert "不属于政务公开投诉受理范围" in reason
    assert "南溪镇制度 二" in reason


def test_acceptance_hook_refuses_an_out_of_scope_complaint_with_its_reason() -> None:
    township = township_hooks()
    refused = township.case_acceptance(make_case(state=CaseState.REGISTERED, situation="traffic_fine"))
    assert refused.acceptable is False
    assert refused.unmet == (rules.OutOfScope("traffic_fine"),)
    assert refused.basis == "南溪镇制度 二"
    assert township.case_acceptance(make_case(state=CaseState.REGISTERED)).acceptable is True
    # Reports and consultations are not bound to the seven complaint situations.
    report = make_case(kind=CaseKind.REPORT, state=CaseState.REGISTERED, situation="")
    assert township.case_acceptance(report).acceptable is True


# --- FeedbackBeforeClosing ----------------------------------------------------------------------


def test_a_named_replied_complaint_cannot_close_before_feedback() -> None:
    reason = rules.FeedbackBeforeClosing(make_case(state=CaseState.REPLIED), Action.CLOSE)
    assert reason is not None
    assert "满意度" in reason and "六(四)" in reason


@pytest.mark.parametrize(
    ("state", "action", "anonymous"),
    [
        (CaseState.REPLIED, Action.CLOSE, True),  # an anonymous person cannot be asked
        (CaseState.FEEDBACK, Action.CLOSE, False),  # satisfaction is recorded
        (CaseState.REFUSED, Action.CLOSE, False),  # nothing was answered
        (CaseState.REPLIED, Action.RECORD_FEEDBACK, False),
        (CaseState.REPLIED, Action.REOPEN, False),
    ],
)
def test_feedback_before_closing_allows_everything_else(
    state: CaseState, action: Action, anonymous: bool
) -> None:
    assert rules.FeedbackBeforeClosing(make_case(state=state, anonymous=anonymous), action) is None


def test_veto_hook_adapts_the_rule() -> None:
    township = township_hooks()
    replied = make_case(state=CaseState.REPLIED)
    assert township.action_veto(replied, Action.CLOSE) == (
        rules.FeedbackBeforeClosing(replied, Action.CLOSE),
    )
    assert township.action_veto(replied, Action.RECORD_FEEDBACK) == ()


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("complexity", "days"), [(Complexity.GENERAL, 5), (Complexity.COMPLEX, 10)])
def test_handling_period(complexity: Complexity, days: int) -> None:
    period = rules.handling_period(complexity, general_days=5, complex_days=10)
    assert period == Period(days, PeriodUnit.WORKING_DAYS)


def test_handling_period_follows_the_settings() -> None:
    assert rules.handling_period(Complexity.GENERAL, general_days=3, complex_days=20) == Period.parse(
        "3 working days"
    )
    assert rules.handling_period(Complexity.COMPLEX, general_days=3, complex_days=20) == Period.parse(
        "20 working days"
    )


def test_timer_rules_kinds_bases_and_triggers() -> None:
    timers = {rule.kind: rule for rule in rules.timer_rules(make_case(), **DEFAULTS)}
    assert list(timers) == ["transfer", "return_window", "handling", "feedback"]
    assert {kind: rule.basis for kind, rule in timers.items()} == {
        "transfer": "南溪镇制度 六(二)",
        "return_window": "南溪镇制度 六(三)",
        "handling": "南溪镇制度 五(一)",
        "feedback": "南溪镇制度 六(四)",
    }
    assert {kind: rule.starts_on for kind, rule in timers.items()} == {
        "transfer": Action.ACCEPT,
        "return_window": Action.DISPATCH,
        "handling": Action.ACCEPT,
        "feedback": Action.REPLY,
    }
    assert timers["transfer"].stops_on == {Action.DISPATCH, Action.REFER_OUT}
    assert timers["return_window"].stops_on == {Action.SIGN_FOR, Action.RETURN}
    assert timers["handling"].stops_on == {Action.REPLY, Action.REFER_OUT}
    assert timers["feedback"].stops_on == {Action.RECORD_FEEDBACK, Action.CLOSE, Action.REOPEN}
    assert timers["handling"].period == Period.parse("5 working days")
    assert timers["handling"].extension_cap == Period.parse("10 working days")
    # Only the handling deadline may be extended (五(三)).
    assert [kind for kind, rule in timers.items() if rule.extension_cap is not None] == ["handling"]
    for kind in ("transfer", "return_window", "feedback"):
        assert timers[kind].period == Period.parse("1 working day")


def test_complex_case_gets_the_complex_handling_rule() -> None:
    timers = {
        rule.kind: rule for rule in rules.timer_rules(make_case(complexity=Complexity.COMPLEX), **DEFAULTS)
    }
    assert timers["handling"].period == Period.parse("10 working days")
    assert timers["handling"].basis == "南溪镇制度 五(二)"
    assert timers["handling"].label == "办结时限（复杂）"


@pytest.mark.parametrize(
    ("complexity", "kind", "due"),
    [
        (Complexity.GENERAL, "handling", "2026-10-13T23:59:59+08:00"),
        (Complexity.COMPLEX, "handling", "2026-10-20T23:59:59+08:00"),
        # National Day runs 1–7 October 2026; the 8th is the first workday after it.
        (Complexity.GENERAL, "transfer", "2026-10-08T23:59:59+08:00"),
    ],
)
def test_deadlines_on_the_business_calendar(complexity: Complexity, kind: str, due: str) -> None:
    """Accepted 2026-09-30 10:00, just before the holiday: the days off do not count."""
    case = make_case(complexity=complexity)
    rule = next(rule for rule in township_hooks().sla_timers(case) if rule.kind == kind)
    deadline = CALENDAR.add(ACCEPTED_AT, rule.period, basis=rule.basis)
    assert deadline.due_at == datetime.fromisoformat(due)
    assert deadline.due_at.utcoffset() == datetime.fromisoformat(due).utcoffset()
    assert deadline.provisional is False
    assert deadline.basis == rule.basis


def test_sla_timers_hook_reads_the_tenant_settings() -> None:
    township = township_hooks(general_working_days=3, complex_working_days=15, extension_cap_working_days=4)
    general = {rule.kind: rule for rule in township.sla_timers(make_case())}
    complex_ = {rule.kind: rule for rule in township.sla_timers(make_case(complexity=Complexity.COMPLEX))}
    assert general["handling"].period == Period.parse("3 working days")
    assert complex_["handling"].period == Period.parse("15 working days")
    assert general["handling"].extension_cap == Period.parse("4 working days")


# --- sanctions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [AccountabilityKind.DEADLINE_BREACHED, AccountabilityKind.COMPLAINT_UPHELD])
@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, SanctionKind.CRITICISM),
        (2, SanctionKind.CIRCULATED_CRITICISM),
        (3, SanctionKind.DISCIPLINARY),
        (4, SanctionKind.DISCIPLINARY),
    ],
)
def test_sanctions_ladder(kind: AccountabilityKind, count: int, expected: SanctionKind) -> None:
    event = AccountabilityEvent(kind=kind, subject="张三", case_serial="NX-2026-000001", count_in_year=count)
    (sanction,) = rules.sanctions_for(event)
    assert sanction.kind is expected
    assert sanction.basis == "南溪镇制度 八"
    assert (sanction.points, sanction.amount) == (0, 0)
    assert f"第 {count} 次" in sanction.note


@pytest.mark.parametrize(
    "kind",
    [
        AccountabilityKind.LOSS_CAUSED,
        AccountabilityKind.REPORT_VERIFIED,
        AccountabilityKind.DUTY_MISSED,
    ],
)
def test_other_accountability_kinds_carry_no_sanction(kind: AccountabilityKind) -> None:
    for count in (1, 2, 3, 4):
        assert rules.sanctions_for(AccountabilityEvent(kind=kind, subject="张三", count_in_year=count)) == ()


def test_sanctions_hook_adapts_the_rule() -> None:
    event = AccountabilityEvent(kind=AccountabilityKind.DEADLINE_BREACHED, subject="张三", count_in_year=2)
    assert township_hooks().accountability_sanctions(event) == rules.sanctions_for(event)


# --- the rest of the township's answers ---------------------------------------------------------

IMPLEMENTED = {
    "hy_register_settings",
    "hy_intake_schema",
    "hy_case_classification",
    "hy_case_acceptance",
    "hy_action_veto",
    "hy_sla_timers",
    "hy_reply_requirements",
    "hy_accountability_sanctions",
    "hy_register_document_templates",
    "hy_register_phrases",
    "hy_register_statistics_dimensions",
}
LEFT_TO_THE_CORE = {
    "hy_case_routing",
    "hy_approval_chain",
    "hy_timer_effects",
    "hy_on_case_received",
    "hy_on_case_transitioned",
}


def test_township_implements_its_hooks_and_leaves_the_rest_to_the_core() -> None:
    assert {name for name in vars(hooks) if name.startswith("hy_")} == IMPLEMENTED
    assert not IMPLEMENTED & LEFT_TO_THE_CORE
    township = township_hooks()
    case = make_case()
    # No routing rule in the regulation: the dispatcher chooses (hy_case_routing).
    assert township.case_routing(case) is None
    # No approval before dispatch (hy_approval_chain).
    assert township.approval_chain(case) == ()
    # The core's escalation at warning and breach (hy_timer_effects).
    assert township.timer_effects(case, "handling", TimerPhase.WARNING) == (TimerEffect.REMIND,)
    assert township.timer_effects(case, "handling", TimerPhase.BREACH) == (
        TimerEffect.REMIND,
        TimerEffect.SUPERVISION_NOTICE,
        TimerEffect.ACCOUNTABILITY,
    )
    # Notifications (hy_on_case_received, hy_on_case_transitioned) have no township listener.
    assert township.on_case_received(case) is None


def test_intake_schema_asks_the_situation_of_complaints_only() -> None:
    township = township_hooks()
    complaint = township.intake_schema(CaseKind.COMPLAINT)
    consultation = township.intake_schema(CaseKind.CONSULTATION)
    assert complaint.allow_anonymous is True
    missing = complaint.missing(CaseKind.COMPLAINT, {}, anonymous=False)
    assert [spec.key for spec in missing] == ["situation", "respondent", "name", "phone"]
    assert [spec.key for spec in consultation.missing(CaseKind.CONSULTATION, {}, anonymous=True)] == []
    assert {spec.key for spec in complaint.fields if spec.identity} == {"name", "phone", "address"}


def test_classification_takes_the_situation_as_category() -> None:
    proposal = township_hooks().case_classification(make_case(situation="illegal_fees"))
    assert proposal.category == "illegal_fees"


def test_reply_modes_follow_clause_six() -> None:
    requirements = township_hooks().reply_requirements(make_case())
    assert requirements.modes == {
        ReplyMode.WRITTEN,
        ReplyMode.IN_PERSON,
        ReplyMode.PHONE,
        ReplyMode.ON_THE_SPOT,
    }
    assert "六(四)" in requirements.basis
