"""The civic service centre's rules as plain functions, and the hooks that adapt them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, PeriodUnit, statutory_schedules
from core.domain.cases import Case, CaseKind, CaseState, Channel, Complexity
from core.domain.commands import CloseCase, Outcome, ReplyMode, ReplyToCase
from core.domain.decisions import (
    AccountabilityEvent,
    AccountabilityKind,
    SanctionKind,
    TimerEffect,
    TimerPhase,
)
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.domain.tenancy import TenantContext, Unit
from core.plugins import PluginRegistry, TenantHooks
from core.services.access import may_reveal
from plugins.civic_center import hooks, rules

RECEIVED_AT = datetime.fromisoformat("2026-09-30T10:00:00+08:00")  # the eve of National Day
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
UNITS = (
    Unit("ducha", "督查科"),
    Unit("win-realty", "不动产登记窗口"),
    Unit("win-tax", "税务窗口"),
)
STAFF = "不动产登记窗口 王磊"


def make_case(
    *,
    kind: CaseKind = CaseKind.COMPLAINT,
    channel: Channel = Channel.PHONE,
    state: CaseState = CaseState.ACCEPTED,
    anonymous: bool = False,
    complexity: Complexity = Complexity.GENERAL,
    **fields: Any,
) -> Case:
    values = {
        "matter": "fees",
        "accused_unit": "win-realty",
        "accused_person": STAFF,
        "call_record": "来电反映窗口多收登记费 80 元，已询问清楚并如实记录。",
    } | fields
    return Case(
        id=1,
        tenant_id=1,
        serial="YJ-2026-000001",
        kind=kind,
        channel=channel,
        state=state,
        title="不动产登记窗口多收费",
        content="办理抵押登记时窗口人员收取 80 元“加急费”，未开票据。",
        received_at=RECEIVED_AT,
        anonymous=anonymous,
        complexity=complexity,
        fields={key: value for key, value in values.items() if value is not None},
    )


def civic_hooks(settings: dict[str, Any] | None = None) -> TenantHooks:
    registry = PluginRegistry({"civic_center": hooks})
    resolved = {spec.key: spec.default for spec in registry.settings_specs("civic_center")} | (settings or {})
    ctx = TenantContext(
        tenant_id=7,
        slug="yj",
        name="永济市市民服务中心",
        plugin="civic_center",
        units=UNITS,
        settings=resolved,
    )
    return registry.hooks_for(ctx)


def upheld(**overrides: Any) -> CloseCase:
    values: dict[str, Any] = {
        "summary": "经查属实",
        "outcome": Outcome.UPHELD,
        "respondent": STAFF,
        "respondent_unit": "win-realty",
    }
    return CloseCase(**(values | overrides))


# --- intake and acceptance (第二条、第三条、第四条、第六条) ------------------------------------


def test_intake_asks_for_the_window_the_person_and_the_matter_and_takes_anonymous_cases():
    schema = rules.intake_schema()
    required = {spec.key for spec in schema.fields if spec.required}
    assert required == {"matter", "accused_unit", "accused_person", "name", "phone"}
    assert {spec.key for spec in schema.fields if spec.identity} == {"name", "phone"}
    assert schema.allow_anonymous  # 第五条
    missing = schema.missing(CaseKind.COMPLAINT, {"matter": "fees"}, anonymous=True)
    assert [spec.key for spec in missing] == ["accused_unit", "accused_person"]
    assert schema.missing(CaseKind.CONSULTATION, {}, anonymous=False) == ()


@pytest.mark.parametrize(
    ("channel", "record"),
    [
        (Channel.VISIT, "visit_record"),
        (Channel.PHONE, "call_record"),
        (Channel.LETTER, "letter_register"),
        (Channel.BOX, "letter_register"),
    ],
)
def test_each_channel_needs_its_record_before_acceptance(channel, record):
    bare = make_case(channel=channel, call_record=None)
    reason = rules.MissingRecord(bare)
    assert reason is not None and record in reason and "第六条" in reason
    recorded = make_case(channel=channel, **({"call_record": None} | {record: "已记录"}))
    assert rules.MissingRecord(recorded) is None


def test_online_complaints_are_their_own_record():
    assert rules.MissingRecord(make_case(channel=Channel.WEB, call_record=None)) is None


def test_acceptance_tells_every_unmet_condition_at_once():
    case = make_case(channel=Channel.VISIT, matter="traffic", accused_unit="县交警大队")
    check = rules.acceptance(case, UNITS)
    assert not check.acceptable
    assert len(check.unmet) == 3
    assert "traffic" in check.unmet[0] and "第二条" in check.unmet[0]
    assert "县交警大队" in check.unmet[1] and "win-realty（不动产登记窗口）" in check.unmet[1]
    assert "当面投诉笔录" in check.unmet[2]
    assert rules.acceptance(make_case(), UNITS).acceptable


def test_the_window_is_named_by_code_or_by_name():
    assert rules.window(UNITS, "税务窗口") == Unit("win-tax", "税务窗口")
    assert rules.window(UNITS, " win-tax ") == Unit("win-tax", "税务窗口")
    assert rules.window(UNITS, "税务") is None
    assert rules.window(UNITS, "") is None


def test_real_name_complaints_head_the_queue():
    assert rules.priority(make_case()) > rules.priority(make_case(anonymous=True))
    assert rules.priority(make_case(kind=CaseKind.CONSULTATION)) == 0
    proposal = civic_hooks().case_classification(make_case())
    assert (proposal.category, proposal.priority) == ("fees", rules.REAL_NAME_PRIORITY)
    assert civic_hooks().case_classification(make_case(anonymous=True)).priority == 0


def test_routing_suggests_the_accused_window():
    route = rules.routing(make_case(accused_unit="不动产登记窗口"), UNITS)
    assert route is not None
    assert (route.unit_code, route.cause) == ("win-realty", "收费")
    assert "第八条" in route.reason
    assert rules.routing(make_case(accused_unit="外单位"), UNITS) is None


def test_only_the_supervision_section_reads_the_identity_and_never_the_accused_window():
    section = Actor(username="yangjie", roles=frozenset({Role.INTAKE_OFFICER}), unit_code="ducha")
    case = make_case(accused_unit="win-realty")
    assert civic_hooks().identity_access(case, section) == frozenset({Role.INTAKE_OFFICER, Role.SUPERVISOR})
    # A window's own desk takes complaints in, but not who complained about that window.
    window_desk = Actor(username="desk", roles=frozenset({Role.INTAKE_OFFICER}), unit_code="win-realty")
    assert civic_hooks().identity_access(case, window_desk) == frozenset()
    assert not may_reveal(window_desk, civic_hooks().identity_access(case, window_desk))
    other = make_case(accused_unit="win-tax")
    assert may_reveal(window_desk, civic_hooks().identity_access(other, window_desk))


# --- deadlines (第八条) -----------------------------------------------------------------------


def test_the_window_department_answers_within_five_working_days_past_national_day():
    by_kind = {
        rule.kind: rule
        for rule in rules.timer_rules(
            make_case(), coordinate_working_days=1, answer_working_days=5, feedback_working_days=2
        )
    }
    assert set(by_kind) == {"coordinate", "answer", "feedback"}
    answer = by_kind["answer"]
    assert answer.period == Period(5, PeriodUnit.WORKING_DAYS)
    assert (answer.starts_on, answer.negotiable, answer.extension_cap) == (Action.DISPATCH, True, None)
    assert Action.REPLY in answer.stops_on and Action.RETURN in answer.stops_on
    # 10-01..10-07 are holidays; Saturday 10-10 is a make-up workday: 10-08, 09, 10, 12, 13.
    due = CALENDAR.add(RECEIVED_AT, answer.period, basis=answer.basis).due_at
    assert due.isoformat() == "2026-10-13T23:59:59+08:00"
    coordinate = by_kind["coordinate"]
    assert coordinate.starts_on is Action.ACCEPT and Action.DISPATCH in coordinate.stops_on
    assert CALENDAR.add(RECEIVED_AT, coordinate.period, basis="").due_at.isoformat() == (
        "2026-10-08T23:59:59+08:00"
    )
    assert by_kind["feedback"].starts_on is Action.REPLY


def test_anonymous_cases_have_no_feedback_deadline_and_zero_turns_a_timer_off():
    anonymous = rules.timer_rules(
        make_case(anonymous=True), coordinate_working_days=0, answer_working_days=5, feedback_working_days=2
    )
    assert [rule.kind for rule in anonymous] == ["answer"]
    assert (
        rules.timer_rules(
            make_case(kind=CaseKind.CONSULTATION),
            coordinate_working_days=1,
            answer_working_days=5,
            feedback_working_days=2,
        )
        == ()
    )


def test_a_breach_is_chased_but_costs_no_points():
    hooks_ = civic_hooks()
    assert hooks_.timer_effects(make_case(), "answer", TimerPhase.WARNING) == (TimerEffect.REMIND,)
    effects = hooks_.timer_effects(make_case(), "answer", TimerPhase.BREACH)
    assert set(effects) == {TimerEffect.REMIND, TimerEffect.SUPERVISION_NOTICE}


# --- replies (第七条、第八条) -----------------------------------------------------------------


def test_an_oral_complaint_may_be_answered_orally():
    case = make_case(channel=Channel.VISIT)
    assert {
        ReplyMode.IN_PERSON,
        ReplyMode.PHONE,
        ReplyMode.ON_THE_SPOT,
        ReplyMode.WRITTEN,
    } <= rules.reply_modes(case)
    assert ReplyMode.PUBLIC_NOTICE not in rules.reply_modes(case)
    reply = ReplyToCase(mode=ReplyMode.ON_THE_SPOT, content="已当场退还多收费用并致歉。")
    assert rules.ReplyMirrorsComplaint(case, reply) is None


@pytest.mark.parametrize("channel", [Channel.LETTER, Channel.WEB])
def test_a_written_complaint_answered_orally_is_refused_with_the_clause(channel):
    case = make_case(channel=channel, letter_register="已拆阅登记")
    assert rules.reply_modes(case) == frozenset({ReplyMode.WRITTEN, ReplyMode.ONLINE, ReplyMode.EMAIL})
    reason = rules.ReplyMirrorsComplaint(case, ReplyToCase(mode=ReplyMode.PHONE, content="电话告知"))
    assert reason is not None
    assert f"本件为{channel.label}书面投诉" in reason and "“电话答复”" in reason
    assert "书面投诉必须书面答复" in reason and "第七条" in reason
    assert rules.ReplyMirrorsComplaint(case, ReplyToCase(mode=ReplyMode.WRITTEN, content="书面答复")) is None


def test_an_anonymous_letter_may_be_answered_by_publication():
    case = make_case(channel=Channel.LETTER, anonymous=True)
    assert ReplyMode.PUBLIC_NOTICE in rules.reply_modes(case)
    assert ReplyMode.PHONE not in rules.reply_modes(case)


def test_the_reply_requirements_carry_the_modes_the_sections_and_the_basis():
    requirements = civic_hooks().reply_requirements(make_case(channel=Channel.LETTER))
    assert requirements.modes == rules.WRITTEN_REPLY_MODES
    assert requirements.sections == ("调查核实情况", "处理意见")
    assert requirements.basis.endswith("第七条：书面投诉必须书面答复")


def test_only_a_general_complaint_is_answered_on_the_spot():
    reason = rules.OnTheSpotOnlyForGeneral(make_case(complexity=Complexity.COMPLEX), Action.REPLY)
    assert reason is not None and "第八条" in reason
    assert rules.OnTheSpotOnlyForGeneral(make_case(), Action.REPLY) is None
    handling = make_case(complexity=Complexity.COMPLEX, state=CaseState.IN_HANDLING)
    assert rules.OnTheSpotOnlyForGeneral(handling, Action.REPLY) is None


# --- feedback and the decision (第四条、第五条、第八条、第十条) ---------------------------------


def test_a_signed_complaint_is_fed_back_before_the_decision():
    replied = make_case(state=CaseState.REPLIED)
    assert "第五条" in (rules.FeedbackBeforeClosing(replied, Action.CLOSE) or "")
    assert (
        rules.FeedbackBeforeClosing(make_case(state=CaseState.REPLIED, anonymous=True), Action.CLOSE) is None
    )
    assert rules.FeedbackBeforeClosing(make_case(state=CaseState.FEEDBACK), Action.CLOSE) is None


def test_the_decision_names_an_outcome_and_a_report_found_true_is_upheld():
    answered = make_case(state=CaseState.FEEDBACK)
    assert rules.ClosingNamesAnOutcome(answered, CloseCase(summary="办结")) is not None
    verified = CloseCase(summary="查实", outcome=Outcome.VERIFIED)
    assert "upheld" in (
        rules.ClosingNamesAnOutcome(make_case(kind=CaseKind.REPORT, state=CaseState.FEEDBACK), verified) or ""
    )
    assert rules.ClosingNamesAnOutcome(answered, upheld()) is None
    # A refused case closes without a decision on the merits.
    assert (
        rules.ClosingNamesAnOutcome(make_case(state=CaseState.REFUSED), CloseCase(summary="不予受理")) is None
    )


def test_an_upheld_complaint_names_a_window_of_the_centre():
    reason = rules.UpheldNamesTheWindow(upheld(respondent_unit=""), UNITS)
    assert reason is not None and "respondent_unit" in reason and "win-tax（税务窗口）" in reason
    assert rules.UpheldNamesTheWindow(upheld(respondent_unit="win-xx"), UNITS) is not None
    assert rules.UpheldNamesTheWindow(upheld(), UNITS) is None
    assert rules.UpheldNamesTheWindow(CloseCase(summary="不属实", outcome=Outcome.NOT_UPHELD), UNITS) is None


def test_an_upheld_violation_of_discipline_is_transferred():
    matters = rules.parse_matters("integrity,discipline")
    extortion = make_case(matter="integrity", state=CaseState.FEEDBACK)
    reason = rules.ViolationsAreTransferred(extortion, upheld(), matters)
    assert reason is not None and "referred_to" in reason and "第八条" in reason
    assert (
        rules.ViolationsAreTransferred(extortion, upheld(referred_to="市纪委监委派驻纪检组"), matters) is None
    )
    assert rules.ViolationsAreTransferred(make_case(matter="fees"), upheld(), matters) is None
    with pytest.raises(ValueError, match="transfer_matters"):
        rules.parse_matters("fees,bribery")
    assert rules.parse_matters("") == frozenset()


def test_a_fabricated_accusation_needs_the_facts_that_show_it_and_mistakes_are_exempt():
    bare = CloseCase(summary="", outcome=Outcome.FABRICATED, referred_to="市公安局")
    reason = rules.FabricationIsShown(bare)
    assert reason is not None and "not_upheld" in reason and "第四条" in reason
    shown = CloseCase(summary="投诉人承认编造收费情节", outcome=Outcome.FABRICATED, referred_to="市公安局")
    assert rules.FabricationIsShown(shown) is None


def test_the_veto_hook_tells_every_objection_at_once():
    extortion = make_case(matter="integrity", state=CaseState.FEEDBACK)
    (reason,) = civic_hooks().transition_veto(extortion, upheld(respondent_unit="nowhere"))
    assert "respondent_unit" in reason and "referred_to" in reason
    assert civic_hooks().transition_veto(extortion, upheld(referred_to="纪检组")) == ()


# --- points (第十条) ---------------------------------------------------------------------------


def uphold_event(**overrides: Any) -> AccountabilityEvent:
    values: dict[str, Any] = {
        "kind": AccountabilityKind.COMPLAINT_UPHELD,
        "subject": STAFF,
        "case_serial": "YJ-2026-000001",
        "count_in_year": 2,
        "unit_code": "win-realty",
        "responsible": ("operator", "handler"),
    }
    return AccountabilityEvent(**(values | overrides))


def test_an_upheld_complaint_costs_the_window_and_the_staff_member_points():
    window_line, staff_line = civic_hooks({"window_points": 3, "staff_points": 5}).accountability_sanctions(
        uphold_event()
    )
    assert (window_line.kind, window_line.subject, window_line.points) == (
        SanctionKind.POINTS_DEDUCTED,
        "win-realty",
        3,
    )
    assert "不动产登记窗口" in window_line.note and "本年度第 2 次" in window_line.note
    assert (staff_line.kind, staff_line.subject, staff_line.points) == (
        SanctionKind.POINTS_DEDUCTED,
        STAFF,
        5,
    )
    assert window_line.basis == staff_line.basis == "永济市市民服务中心投诉举报制度 第十条"
    assert window_line.amount == staff_line.amount == Decimal("0")


def test_no_window_line_without_a_window_or_without_window_points():
    (line,) = rules.sanctions_for(uphold_event(unit_code=""), window_points=2, staff_points=2, units=UNITS)
    assert line.subject == STAFF
    (line,) = rules.sanctions_for(uphold_event(), window_points=0, staff_points=2, units=UNITS)
    assert line.subject == STAFF


@pytest.mark.parametrize(
    "kind", [k for k in AccountabilityKind if k is not AccountabilityKind.COMPLAINT_UPHELD], ids=str
)
def test_nothing_but_an_upheld_complaint_costs_points(kind):
    assert rules.sanctions_for(uphold_event(kind=kind), window_points=2, staff_points=2, units=UNITS) == ()


# --- contributions ------------------------------------------------------------------------------


def test_phrases_and_documents_follow_the_settings():
    hooks_ = civic_hooks({"answer_working_days": 7, "superior_government": "运城市政务服务管理局"})
    phrases = {phrase.key: phrase for phrase in hooks_.register_phrases()}
    assert "7个工作日" in phrases["accepted"].text
    assert phrases["delay"].step is Action.SET_DEADLINE
    assert "诬告陷害" in phrases["honest_report"].text and "不受追究" in phrases["honest_report"].text
    templates = {t.key: t for t in hooks_.register_document_templates()}
    assert {"visit_record", "call_record", "letter_register", "points_report", "transfer_letter"} <= set(
        templates
    )
    assert "运城市政务服务管理局" in templates["points_report"].body


@pytest.mark.parametrize(
    ("channel", "record"),
    [
        (Channel.VISIT, "visit_record"),
        (Channel.PHONE, "call_record"),
        (Channel.LETTER, "letter_register"),
        (Channel.BOX, "letter_register"),
        (Channel.FAX, "letter_register"),
    ],
)
def test_each_channel_is_offered_its_own_record_form_only(channel: Channel, record: str) -> None:
    templates = civic_hooks({}).register_document_templates()
    case = make_case(channel=channel)
    offered = {t.key for t in templates if t.applies_to(case)} & {
        "visit_record",
        "call_record",
        "letter_register",
    }
    assert offered == {record}  # 第六条: 笔录 for a visit, a call record, each letter registered
