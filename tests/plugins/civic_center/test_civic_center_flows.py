"""Complaints about the Yongji civic service centre's windows through the real services and database.

The tenant is `tenants/yongji-civic.toml` itself (under a fresh slug), so its windows, users and
settings are the ones under test. Complaints arrive on Wed 2026-09-30 (Shanghai), the eve of
National Day (10-01..10-07; Saturday 10-10 is a make-up workday), so every count meets the holiday.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.cases import CaseKind, CaseState, Channel, Complexity, Satisfaction
from core.domain.commands import (
    AcceptCase,
    CloseCase,
    DispatchCase,
    Outcome,
    RecordFeedback,
    RecordInvestigation,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    RequestSupplement,
    SetDeadline,
    SignForCase,
    SupplyMaterial,
)
from core.domain.decisions import AccountabilityKind, SanctionKind, TimerPhase
from core.domain.errors import NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor
from core.domain.sla import TimerState
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.ledger import LedgerService
from core.services.tenants import onboard, read_tenant_file
from core.services.timers import TimerJobs
from core.store.case_search import CaseQuery
from core.store.cases import CaseNotFound
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

pytestmark = pytest.mark.postgres

SHANGHAI = ZoneInfo("Asia/Shanghai")
TENANT_FILE = Path(__file__).parents[3] / "tenants" / "yongji-civic.toml"
RECEIVED_AT = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # Wed 10:00 in Shanghai
STAFF = "不动产登记窗口 王磊"


@pytest.fixture
async def centre(registry, unique_slug):
    """The demo centre, onboarded from its tenant file under a fresh slug, and its people."""
    config = read_tenant_file(TENANT_FILE, registry)
    tenant = await onboard(dataclasses.replace(config, slug=unique_slug("yongji")), registry)
    people = {
        user.username: Actor(username=user.username, roles=frozenset(user.roles), unit_code=user.unit_code)
        for user in config.users
    }
    return tenant, people


def complaint(*, channel: Channel = Channel.LETTER, anonymous: bool = False, **fields: Any) -> IntakeDraft:
    values = {
        "matter": "fees",
        "accused_unit": "win-realty",
        "accused_person": STAFF,
        "evidence": "收款微信截图一张",
        "letter_register": "督查科杨洁 2026-09-30 拆阅，来信 2 页、附截图 1 张",
    } | fields
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=channel,
        title="不动产登记窗口收取“加急费”",
        content="9 月 28 日办理抵押登记时，窗口工作人员王磊收取 80 元“加急费”，未开具票据。",
        anonymous=anonymous,
        identity={} if anonymous else {"name": "李娜", "phone": "13935900001"},
        fields={key: value for key, value in values.items() if value is not None},
    )


def due(view: Any, kind: str) -> str:
    timer = next(stored.timer for stored in view.timers if stored.timer.kind == kind)
    return timer.due_at.astimezone(SHANGHAI).isoformat()


def states(view: Any) -> dict[str, TimerState]:
    return {stored.timer.kind: stored.timer.state for stored in view.timers}


async def accepted(service: CaseService, tenant_id: int, people: dict, draft: IntakeDraft) -> Any:
    case_id = (await service.intake(tenant_id, draft, people["operator"])).case.id
    await service.perform(
        tenant_id, case_id, RegisterCase(category=draft.fields["matter"]), people["operator"]
    )
    return await service.perform(tenant_id, case_id, AcceptCase(), people["operator"])


async def answered_by_the_window(
    service: CaseService, clock: FixedClock, tenant_id: int, people: dict, draft: IntakeDraft
) -> int:
    """Accepted, dispatched to the accused window's department, answered in writing, fed back."""
    case_id = (await accepted(service, tenant_id, people, draft)).case.id
    await service.perform(
        tenant_id,
        case_id,
        DispatchCase(unit_code="win-realty", cause="收费", opinion="请调查核实并在5个工作日内书面答复"),
        people["supervisor"],
    )
    await service.perform(tenant_id, case_id, SignForCase(handler="handler"), people["handler"])
    clock.at += timedelta(days=1)
    await service.perform(
        tenant_id,
        case_id,
        ReplyToCase(mode=ReplyMode.WRITTEN, content="调查核实情况：属实。处理意见：退还费用，扣分。"),
        people["handler"],
    )
    if not draft.anonymous:
        await service.perform(
            tenant_id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), people["operator"]
        )
    return case_id


