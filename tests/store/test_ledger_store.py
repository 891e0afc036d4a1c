"""The ledger journal and the work-queue order on both engines (the embedded SQLite included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.decisions import AccountabilityKind, Sanction, SanctionKind
from core.domain.intake import IntakeDraft
from core.domain.ledger import AppealDecision, EntryType, Instalment, LedgerEntry, events_in_force, fold
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.case_search import CaseQuery, search_cases
from core.store.engine import DB
from core.store.ledger import LedgerRepository
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def line(subject: str = "张三") -> LedgerEntry:
    return LedgerEntry(
        id=None,
        type=EntryType.LINE,
        subject=subject,
        unit_code="jcs",
        event_kind=AccountabilityKind.LOSS_CAUSED,
        event_ref="ev-1",
        sanction=Sanction(SanctionKind.REIMBURSEMENT, "制度 三", amount=Decimal("3500.00"), note="分期"),
        evidence="案件 NX-2026-000001",
        at=NOW,
    )


async def test_every_kind_of_entry_round_trips_and_folds(make_tenant):
    tenant = await make_tenant()
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        written = await repo.ledger.add(line())
        appeal = await repo.ledger.add(
            LedgerEntry(
                id=None,
                type=EntryType.APPEAL,
                subject="张三",
                unit_code="jcs",
                refers_to=written.id,
                reason="不服",
                due_at=NOW + timedelta(days=21),
                by="zhangsan",
                at=NOW,
            )
        )
        await repo.ledger.add(
            LedgerEntry(
                id=None,
                type=EntryType.APPEAL_DECISION,
                subject="张三",
                refers_to=appeal.id,
                decision=AppealDecision.UPHOLD,
                reason="维持",
                by="gm",
                at=NOW,
            )
        )
        await repo.ledger.add(
            LedgerEntry(
                id=None,
                type=EntryType.INSTALMENTS,
                subject="张三",
                refers_to=written.id,
                schedule=(
                    Instalment(date(2026, 11, 30), Decimal("1750.00")),
                    Instalment(date(2026, 12, 31), Decimal("1750.00")),
                ),
                by="gm",
                at=NOW,
            )
        )
        journal = await repo.ledger.journal(subjects=["张三"])
        assert await repo.ledger.journal(subjects=["李四"]) == []
        assert len(await repo.ledger.journal(unit="jcs")) == 2  # the line and its appeal carry the unit
    (standing,) = fold(journal)
    assert standing.line.sanction == line().sanction and standing.line.event_ref == "ev-1"
    assert standing.appeal.due_at == NOW + timedelta(days=21)
    assert standing.decision.decision is AppealDecision.UPHOLD and not standing.appeal_open
    assert [i.amount for i in standing.schedule] == [Decimal("1750.00"), Decimal("1750.00")]


async def test_the_journal_refuses_updates_and_deletes(make_tenant):
    tenant = await make_tenant()
    async with tenant_tx(tenant.id):
        await LedgerRepository(tenant.id).add(line())
    for statement in (
        f"UPDATE ledger_entry SET points = 9 WHERE tenant_id = {tenant.id}",
        f"DELETE FROM ledger_entry WHERE tenant_id = {tenant.id}",
    ):
        with pytest.raises(Exception, match=r"append-only|permission denied"):
            async with tenant_tx(tenant.id):
                await DB.run_ddl(statement)
    async with tenant_tx(tenant.id):
        (entry,) = await LedgerRepository(tenant.id).journal()
    assert entry.sanction.points == 0


async def test_the_queue_order_pages_by_priority_then_age(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    ids = []
    for n in range(5):
        draft = IntakeDraft(
            kind=CaseKind.CONSULTATION,
            channel=Channel.PHONE,
            title=f"咨询{n}",
            content="内容",
            anonymous=True,
        )
        ids.append((await service.intake(tenant.id, draft, actors["operator"])).case.id)
        clock.advance(timedelta(minutes=1))
    async with tenant_tx(tenant.id):
        # Priorities as a plugin's classification would set them: the 2nd and 4th first.
        for case_id in (ids[1], ids[3]):
            await DB.run_ddl(f'UPDATE "case" SET priority = 1 WHERE id = {case_id}')
    seen, cursor = [], None
    while True:
        async with tenant_tx(tenant.id):
            page = await search_cases(tenant.id, CaseQuery(sort="queue", limit=2, cursor=cursor))
        seen += [case.id for case in page.cases]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [ids[1], ids[3], ids[0], ids[2], ids[4]]


async def test_standing_events_count_as_the_folded_journal_does(make_tenant):
    tenant = await make_tenant()
    kind = AccountabilityKind.COMPLAINT_UPHELD
    year = (
        datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=8),
        datetime(2027, 1, 1, tzinfo=UTC) - timedelta(hours=8),
    )

    def upheld(ref: str, at: datetime) -> LedgerEntry:
        return LedgerEntry(
            id=None,
            type=EntryType.LINE,
            subject="张三",
            event_kind=kind,
            event_ref=ref,
            sanction=Sanction(SanctionKind.CRITICISM, "制度"),
            at=at,
        )

    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        first = await repo.ledger.add(upheld("a", NOW))
        await repo.ledger.add(upheld("a", NOW))  # a second line of the same event
        second = await repo.ledger.add(upheld("b", NOW))
        await repo.ledger.add(upheld("c", datetime(2025, 12, 31, 15, 59, tzinfo=UTC)))  # 2025 in Shanghai
        await repo.ledger.add(upheld("d", datetime(2026, 12, 31, 15, 59, tzinfo=UTC)))  # still 2026
        await repo.ledger.add(
            LedgerEntry(id=None, type=EntryType.REVERSAL, subject="张三", refers_to=second.id, at=NOW)
        )
        await repo.ledger.add(  # one of event a's two lines reversed: the event still stands
            LedgerEntry(id=None, type=EntryType.REVERSAL, subject="张三", refers_to=first.id, at=NOW)
        )
        counted = await repo.ledger.standing_events("张三", kind, *year)
        folded = fold(await repo.ledger.journal())
        assert await repo.ledger.standing_events("李四", kind, *year) == 0
        assert await repo.ledger.standing_events("张三", AccountabilityKind.DEADLINE_BREACHED, *year) == 0
    assert counted == events_in_force(folded, "张三", kind, *year) == 2  # a and d
