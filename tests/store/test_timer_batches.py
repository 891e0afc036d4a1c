"""A batch of due timers fired together writes its rows the same way on both engines.

The batch's writes take a path of their own per engine (arrays on PostgreSQL, row lists on
SQLite: `insert_rows`, `ids_in`), so the embedded demo's timers are checked here as well.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.domain.audit import first_broken, head_mismatch
from core.domain.cases import CaseKind, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase
from core.domain.decisions import TimerPhase
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.timers import TimerJobs
from core.store.events import chain_head, chain_records
from core.store.outbox import NewNotification, OutboxRepository
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

ACCEPTED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # handling due 2026-10-13 23:59:59 Shanghai


async def test_a_batch_of_breaches_writes_every_effect_once(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(ACCEPTED)
    service = CaseService(registry, clock)
    cases = []
    for n in range(3):
        draft = IntakeDraft(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title=f"路灯不亮 {n}",
            content="东风路路灯损坏",
            identity={"name": "王五", "phone": "13700001111"},
            fields={"situation": "not_compiled", "respondent": "南溪村委会"},
        )
        case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
        await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
        await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
        dispatch = DispatchCase(unit_code="jcs", cause="路灯", opinion="请核实")
        await service.perform(tenant.id, case_id, dispatch, actors["leader"])
        cases.append(case_id)
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        timers = [
            next(t.id for t in await repo.timers.of_case(case_id) if t.timer.kind == "handling")
            for case_id in cases
        ]
    clock.at = ACCEPTED + timedelta(days=20)
    jobs = TimerJobs(registry, clock)

    assert await jobs.fire_many(tenant.id, timers) == {timer: [TimerPhase.BREACH] for timer in timers}
    assert await jobs.fire_many(tenant.id, timers) == {}  # stamped: a second message does nothing

    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        numbers = [[d.number for d in await repo.documents.with_bodies(case_id)] for case_id in cases]
        ledger = await repo.ledger.journal()
        events = [[e.name for e in await repo.events.of_case(case_id)] for case_id in cases]
        told = [await OutboxRepository(tenant.id).for_case(case_id) for case_id in cases]
    assert numbers == [["督办-2026-0001"], ["督办-2026-0002"], ["督办-2026-0003"]]
    assert [line.sanction.kind.value for line in ledger] == [
        "criticism",
        "circulated_criticism",
        "disciplinary",
    ]
    assert all(
        names[-3:] == ["case_reminded", "case_supervision_notice_issued", "case_accountability_recorded"]
        for names in events
    )
    # The unit's handler (nobody signed for the cases) and the supervisor, each told once per case.
    noticed = [sorted(n.recipient for n in notes if n.subject.startswith("督办通知单")) for notes in told]
    assert noticed == [["handler", "supervisor"]] * 3
    chain = await chain_records(tenant.id)
    assert first_broken(chain) is None and head_mismatch(chain, await chain_head(tenant.id)) is None


async def test_the_outbox_adds_many_at_once_and_skips_a_cause_already_queued(make_tenant):
    tenant = await make_tenant()
    now = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    inbox = NewNotification("inbox", "handler", "催办", "请办理", "k1:inbox:handler")
    mail = NewNotification("email", "h@example.org", "催办", "请办理", "k1:email:handler")
    async with tenant_tx(tenant.id):
        outbox = OutboxRepository(tenant.id)
        assert await outbox.add_many([inbox, mail, inbox], now=now) == {inbox.dedupe_key, mail.dedupe_key}
        assert await outbox.add_many([mail], now=now) == set()
        assert await outbox.add_many([], now=now) == set()
        stored = await outbox.for_recipient("handler", "inbox") + await outbox.for_recipient(
            "h@example.org", "email"
        )
    assert sorted((n.channel, n.state, n.sent_at is not None) for n in stored) == [
        ("email", "pending", False),
        ("inbox", "sent", True),
    ]