async def test_a_signed_visit_complaint_answered_orally_on_the_spot_is_closed(centre, registry):
    tenant, people = centre
    clock = FixedClock(RECEIVED_AT)
    service = CaseService(registry, clock)
    draft = complaint(channel=Channel.VISIT, letter_register=None, matter="efficiency")
    case_id = (await service.intake(tenant.id, draft, people["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(category="efficiency"), people["operator"])

    # 第六条: a complaint in person is taken down in a 笔录 before it is accepted.
    with pytest.raises(RuleViolation, match="当面投诉笔录") as refused:
        await service.perform(tenant.id, case_id, AcceptCase(), people["operator"])
    assert "第六条" in str(refused.value)
    await service.perform(tenant.id, case_id, RequestSupplement(items=("当面投诉笔录",)), people["operator"])
    await service.perform(
        tenant.id,
        case_id,
        SupplyMaterial(note="笔录已补", fields={"visit_record": "投诉人口述，记录人杨洁，投诉人已签字"}),
        people["operator"],
    )
    view = await service.perform(tenant.id, case_id, AcceptCase(), people["operator"])
    assert states(view) == {"coordinate": TimerState.RUNNING}
    assert due(view, "coordinate") == "2026-10-08T23:59:59+08:00"  # 1 working day past the holiday

    # 第七条、第八条: a general oral complaint is answered on the spot, orally.
    view = await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.ON_THE_SPOT, content="窗口负责人当场致歉，已为投诉人优先办理。"),
        people["operator"],
    )
    assert view.case.state is CaseState.REPLIED
    assert view.case.reply_mode == ReplyMode.ON_THE_SPOT.value
    assert states(view) == {"coordinate": TimerState.STOPPED, "feedback": TimerState.RUNNING}
    assert due(view, "feedback") == "2026-10-09T23:59:59+08:00"  # 2 working days: 10-08, 10-09

    # 第五条: a signed complaint is fed back before the section decides.
    with pytest.raises(RuleViolation, match="第五条"):
        await service.perform(
            tenant.id,
            case_id,
            CloseCase(summary="已当场答复", outcome=Outcome.NOT_UPHELD),
            people["supervisor"],
        )
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), people["operator"]
    )
    with pytest.raises(RuleViolation, match="处理决定"):
        await service.perform(tenant.id, case_id, CloseCase(summary="办结"), people["supervisor"])
    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="窗口已致歉，未发现违规", outcome=Outcome.NOT_UPHELD),
        people["supervisor"],
    )
    assert view.case.state is CaseState.CLOSED
    ledger = LedgerService(registry, clock)
    assert await ledger.lines(tenant.id, people["supervisor"]) == []


