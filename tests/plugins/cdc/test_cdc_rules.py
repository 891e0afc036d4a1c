"""The disease-control centre's rules as plain functions, and the hooks that adapt them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, PeriodUnit, statutory_schedules
from core.domain.cases import Case, CaseKind, CaseState, Channel, Complexity, Severity
from core.domain.commands import (
    DispatchCase,
    RecordInvestigation,
    ReplyMode,
    ReplyToCase,
    RequestSupplement,
)
from core.domain.decisions import AccountabilityEvent, AccountabilityKind, SanctionKind
from core.domain.documents import render_document
from core.domain.errors import RuleViolation
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.domain.tenancy import TenantContext, Unit, resolve_settings
from core.domain.transitions import decide
from core.plugins import PluginRegistry, TenantHooks
from core.services.tenants import read_tenant_file
from plugins.cdc import hooks, rules

RECEIVED_AT = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
UNITS = (
    Unit("office", "中心办公室"),
    Unit("immunization", "免疫规划科"),
    Unit("lab", "卫生检验科"),
    Unit("clinic", "预防接种门诊", parent="immunization"),
)
COMPLETE = {
    "respondent": "预防接种门诊 周敏",
    "facts": "2026-09-28 接种时工作人员未告知禁忌症",
    "demands": "要求书面说明并赔礼道歉",
    "direct_harm": "yes",
    "statement": "signed_transcript",
}
SECTIONED = (
    "调查经过：两人到门诊调取记录。事实和证据：接种记录。"
    "责任认定：窗口人员未履行告知义务。处理意见：诫勉并道歉。"
)


def make_case(
    *,
    kind: CaseKind = CaseKind.COMPLAINT,
    channel: Channel = Channel.VISIT,
    state: CaseState = CaseState.REGISTERED,
    anonymous: bool = False,
    complexity: Complexity = Complexity.GENERAL,
    severity: Severity = Severity.GENERAL,
    reply_mode: str = "",
    **fields: str,
) -> Case:
    return Case(
        id=1,
        tenant_id=1,
        serial="CDC-2026-000001",
        kind=kind,
        channel=channel,
        state=state,
        title="接种门诊未告知禁忌症",
        content="家长反映接种前未被告知禁忌症。",
        received_at=RECEIVED_AT,
        anonymous=anonymous,
        complexity=complexity,
        severity=severity,
        reply_mode=reply_mode,
        fields=fields,
    )


def tenant_hooks(**settings: Any) -> TenantHooks:
    registry = PluginRegistry({"cdc": hooks})
    ctx = TenantContext(
        tenant_id=1,
        slug="cdc",
        name="市疾病预防控制中心",
        plugin="cdc",
        timezone="Asia/Shanghai",
        units=UNITS,
        settings=resolve_settings(registry.settings_specs("cdc"), platform={}, tenant=settings, by_kind={}),
    )
    return registry.hooks_for(ctx)


# --- the demo tenant ------------------------------------------------------------------------------


def test_the_demo_tenant_spells_out_the_defaults_and_has_the_24h_duty():
    registry = PluginRegistry({"cdc": hooks})
    config = read_tenant_file(Path(__file__).parents[3] / "tenants" / "city-cdc.toml", registry)
    assert config.plugin == "cdc"
    assert dict(config.settings) == {spec.key: spec.default for spec in hooks.SETTINGS}
    assert config.settings["office_unit"] in {unit.code for unit in config.units}
    on_duty = [u for u in config.users if u.unit_code == "duty" and Role.INTAKE_OFFICER in u.roles]
    assert len(on_duty) >= 2  # 一.2 总值班24小时: day and night officers
    assert any(Role.DUTY_LEADER in user.roles for user in config.users)


# --- acceptance (投诉制度 二; 首办制度 二.3) -----------------------------------------------------------


def test_a_complete_signed_complaint_is_acceptable():
    assert rules.acceptance(make_case(**COMPLETE)).acceptable


def test_every_unmet_condition_is_told_at_once():
    check = rules.acceptance(make_case(facts="接种时未告知", statement="unsigned_transcript"))
    assert not check.acceptable
    assert check.unmet == (
        rules.CONDITIONS["direct_harm"].text,
        "明确的被投诉科室或人员",
        "具体要求",
        "投诉人的文字材料，或经投诉人签字（盖章）的口述笔录",
    )
    assert "二、三.3" in check.basis and "一次性告知" in check.basis


def test_someone_not_directly_harmed_is_not_acceptable():
    check = rules.acceptance(make_case(**(COMPLETE | {"direct_harm": "no"})))
    assert check.unmet == (rules.CONDITIONS["direct_harm"].text,)


def test_an_anonymous_complaint_is_not_asked_to_sign():
    fields = {k: v for k, v in COMPLETE.items() if k != "statement"}
    assert rules.acceptance(make_case(anonymous=True, **fields)).acceptable
    assert not rules.acceptance(make_case(**fields)).acceptable


def test_a_report_needs_a_respondent_and_facts_only_and_a_consultation_nothing():
    assert rules.acceptance(make_case(kind=CaseKind.REPORT, respondent="某科", facts="某事")).acceptable
    assert rules.acceptance(make_case(kind=CaseKind.REPORT, respondent="某科")).unmet == ("事实依据",)
    assert rules.acceptance(make_case(kind=CaseKind.CONSULTATION)).acceptable


def test_identity_is_required_for_named_complaints_and_kept_apart():
    schema = rules.intake_schema(CaseKind.COMPLAINT)
    missing = schema.missing(CaseKind.COMPLAINT, {"name": "李华"}, anonymous=False)
    assert [spec.key for spec in missing] == ["address", "phone"]
    assert schema.missing(CaseKind.COMPLAINT, {}, anonymous=True) == ()
    assert all(spec.identity for spec in schema.fields if spec.key in {"name", "address", "phone"})


def test_a_supplement_request_must_name_every_unmet_condition():
    case = make_case(facts="接种时未告知", direct_harm="yes", statement="written")
    partial = RequestSupplement(items=("请写明被投诉的科室或人员",))
    reason = rules.SupplementNotAllAtOnce(case, partial)
    assert reason is not None and "具体要求" in reason and "首办责任制度 二.3" in reason
    assert "被投诉科室或人员" not in reason.split("还缺：")[1]
    complete = RequestSupplement(items=("被投诉的科室或人员", "您的具体要求"))
    assert rules.SupplementNotAllAtOnce(case, complete) is None


# --- deadlines (投诉制度 三.2, 三.7) -----------------------------------------------------------------


def _rules(case: Case) -> dict[str, Any]:
    found = rules.timer_rules(case, checking_days=7, reply_days=30, reply_max_days=60)
    return {rule.kind: rule for rule in found}


def test_an_oral_general_complaint_is_handled_within_7_days_of_acceptance():
    (rule,) = _rules(make_case(channel=Channel.PHONE)).values()
    assert (rule.kind, rule.period) == ("checking", Period(7, PeriodUnit.CALENDAR_DAYS))
    assert rule.starts_on is Action.ACCEPT
    assert rule.extension_cap is None and rule.basis == "举报投诉处理制度 三.2"
    # From 09-30 10:00 the 7th day is 10-07, a holiday: it rolls to the next workday.
    due = CALENDAR.add(RECEIVED_AT, rule.period, basis=rule.basis).due_at
    assert due.isoformat() == "2026-10-08T23:59:59+08:00"


@pytest.mark.parametrize(
    "case",
    [
        make_case(channel=Channel.LETTER),
        make_case(channel=Channel.VISIT, complexity=Complexity.COMPLEX),
        make_case(channel=Channel.PHONE, severity=Severity.MAJOR),
    ],
    ids=["letter", "complex-visit", "major-call"],
)
def test_written_or_hard_cases_get_a_30_day_written_reply_extendable_to_60(case):
    (rule,) = _rules(case).values()
    assert rule.kind == "written_reply" and rule.period == Period(30, PeriodUnit.CALENDAR_DAYS)
    assert rule.extension_cap == Period(30, PeriodUnit.CALENDAR_DAYS)
    assert rule.stops_on == frozenset({Action.REPLY, Action.REFER_OUT})
    assert rule.restarts_on == frozenset({Action.REOPEN})


def test_consultations_run_no_timer():
    assert _rules(make_case(kind=CaseKind.CONSULTATION)) == {}


# --- handling (投诉制度 三.4, 三.5, 三.7) ---------------------------------------------------------------


def test_several_sections_are_led_by_the_office_and_one_section_handles_its_own():
    multi = make_case(sections="immunization, lab，ghost")
    route = rules.route_for(multi, UNITS, office_unit="office")
    assert route is not None and route.unit_code == "office" and "三.4" in route.reason
    single = rules.route_for(make_case(sections="lab"), UNITS, office_unit="office")
    assert single is not None and single.unit_code == "lab"
    assert rules.route_for(make_case(), UNITS, office_unit="office") is None


def test_a_multi_section_case_cannot_be_dispatched_past_the_office():
    multi = make_case(state=CaseState.ACCEPTED, sections="immunization,lab")
    to_lab = DispatchCase(unit_code="lab", cause="接种告知", opinion="请核实")
    reason = rules.DispatchNotLedByOffice(multi, to_lab, UNITS, office_unit="office")
    assert reason is not None and "中心办公室（office）牵头" in reason
    to_office = DispatchCase(unit_code="office", cause="接种告知", opinion="请牵头核实")
    assert rules.DispatchNotLedByOffice(multi, to_office, UNITS, office_unit="office") is None
    single = make_case(state=CaseState.ACCEPTED, sections="lab")
    assert rules.DispatchNotLedByOffice(single, to_lab, UNITS, office_unit="office") is None


def test_an_investigation_needs_two_people_and_a_signed_record():
    one = RecordInvestigation(investigators=("宋佳",), interviewee="周敏", findings="属实", signed=True)
    reason = rules.InvestigationIncomplete(one)
    assert reason is not None and "两人" in reason and "三.5" in reason
    unsigned = RecordInvestigation(investigators=("宋佳", "何平"), interviewee="周敏", findings="属实")
    assert "签名或盖章" in (rules.InvestigationIncomplete(unsigned) or "")
    nobody = RecordInvestigation(investigators=("宋佳", "何平"), findings="属实", signed=True)
    assert "被调查人" in (rules.InvestigationIncomplete(nobody) or "")
    valid = RecordInvestigation(
        investigators=("宋佳", "何平"), interviewee="周敏", findings="属实", signed=True
    )
    assert rules.InvestigationIncomplete(valid) is None


def test_a_written_reply_without_responsibility_is_refused():
    case = make_case(state=CaseState.IN_HANDLING)
    requirements = rules.reply_requirements(case)
    without = SECTIONED.replace("责任认定：窗口人员未履行告知义务。", "")
    officer = Actor(username="handler", roles=frozenset({Role.HANDLER}))
    with pytest.raises(RuleViolation) as refused:
        decide(
            case,
            ReplyToCase(mode=ReplyMode.WRITTEN, content=without),
            actor=officer,
            now=datetime(2026, 10, 9, 2, 0, tzinfo=UTC),
            reply_requirements=requirements,
        )
    assert str(refused.value).startswith("书面答复缺少：责任认定。") and "三.7" in str(refused.value)
    answered = decide(
        case,
        ReplyToCase(mode=ReplyMode.WRITTEN, content=SECTIONED),
        actor=officer,
        now=datetime(2026, 10, 9, 2, 0, tzinfo=UTC),
        reply_requirements=requirements,
    )
    assert answered.case.state is CaseState.REPLIED


def test_a_written_reply_needs_an_investigation_on_file():
    letter = make_case(state=CaseState.IN_HANDLING, channel=Channel.LETTER)
    reply = ReplyToCase(mode=ReplyMode.WRITTEN, content=SECTIONED)
    reason = rules.WrittenReplyWithoutInvestigation(letter, reply)
    assert reason is not None and "调查" in reason and "三.5" in reason
    investigated = dataclasses.replace(letter, investigations=1)
    assert rules.WrittenReplyWithoutInvestigation(investigated, reply) is None
    # An oral complaint settled in 7 days may be answered in writing without the full procedure.
    visit = make_case(state=CaseState.IN_HANDLING)
    assert rules.WrittenReplyWithoutInvestigation(visit, reply) is None


def test_an_oral_reply_is_not_held_to_the_sections():
    case = make_case(state=CaseState.ACCEPTED)
    reply = ReplyToCase(mode=ReplyMode.ON_THE_SPOT, content="当场解释并致歉，投诉人表示满意")
    officer = Actor(username="window", roles=frozenset({Role.INTAKE_OFFICER}))
    answered = decide(
        case,
        reply,
        actor=officer,
        now=datetime(2026, 10, 9, 2, 0, tzinfo=UTC),
        reply_requirements=rules.reply_requirements(case),
    )
    assert answered.case.state is CaseState.REPLIED


def test_written_cases_are_answered_in_writing_oral_ones_in_any_mode():
    written = rules.reply_requirements(make_case(channel=Channel.LETTER))
    assert written.modes == frozenset({ReplyMode.WRITTEN}) and written.sections == rules.REPLY_SECTIONS
    oral = rules.reply_requirements(make_case(channel=Channel.VISIT))
    assert ReplyMode.ON_THE_SPOT in oral.modes and ReplyMode.WRITTEN in oral.modes
    assert rules.reply_requirements(make_case(kind=CaseKind.CONSULTATION)).sections == ()


def test_an_oral_settlement_closes_only_with_the_persons_verdict_recorded():
    replied = make_case(state=CaseState.REPLIED, reply_mode="on_the_spot")
    reason = rules.OralSettlementWithoutRecord(replied, Action.CLOSE)
    assert reason is not None and "三.2" in reason
    fed_back = make_case(state=CaseState.FEEDBACK, reply_mode="on_the_spot")
    assert rules.OralSettlementWithoutRecord(fed_back, Action.CLOSE) is None
    in_writing = make_case(state=CaseState.REPLIED, reply_mode="written")
    assert rules.OralSettlementWithoutRecord(in_writing, Action.CLOSE) is None


def test_major_or_complex_cases_go_to_the_leader_at_once():
    assert "三.7" in (rules.escalation_reason(make_case(complexity=Complexity.COMPLEX)) or "")
    assert rules.escalation_reason(make_case()) is None
    assert rules.escalation_reason(make_case(kind=CaseKind.CONSULTATION, severity=Severity.MAJOR)) is None


# --- the first handler's ladder (首办制度 四.2) --------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "kind"),
    [
        (1, SanctionKind.ADMONITION),
        (2, SanctionKind.CIRCULATED_CRITICISM),
        (3, SanctionKind.DISCIPLINARY),
        (5, SanctionKind.DISCIPLINARY),
    ],
)
def test_upheld_complaints_climb_the_first_handler_ladder(count, kind):
    event = AccountabilityEvent(kind=AccountabilityKind.COMPLAINT_UPHELD, subject="周敏", count_in_year=count)
    (sanction,) = rules.sanctions_for(event)
    assert sanction.kind is kind
    assert sanction.basis == "接待群众来访办事首办责任制度 四.2"
    assert f"第 {count} 次" in sanction.note
    assert ("视情节轻重" in sanction.note) is (kind is SanctionKind.DISCIPLINARY)
    assert sanction.subject == ""  # charged to the event's subject: the first handler complained of


def test_a_breach_is_criticism_and_rewards_are_not_this_plugins():
    breach = AccountabilityEvent(kind=AccountabilityKind.DEADLINE_BREACHED, subject="宋佳")
    (line,) = rules.sanctions_for(breach)
    assert line.kind is SanctionKind.CRITICISM and line.basis == "举报投诉处理制度 四"
    reward = AccountabilityEvent(kind=AccountabilityKind.REPORT_VERIFIED, subject="x")
    assert rules.sanctions_for(reward) == ()


# --- hooks ------------------------------------------------------------------------------------------


def test_the_veto_hook_collects_every_reason():
    tenant = tenant_hooks()
    case = make_case(state=CaseState.IN_HANDLING, channel=Channel.LETTER)
    (reason,) = tenant.transition_veto(case, ReplyToCase(mode=ReplyMode.WRITTEN, content="已处理"))
    assert "书面答复前须先完成调查核实" in reason


def test_settings_reach_the_timers_and_the_phrases():
    tenant = tenant_hooks(checking_days=5, reply_days=20, reply_max_days=45)
    (rule,) = tenant.sla_timers(make_case(channel=Channel.LETTER))
    assert rule.period == Period(20, PeriodUnit.CALENDAR_DAYS)
    assert rule.extension_cap == Period(25, PeriodUnit.CALENDAR_DAYS)
    phrases = {phrase.key: phrase for phrase in tenant.register_phrases()}
    assert "5日内" in phrases["checking"].text and phrases["checking"].step is Action.ACCEPT
    assert "45日" in phrases["written_reply"].text
    assert phrases["legal_route"].step is Action.CLOSE and "法律程序" in phrases["legal_route"].text
    assert phrases["all_at_once"].step is Action.REQUEST_SUPPLEMENT


def test_no_extension_when_the_maximum_is_the_period():
    tenant = tenant_hooks(reply_max_days=30)
    (rule,) = tenant.sla_timers(make_case(channel=Channel.LETTER))
    assert rule.extension_cap is None


def test_the_reply_letter_prints_the_four_sections_and_the_legal_route():
    tenant = tenant_hooks()
    templates = {template.key: template for template in tenant.register_document_templates()}
    case = make_case(state=CaseState.REPLIED, reply_mode="written")
    facts = {"reply_sections": "一、调查经过\n两人到门诊调取记录", "number": "DF-1"}
    text = render_document(templates["reply"], case, tenant.ctx, facts=facts)
    assert "一、调查经过" in text and "法律程序" in text and case.serial in text
    form = render_document(
        templates["registration_form"],
        dataclasses.replace(case, fields={"respondent": "预防接种门诊", "facts": "未告知禁忌症"}),
        tenant.ctx,
        schema=tenant.intake_schema(case.kind),
    )
    assert "投诉人签字（盖章）" in form and "一次性告知" in form
    assert "被投诉科室或人员：预防接种门诊" in form and "事实依据：未告知禁忌症" in form
    record = render_document(
        templates["oral_settlement_record"], case, tenant.ctx, facts={"satisfaction": "满意"}
    )
    assert "投诉人是否满意：满意" in record
