"""Efficiency cases through the real services and database, for both tenant flavours.

Every case is accepted on 2026-09-30 10:00 (Shanghai), the eve of the National Day holiday
(10-01..10-07; Saturday 10-10 is a make-up workday), so each count meets the holiday.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, statutory_schedules
from core.domain.cases import CaseKind, CaseState, Channel, Satisfaction
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    CloseCase,
    ConfirmRemedy,
    DispatchCase,
    ExtendCase,
    OrderRemedy,
    Outcome,
    RecordFeedback,
    ReferCaseOut,
    RegisterCase,
    RejectCase,
    ReopenCase,
    ReplyMode,
    ReplyToCase,
    SignForCase,
    SubmitForApproval,
)
from core.domain.decisions import AccountabilityKind, SanctionKind, TimerPhase
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.sla import TimerState
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.timers import TimerJobs
from core.store.cases import CaseNotFound
from core.store.ledger import LedgerRepository
from core.store.outbox import OutboxRepository
from core.store.tenant_store import TenantStore
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
    assert due(view, "draft_opinion") == "2026-09-30T23:59:59+08:00"  # 当日内: the day of acceptance

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
    for who in ("handler", "supervisor"):  # the supervisor holds case:extend, but 经领导批准
        with pytest.raises(NotPermitted):
            await service.perform(tenant.id, case_id, twenty, actors[who])
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
    assert "feedback" not in states(view)  # 查结后: counted from the closure, not the reply

    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent=RESPONDENT),
        actors["operator"],
    )
    assert view.case.state is CaseState.CLOSED
    assert due(view, "feedback") == "2026-11-02T23:59:59+08:00"  # 2 days end on Saturday 10-31: rolled
    view = await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actors["operator"]
    )
    assert (view.case.state, states(view)["feedback"]) == (CaseState.CLOSED, TimerState.STOPPED)
    async with tenant_tx(tenant.id):
        (line,) = await LedgerRepository(tenant.id).journal()
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
    assert due(view, "draft_opinion") == "2026-10-08T23:59:59+08:00"  # redrafted the same day
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
    assert "feedback" not in states(view)  # anonymous: results published periodically, no 2 days


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
    out_of_scope = complaint(fields={"nature": "other", "respondent": "交警"})
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
        await service.identities.reveal(tenant.id, case_id, actors["leader"], "阅批需要")
    # A handler of another unit does not even see the undispatched case ("not found").
    with pytest.raises((NotPermitted, CaseNotFound)):
        await service.identities.reveal(tenant.id, case_id, actors["handler"], "核实需要")
    clear = await service.identities.reveal(tenant.id, case_id, actors["operator"], "告知查办结果")
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
        lines = await LedgerRepository(tenant.id).journal(subjects=[RESPONDENT])
    assert [line.sanction.kind for line in lines] == ladder
    assert [line.sanction.note for line in lines] == [f"本年度第 {n} 次" for n in (1, 2, 3)]


# --- the demo tenants' own settings: same-day draft, feedback after closing, remedy orders ----------

TENANTS = Path(__file__).resolve().parents[3] / "tenants"


def tenant_settings(slug: str) -> dict[str, Any]:
    """The [settings] of a demo tenant file, so the flows below run on the shipped configuration."""
    with (TENANTS / f"{slug}.toml").open("rb") as file:
        return tomllib.load(file)["settings"]


async def record(tenant_id: int, case_id: int) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    async with tenant_tx(tenant_id):
        repo = TenantStore(tenant_id)
        return (
            await repo.events.of_case(case_id),
            await repo.documents.with_bodies(case_id),
            await repo.ledger.journal(),
            await OutboxRepository(tenant_id).for_case(case_id),
        )


def timer_id(view: Any, kind: str) -> int:
    return next(stored.id for stored in view.timers if stored.timer.kind == kind)


async def test_chengdu_draft_opinion_is_due_the_same_day_and_a_holiday_intake_rolls(
    make_tenant, registry, actors
):
    tenant = await make_tenant("efficiency", settings=tenant_settings("chengdu-jgswj"), prefix="JG")
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)
    view = await accepted(service, tenant.id, actors)
    draft = next(s for s in view.timers if s.timer.kind == "draft_opinion")
    assert draft.label == "拟办意见呈报时限（当日）" and str(draft.timer.period) == "same day"
    assert due(view, "draft_opinion") == "2026-09-30T23:59:59+08:00"  # 第六条(二) 当日内

    # Not sent by midnight: the supervision office urges the leader (no unit yet) and issues a notice.
    clock.at = datetime(2026, 9, 30, 16, 0, 5, tzinfo=UTC)  # 10-01 00:00:05 Shanghai
    assert await TimerJobs(registry, clock).fire(tenant.id, timer_id(view, "draft_opinion")) == [
        TimerPhase.BREACH
    ]
    events, documents, _, notes = await record(tenant.id, view.case.id)
    (notice,) = [e for e in events if e.name == "case_supervision_notice_issued"]
    assert notice.data["timer"] == "draft_opinion"
    assert [d.kind for d in documents] == ["supervision_notice"] and "第六条(二)" in documents[0].body
    assert {n.recipient for n in notes if n.channel == "inbox"} >= {"leader", "supervisor"}

    # Taken in on a holiday: the same day rolls to the first workday after National Day.
    clock.at = datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
    view = await accepted(service, tenant.id, actors)
    assert due(view, "draft_opinion") == "2026-10-08T23:59:59+08:00"


async def close_replied(service: CaseService, tenant_id: int, actors: dict, draft: IntakeDraft) -> Any:
    """A Chengdu case taken through 呈报, 移送 and 办理 to a written reply."""
    case_id = (await accepted(service, tenant_id, actors, draft)).case.id
    for command, who in (
        (SubmitForApproval(opinion="拟转资产管理处核实"), "operator"),
        (ApproveCase(), "leader"),
        (DispatchCase(unit_code="jcs", cause="效能", opinion="请核实"), "leader"),
        (SignForCase(handler="handler"), "handler"),
        (ReplyToCase(mode=ReplyMode.WRITTEN, content="经查属实，已责令改正。"), "handler"),
    ):
        await service.perform(tenant_id, case_id, command, actors[who])
    return case_id


async def test_chengdu_tells_a_named_complainant_within_two_days_of_closing_across_the_holiday(
    make_tenant, registry, actors
):
    tenant = await make_tenant("efficiency", settings=tenant_settings("chengdu-jgswj"), prefix="JG")
    clock = FixedClock(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))  # Mon 09-28 10:00
    service = CaseService(registry, clock)
    case_id = await close_replied(service, tenant.id, actors, complaint())

    clock.at = datetime(2026, 9, 29, 7, 0, tzinfo=UTC)  # Tue 09-29 15:00: 查结
    view = await service.perform(tenant.id, case_id, CloseCase(summary="查结"), actors["operator"])
    assert view.case.state is CaseState.CLOSED
    # 2 days end on 10-01, a statutory holiday, and so does every day to 10-07: rolled to Thu 10-08.
    assert due(view, "feedback") == "2026-10-08T23:59:59+08:00"
    feedback = next(s for s in view.timers if s.timer.kind == "feedback")
    assert feedback.label == "实名告知查办结果时限" and feedback.timer.basis == "局投诉举报制度 第六条(六)"

    # Breach: the handler is urged, a numbered 督办通知单 is issued; no ledger line (第八条 needs more).
    clock.at = datetime(2026, 10, 8, 16, 0, 1, tzinfo=UTC)  # 10-09 00:00:01
    assert await TimerJobs(registry, clock).fire(tenant.id, feedback.id) == [TimerPhase.BREACH]
    events, documents, ledger, notes = await record(tenant.id, case_id)
    names = [e.name for e in events]
    assert {"case_reminded", "case_supervision_notice_issued"} <= set(names)
    (notice,) = documents
    assert notice.number == "督办-2026-0001" and "实名告知查办结果时限" in notice.body
    assert "王芳" not in notice.body and "13800002222" not in notice.body
    assert ledger == []
    assert "handler" in {n.recipient for n in notes if n.channel == "inbox" and n.subject.startswith("督办")}

    # Told late is still told: the feedback on the closed case stops the breached timer.
    view = await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actors["operator"]
    )
    assert (view.case.state, states(view)["feedback"]) == (CaseState.CLOSED, TimerState.STOPPED)


async def test_chengdu_feedback_told_before_closing_or_anonymous_runs_no_timer_after_it(
    make_tenant, registry, actors
):
    tenant = await make_tenant("efficiency", settings=tenant_settings("chengdu-jgswj"), prefix="JG")
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    told = await close_replied(service, tenant.id, actors, complaint())
    await service.perform(
        tenant.id, told, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actors["operator"]
    )
    view = await service.perform(tenant.id, told, CloseCase(summary="查结"), actors["operator"])
    assert view.case.state is CaseState.CLOSED and "feedback" not in states(view)

    anonymous = await close_replied(service, tenant.id, actors, complaint(anonymous=True, identity={}))
    view = await service.perform(tenant.id, anonymous, CloseCase(summary="查结"), actors["operator"])
    assert view.case.state is CaseState.CLOSED and "feedback" not in states(view)

    # A reopened case stops the running 2 days; the next closure starts them afresh.
    named = await close_replied(service, tenant.id, actors, complaint())
    view = await service.perform(tenant.id, named, CloseCase(summary="查结"), actors["operator"])
    assert states(view)["feedback"] is TimerState.RUNNING
    view = await service.perform(
        tenant.id, named, ReopenCase(reason="投诉人补充新情况"), actors["supervisor"]
    )
    assert states(view)["feedback"] is TimerState.STOPPED


async def test_family_planning_orders_a_remedy_in_working_days_and_closes_only_once_confirmed(
    make_tenant, registry, actors
):
    settings = tenant_settings("chengqu-jsj")
    assert settings["may_order_remedy"] is True
    tenant = await make_tenant("efficiency", settings=settings, prefix="JS")
    clock = FixedClock(ACCEPTED_AT)
    service = CaseService(registry, clock)
    case_id = (await accepted(service, tenant.id, actors)).case.id

    # 9: stop the wrongdoing within 5 working days — 10-08, 10-09, Sat 10-10, 10-12, 10-13.
    by, _ = CALENDAR.add_working_days(ACCEPTED_AT.date(), 5)
    assert by == date(2026, 10, 13)
    order = OrderRemedy(accused=RESPONDENT, measures="立即停止推诿，三日内受理维修申请", due_on=by)
    view = await service.perform(tenant.id, case_id, order, actors["supervisor"])
    assert view.case.state is CaseState.ACCEPTED
    assert due(view, "remedy") == "2026-10-13T23:59:59+08:00"
    assert due(view, "handling") == "2026-11-17T23:59:59+08:00"  # 30 working days run on alongside
    remedy_id = timer_id(view, "remedy")

    # The office answers and hears the named complainant, but the order is not yet confirmed.
    await service.perform(tenant.id, case_id, ReplyToCase(content="已责令停止，正在整改"), actors["operator"])
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.BASICALLY_SATISFIED), actors["operator"]
    )
    with pytest.raises(RuleViolation, match=r"尚未验收.*城区计生局投诉举报制度 9"):
        await service.perform(tenant.id, case_id, CloseCase(summary="查结"), actors["operator"])

    # Warning (80 % of the time) urges; the breach urges and issues a notice, and blames no staff.
    jobs = TimerJobs(registry, clock)
    clock.at = datetime(2026, 10, 11, 2, 0, tzinfo=UTC)
    assert await jobs.fire(tenant.id, remedy_id) == [TimerPhase.WARNING]
    clock.at = datetime(2026, 10, 13, 16, 0, 1, tzinfo=UTC)  # 10-14 00:00:01
    assert await jobs.fire(tenant.id, remedy_id) == [TimerPhase.BREACH]
    events, documents, ledger, notes = await record(tenant.id, case_id)
    fired = [e.data["phase"] for e in events if e.name == "case_reminded" and e.data["timer"] == "remedy"]
    assert fired == ["warning", "breach"]
    assert [d.kind for d in documents] == ["supervision_notice"] and "整改期限" in documents[0].body
    assert ledger == [] and "case_accountability_recorded" not in [e.name for e in events]
    assert any(n.subject.startswith("催办") and "整改期限" in n.subject for n in notes)

    await service.perform(
        tenant.id, case_id, ConfirmRemedy(note="已受理维修申请，经核实已整改"), actors["supervisor"]
    )
    view = await service.perform(tenant.id, case_id, CloseCase(summary="查结"), actors["operator"])
    assert view.case.state is CaseState.CLOSED and states(view)["remedy"] is TimerState.STOPPED


async def test_chengdu_may_not_order_the_accused_to_remedy(make_tenant, registry, actors):
    tenant = await make_tenant("efficiency", settings=tenant_settings("chengdu-jgswj"), prefix="JG")
    service = CaseService(registry, FixedClock(ACCEPTED_AT))
    case_id = (await accepted(service, tenant.id, actors)).case.id
    order = OrderRemedy(accused=RESPONDENT, measures="立即纠正", due_on=date(2026, 10, 9))
    with pytest.raises(RuleViolation, match=r"未规定.*责令.*局投诉举报制度 第六条\(三\)"):
        await service.perform(tenant.id, case_id, order, actors["supervisor"])
    view = await service.get(tenant.id, case_id, actors["supervisor"])
    assert "remedy" not in states(view)