async def test_a_letter_answered_by_phone_is_refused_then_the_upheld_complaint_costs_window_and_staff_points(
    centre, registry
):
    tenant, people = centre
    clock = FixedClock(RECEIVED_AT)
    service = CaseService(registry, clock)
    view = await accepted(service, tenant.id, people, complaint())
    case_id = view.case.id
    assert view.case.priority == 1  # signed: investigated first (第五条)

    dispatch = DispatchCase(unit_code="win-realty", cause="收费", opinion="请调查核实并书面答复")
    view = await service.perform(tenant.id, case_id, dispatch, people["supervisor"])
    assert states(view) == {"coordinate": TimerState.STOPPED, "answer": TimerState.RUNNING}
    assert due(view, "answer") == "2026-10-13T23:59:59+08:00"  # 5 working days: 10-08, 09, 10, 12, 13
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), people["handler"])
    await service.perform(
        tenant.id,
        case_id,
        RecordInvestigation(
            investigators=("彭霞", "杨洁"),
            interviewee=STAFF,
            findings="王磊承认收取 80 元未开票",
            signed=True,
        ),
        people["handler"],
    )

    # 第八条: objective reasons → the complainant is told why and a new date is committed.
    clock.at = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    view = await service.perform(
        tenant.id,
        case_id,
        SetDeadline(timer="answer", due_on=date(2026, 10, 16), reason="需调取收费票据存根，已电话告知投诉人"),
        people["handler"],
    )
    assert due(view, "answer") == "2026-10-16T23:59:59+08:00"

    # 第七条: a written complaint must have a written answer.
    with pytest.raises(RuleViolation) as refused:
        await service.perform(
            tenant.id,
            case_id,
            ReplyToCase(mode=ReplyMode.PHONE, content="电话告知已退费"),
            people["handler"],
        )
    message = str(refused.value)
    assert "本件为来信书面投诉，不能以“电话答复”方式答复，须书面答复" in message
    assert "书面投诉必须书面答复" in message and "第七条" in message
    view = await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(
            mode=ReplyMode.WRITTEN,
            content="调查核实情况：王磊收取 80 元未开票属实。处理意见：全额退还，责令书面检查。",
        ),
        people["handler"],
    )
    assert states(view)["answer"] is TimerState.STOPPED
    assert due(view, "feedback") == "2026-10-14T23:59:59+08:00"
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), people["operator"]
    )

    # 第十条: the window is named, so that it and the staff member both lose points.
    with pytest.raises(RuleViolation, match="respondent_unit"):
        await service.perform(
            tenant.id,
            case_id,
            CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent=STAFF),
            people["supervisor"],
        )
    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent=STAFF, respondent_unit="win-realty"),
        people["supervisor"],
    )
    assert view.case.state is CaseState.CLOSED

    lines = await LedgerService(registry, clock).lines(tenant.id, people["supervisor"])
    by_subject = {standing.line.subject: standing.line for standing in lines}
    assert set(by_subject) == {"win-realty", STAFF}
    for line in by_subject.values():
        assert line.event_kind is AccountabilityKind.COMPLAINT_UPHELD
        assert line.sanction is not None
        assert (line.sanction.kind, line.sanction.points) == (SanctionKind.POINTS_DEDUCTED, 2)
        assert line.sanction.basis == "永济市市民服务中心投诉举报制度 第十条"
        assert line.case_id == case_id
    assert "不动产登记窗口" in by_subject["win-realty"].sanction.note


async def test_a_complex_complaint_goes_to_the_windows_department(centre, registry):
    tenant, people = centre
    service = CaseService(registry, FixedClock(RECEIVED_AT))
    draft = complaint(channel=Channel.PHONE, letter_register=None, call_record="来电询问清楚，如实记录")
    complex_id = (await service.intake(tenant.id, draft, people["operator"])).case.id
    await service.perform(
        tenant.id,
        complex_id,
        RegisterCase(category="fees", complexity=Complexity.COMPLEX),
        people["operator"],
    )
    await service.perform(tenant.id, complex_id, AcceptCase(), people["operator"])
    with pytest.raises(RuleViolation, match="非一般投诉不能由窗口现场答复"):
        await service.perform(
            tenant.id,
            complex_id,
            ReplyToCase(mode=ReplyMode.PHONE, content="电话答复"),
            people["operator"],
        )
    # The handling window's own people never read who complained; the section does.
    with pytest.raises(CaseNotFound):  # not yet sent to the window: not even its existence
        await service.identities.reveal(tenant.id, complex_id, people["handler"], "核实")
    with pytest.raises(NotPermitted):
        await service.identities.reveal(tenant.id, complex_id, people["leader"], "阅知")
    shown = await service.identities.reveal(tenant.id, complex_id, people["operator"], "反馈结果")
    assert shown["name"] == "李娜"


