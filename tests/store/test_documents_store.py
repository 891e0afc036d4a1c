"""Documents, archive bundles and trends on both engines (the suite runs tests/store on SQLite too).

The document store's numbering, copies, render claims (a SECURITY DEFINER function on
PostgreSQL, plain SQL on SQLite), failure and re-queueing; an archive bundle built and checked;
trend signals read from the case rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.domain.cases import CaseKind, Channel
from core.domain.commands import CloseCase
from core.domain.intake import IntakeDraft
from core.services.archive import ArchiveService, verify_bundle
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.documents import MAX_RENDER_ATTEMPTS, DocumentJobs, DocumentService
from core.services.trends import TrendService
from core.store.documents import DocumentRepository
from core.store.events import case_chain, chain_links
from core.store.jobs import claim_due_renders
from core.store.tx import tenant_tx

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
REQUEUE = timedelta(seconds=30)
IDENTITY = {"name": "欧阳明远", "phone": "13912345678"}


def complaint(title: str = "村务公开栏三个月未更新", respondent: str = "幸福村委会", **extra) -> IntakeDraft:
    values = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": title,
        "content": "公开栏自八月起未更新。",
        "anonymous": True,
        "fields": {"situation": "not_compiled", "respondent": respondent},
    }
    return IntakeDraft(**(values | extra))


async def claimed(now: datetime) -> set[tuple[int, int]]:
    return set(await claim_due_renders(now, limit=100_000, requeue_after=REQUEUE))


async def test_a_document_is_numbered_claimed_rendered_once_failed_and_queued_again(
    make_tenant, registry, actors
):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases)
    named = complaint(anonymous=False, identity=IDENTITY, content=f"我是欧阳明远，电话 {IDENTITY['phone']}。")
    case_id = (await cases.intake(tenant.id, named, actors["operator"])).case.id
    first = await documents.issue(tenant.id, case_id, "registration_form", actors["operator"])
    second = await documents.issue(tenant.id, case_id, "registration_form", actors["operator"])
    assert (first.number, second.number) == ("登记-2026-0001", "登记-2026-0002")

    key = (tenant.id, first.id)
    assert key in await claimed(NOW)
    assert key not in await claimed(NOW + timedelta(seconds=5))  # handed out, not yet due again
    assert key in await claimed(NOW + REQUEUE * 2)  # a worker that died: handed out again
    async with tenant_tx(tenant.id):
        source = await DocumentRepository(tenant.id).source(first.id)
    assert source.case_id == case_id and "欧阳明远" not in source.body + source.masked_body
    assert "欧*" in source.masked_body and "欧*" not in source.body  # the unit's copy: not even masked

    jobs = DocumentJobs(clock)
    assert await jobs.render(tenant.id, first.id) is True
    assert await jobs.render(tenant.id, first.id) is False
    assert key not in await claimed(NOW + REQUEUE * 4)  # ready: never claimed again
    async with tenant_tx(tenant.id):
        store = DocumentRepository(tenant.id)
        unit, internal = (
            await store.content(first.id, "unit", "pdf"),
            await store.content(first.id, "internal", "pdf"),
        )
        assert bytes(unit).startswith(b"%PDF") and bytes(internal).startswith(b"%PDF") and unit != internal
        assert "欧*" in await store.content(first.id, "internal", "html")
        assert await store.bundle(first.id) is None  # only archive bundles carry a zip

        for attempt in range(1, MAX_RENDER_ATTEMPTS + 1):
            await store.render_failed(second.id, "boom", max_attempts=MAX_RENDER_ATTEMPTS)
            state = (await store.get(second.id)).render_state
            assert state == ("failed" if attempt == MAX_RENDER_ATTEMPTS else "pending")
    assert (tenant.id, second.id) not in await claimed(NOW + REQUEUE * 6)  # failed for good
    queued = await documents.rerender(tenant.id, second.id, actors["supervisor"])
    assert queued.render_state == "pending"
    assert (tenant.id, second.id) in await claimed(NOW + REQUEUE * 8)
    assert await jobs.render(tenant.id, second.id) is True


async def test_an_archive_bundle_is_built_and_checks_out(make_tenant, registry, actors):
    from tests.services.test_documents import PLUGINS, act, drive

    tenant = await make_tenant()
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    case_id, _ = await drive(cases, tenant, actors, PLUGINS["township"])
    other_id = (await cases.intake(tenant.id, complaint("另一件"), actors["operator"])).case.id
    await act(cases, tenant.id, case_id, CloseCase(summary="已整改"), actors, ("supervisor",))
    archive = ArchiveService(registry, cases)
    info = await archive.request(tenant.id, case_id, actors["supervisor"])
    assert (tenant.id, info.id) in await claimed(NOW)  # the render worker builds it
    assert await DocumentJobs(clock).render(tenant.id, info.id) is True

    async with tenant_tx(tenant.id):
        events = await case_chain(tenant.id, case_id)
        links = await chain_links(tenant.id, after_id=events[0].id - 1, upto_id=events[-1].id, limit=3)
        assert [link.event_id for link in links] == sorted(link.event_id for link in links)
        assert links[0].event_id == events[0].id and len(links) == 3  # paged
        everything = await chain_links(tenant.id, after_id=events[0].id - 1, upto_id=events[-1].id)
    assert other_id in {link.case_id for link in everything}  # the other case's intake lies between
    _, data = await archive.download(tenant.id, info.id, actors["supervisor"])
    check = verify_bundle(data)
    assert check.problems == () and check.events == len(events) and check.links == len(everything)


async def test_trends_read_the_case_rows_alike(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    ids = []
    for i in range(3):
        clock.at = NOW + timedelta(hours=i)
        ids.append(
            (
                await service.intake(tenant.id, complaint(f"路灯不亮 {i}", "城建办"), actors["operator"])
            ).case.id
        )
    clock.at = NOW - timedelta(days=400)  # far outside every window
    await service.intake(tenant.id, complaint("路灯不亮", "城建办", received_at=clock.at), actors["operator"])
    clock.at = NOW + timedelta(days=1)
    signals = await TrendService(clock).signals(tenant.id, actors["supervisor"])
    repeat = next(s for s in signals if s.kind == "repeat_respondent")
    assert sorted(repeat.case_ids) == ids and len(repeat.serials) == 3
