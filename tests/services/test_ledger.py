"""The accountability ledger as a journal: lines from events, appeals, corrections, instalments.

Township cases closed as upheld give the lines (its ladder: criticism, circulated criticism,
discipline by the year's count), so every figure here comes from a real flow on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.cases import CaseKind, Channel, Satisfaction
from core.domain.commands import (
    AcceptCase,
    CloseCase,
    DispatchCase,
    Outcome,
    RecordFeedback,
    RegisterCase,
    ReplyToCase,
    SignForCase,
)
from core.domain.decisions import AccountabilityKind, SanctionKind
from core.domain.errors import InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.ledger import AppealDecision, EntryType
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.ledger import LedgerEntryNotFound, LedgerService
from core.store.cases import CaseRepository
from core.store.tx import tenant_tx

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai


def complaint() -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title="政务公开栏未更新",
        content="三个月未更新",
        identity={"name": "王五", "phone": "13700001111"},
        fields={"situation": "not_compiled", "respondent": "南溪村委会"},
    )


async def close_upheld(service: CaseService, tenant, actors, respondent: str = "handler") -> int:
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    steps = [
        (RegisterCase(), "operator"),
        (AcceptCase(), "operator"),
        (DispatchCase(unit_code="jcs", cause="政务公开", opinion="请核实"), "leader"),
        (SignForCase(handler="handler"), "handler"),
        (ReplyToCase(content="已更新公开栏"), "handler"),
        (RecordFeedback(satisfaction=Satisfaction.SATISFIED), "supervisor"),
        (CloseCase(outcome=Outcome.UPHELD, respondent=respondent, respondent_unit="jcs"), "supervisor"),
    ]
    for command, who in steps:
        await service.perform(tenant.id, case_id, command, actors[who])
    return case_id


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def services(registry, clock):
    return CaseService(registry, clock), LedgerService(registry, clock)


async def test_an_upheld_complaint_writes_a_line_with_its_evidence_unit_and_owner(
    make_tenant, actors, services
):
    tenant = await make_tenant()
    cases, ledger = services
    case_id = await close_upheld(cases, tenant, actors)
    (standing,) = await ledger.lines(tenant.id, actors["supervisor"])
    line = standing.line
    assert (line.type, line.subject, line.unit_code, line.case_id) == (
        EntryType.LINE,
        "handler",
        "jcs",
        case_id,
    )
    assert line.event_kind is AccountabilityKind.COMPLAINT_UPHELD
    assert line.sanction is not None and line.sanction.kind is SanctionKind.CRITICISM
    assert line.evidence.startswith("案件 NX-2026-") and "投诉属实" in line.evidence
    assert standing.in_force and not standing.appeal_open
    async with tenant_tx(tenant.id):
        case = await CaseRepository(tenant.id).get(case_id)
    assert case.owner == "operator"  # 首问: whoever took the call


async def test_the_subject_appeals_and_a_leader_reduces_it_with_new_entries_only(
    make_tenant, actors, services, clock
):
    tenant = await make_tenant(settings={"appeal_decision_working_days": 5})
    cases, ledger = services
    await close_upheld(cases, tenant, actors, respondent="handler")
    await close_upheld(cases, tenant, actors, respondent="handler")
    _, second = await ledger.lines(tenant.id, actors["supervisor"])
    assert second.line.sanction.kind is SanctionKind.CIRCULATED_CRITICISM  # the ladder climbs

    # A wage deduction recorded by correction, so there is an amount to reduce.
    await ledger.correct(
        tenant.id, second.line.id, actors["leader"], "补记扣减考核工资", amount=Decimal("500")
    )
    lines = await ledger.lines(tenant.id, actors["supervisor"])
    charged = lines[-1]
    assert charged.line.sanction.amount == Decimal("500.00")

    # The handler sees their own lines only, and appeals.
    own = await ledger.lines(tenant.id, actors["handler"])
    assert [s.line.id for s in own] == [s.line.id for s in lines]
    with pytest.raises(NotPermitted):
        await ledger.lines(tenant.id, actors["handler"], subject="someone-else")
    appeal = await ledger.lodge_appeal(
        tenant.id, charged.line.id, actors["handler"], "已按时更新，责任不在本人"
    )
    # 5 working days from Mon 2 Mar 2026: Mon 9 Mar, 23:59:59 Shanghai.
    assert appeal.due_at == datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC)
    with pytest.raises(RuleViolation, match="不能重复申诉"):
        await ledger.lodge_appeal(tenant.id, charged.line.id, actors["handler"], "再次申诉")
    with pytest.raises(RuleViolation, match="已被撤销"):
        await ledger.lodge_appeal(tenant.id, second.line.id, actors["handler"], "对原记录申诉")
    with pytest.raises(NotPermitted):  # a handler cannot decide
        await ledger.decide_appeal(
            tenant.id, charged.line.id, actors["handler"], AppealDecision.OVERTURN, "x"
        )

    clock.advance(timedelta(days=1))
    with pytest.raises(RuleViolation, match="重于原处理"):
        await ledger.decide_appeal(
            tenant.id,
            charged.line.id,
            actors["leader"],
            AppealDecision.REDUCE,
            "情节较轻",
            amount=Decimal("600"),
        )
    written = await ledger.decide_appeal(
        tenant.id, charged.line.id, actors["leader"], AppealDecision.REDUCE, "情节较轻", amount=Decimal("200")
    )
    assert [e.type for e in written] == [EntryType.APPEAL_DECISION, EntryType.REVERSAL, EntryType.LINE]
    *_, reduced_from, lighter = await ledger.lines(tenant.id, actors["supervisor"])
    assert reduced_from.decision.decision is AppealDecision.REDUCE and not reduced_from.in_force
    assert reduced_from.replaced_by == lighter.line.id
    assert lighter.in_force and lighter.line.sanction.amount == Decimal("200.00")
    assert [e.type for e in reduced_from.history] == [
        EntryType.LINE,
        EntryType.APPEAL,
        EntryType.APPEAL_DECISION,
        EntryType.REVERSAL,
    ]


async def test_a_reduction_must_be_lighter(make_tenant, actors, services):
    tenant = await make_tenant()
    cases, ledger = services
    await close_upheld(cases, tenant, actors)
    (standing,) = await ledger.lines(tenant.id, actors["supervisor"])
    await ledger.lodge_appeal(tenant.id, standing.line.id, actors["handler"], "不服")
    with pytest.raises(RuleViolation, match="须轻于原处理"):
        await ledger.decide_appeal(
            tenant.id, standing.line.id, actors["leader"], AppealDecision.REDUCE, "情节较轻", points=0
        )
    with pytest.raises(InvalidCommand, match="理由"):
        await ledger.decide_appeal(tenant.id, standing.line.id, actors["leader"], AppealDecision.UPHOLD, " ")
    (after,) = await ledger.lines(tenant.id, actors["supervisor"])
    assert after.appeal_open and after.in_force  # nothing was written by the refused decisions


async def test_an_overturned_line_no_longer_counts_on_the_yearly_ladder(make_tenant, actors, services, clock):
    tenant = await make_tenant()
    cases, ledger = services
    await close_upheld(cases, tenant, actors)
    (first,) = await ledger.lines(tenant.id, actors["supervisor"])
    await ledger.lodge_appeal(tenant.id, first.line.id, actors["handler"], "不属实")
    entries = await ledger.decide_appeal(
        tenant.id, first.line.id, actors["leader"], AppealDecision.OVERTURN, "经复查，投诉不属实"
    )
    assert [e.type for e in entries] == [EntryType.APPEAL_DECISION, EntryType.REVERSAL]
    (overturned,) = await ledger.lines(tenant.id, actors["supervisor"])
    assert not overturned.in_force and overturned.decision.decision is AppealDecision.OVERTURN

    # The next upheld complaint is the first that stands this year: criticism again, not circulated.
    await close_upheld(cases, tenant, actors)
    latest = (await ledger.lines(tenant.id, actors["supervisor"]))[-1]
    assert latest.line.sanction.kind is SanctionKind.CRITICISM
    (row,) = await ledger.yearly(tenant.id, actors["supervisor"], 2026)
    assert (row.subject, row.event_kind, row.events, row.lines) == (
        "handler",
        AccountabilityKind.COMPLAINT_UPHELD,
        1,
        1,
    )
    assert await ledger.yearly(tenant.id, actors["supervisor"], 2025) == []


async def test_a_new_year_starts_the_ladder_again(make_tenant, actors, registry):
    tenant = await make_tenant()
    clock = FixedClock(datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    cases, ledger = CaseService(registry, clock), LedgerService(registry, clock)
    await close_upheld(cases, tenant, actors)
    await close_upheld(cases, tenant, actors)
    clock.at = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    await close_upheld(cases, tenant, actors)
    kinds = [s.line.sanction.kind for s in await ledger.lines(tenant.id, actors["supervisor"])]
    assert kinds == [SanctionKind.CRITICISM, SanctionKind.CIRCULATED_CRITICISM, SanctionKind.CRITICISM]


async def test_corrections_and_instalments_are_new_entries(make_tenant, actors, services, clock):
    tenant = await make_tenant()
    cases, ledger = services
    await close_upheld(cases, tenant, actors)
    (standing,) = await ledger.lines(tenant.id, actors["supervisor"])
    with pytest.raises(NotPermitted):
        await ledger.correct(
            tenant.id, standing.line.id, actors["supervisor"], "金额有误", amount=Decimal("100")
        )
    written = await ledger.correct(
        tenant.id, standing.line.id, actors["leader"], "漏记赔偿金额", amount=Decimal("1000.00")
    )
    assert [e.type for e in written] == [EntryType.REVERSAL, EntryType.LINE]
    old, new = await ledger.lines(tenant.id, actors["supervisor"])
    assert (old.in_force, old.replaced_by, new.in_force) == (False, new.line.id, True)
    assert new.line.sanction.amount == Decimal("1000.00") and new.line.event_ref == old.line.event_ref

    with pytest.raises(InvalidCommand, match="2 到 36"):
        await ledger.agree_instalments(tenant.id, new.line.id, actors["leader"], 1, date(2026, 3, 31))
    with pytest.raises(InvalidCommand, match="首期日期"):
        await ledger.agree_instalments(tenant.id, new.line.id, actors["leader"], 3, date(2026, 3, 1))
    await ledger.agree_instalments(tenant.id, new.line.id, actors["leader"], 3, date(2026, 3, 31))
    (_, scheduled) = await ledger.lines(tenant.id, actors["supervisor"])
    assert [(i.due_on, i.amount) for i in scheduled.schedule] == [
        (date(2026, 3, 31), Decimal("333.33")),
        (date(2026, 4, 30), Decimal("333.33")),
        (date(2026, 5, 31), Decimal("333.34")),
    ]
    with pytest.raises(LedgerEntryNotFound):
        await ledger.agree_instalments(tenant.id, 999_999, actors["leader"], 3, date(2026, 3, 31))

    csv_text = await ledger.csv(tenant.id, actors["supervisor"])
    rows = csv_text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("编号,时间,对象,单位")
    assert len(rows) == 3
    assert ",已变更," in rows[1] and ",有效," in rows[2]
    assert "2026-03-31 333.33；2026-04-30 333.33；2026-05-31 333.34" in rows[2]


async def test_overdue_appeals_are_listed_after_their_deadline(make_tenant, actors, services, clock):
    tenant = await make_tenant(settings={"appeal_decision_working_days": 1})
    cases, ledger = services
    await close_upheld(cases, tenant, actors)
    (standing,) = await ledger.lines(tenant.id, actors["supervisor"])
    await ledger.lodge_appeal(tenant.id, standing.line.id, actors["handler"], "不服")
    assert await ledger.overdue_appeals(tenant.id, actors["supervisor"]) == []
    clock.advance(timedelta(days=2))
    (overdue,) = await ledger.overdue_appeals(tenant.id, actors["supervisor"])
    assert overdue.line.id == standing.line.id