async def test_a_later_real_name_complaint_heads_the_queue_before_an_earlier_anonymous_one(centre, registry):
    tenant, people = centre
    clock = FixedClock(RECEIVED_AT)
    service = CaseService(registry, clock)
    anonymous = await service.intake(
        tenant.id, complaint(channel=Channel.WEB, anonymous=True, letter_register=None), people["operator"]
    )
    clock.at += timedelta(hours=2)
    signed = await service.intake(tenant.id, complaint(), people["operator"])
    assert (anonymous.case.priority, signed.case.priority) == (0, 1)

    queue, _ = await service.search(tenant.id, CaseQuery(sort="queue"), people["supervisor"])
    assert [view.case.id for view in queue] == [signed.case.id, anonymous.case.id]
    by_arrival, _ = await service.search(tenant.id, CaseQuery(sort="received_at"), people["supervisor"])
    assert [view.case.id for view in by_arrival] == [anonymous.case.id, signed.case.id]


async def test_an_upheld_extortion_is_transferred_and_a_fabricated_accusation_costs_nobody_points(
    centre, registry
):
    tenant, people = centre
    clock = FixedClock(RECEIVED_AT)
    service = CaseService(registry, clock)
    ledger = LedgerService(registry, clock)

    extortion = await answered_by_the_window(service, clock, tenant.id, people, complaint(matter="integrity"))
    upheld = CloseCase(
        summary="刁难勒索属实", outcome=Outcome.UPHELD, respondent=STAFF, respondent_unit="win-realty"
    )
    # 第八条: a violation of discipline is transferred, not only scored.
    with pytest.raises(RuleViolation, match="referred_to"):
        await service.perform(tenant.id, extortion, upheld, people["supervisor"])
    await service.perform(
        tenant.id,
        extortion,
        dataclasses.replace(upheld, referred_to="市纪委监委派驻纪检监察组"),
        people["supervisor"],
    )
    assert len(await ledger.lines(tenant.id, people["supervisor"])) == 2

    # 第四条: a deliberate fabrication is marked with its facts and referred; the accused loses nothing.
    fabricated = await answered_by_the_window(
        service, clock, tenant.id, people, complaint(accused_person="不动产登记窗口 赵强")
    )
    with pytest.raises(RuleViolation, match="not_upheld"):
        await service.perform(
            tenant.id,
            fabricated,
            CloseCase(summary=" ", outcome=Outcome.FABRICATED, referred_to="市公安局"),
            people["supervisor"],
        )
    view = await service.perform(
        tenant.id,
        fabricated,
        CloseCase(
            summary="监控显示当日未收费，投诉人承认因办证被拒而编造",
            outcome=Outcome.FABRICATED,
            referred_to="市公安局",
        ),
        people["supervisor"],
    )
    assert view.case.state is CaseState.CLOSED
    subjects = sorted(
        standing.line.subject for standing in await ledger.lines(tenant.id, people["supervisor"])
    )
    assert subjects == sorted(["win-realty", STAFF])  # nothing on 赵强 nor on the window again


async def test_a_late_window_is_chased_with_a_supervision_notice_and_loses_no_points_for_it(centre, registry):
    tenant, people = centre
    clock = FixedClock(RECEIVED_AT)
    service = CaseService(registry, clock)
    case_id = (await accepted(service, tenant.id, people, complaint())).case.id
    view = await service.perform(
        tenant.id,
        case_id,
        DispatchCase(unit_code="win-realty", cause="收费", opinion="请调查核实并书面答复"),
        people["supervisor"],
    )
    answer = next(stored for stored in view.timers if stored.timer.kind == "answer")

    clock.at = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # Mon 10:00: the 4th working day, not due
    assert await TimerJobs(registry, clock).fire(tenant.id, answer.id) == [TimerPhase.WARNING]
    clock.at = datetime(2026, 10, 13, 16, 0, tzinfo=UTC)  # Wed 00:00, just past the 5th working day
    assert await TimerJobs(registry, clock).fire(tenant.id, answer.id) == [TimerPhase.BREACH]

    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        names = [event.name for event in await repo.events.of_case(case_id)]
        documents = await repo.documents.with_bodies(case_id)
    assert "case_supervision_notice_issued" in names
    assert [document.kind for document in documents] == ["supervision_notice"]
    assert "永济市市民服务中心投诉举报制度 第八条" in documents[0].body
    # 第十条 ties points to upheld complaints only: a late answer writes no accountability event.
    assert not any("accountability" in name for name in names)
    assert await LedgerService(registry, clock).lines(tenant.id, people["supervisor"]) == []
