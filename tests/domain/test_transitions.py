"""decide(): the table, the core guards (approvals, reply modes) and the event every move writes."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from core.domain.calendar import Period
from core.domain.cases import (
    Case,
    CaseKind,
    CaseState,
    Channel,
    Complexity,
    Satisfaction,
    Severity,
    SeverityFlag,
)
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    CloseCase,
    DispatchCase,
    ExtendCase,
    FollowUp,
    RecordFeedback,
    RecordInvestigation,
    RegisterCase,
    RejectCase,
    ReopenCase,
    ReplyMode,
    ReplyToCase,
    ReturnCase,
    SignForCase,
    SubmitForApproval,
)
from core.domain.decisions import ApprovalStep, ReplyRequirements
from core.domain.errors import IllegalTransition, RuleViolation
from core.domain.roles import Actor, Role
from core.domain.transitions import decide, missing_sections, pending_approvals

NOW = datetime.fromisoformat("2026-10-08T09:30:00+08:00")
CHAIN = (
    ApprovalStep("section", Role.APPROVER, "科室负责人"),
    ApprovalStep("head", Role.DUTY_LEADER, "分管领导"),
)
APPROVER = Actor("wang", roles=frozenset({Role.APPROVER}))
LEADER = Actor("zhao", roles=frozenset({Role.DUTY_LEADER}))
HANDLER = Actor("li", roles=frozenset({Role.HANDLER}), unit_code="jcs")
OFFICER = Actor("chen", roles=frozenset({Role.INTAKE_OFFICER}))
DISPATCH = DispatchCase(unit_code="jcs", cause="政务公开", opinion="请依规办理")


def make_case(state: CaseState, **changes: object) -> Case:
    case = Case(
        id=9,
        tenant_id=1,
        serial="NX-2026-000009",
        kind=CaseKind.COMPLAINT,
        channel=Channel.VISIT,
        state=state,
        title="公开栏信息不实",
        content="内容",
        received_at=datetime.fromisoformat("2026-09-30T10:00:00+08:00"),
        version=3,
    )
    return dataclasses.replace(case, **changes)


# --- approval chain -----------------------------------------------------------------------------


def test_dispatch_is_refused_while_a_step_is_pending() -> None:
    pending = make_case(CaseState.PENDING_APPROVAL)
    with pytest.raises(RuleViolation, match="科室负责人"):
        decide(pending, DISPATCH, actor=APPROVER, now=NOW, approval_chain=CHAIN)
    half = make_case(CaseState.PENDING_APPROVAL, approvals=("section",))
    with pytest.raises(RuleViolation, match="分管领导"):
        decide(half, DISPATCH, actor=APPROVER, now=NOW, approval_chain=CHAIN)


def test_dispatch_straight_from_accepted_is_refused_when_a_chain_applies() -> None:
    with pytest.raises(RuleViolation, match="尚未完成审批"):
        decide(make_case(CaseState.ACCEPTED), DISPATCH, actor=OFFICER, now=NOW, approval_chain=CHAIN)


def test_approve_by_the_wrong_role_is_refused() -> None:
    pending = make_case(CaseState.PENDING_APPROVAL)
    with pytest.raises(RuleViolation) as raised:
        decide(pending, ApproveCase(), actor=LEADER, now=NOW, approval_chain=CHAIN)
    assert "科室负责人" in str(raised.value) and Role.APPROVER.label in str(raised.value)
    # The first level's signer cannot sign the second level too.
    signed = decide(pending, ApproveCase(), actor=APPROVER, now=NOW, approval_chain=CHAIN).case
    with pytest.raises(RuleViolation, match=Role.DUTY_LEADER.label):
        decide(signed, ApproveCase(), actor=APPROVER, now=NOW, approval_chain=CHAIN)


def test_approve_in_order_then_dispatch() -> None:
    accepted = make_case(CaseState.ACCEPTED)
    submitted = decide(
        accepted, SubmitForApproval(opinion="拟转监察室"), actor=OFFICER, now=NOW, approval_chain=CHAIN
    ).case
    assert submitted.state is CaseState.PENDING_APPROVAL
    assert pending_approvals(submitted, CHAIN) == CHAIN

    first = decide(submitted, ApproveCase(opinion="同意"), actor=APPROVER, now=NOW, approval_chain=CHAIN).case
    assert first.state is CaseState.PENDING_APPROVAL
    assert first.approvals == ("section",)
    assert pending_approvals(first, CHAIN) == CHAIN[1:]

    second = decide(first, ApproveCase(), actor=LEADER, now=NOW, approval_chain=CHAIN).case
    assert second.approvals == ("section", "head")
    assert pending_approvals(second, CHAIN) == ()

    dispatched = decide(second, DISPATCH, actor=LEADER, now=NOW, approval_chain=CHAIN).case
    assert dispatched.state is CaseState.DISPATCHED
    assert (dispatched.unit_code, dispatched.cause, dispatched.opinion) == ("jcs", "政务公开", "请依规办理")
    assert dispatched.handler is None


def test_approve_when_nothing_is_pending_is_refused() -> None:
    done = make_case(CaseState.PENDING_APPROVAL, approvals=("section", "head"))
    with pytest.raises(RuleViolation, match="审批已全部完成"):
        decide(done, ApproveCase(), actor=LEADER, now=NOW, approval_chain=CHAIN)


def test_submit_for_approval_without_a_chain_is_refused() -> None:
    with pytest.raises(RuleViolation, match="无需审批"):
        decide(make_case(CaseState.ACCEPTED), SubmitForApproval(opinion="拟办"), actor=OFFICER, now=NOW)


def test_submit_for_approval_starts_the_chain_afresh() -> None:
    stale = make_case(CaseState.ACCEPTED, approvals=("section",))
    submitted = decide(
        stale, SubmitForApproval(opinion="再次呈报"), actor=OFFICER, now=NOW, approval_chain=CHAIN
    )
    assert submitted.case.approvals == ()


def test_reject_clears_the_approvals() -> None:
    half = make_case(CaseState.PENDING_APPROVAL, approvals=("section",))
    rejected = decide(half, RejectCase(reason="意见不明确"), actor=LEADER, now=NOW, approval_chain=CHAIN)
    assert rejected.case.state is CaseState.ACCEPTED
    assert rejected.case.approvals == ()
    assert pending_approvals(rejected.case, CHAIN) == CHAIN


def test_dispatch_without_a_chain_needs_no_approval() -> None:
    dispatched = decide(make_case(CaseState.ACCEPTED), DISPATCH, actor=OFFICER, now=NOW)
    assert dispatched.case.state is CaseState.DISPATCHED


# --- replies ------------------------------------------------------------------------------------

REQUIREMENTS = ReplyRequirements(
    modes=frozenset({ReplyMode.WRITTEN, ReplyMode.PHONE}), basis="制度 六(四)：当面回复由当事人签字"
)


def test_a_reply_mode_outside_the_requirements_is_refused_with_the_basis() -> None:
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs", handler="li")
    with pytest.raises(RuleViolation) as raised:
        decide(
            handling,
            ReplyToCase(mode=ReplyMode.SMS, content="已处理"),
            actor=HANDLER,
            now=NOW,
            reply_requirements=REQUIREMENTS,
        )
    message = str(raised.value)
    assert "sms" in message
    assert "phone" in message and "written" in message
    assert "制度 六(四)" in message


def test_a_reply_mode_inside_the_requirements_is_recorded() -> None:
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs", handler="li")
    reply = ReplyToCase(mode=ReplyMode.PHONE, content="已处理")
    replied = decide(handling, reply, actor=HANDLER, now=NOW, reply_requirements=REQUIREMENTS).case
    assert replied.state is CaseState.REPLIED
    assert (replied.reply_mode, replied.reply_content) == ("phone", "已处理")
    # Without requirements every mode is accepted.
    sms = ReplyToCase(mode=ReplyMode.SMS, content="已处理")
    assert decide(handling, sms, actor=HANDLER, now=NOW).case.reply_mode == "sms"


# --- the event ----------------------------------------------------------------------------------


def test_the_event_records_who_what_when_and_the_payload() -> None:
    accepted = make_case(CaseState.ACCEPTED)
    decision = decide(accepted, DISPATCH, actor=OFFICER, now=NOW)
    event = decision.event
    assert event.name == "case_dispatched"
    assert event.action == "dispatch"
    assert event.at == NOW
    assert event.actor == "chen"
    assert (event.from_state, event.to_state) == (CaseState.ACCEPTED, CaseState.DISPATCHED)
    assert dict(event.data) == {
        "unit_code": "jcs",
        "cause": "政务公开",
        "opinion": "请依规办理",
        "mode": "transfer",
    }
    with pytest.raises(TypeError):
        event.data["cause"] = "改过"  # type: ignore[index]


def test_event_data_is_plain() -> None:
    register = RegisterCase(
        category="untrue",
        severity=Severity.MAJOR,
        complexity=Complexity.COMPLEX,
        flags=frozenset({SeverityFlag.SUDDEN, SeverityFlag.MASS}),
    )
    event = decide(make_case(CaseState.RECEIVED), register, actor=OFFICER, now=NOW).event
    assert dict(event.data) == {
        "category": "untrue",
        "severity": "major",
        "complexity": "complex",
        "flags": ["mass", "sudden"],
        "reclassified": {
            "category": {"from": "", "to": "untrue"},
            "severity": {"from": "general", "to": "major"},
            "complexity": {"from": "general", "to": "complex"},
            "flags": {"from": [], "to": ["mass", "sudden"]},
        },
    }
    extend = ExtendCase(period=Period.parse("10个工作日"), reason="需现场核查", timer="handling")
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs")
    assert dict(decide(handling, extend, actor=LEADER, now=NOW).event.data) == {
        "period": "10 working days",
        "reason": "需现场核查",
        "timer": "handling",
    }


def test_register_sets_the_classification() -> None:
    register = RegisterCase(
        category="untrue", severity=Severity.SERIOUS, flags=frozenset({SeverityFlag.MASS})
    )
    registered = decide(make_case(CaseState.RECEIVED), register, actor=OFFICER, now=NOW).case
    assert registered.state is CaseState.REGISTERED
    assert (registered.category, registered.severity, registered.flags) == (
        "untrue",
        Severity.SERIOUS,
        frozenset({SeverityFlag.MASS}),
    )


def test_version_increments_and_the_old_case_is_untouched() -> None:
    before = make_case(CaseState.REGISTERED)
    after = decide(before, AcceptCase(), actor=OFFICER, now=NOW).case
    assert after.version == before.version + 1 == 4
    assert before.state is CaseState.REGISTERED
    assert after.state is CaseState.ACCEPTED
    again = decide(after, DISPATCH, actor=OFFICER, now=NOW).case
    assert again.version == 5


def test_an_illegal_move_is_refused_before_any_guard() -> None:
    with pytest.raises(IllegalTransition) as raised:
        decide(make_case(CaseState.RECEIVED), DISPATCH, actor=OFFICER, now=NOW, approval_chain=CHAIN)
    assert (raised.value.state, raised.value.action) == ("received", "dispatch")


# --- handling -----------------------------------------------------------------------------------


def test_sign_for_names_the_handler() -> None:
    dispatched = make_case(CaseState.DISPATCHED, unit_code="jcs")
    signed = decide(dispatched, SignForCase(handler="li"), actor=HANDLER, now=NOW).case
    assert (signed.state, signed.handler, signed.unit_code) == (CaseState.IN_HANDLING, "li", "jcs")


def test_return_clears_the_unit_and_the_handler() -> None:
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs", handler="li", cause="政务公开")
    returned = decide(handling, ReturnCase(reason="不属本单位"), actor=HANDLER, now=NOW).case
    assert returned.state is CaseState.RETURNED
    assert (returned.unit_code, returned.handler) == (None, None)
    redispatched = decide(
        returned, DispatchCase(unit_code="dzb", cause="c", opinion="o"), actor=LEADER, now=NOW
    )
    assert redispatched.case.unit_code == "dzb"


def test_record_feedback_and_close() -> None:
    replied = make_case(CaseState.REPLIED, unit_code="jcs", reply_mode="phone", reply_content="已处理")
    feedback = decide(
        replied, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actor=OFFICER, now=NOW
    ).case
    assert (feedback.state, feedback.satisfaction) == (CaseState.FEEDBACK, Satisfaction.SATISFIED)
    closed = decide(feedback, CloseCase(summary="办结"), actor=OFFICER, now=NOW).case
    assert closed.state is CaseState.CLOSED


def test_extend_counts_the_extensions() -> None:
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs", extensions=1)
    extend = ExtendCase(period=Period.parse("5 working days"), reason="需现场核查")
    extended = decide(handling, extend, actor=LEADER, now=NOW).case
    assert extended.state is CaseState.IN_HANDLING
    assert extended.extensions == 2


def test_reopen_without_a_unit_is_refused() -> None:
    closed_after_refusal = make_case(CaseState.CLOSED)
    with pytest.raises(RuleViolation, match="没有承办单位"):
        decide(closed_after_refusal, ReopenCase(reason="投诉人不满意"), actor=OFFICER, now=NOW)


def test_reopen_sends_the_case_back_to_its_unit_and_clears_the_answer() -> None:
    closed = make_case(
        CaseState.CLOSED,
        unit_code="jcs",
        handler="li",
        reply_mode="phone",
        reply_content="已处理",
        satisfaction=Satisfaction.DISSATISFIED,
    )
    reopened = decide(closed, ReopenCase(reason="投诉人不满意"), actor=OFFICER, now=NOW).case
    assert reopened.state is CaseState.IN_HANDLING
    assert (reopened.unit_code, reopened.handler) == ("jcs", "li")
    assert (reopened.reply_mode, reopened.reply_content, reopened.satisfaction) == ("", "", None)


# --- recorded facts: investigations, verified follow-ups, written sections ----------------------


def test_investigations_are_counted_and_a_verified_follow_up_sticks_until_reopened():
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs")
    record = RecordInvestigation(
        investigators=("li", "wu"), interviewee="村委会", findings="属实", signed=True
    )
    investigated = decide(handling, record, actor=HANDLER, now=NOW).case
    assert investigated.investigations == 1 and investigated.state is CaseState.IN_HANDLING
    checked = decide(investigated, FollowUp(note="已核实", verified=True), actor=OFFICER, now=NOW).case
    again = decide(checked, FollowUp(note="再次回访"), actor=OFFICER, now=NOW).case
    assert checked.verified and again.verified  # a later unverified note does not undo it
    replied = dataclasses.replace(again, state=CaseState.REPLIED)
    reopened = decide(replied, ReopenCase(reason="不满意"), actor=OFFICER, now=NOW).case
    assert not reopened.verified


def test_a_written_reply_states_every_required_section():
    requirements = ReplyRequirements(sections=("调查核实情况", "处理意见"), basis="制度 七")
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs")
    with pytest.raises(RuleViolation, match="书面答复缺少：处理意见") as refused:
        decide(
            handling,
            ReplyToCase(mode=ReplyMode.WRITTEN, content="调查核实情况：属实。处理意见："),
            actor=HANDLER,
            now=NOW,
            reply_requirements=requirements,
        )
    assert "依据：制度 七" in str(refused.value)
    full = "【调查核实情况】属实【处理意见】批评教育"
    assert (
        decide(
            handling,
            ReplyToCase(mode=ReplyMode.WRITTEN, content=full),
            actor=HANDLER,
            now=NOW,
            reply_requirements=requirements,
        ).case.state
        is CaseState.REPLIED
    )
    # An oral answer is not held to the written sections.
    phoned = decide(
        handling,
        ReplyToCase(mode=ReplyMode.PHONE, content="电话告知"),
        actor=HANDLER,
        now=NOW,
        reply_requirements=requirements,
    )
    assert phoned.case.state is CaseState.REPLIED
    assert missing_sections("调查核实情况：有", requirements.sections) == ("处理意见",)


def test_events_keep_the_order_people_gave_and_sort_only_sets():
    handling = make_case(CaseState.IN_HANDLING, unit_code="jcs")
    record = RecordInvestigation(
        investigators=("宋佳", "何平"), interviewee="周敏", findings="属实", signed=True
    )
    assert decide(handling, record, actor=HANDLER, now=NOW).event.data["investigators"] == ["宋佳", "何平"]
    flagged = decide(
        make_case(CaseState.RECEIVED),
        RegisterCase(flags=frozenset({SeverityFlag.SUDDEN, SeverityFlag.MASS})),
        actor=OFFICER,
        now=NOW,
    )
    assert flagged.event.data["flags"] == ["mass", "sudden"]
