"""Complaints to the disease-control centre through the real services and database.

The tenant is `tenants/city-cdc.toml` itself (under a fresh slug), so its units, users, duty
staff and settings are the ones under test. Dates meet the National Day holiday (10-01..10-07;
Saturday 10-10 is a make-up workday) and cross a year end for the first handler's ladder.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.calendar import Period
from core.domain.cases import CaseKind, CaseState, Channel, Complexity, Satisfaction
from core.domain.commands import (
    AcceptCase,
    CloseCase,
    DispatchCase,
    ExtendCase,
    Outcome,
    RecordFeedback,
    RecordInvestigation,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    RequestSupplement,
    SignForCase,
    SupplyMaterial,
)
from core.domain.decisions import AccountabilityKind, SanctionKind
from core.domain.errors import InvalidCommand, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor
from core.domain.sla import TimerState
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.duty import DutyService
from core.services.ledger import LedgerService
from core.services.tenants import onboard, read_tenant_file
from core.store.outbox import OutboxRepository
from core.store.tx import tenant_tx

pytestmark = pytest.mark.postgres

SHANGHAI = ZoneInfo("Asia/Shanghai")
TENANT_FILE = Path(__file__).parents[3] / "tenants" / "city-cdc.toml"
COMPLETE = {
    "respondent": "window",
    "facts": "2026-09-28 接种前窗口人员未告知禁忌症，孩子接种后发热",
    "demands": "要求说明情况并赔礼道歉",
    "direct_harm": "yes",
    "statement": "signed_transcript",
}
IDENTITY = {"name": "李华", "address": "市中区人民路12号", "phone": "13800001111"}
FOUR_SECTIONS = (
    "调查经过：办公室何平、免疫规划科宋佳二人到门诊调取接种登记，询问窗口人员周敏并制作笔录。"
    "事实和证据：接种登记无告知签字栏记录；周敏承认未告知。"
    "责任认定：窗口人员周敏未履行接种前告知义务，负直接责任。"
    "处理意见：对周敏诫勉谈话，门诊向投诉人书面道歉。"
)


@pytest.fixture
async def cdc(registry, unique_slug):
    """The centre, onboarded from its tenant file under a fresh slug, with its people as actors."""
    config = read_tenant_file(TENANT_FILE, registry)
    tenant = await onboard(dataclasses.replace(config, slug=unique_slug("cdc")), registry)
    people = {
        user.username: Actor(username=user.username, roles=frozenset(user.roles), unit_code=user.unit_code)
        for user in config.users
    }
    return tenant, people


def complaint(**overrides: Any) -> IntakeDraft:
    values: dict[str, Any] = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.VISIT,
        "title": "接种门诊未告知禁忌症",
        "content": "家长来访反映接种前窗口人员未告知禁忌症。",
        "identity": IDENTITY,
        "fields": COMPLETE,
    }
    return IntakeDraft(**(values | overrides))


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


def timer(view: Any, kind: str) -> Any:
    return next(stored.timer for stored in view.timers if stored.timer.kind == kind)


def due(view: Any, kind: str) -> str:
    return timer(view, kind).due_at.astimezone(SHANGHAI).isoformat()


async def test_an_incomplete_call_is_told_everything_at_once_and_timed_only_from_acceptance(cdc, registry):
    tenant, people = cdc
    clock = FixedClock(local(2026, 9, 30))
    service = CaseService(registry, clock)
    operator = people["operator"]

    # 二.3: a named phone complainant gives real name, address and contact — all missing ones at once.
    with pytest.raises(InvalidCommand, match="联系地址、通讯方式"):
        await service.intake(tenant.id, complaint(channel=Channel.PHONE, identity={"name": "李华"}), operator)
    draft = complaint(
        channel=Channel.PHONE,
        fields={"facts": COMPLETE["facts"], "statement": "unsigned_transcript"},
    )
    view = await service.intake(tenant.id, draft, operator)
    case_id = view.case.id
    assert view.case.owner == "operator"  # 首办: whoever took the call owns the case
    await service.perform(tenant.id, case_id, RegisterCase(), operator)

    with pytest.raises(RuleViolation) as refused:
        await service.perform(tenant.id, case_id, AcceptCase(), operator)
    told = str(refused.value)
    for condition in ("直接受到侵害", "被投诉科室或人员", "具体要求", "签字（盖章）的口述笔录", "一次性告知"):
        assert condition in told, told

    # 首办制度 二.3: one request names every unmet condition; a partial one is refused.
    with pytest.raises(RuleViolation, match="还缺"):
        await service.perform(tenant.id, case_id, RequestSupplement(items=("被投诉的科室或人员",)), operator)
    view = await service.perform(
        tenant.id,
        case_id,
        RequestSupplement(
            items=(
                "确认是否在本中心接种时本人合法权益直接受到侵害",
                "被投诉的科室或人员",
                "具体要求",
                "在口述笔录上签字",
            )
        ),
        operator,
    )
    assert view.case.state is CaseState.AWAITING_SUPPLEMENT
    assert view.timers == ()  # 三.3 待补齐所需材料后受理: no clock runs while waiting

    # Identity is never supplemented into the case's (readable) fields.
    clock.at = local(2026, 10, 10)  # a Saturday make-up workday, ten days later
    with pytest.raises(InvalidCommand, match="phone"):
        await service.perform(tenant.id, case_id, SupplyMaterial(fields={"phone": "13900000000"}), operator)
    supplied = {key: COMPLETE[key] for key in ("respondent", "demands", "direct_harm", "statement")}
    view = await service.perform(
        tenant.id, case_id, SupplyMaterial(note="投诉人来中心签字", fields=supplied), operator
    )
    assert view.case.state is CaseState.REGISTERED and view.case.fields["statement"] == "signed_transcript"
    view = await service.perform(tenant.id, case_id, AcceptCase(), operator)
    # 三.2: 7 days from acceptance on 10-10 end on Saturday 10-17, a rest day: rolled to Monday.
    assert timer(view, "checking").state is TimerState.RUNNING
    assert due(view, "checking") == "2026-10-19T23:59:59+08:00"
    assert timer(view, "checking").basis == "举报投诉处理制度 三.2"

    await service.perform(
        tenant.id,
        case_id,
        DispatchCase(unit_code="immunization", cause="接种告知", opinion="请调查核实并答复"),
        people["leader"],
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), people["handler"])

    # 三.5: two investigators, and the record signed by the person questioned.
    alone = RecordInvestigation(investigators=("宋佳",), interviewee="周敏", findings="属实", signed=True)
    with pytest.raises(RuleViolation, match="两人随行"):
        await service.perform(tenant.id, case_id, alone, people["handler"])
    unsigned = RecordInvestigation(investigators=("宋佳", "何平"), interviewee="周敏", findings="属实")
    with pytest.raises(RuleViolation, match="签名或盖章"):
        await service.perform(tenant.id, case_id, unsigned, people["handler"])
    view = await service.perform(
        tenant.id, case_id, dataclasses.replace(unsigned, signed=True), people["handler"]
    )
    assert view.case.state is CaseState.IN_HANDLING

    # 三.7: a written reply lacking the responsibility section is refused, naming what is missing.
    without_responsibility = FOUR_SECTIONS.replace(
        "责任认定：窗口人员周敏未履行接种前告知义务，负直接责任。", ""
    )
    clock.at = local(2026, 10, 16)
    with pytest.raises(RuleViolation, match="书面答复缺少：责任认定") as incomplete:
        await service.perform(
            tenant.id,
            case_id,
            ReplyToCase(mode=ReplyMode.WRITTEN, content=without_responsibility),
            people["handler"],
        )
    assert "调查经过、事实和证据、责任认定、处理意见" in str(incomplete.value)
    view = await service.perform(
        tenant.id, case_id, ReplyToCase(mode=ReplyMode.WRITTEN, content=FOUR_SECTIONS), people["handler"]
    )
    assert view.case.state is CaseState.REPLIED
    assert timer(view, "checking").state is TimerState.STOPPED

    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent="window", respondent_unit="clinic"),
        people["operator"],
    )
    assert view.case.state is CaseState.CLOSED
    (line,) = await LedgerService(registry, clock).lines(tenant.id, people["leader"], subject="window")
    assert line.line.event_kind is AccountabilityKind.COMPLAINT_UPHELD
    assert line.line.sanction.kind is SanctionKind.ADMONITION
    assert line.line.sanction.basis == "接待群众来访办事首办责任制度 四.2"


async def test_an_oral_complaint_settled_on_the_spot_keeps_a_record(cdc, registry):
    tenant, people = cdc
    clock = FixedClock(local(2026, 9, 30))
    service = CaseService(registry, clock)
    window = people["window"]  # a section's window receives the visitor (首办制度 二)

    view = await service.intake(tenant.id, complaint(), window)
    case_id = view.case.id
    assert view.case.owner == "window"
    await service.perform(tenant.id, case_id, RegisterCase(), window)
    view = await service.perform(tenant.id, case_id, AcceptCase(), window)
    assert due(view, "checking") == "2026-10-08T23:59:59+08:00"  # 10-07 is a holiday

    # 三.2: answered by word of mouth at once; the reply is the handling record.
    view = await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.ON_THE_SPOT, content="当场调阅接种记录，解释禁忌症告知流程并致歉"),
        window,
    )
    assert view.case.reply_mode == "on_the_spot"
    assert timer(view, "checking").state is TimerState.STOPPED
    with pytest.raises(RuleViolation, match=r"三\.2"):
        await service.perform(tenant.id, case_id, CloseCase(summary="当场处理完毕"), window)
    await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED, note="投诉人表示满意"), window
    )
    view = await service.perform(
        tenant.id, case_id, CloseCase(summary="当场处理完毕", outcome=Outcome.NOT_UPHELD), window
    )
    assert view.case.state is CaseState.CLOSED
    assert await LedgerService(registry, clock).lines(tenant.id, people["leader"]) == []


async def test_a_letter_gets_a_written_reply_within_30_days_extendable_to_60_and_the_office_leads(
    cdc, registry
):
    tenant, people = cdc
    clock = FixedClock(local(2026, 9, 30))
    service = CaseService(registry, clock)
    operator = people["operator"]
    draft = complaint(
        channel=Channel.LETTER,
        fields=COMPLETE | {"statement": "written", "sections": "immunization,lab"},
    )
    case_id = (await service.intake(tenant.id, draft, operator)).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), operator)
    view = await service.perform(tenant.id, case_id, AcceptCase(), operator)
    assert due(view, "written_reply") == "2026-10-30T23:59:59+08:00"  # 三.7: 30 days, a Friday

    # 三.4: it involves two sections, so the centre office leads.
    with pytest.raises(RuleViolation, match="中心办公室（office）牵头"):
        await service.perform(
            tenant.id,
            case_id,
            DispatchCase(unit_code="lab", cause="接种告知与检验", opinion="请核实"),
            people["leader"],
        )
    await service.perform(
        tenant.id,
        case_id,
        DispatchCase(unit_code="office", cause="接种告知与检验", opinion="请牵头，免疫规划科、检验科配合"),
        people["leader"],
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="office_handler"), people["office_handler"])

    # 三.7: hard cases at most 60 days in all, with the reason told to the complainant.
    view = await service.perform(
        tenant.id,
        case_id,
        ExtendCase(period=Period.parse("30 days"), reason="需送检复核，情况复杂", timer="written_reply"),
        people["leader"],
    )
    assert due(view, "written_reply") == "2026-11-30T23:59:59+08:00"  # 11-29 is a Sunday: rolled
    with pytest.raises(InvalidCommand, match="上限"):
        await service.perform(
            tenant.id,
            case_id,
            ExtendCase(period=Period.parse("1 day"), reason="再延", timer="written_reply"),
            people["leader"],
        )

    # A written reply reports an investigation: none is on file yet.
    with pytest.raises(RuleViolation, match="书面答复前须先完成调查核实"):
        await service.perform(
            tenant.id,
            case_id,
            ReplyToCase(mode=ReplyMode.WRITTEN, content=FOUR_SECTIONS),
            people["office_handler"],
        )
    await service.perform(
        tenant.id,
        case_id,
        RecordInvestigation(investigators=("宋佳", "何平"), interviewee="周敏", findings="属实", signed=True),
        people["office_handler"],
    )
    # A written complaint is answered in writing, not orally.
    with pytest.raises(RuleViolation, match=r"三\.7"):
        await service.perform(
            tenant.id,
            case_id,
            ReplyToCase(mode=ReplyMode.PHONE, content="电话告知处理结果"),
            people["office_handler"],
        )
    await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.WRITTEN, content=FOUR_SECTIONS),
        people["office_handler"],
    )
    # 三.9: a fabricated accusation is referred; nobody is sanctioned for it.
    view = await service.perform(
        tenant.id,
        case_id,
        CloseCase(summary="经查投诉人捏造事实", outcome=Outcome.FABRICATED, referred_to="市卫生健康委员会"),
        operator,
    )
    assert view.case.state is CaseState.CLOSED
    assert await LedgerService(registry, clock).lines(tenant.id, people["leader"]) == []


async def _upheld_on(
    service: CaseService, clock: FixedClock, tenant_id: int, who: Actor, when: datetime
) -> dict:
    """A complaint against the window's first handler, settled on the spot and found true on `when`."""
    clock.at = when
    case_id = (await service.intake(tenant_id, complaint(), who)).case.id
    await service.perform(tenant_id, case_id, RegisterCase(), who)
    await service.perform(tenant_id, case_id, AcceptCase(), who)
    await service.perform(
        tenant_id, case_id, ReplyToCase(mode=ReplyMode.IN_PERSON, content="当面说明并致歉"), who
    )
    await service.perform(tenant_id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), who)
    await service.perform(
        tenant_id,
        case_id,
        CloseCase(summary="投诉属实", outcome=Outcome.UPHELD, respondent="window", respondent_unit="clinic"),
        who,
    )
    events = await service.events(tenant_id, case_id, who)
    return dict(events[-1].data["accountability"])


