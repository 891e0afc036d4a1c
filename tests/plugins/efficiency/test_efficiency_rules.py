"""The efficiency rules as plain functions, and the hooks that adapt them, for both tenants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, PeriodUnit, statutory_schedules
from core.domain.cases import Case, CaseKind, CaseState, Channel, Satisfaction
from core.domain.decisions import (
    AccountabilityEvent,
    AccountabilityKind,
    ApprovalStep,
    SanctionKind,
    TimerEffect,
    TimerPhase,
)
from core.domain.errors import InvalidCommand
from core.domain.intake import IntakeDraft, check_intake
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.domain.tenancy import TenantContext
from core.plugins import PluginRegistry, TenantHooks
from plugins.efficiency import hooks, rules

ACCEPTED_AT = datetime.fromisoformat("2026-09-30T10:00:00+08:00")  # the eve of National Day
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
CHENGDU: dict[str, Any] = {}  # the declared defaults are the Chengdu bureau's rules
FAMILY_PLANNING: dict[str, Any] = {
    "regulation": "jsj",
    "day_unit": "working",
    "feedback_days": 0,
    "leader_approval": False,
    "may_order_remedy": True,
    "sanction_ladder": "criticism,disciplinary",
}
JGSWJ, JSJ = rules.REGULATIONS["jgswj"], rules.REGULATIONS["jsj"]


DESK = Actor(username="desk", roles=frozenset({Role.INTAKE_OFFICER}))


def make_case(
    *,
    kind: CaseKind = CaseKind.COMPLAINT,
    state: CaseState = CaseState.ACCEPTED,
    anonymous: bool = False,
    nature: str = "work_style",
    satisfaction: Satisfaction | None = None,
) -> Case:
    return Case(
        id=1,
        tenant_id=1,
        serial="JG-2026-000001",
        kind=kind,
        channel=Channel.PHONE,
        state=state,
        title="资产管理处工作人员推诿办事",
        content="办理公房维修申请时三次往返未果，经办人态度冷淡。",
        received_at=ACCEPTED_AT,
        anonymous=anonymous,
        satisfaction=satisfaction,
        fields={"nature": nature, "respondent": "资产管理处 郑涛"},
    )


def efficiency_hooks(settings: dict[str, Any]) -> TenantHooks:
    registry = PluginRegistry({"efficiency": hooks})
    resolved = {spec.key: spec.default for spec in registry.settings_specs("efficiency")} | settings
    ctx = TenantContext(tenant_id=9, slug="eff", name="效能投诉", plugin="efficiency", settings=resolved)
    return registry.hooks_for(ctx)


def timers_of(settings: dict[str, Any], case: Case | None = None) -> dict[str, Any]:
    return {rule.kind: rule for rule in efficiency_hooks(settings).sla_timers(case or make_case())}


# --- settings ------------------------------------------------------------------------------------


def test_the_defaults_are_the_chengdu_rules() -> None:
    defaults = {spec.key: spec.default for spec in hooks.SETTINGS}
    assert defaults == {
        "regulation": "jgswj",
        "day_unit": "calendar",
        "handling_days": 30,
        "extension_cap_days": 30,
        "handoff_days": 5,
        "feedback_days": 2,
        "leader_approval": True,
        "may_order_remedy": False,
        "sanction_ladder": "admonition,circulated_criticism,disciplinary",
    }


@pytest.mark.parametrize(
    ("day_unit", "unit"), [("calendar", PeriodUnit.CALENDAR_DAYS), ("working", PeriodUnit.WORKING_DAYS)]
)
def test_day_period_counts_in_the_tenant_unit(day_unit: str, unit: PeriodUnit) -> None:
    assert rules.day_period(30, day_unit) == Period(30, unit)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rules.day_period(5, "lunar"), "day_unit"),
        (lambda: rules.regulation("shanghai"), "regulation"),
        (lambda: rules.sanction_ladder("admonition,caning"), "sanction_ladder"),
        (lambda: rules.sanction_ladder(" , "), "sanction_ladder"),
    ],
)
def test_a_bad_choice_setting_is_named_when_used(call: Any, message: str) -> None:
    # SettingSpec has no "choices"; onboarding checks only the type (a contract gap, see README).
    with pytest.raises(ValueError, match=message):
        call()


# --- scope and classification --------------------------------------------------------------------


@pytest.mark.parametrize("nature", sorted(rules.NATURES))
def test_every_listed_nature_is_in_scope(nature: str) -> None:
    assert rules.OutOfScope(CaseKind.COMPLAINT, nature, JGSWJ) is None
    assert rules.OutOfScope(CaseKind.REPORT, nature, JSJ) is None


def test_other_natures_are_out_of_scope_with_the_tenants_clause() -> None:
    reason = rules.OutOfScope(CaseKind.COMPLAINT, "traffic_fine", JGSWJ)
    assert reason is not None and "局投诉举报制度 第二条" in reason and "移交有管辖权的部门" in reason
    assert "城区计生局投诉举报制度 2" in (rules.OutOfScope(CaseKind.REPORT, "", JSJ) or "")
    # Consultations are outside both regulations and never refused for their nature.
    assert rules.OutOfScope(CaseKind.CONSULTATION, "", JGSWJ) is None


def test_acceptance_and_classification_hooks() -> None:
    chengdu = efficiency_hooks(CHENGDU)
    refused = chengdu.case_acceptance(make_case(state=CaseState.REGISTERED, nature="traffic_fine"))
    assert (refused.acceptable, refused.basis) == (False, "局投诉举报制度 第二条")
    assert refused.unmet == (rules.OutOfScope(CaseKind.COMPLAINT, "traffic_fine", JGSWJ),)
    assert chengdu.case_acceptance(make_case(state=CaseState.REGISTERED)).acceptable is True
    assert chengdu.case_classification(make_case(nature="fault")).category == "fault"


def test_intake_asks_nature_respondent_and_identity_of_complaints_and_reports() -> None:
    schema = efficiency_hooks(CHENGDU).intake_schema(CaseKind.COMPLAINT)
    assert schema.allow_anonymous is True
    assert [s.key for s in schema.missing(CaseKind.COMPLAINT, {}, anonymous=False)] == [
        "nature",
        "respondent",
        "name",
        "phone",
    ]
    assert [s.key for s in schema.missing(CaseKind.REPORT, {}, anonymous=True)] == ["nature", "respondent"]
    (nature,) = [s for s in schema.fields if s.key == "nature"]
    assert [value for value, _ in nature.choices] == [*rules.NATURES, rules.OUT_OF_SCOPE]
    assert nature.choice_label("work_style") == "工作作风"


def test_intake_takes_a_listed_nature_or_other_and_refuses_free_text() -> None:
    schema = efficiency_hooks(CHENGDU).intake_schema(CaseKind.COMPLAINT)

    def draft(nature: str) -> IntakeDraft:
        return IntakeDraft(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="推诿",
            content="三次往返未果",
            identity={"name": "王芳", "phone": "13800002222"},
            fields={"nature": nature, "respondent": "资产管理处"},
        )

    for nature in ("efficiency", rules.OUT_OF_SCOPE):
        assert check_intake(draft(nature), schema, now=ACCEPTED_AT, max_backdate=timedelta(days=30))
    with pytest.raises(InvalidCommand, match="投诉举报性质只能选择：行政过错（fault）") as refused:
        check_intake(draft("交通违章"), schema, now=ACCEPTED_AT, max_backdate=timedelta(days=30))
    assert "其他（不属于本机关受理范围）（other）" in str(refused.value)
    # "other" is taken in, then refused at acceptance so it is handed over (第六条(三)).
    assert rules.OutOfScope(CaseKind.COMPLAINT, rules.OUT_OF_SCOPE, JGSWJ) is not None
    assert schema.missing(CaseKind.CONSULTATION, {}, anonymous=True) == ()
    assert {s.key for s in schema.fields if s.identity} == {"name", "phone", "agent"}


# --- 呈报: the leader reads the draft -------------------------------------------------------------


def test_chengdu_sends_every_draft_to_the_leader_in_charge() -> None:
    chengdu = efficiency_hooks(CHENGDU)
    assert chengdu.approval_chain(make_case()) == (ApprovalStep("leader", Role.APPROVER, "分管领导审批"),)
    assert chengdu.approval_chain(make_case(kind=CaseKind.CONSULTATION)) == ()
    assert efficiency_hooks(FAMILY_PLANNING).approval_chain(make_case()) == ()


def test_chengdu_does_not_answer_an_accepted_complaint_before_the_leader_read_it() -> None:
    reason = rules.LeaderReadsFirst(make_case(), Action.REPLY, leader_approval=True, reg=JGSWJ)
    assert reason is not None and "第六条(二)" in reason
    assert rules.LeaderReadsFirst(make_case(), Action.REPLY, leader_approval=False, reg=JSJ) is None
    assert (
        rules.LeaderReadsFirst(make_case(), Action.SUBMIT_FOR_APPROVAL, leader_approval=True, reg=JGSWJ)
        is None
    )
    consultation = make_case(kind=CaseKind.CONSULTATION)
    assert rules.LeaderReadsFirst(consultation, Action.REPLY, leader_approval=True, reg=JGSWJ) is None


def test_veto_hook_adapts_every_guard() -> None:
    chengdu, family_planning = efficiency_hooks(CHENGDU), efficiency_hooks(FAMILY_PLANNING)
    assert chengdu.action_veto(make_case(), Action.REPLY) == (
        rules.LeaderReadsFirst(make_case(), Action.REPLY, leader_approval=True, reg=JGSWJ),
    )
    assert family_planning.action_veto(make_case(), Action.REPLY) == ()  # 计生 4: may handle directly
    replied = make_case(state=CaseState.REPLIED)
    assert family_planning.action_veto(replied, Action.CLOSE) == (
        rules.FeedbackBeforeClosing(replied, Action.CLOSE, JSJ, feedback_days=0),
    )
    assert family_planning.action_veto(replied, Action.RECORD_FEEDBACK) == ()
    # 成都 第六条(六): closed first, told within 2 days after; the timer holds the office to it.
    assert chengdu.action_veto(replied, Action.CLOSE) == ()
    handling = make_case(state=CaseState.IN_HANDLING)
    (refused,) = chengdu.action_veto(handling, Action.ORDER_REMEDY)
    assert refused == rules.RemedyNotGranted(Action.ORDER_REMEDY, JGSWJ, may_order_remedy=False)
    assert family_planning.action_veto(handling, Action.ORDER_REMEDY) == ()
    assert family_planning.action_veto(handling, Action.CONFIRM_REMEDY) == ()
    feedback = make_case(state=CaseState.FEEDBACK)
    assert family_planning.action_veto(feedback, Action.CLOSE, frozenset({"handling"})) == ()
    assert family_planning.action_veto(feedback, Action.CLOSE, frozenset({"remedy"})) == (
        rules.RemedyOutstanding(Action.CLOSE, frozenset({"remedy"}), JSJ),
    )


@pytest.mark.parametrize(
    ("state", "action", "anonymous", "feedback_days", "vetoed"),
    [
        (CaseState.REPLIED, Action.CLOSE, False, 0, True),
        (CaseState.REPLIED, Action.CLOSE, True, 0, False),  # 其他需要告知的，定期公开
        (CaseState.FEEDBACK, Action.CLOSE, False, 0, False),
        (CaseState.REFERRED_OUT, Action.CLOSE, False, 0, False),
        (CaseState.REPLIED, Action.REOPEN, False, 0, False),
        # A deadline after closure (成都 2 days): closing first is the regulation's own order.
        (CaseState.REPLIED, Action.CLOSE, False, 2, False),
    ],
)
def test_feedback_before_closing_only_without_a_deadline_after_it(
    state: CaseState, action: Action, anonymous: bool, feedback_days: int, vetoed: bool
) -> None:
    case = make_case(state=state, anonymous=anonymous)
    reason = rules.FeedbackBeforeClosing(case, action, JSJ, feedback_days=feedback_days)
    assert (reason is not None) is vetoed
    if reason:
        assert "城区计生局投诉举报制度 7(4)" in reason


def test_only_a_tenant_granted_the_power_orders_a_stop_or_remedy() -> None:
    refused = rules.RemedyNotGranted(Action.ORDER_REMEDY, JGSWJ, may_order_remedy=False)
    assert refused is not None
    assert "局投诉举报制度" in refused and "责令" in refused and "局投诉举报制度 第六条(三)" in refused
    assert rules.RemedyNotGranted(Action.ORDER_REMEDY, JSJ, may_order_remedy=True) is None
    assert rules.RemedyNotGranted(Action.CONFIRM_REMEDY, JGSWJ, may_order_remedy=False) is None


def test_an_unconfirmed_remedy_blocks_closing_only() -> None:
    reason = rules.RemedyOutstanding(Action.CLOSE, frozenset({"remedy", "handling"}), JSJ)
    assert reason is not None and "尚未验收" in reason and "城区计生局投诉举报制度 9" in reason
    assert rules.RemedyOutstanding(Action.CLOSE, frozenset({"handling"}), JSJ) is None
    assert rules.RemedyOutstanding(Action.REPLY, frozenset({"remedy"}), JSJ) is None


def test_a_late_remedy_is_urged_and_supervised_without_blaming_the_office() -> None:
    family_planning = efficiency_hooks(FAMILY_PLANNING)
    case = make_case(state=CaseState.IN_HANDLING)
    assert family_planning.timer_effects(case, "remedy", TimerPhase.WARNING) == (TimerEffect.REMIND,)
    assert family_planning.timer_effects(case, "remedy", TimerPhase.BREACH) == (
        TimerEffect.REMIND,
        TimerEffect.SUPERVISION_NOTICE,
    )
    # Other timers keep the core's effects, accountability included.
    assert TimerEffect.ACCOUNTABILITY in family_planning.timer_effects(case, "handling", TimerPhase.BREACH)


# --- deadlines -----------------------------------------------------------------------------------


def test_chengdu_timers() -> None:
    timers = timers_of(CHENGDU)
    assert list(timers) == ["draft_opinion", "handoff", "handling", "feedback"]
    assert {kind: rule.basis for kind, rule in timers.items()} == {
        "draft_opinion": "局投诉举报制度 第六条(二)",
        "handoff": "局投诉举报制度 第六条(三)",
        "handling": "局投诉举报制度 第六条(四)",
        "feedback": "局投诉举报制度 第六条(六)",
    }
    assert {kind: rule.period for kind, rule in timers.items()} == {
        "draft_opinion": Period.parse("same day"),  # 当日内
        "handoff": Period.parse("5 days"),
        "handling": Period.parse("30 days"),
        "feedback": Period.parse("2 days"),
    }
    assert {kind: rule.starts_on for kind, rule in timers.items()} == {
        "draft_opinion": Action.ACCEPT,
        "handoff": Action.ACCEPT,
        "handling": Action.ACCEPT,
        "feedback": Action.CLOSE,  # 查结后2日内
    }
    assert timers["draft_opinion"].stops_on == {Action.SUBMIT_FOR_APPROVAL, Action.REFER_OUT}
    assert timers["draft_opinion"].restarts_on == {Action.REJECT}
    assert timers["handoff"].stops_on == {Action.REFER_OUT, Action.DISPATCH, Action.REPLY}
    assert timers["handling"].stops_on == {Action.REPLY, Action.REFER_OUT}
    assert timers["handling"].restarts_on == {Action.REOPEN}
    assert timers["feedback"].stops_on == {Action.RECORD_FEEDBACK, Action.REOPEN}
    # Told before closing: nothing left to start at closure, but a reopened case's timer still stops.
    told = timers_of(CHENGDU, make_case(state=CaseState.FEEDBACK, satisfaction=Satisfaction.SATISFIED))
    assert told["feedback"].starts_on is None and Action.RECORD_FEEDBACK in told["feedback"].stops_on
    # Only handling may be extended (第六条(四)), by at most 30 days in the same unit.
    assert {k: r.extension_cap for k, r in timers.items() if r.extension_cap} == {
        "handling": Period.parse("30 days")
    }


def test_family_planning_timers_count_working_days_without_draft_or_feedback_deadline() -> None:
    timers = timers_of(FAMILY_PLANNING)
    assert list(timers) == ["handoff", "handling"]
    assert timers["handoff"].period == Period.parse("5 working days")
    assert timers["handling"].period == Period.parse("30 working days")
    assert timers["handling"].extension_cap == Period.parse("30 working days")
    assert timers["handling"].basis == "城区计生局投诉举报制度 7(3)"
    # A feedback deadline appears when the tenant sets one.
    with_feedback = timers_of(FAMILY_PLANNING | {"feedback_days": 3})
    assert with_feedback["feedback"].period == Period.parse("3 working days")
    assert with_feedback["feedback"].basis == "城区计生局投诉举报制度 7(4)"


def test_anonymous_cases_and_consultations_have_no_feedback_deadline() -> None:
    assert "feedback" not in timers_of(CHENGDU, make_case(anonymous=True))
    consultation = timers_of(CHENGDU, make_case(kind=CaseKind.CONSULTATION))
    assert list(consultation) == ["handoff", "handling"]


@pytest.mark.parametrize(
    ("settings", "kind", "due"),
    [
        # 30 calendar days from 09-30 is Fri 10-30, a workday: no Civil Code roll-over needed.
        (CHENGDU, "handling", "2026-10-30T23:59:59+08:00"),
        # 5 calendar days end on 10-05, inside the National Day holiday: rolled to Thu 10-08.
        (CHENGDU, "handoff", "2026-10-08T23:59:59+08:00"),
        # "当日内": the end of the day of acceptance.
        (CHENGDU, "draft_opinion", "2026-09-30T23:59:59+08:00"),
        # 10-08, 10-09, Sat 10-10 (make-up workday), 10-12, 10-13.
        (FAMILY_PLANNING, "handoff", "2026-10-13T23:59:59+08:00"),
    ],
)
def test_deadlines_on_the_business_calendar(settings: dict[str, Any], kind: str, due: str) -> None:
    rule = timers_of(settings)[kind]
    deadline = CALENDAR.add(ACCEPTED_AT, rule.period, basis=rule.basis)
    assert deadline.due_at == datetime.fromisoformat(due)
    assert deadline.provisional is False


def test_thirty_working_days_skip_the_holiday_and_count_the_make_up_day() -> None:
    rule = timers_of(FAMILY_PLANNING)["handling"]
    due = CALENDAR.add(ACCEPTED_AT, rule.period).due_at
    last, _ = CALENDAR.add_working_days(ACCEPTED_AT.date(), 30)
    assert due.date() == last
    assert CALENDAR.working_days_between(ACCEPTED_AT.date(), due.date()) == 30
    # The holiday week adds 5 workdays' worth of calendar time: far beyond 30 calendar days.
    assert (due.date() - ACCEPTED_AT.date()).days > 40


@pytest.mark.parametrize("settings", [CHENGDU, FAMILY_PLANNING])
def test_only_the_leadership_grants_an_extension(settings: dict[str, Any]) -> None:
    tenant = efficiency_hooks(settings)
    assert tenant.action_roles(make_case(), Action.EXTEND) == {Role.APPROVER}
    assert tenant.action_roles(make_case(), Action.REQUEST_EXTENSION) is None  # a handler may ask


# --- confidentiality -----------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [CHENGDU, FAMILY_PLANNING])
def test_only_the_complaint_office_reads_the_identity(settings: dict[str, Any]) -> None:
    allowed = efficiency_hooks(settings).identity_access(make_case(), DESK)
    assert allowed == {Role.INTAKE_OFFICER, Role.SUPERVISOR}
    assert not allowed & {Role.APPROVER, Role.HANDLER, Role.UNIT_HEAD, Role.DUTY_LEADER}


# --- accountability ------------------------------------------------------------------------------


def upheld(count: int) -> AccountabilityEvent:
    return AccountabilityEvent(
        kind=AccountabilityKind.COMPLAINT_UPHELD,
        subject="资产管理处 郑涛",
        case_serial="JG-2026-000001",
        count_in_year=count,
    )


@pytest.mark.parametrize(
    ("settings", "count", "expected", "basis"),
    [
        (CHENGDU, 1, SanctionKind.ADMONITION, "局投诉举报制度 第八条"),
        (CHENGDU, 2, SanctionKind.CIRCULATED_CRITICISM, "局投诉举报制度 第八条"),
        (CHENGDU, 3, SanctionKind.DISCIPLINARY, "局投诉举报制度 第八条"),
        (CHENGDU, 7, SanctionKind.DISCIPLINARY, "局投诉举报制度 第八条"),
        (FAMILY_PLANNING, 1, SanctionKind.CRITICISM, "城区计生局投诉举报制度 10、11"),
        (FAMILY_PLANNING, 2, SanctionKind.DISCIPLINARY, "城区计生局投诉举报制度 10、11"),
        (FAMILY_PLANNING, 3, SanctionKind.DISCIPLINARY, "城区计生局投诉举报制度 10、11"),
    ],
)
def test_upheld_complaints_climb_the_tenants_ladder(
    settings: dict[str, Any], count: int, expected: SanctionKind, basis: str
) -> None:
    (sanction,) = efficiency_hooks(settings).accountability_sanctions(upheld(count))
    assert (sanction.kind, sanction.basis, sanction.points, sanction.amount) == (expected, basis, 0, 0)
    assert sanction.appealable is True and f"第 {count} 次" in sanction.note


@pytest.mark.parametrize(
    "kind", [k for k in AccountabilityKind if k is not AccountabilityKind.COMPLAINT_UPHELD]
)
def test_other_accountability_events_carry_no_line(kind: AccountabilityKind) -> None:
    ladder = rules.sanction_ladder("admonition")
    assert rules.sanctions_for(AccountabilityEvent(kind=kind, subject="x"), ladder=ladder, reg=JGSWJ) == ()


# --- documents and phrases -----------------------------------------------------------------------


def test_documents_and_phrases() -> None:
    chengdu, family_planning = efficiency_hooks(CHENGDU), efficiency_hooks(FAMILY_PLANNING)
    templates = {t.key: t for t in chengdu.register_document_templates()}
    assert templates["registration_form"].title == "投诉举报登记表"
    # The core contributes its own forms too; the plugin's four replace or join them.
    assert {"registration_form", "draft_opinion", "handoff_notice", "result_notice"} <= set(templates)
    assert "第六条(一)" in templates["registration_form"].body  # the plugin's, not the core's
    assert "第六条(三)" in templates["handoff_notice"].body
    phrases = {p.key: p for p in chengdu.register_phrases()}
    assert phrases["handoff"].step is Action.REFER_OUT and "5日内" in phrases["handoff"].text
    assert "5个工作日内" in {p.key: p for p in family_planning.register_phrases()}["handoff"].text
    assert "原件或复印件" in phrases["confidential"].text
