"""Efficiency cases through the real services and database, for both tenant flavours.

Every case is accepted on 2026-09-30 10:00 (Shanghai), the eve of the National Day holiday
(10-01..10-07; Saturday 10-10 is a make-up workday), so each count meets the holiday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, statutory_schedules
from core.domain.cases import CaseKind, CaseState, Channel, Satisfaction
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    CloseCase,
    DispatchCase,
    ExtendCase,
    Outcome,
    RecordFeedback,
    ReferCaseOut,
    RegisterCase,
    RejectCase,
    ReplyMode,
    ReplyToCase,
    SignForCase,
    SubmitForApproval,
)
from core.domain.decisions import AccountabilityKind, SanctionKind
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.sla import TimerState
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.repositories import CaseRepository
from core.store.tx import tenant_tx

pytestmark = pytest.mark.postgres

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACCEPTED_AT = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
CHENGDU: dict[str, Any] = {
    "regulation": "jgswj",
    "day_unit": "calendar",
    "feedback_days": 2,
    "leader_approval": True,
    "sanction_ladder": "admonition,circulated_criticism,disciplinary",
}
FAMILY_PLANNING: dict[str, Any] = {
    "regulation": "jsj",
    "day_unit": "working",
    "feedback_days": 0,
    "leader_approval": False,
    "sanction_ladder": "criticism,disciplinary",
}
RESPONDENT = "资产管理处 郑涛"


def complaint(**overrides: Any) -> IntakeDraft:
    values: dict[str, Any] = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "公房维修申请三次往返未果",
        "content": "资产管理处经办人推诿，维修申请递交三次仍未受理。",
        "identity": {"name": "王芳", "phone": "13800002222"},
        "fields": {"nature": "efficiency", "respondent": RESPONDENT},
    }
    return IntakeDraft(**(values | overrides))


def due(view: Any, kind: str) -> str:
    timer = next(stored.timer for stored in view.timers if stored.timer.kind == kind)
    return timer.due_at.astimezone(SHANGHAI).isoformat()


def states(view: Any) -> dict[str, TimerState]:
    return {stored.timer.kind: stored.timer.state for stored in view.timers}


async def accepted(
    service: CaseService, tenant_id: int, actors: dict, draft: IntakeDraft | None = None
) -> Any:
    case_id = (await service.intake(tenant_id, draft or complaint(), actors["operator"])).case.id
    await service.perform(tenant_id, case_id, RegisterCase(category="efficiency"), actors["operator"])
    return await service.perform(tenant_id, case_id, AcceptCase(), actors["operator"])


async def test_chengdu_flow_with_leader_gate_extension_cap_and_feedback(make_tenant, registry, actors):
    tenant = await make_tenant("efficiency", settings=CHENGDU, prefix="JG")
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)

    view = await accepted(service, tenant.id, actors)
    case_id = view.case.id
    assert view.case.category == "efficiency"
    assert states(view) == {
        "draft_opinion": TimerState.RUNNING,
        "handoff": TimerState.RUNNING,
        "handling": TimerState.RUNNING,
    }
    assert due(view, "handling") == "2026-10-30T23:59:59+08:00"  # 30 calendar days, a Friday
    assert due(view, "handoff") == "2026-10-08T23:59:59+08:00"  # 10-05 is a holiday: rolled over
    assert due(view, "draft_opinion") == "2026-10-08T23:59:59+08:00"  # "当日内" read as 1 day

    # 呈报: neither dispatched nor answered before the leader in charge has read the draft.
    dispatch = DispatchCase(unit_code="jcs", cause="工作作风", opinion="请核实并答复")
    with pytest.raises(RuleViolation, match="分管领导审批"):
        await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    with pytest.raises(RuleViolation, match="第六条\\(二\\)"):
        await service.perform(tenant.id, case_id, ReplyToCase(content="已整改"), actors["operator"])

    view = await service.perform(
        tenant.id, case_id, SubmitForApproval(opinion="拟转资产管理处核实"), actors["operator"]
    )
    assert states(view)["draft_opinion"] is TimerState.STOPPED
    await service.perform(tenant.id, case_id, ApproveCase(opinion="同意"), actors["leader"])
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    assert view.case.approvals == ("leader",)
    assert states(view)["handoff"] is TimerState.STOPPED
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])

    # 第六条(四): the leader extends by at most 30 days in total, counted in calendar days.
    twenty = ExtendCase(period=Period.parse("20 days"), reason="需调取档案", timer="handling")
    with pytest.raises(NotPermitted):
        await service.perform(tenant.id, case_id, twenty, actors["handler"])
    with pytest.raises(InvalidCommand, match="单位"):
        await service.perform(
            tenant.id,
            case_id,
            ExtendCase(period=Period.parse("20 working days"), reason="需调取档案", timer="handling"),
            actors["leader"],
        )
    view = await service.perform(tenant.id, case_id, twenty, actors["leader"])
    assert due(view, "handling") == "2026-11-19T23:59:59+08:00"
    with pytest.raises(InvalidCommand, match="上限"):
        await service.perform(
            tenant.id,
            case_id,
            ExtendCase(period=Period.parse("11 days"), reason="再延", timer="handling"),
            actors["leader"],
        )
    view = await service.perform(
        tenant.id,
        case_id,
        ExtendCase(period=Period.parse("10 days"), reason="再延", timer="handling"),
        actors["leader"],
    )
    assert due(view, "handling") == "2026-11-30T23:59:59+08:00"  # 11-29 is a Sunday: Civil Code art. 203

    clock.at = datetime(2026, 10, 29, 2, 0, tzinfo=UTC)  # Thursday
    view = await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.WRITTEN, content="经查属实，已责令改正。"),
        actors["handler"],
    )
    assert states(view)["handling"] is TimerState.STOPPED
    assert due(view, "feedback") == "2026-11-02T23:59:59+08:00"  # 2 days end on Saturday 10-31: rolled

    with pytest.raises(RuleViolation, match="第六条\\(六\\)"):
        await service.perform(tenant.id, case_id, CloseCase(summary="查结"), actors["operator"])
    view = await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actors["operator"]
    )
    assert states(view)["feedback"] is TimerState.STOPPED
    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent=RESPONDENT),
        actors["operator"],
    )
    assert view.case.state is CaseState.CLOSED
    async with tenant_tx(tenant.id):
        (line,) = await CaseRepository(tenant.id).ledger_journal()
    assert (line.subject, line.event_kind, line.sanction.kind) == (
        RESPONDENT,
        AccountabilityKind.COMPLAINT_UPHELD,
        SanctionKind.ADMONITION,
    )
    assert line.sanction.basis == "局投诉举报制度 第八条"


async def test_chengdu_rejected_draft_is_redrafted_and_anonymous_cases_need_no_feedback(
    make_tenant, registry, actors
):
    tenant = await make_tenant("efficiency", settings=CHENGDU, prefix="JG")
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)
    view = await accepted(service, tenant.id, actors, complaint(anonymous=True, identity={}))
    case_id = view.case.id
    await service.perform(tenant.id, case_id, SubmitForApproval(opinion="拟转办"), actors["operator"])
    clock.advance(timedelta(days=8))  # 10-08 10:00
    view = await service.perform(tenant.id, case_id, RejectCase(reason="意见不明确"), actors["leader"])
    assert states(view)["draft_opinion"] is TimerState.RUNNING
    assert due(view, "draft_opinion") == "2026-10-09T23:59:59+08:00"
    await service.perform(tenant.id, case_id, SubmitForApproval(opinion="拟转资产管理处"), actors["operator"])
    await service.perform(tenant.id, case_id, ApproveCase(), actors["leader"])
    await service.perform(
        tenant.id, case_id, DispatchCase(unit_code="jcs", cause="效能", opinion="请办理"), actors["leader"]
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    view = await service.perform(
        tenant.id, case_id, ReplyToCase(mode=ReplyMode.PUBLIC_NOTICE, content="定期公开"), actors["handler"]
    )
    assert "feedback" not in states(view)
    view = await service.perform(tenant.id, case_id, CloseCase(summary="查结"), actors["operator"])
    assert view.case.state is CaseState.CLOSED


async def test_family_planning_flow_in_working_days(make_tenant, registry, actors):
    tenant = await make_tenant("efficiency", settings=FAMILY_PLANNING, prefix="JS")
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)

    view = await accepted(service, tenant.id, actors)
    case_id = view.case.id
    assert set(states(view)) == {"handoff", "handling"}  # no 呈报 step, no feedback deadline
    # 7(3): hand over within 5 working days: 10-08, 10-09, Sat 10-10 (make-up), 10-12, 10-13.
    assert due(view, "handoff") == "2026-10-13T23:59:59+08:00"
    last, provisional = CALENDAR.add_working_days(datetime(2026, 9, 30).date(), 30)
    assert not provisional
    assert due(view, "handling") == f"{last.isoformat()}T23:59:59+08:00" == "2026-11-17T23:59:59+08:00"

    # 4: the office hands the case to a section without a leader step.
    view = await service.perform(
        tenant.id, case_id, DispatchCase(unit_code="jcs", cause="作风", opinion="请核实"), actors["leader"]
    )
    assert states(view)["handoff"] is TimerState.STOPPED
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])

    # 7(3): extension with the head's approval, at most 30 working days.
    for period, match in (("30 days", "单位"), ("31 working days", "上限")):
        with pytest.raises(InvalidCommand, match=match):
            await service.perform(
                tenant.id,
                case_id,
                ExtendCase(period=Period.parse(period), reason="需外调", timer="handling"),
                actors["leader"],
            )
    view = await service.perform(
        tenant.id,
        case_id,
        ExtendCase(period=Period.parse("30 working days"), reason="需外调", timer="handling"),
        actors["leader"],
    )
    extended, _ = CALENDAR.add_working_days(last, 30)
    assert due(view, "handling") == f"{extended.isoformat()}T23:59:59+08:00"
    with pytest.raises(InvalidCommand, match="上限"):
        await service.perform(
            tenant.id,
            case_id,
            ExtendCase(period=Period.parse("1 working day"), reason="再延", timer="handling"),
            actors["leader"],
        )

    view = await service.perform(
        tenant.id, case_id, ReplyToCase(mode=ReplyMode.WRITTEN, content="经查不属实。"), actors["handler"]
    )
    assert "feedback" not in states(view)
    with pytest.raises(RuleViolation, match="7\\(4\\)"):  # the named complainant is told and heard first
        await service.perform(tenant.id, case_id, CloseCase(summary="查结"), actors["operator"])
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.BASICALLY_SATISFIED), actors["operator"]
    )
    view = await service.perform(
        tenant.id, case_id, CloseCase(summary="查结", outcome=Outcome.NOT_UPHELD), actors["operator"]
    )
    assert view.case.state is CaseState.CLOSED


async def test_family_planning_refers_an_out_of_scope_case_out(make_tenant, registry, actors):
    tenant = await make_tenant("efficiency", settings=FAMILY_PLANNING, prefix="JS")
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    out_of_scope = complaint(fields={"nature": "traffic", "respondent": "交警"})
    case_id = (await service.intake(tenant.id, out_of_scope, actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    with pytest.raises(RuleViolation, match="不属于本机关投诉举报受理范围"):
        await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])

    view = await accepted(service, tenant.id, actors)
    view = await service.perform(
        tenant.id, view.case.id, ReferCaseOut(agency="区卫生健康局", reason="属其管辖"), actors["operator"]
    )
    assert states(view) == {"handoff": TimerState.STOPPED, "handling": TimerState.STOPPED}
    view = await service.perform(tenant.id, view.case.id, CloseCase(summary="已移交"), actors["operator"])
    assert view.case.state is CaseState.CLOSED


async def test_only_the_complaint_office_reads_the_identity(make_tenant, registry, actors):
    tenant = await make_tenant("efficiency", settings=CHENGDU, prefix="JG")
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    with pytest.raises(NotPermitted):
        await service.reveal_identity(tenant.id, case_id, actors["leader"], "阅批需要")
    with pytest.raises(NotPermitted):
        await service.reveal_identity(tenant.id, case_id, actors["handler"], "核实需要")
    clear = await service.reveal_identity(tenant.id, case_id, actors["operator"], "告知查办结果")
    assert clear["name"] == "王芳"


async def close_upheld(service: CaseService, tenant_id: int, actors: dict, *, leader_approval: bool) -> None:
    case_id = (await accepted(service, tenant_id, actors)).case.id
    steps: list[tuple[Any, str]] = []
    if leader_approval:
        steps += [
            (SubmitForApproval(opinion="拟转办"), "operator"),
            (ApproveCase(), "leader"),
            (DispatchCase(unit_code="jcs", cause="效能", opinion="请办理"), "leader"),
            (SignForCase(handler="handler"), "handler"),
            (ReplyToCase(content="经查属实"), "handler"),
        ]
    else:
        steps.append((ReplyToCase(content="经查属实"), "operator"))  # handled by the office itself
    steps += [
        (RecordFeedback(satisfaction=Satisfaction.SATISFIED), "operator"),
        (CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent=RESPONDENT), "operator"),
    ]
    for command, who in steps:
        await service.perform(tenant_id, case_id, command, actors[who])


@pytest.mark.parametrize(
    ("settings", "ladder"),
    [
        (
            CHENGDU,
            [SanctionKind.ADMONITION, SanctionKind.CIRCULATED_CRITICISM, SanctionKind.DISCIPLINARY],
        ),
        (FAMILY_PLANNING, [SanctionKind.CRITICISM, SanctionKind.DISCIPLINARY, SanctionKind.DISCIPLINARY]),
    ],
    ids=["chengdu", "family_planning"],
)
async def test_upheld_complaints_against_one_staff_member_climb_the_ladder(
    make_tenant, registry, actors, settings, ladder
):
    tenant = await make_tenant("efficiency", settings=settings)
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    for _ in range(3):
        await close_upheld(service, tenant.id, actors, leader_approval=settings["leader_approval"])
    async with tenant_tx(tenant.id):
        lines = await CaseRepository(tenant.id).ledger_journal(subjects=[RESPONDENT])
    assert [line.sanction.kind for line in lines] == ladder
    assert [line.sanction.note for line in lines] == [f"本年度第 {n} 次" for n in (1, 2, 3)]