async def test_the_third_upheld_complaint_in_a_year_brings_a_sanction_and_the_next_year_starts_again(
    cdc, registry
):
    tenant, people = cdc
    clock = FixedClock(local(2026, 3, 2))
    service = CaseService(registry, clock)
    operator = people["operator"]

    first = await _upheld_on(service, clock, tenant.id, operator, local(2026, 3, 2))
    second = await _upheld_on(service, clock, tenant.id, operator, local(2026, 6, 15))
    third = await _upheld_on(service, clock, tenant.id, operator, local(2026, 12, 31, 23))
    next_year = await _upheld_on(service, clock, tenant.id, operator, local(2027, 1, 4))
    assert [a["count_in_year"] for a in (first, second, third, next_year)] == [1, 2, 3, 1]
    assert [a["sanctions"][0]["kind"] for a in (first, second, third, next_year)] == [
        "admonition",
        "circulated_criticism",
        "disciplinary",
        "admonition",
    ]

    ledger = LedgerService(registry, clock)
    standing = await ledger.lines(tenant.id, people["supervisor"], subject="window")
    by_year = [(s.line.at.astimezone(SHANGHAI).year, s.line.sanction.kind) for s in standing]
    assert by_year == [
        (2026, SanctionKind.ADMONITION),  # 首办制度 四.2 一次：诫勉
        (2026, SanctionKind.CIRCULATED_CRITICISM),  # 二次：通报批评
        (2026, SanctionKind.DISCIPLINARY),  # 三次：视情节轻重给予处分
        (2027, SanctionKind.ADMONITION),  # a new year, a new count
    ]
    disciplinary = standing[2].line.sanction
    assert "视情节轻重" in disciplinary.note and disciplinary.basis == "接待群众来访办事首办责任制度 四.2"
    assert all(s.line.subject == "window" and s.in_force for s in standing)


