"""Case search on both engines: filters, Chinese text, overdue timers, sorting and cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase
from core.domain.errors import InvalidCommand
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.case_search import CaseQuery, search_cases
from core.store.tx import tenant_tx

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def draft(title: str, content: str, *, channel=Channel.PHONE, hours_ago: int = 0) -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=channel,
        title=title,
        content=content,
        anonymous=True,
        received_at=NOW - timedelta(hours=hours_ago),
        fields={"situation": "untrue", "respondent": "镇政府"},
    )


async def search(tenant_id: int, **filters) -> list[str]:
    async with tenant_tx(tenant_id):
        page = await search_cases(tenant_id, CaseQuery(**filters))
    return [case.title for case in page.cases]


@pytest.fixture
async def seeded(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    ids = {}
    for n, (title, content, channel) in enumerate(
        [
            ("低保名单未公示", "村里低保名单一直没有公示", Channel.PHONE),
            ("财务公开不真实", "公开的账目与实际不符 100%", Channel.LETTER),
            ("Fees charged", "charged for public info_sheet", Channel.WEB),
        ]
    ):
        view = await service.intake(
            tenant.id, draft(title, content, channel=channel, hours_ago=3 - n), actors["operator"]
        )
        ids[title] = view.case.id
    first = ids["低保名单未公示"]
    await service.perform(tenant.id, first, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, first, AcceptCase(), actors["operator"])
    await service.perform(
        tenant.id, first, DispatchCase(unit_code="jcs", cause="c", opinion="o"), actors["leader"]
    )
    other = await make_tenant()
    await service.intake(other.id, draft("低保名单 另一租户", "不应出现"), actors["operator"])
    return tenant


async def test_filters_and_chinese_text(seeded):
    assert await search(seeded.id) == ["Fees charged", "财务公开不真实", "低保名单未公示"]
    assert await search(seeded.id, text="低保") == ["低保名单未公示"]
    assert await search(seeded.id, text="100%") == ["财务公开不真实"]  # % is literal, not a wildcard
    assert await search(seeded.id, text="info_sheet") == ["Fees charged"]
    assert await search(seeded.id, text="FEES") == ["Fees charged"]  # letters: case-insensitive
    assert await search(seeded.id, text="公示") == ["低保名单未公示"]  # no cased letter: plain LIKE
    assert await search(seeded.id, channel=Channel.LETTER) == ["财务公开不真实"]
    assert await search(seeded.id, states=(CaseState.DISPATCHED,), unit_code="jcs") == ["低保名单未公示"]
    assert await search(seeded.id, received_from=NOW - timedelta(hours=2, minutes=30)) == [
        "Fees charged",
        "财务公开不真实",
    ]
    assert await search(seeded.id, received_before=NOW - timedelta(hours=2, minutes=30)) == ["低保名单未公示"]


async def test_overdue_and_due_before_look_at_live_timers(seeded):
    # The dispatched case has a running return window (1 working day) and handling (5 working days).
    assert await search(seeded.id, overdue_at=NOW) == []
    assert await search(seeded.id, overdue_at=NOW + timedelta(days=3)) == ["低保名单未公示"]
    assert await search(seeded.id, due_before=NOW + timedelta(days=30)) == ["低保名单未公示"]


async def test_cursor_pages_through_in_order_without_repeats(seeded):
    seen: list[str] = []
    cursor = None
    while True:
        async with tenant_tx(seeded.id):
            page = await search_cases(seeded.id, CaseQuery(sort="received_at", limit=2, cursor=cursor))
        seen += [case.title for case in page.cases]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["低保名单未公示", "财务公开不真实", "Fees charged"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"sort": "title"}, "sort"), ({"limit": 0}, "limit"), ({"cursor": "not-a-cursor"}, "cursor")],
)
async def test_bad_queries_are_explained(seeded, filters, field):
    with pytest.raises(InvalidCommand) as error:
        await search(seeded.id, **filters)
    assert error.value.field == field


async def test_a_timer_paused_after_it_was_due_still_counts_as_overdue(make_tenant, actors):
    import importlib

    from core.domain.commands import RequestSupplement
    from core.plugins import PluginRegistry

    registry = PluginRegistry.discover(
        extra={"onsite": importlib.import_module("tests.fixture_plugins.onsite")}
    )
    tenant = await make_tenant("onsite", registry_=registry)
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    late = (await service.intake(tenant.id, draft("晚了才暂停", "十分钟规则"), actors["operator"])).case.id
    early = (await service.intake(tenant.id, draft("及时暂停", "十分钟规则"), actors["operator"])).case.id
    for case_id in (late, early):
        await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, early, RequestSupplement(items=("现场照片",)), actors["operator"])
    clock.advance(timedelta(minutes=20))  # the 10-minute dispatch rule has passed for `late`
    await service.perform(tenant.id, late, RequestSupplement(items=("现场照片",)), actors["operator"])
    assert await search(tenant.id, overdue_at=clock.now()) == ["晚了才暂停"]