async def test_the_24h_general_duty_takes_a_night_call_and_a_major_case_goes_to_the_leader(cdc, registry):
    tenant, people = cdc
    day_start = local(2026, 10, 12, 8)
    clock = FixedClock(day_start - timedelta(days=1))
    duty = DutyService(clock)
    # 一.2 总值班24小时: a day shift and a night shift, the same leader on call.
    await duty.add_shift(
        tenant.id,
        people["supervisor"],
        starts_at=day_start,
        ends_at=day_start + timedelta(hours=12),
        leader="leader",
        officers=["operator"],
    )
    await duty.add_shift(
        tenant.id,
        people["supervisor"],
        starts_at=day_start + timedelta(hours=12),
        ends_at=day_start + timedelta(hours=24),
        leader="leader",
        officers=["duty_night"],
    )
    whole_day = (day_start, day_start + timedelta(days=1))
    assert await duty.coverage(tenant.id, people["supervisor"], *whole_day) == []

    clock.at = local(2026, 10, 12, 23)
    service = CaseService(registry, clock)
    night = people["duty_night"]
    draft = complaint(channel=Channel.PHONE, title="多名儿童接种后出现异常反应")
    view = await service.intake(tenant.id, draft, night)
    assert view.case.owner == "duty_night"
    async with tenant_tx(tenant.id):
        notes = await OutboxRepository(tenant.id).for_case(view.case.id)
    assert "leader" in {note.recipient for note in notes}

    # 三.7: a complex case is reported to the leader in charge at once, and gets the written procedure.
    view = await service.perform(tenant.id, view.case.id, RegisterCase(complexity=Complexity.COMPLEX), night)
    events = await service.events(tenant.id, view.case.id, night)
    escalated = [e for e in events if e.name == "case_auto_escalated"]
    assert len(escalated) == 1 and "三.7" in escalated[0].data["reason"]
    view = await service.perform(tenant.id, view.case.id, AcceptCase(), night)
    assert {stored.timer.kind for stored in view.timers} == {"written_reply"}
    assert due(view, "written_reply") == "2026-11-11T23:59:59+08:00"  # 10-12 + 30 days, a Wednesday
