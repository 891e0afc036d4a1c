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


# --- text search: the walk over the newest cases and the character-pair index ----------------------

TEXTS = [
    ("夜间施工噪音扰民", "工地晚上十点后还在施工", "jcs"),
    ("工地噪音很大", "每天早上六点开始打桩", None),
    ("楼顶违章搭建彩钢房", "存在安全隐患", "jcs"),
    ("噪声超标", "工厂机器声音很响", None),
    ("甲乙，乙丙", "每个字对都在，三个字却不相连", None),
    ("Fees charged", "charged for public info_sheet", "jcs"),
    ("infoXsheet leaflet", "Noise at NIGHT", None),
    ("收费100%公开", "账目应当公开", None),
    ("收费1000元", "没有收据", "jcs"),
    ("路径问题", "文件在 C:\\temp\\x 下面", None),
]


@pytest.fixture(params=["walk", "index", "walk then index"])
def text_path(request, monkeypatch):
    """Each text test three ways on PostgreSQL.

    The walk over the newest cases finds everything in a small tenant; a walk of one row sends
    every search on to the pair index; a walk of three rows fills some pages and leaves the
    others to the index.
    """
    from core.store import case_search
    from tests.helpers import on_postgres

    if request.param != "walk":
        if not on_postgres():
            pytest.skip("SQLite searches with plain LIKE; there is no pair index")
        monkeypatch.setattr(case_search, "WALK_ROWS", 1 if request.param == "index" else 3)
    return request.param


@pytest.fixture
async def texts(make_tenant, registry, actors):
    """A tenant with TEXTS and another tenant whose cases hold the same words.

    One case an hour, the first oldest; some dispatched to jcs, two of them first in the queue.
    """
    from core.store.tables import CaseRow

    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    for n, (title, content, unit) in enumerate(TEXTS):
        received = draft(title, content, hours_ago=len(TEXTS) - n)
        case_id = (await service.intake(tenant.id, received, actors["operator"])).case.id
        if unit:
            await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
            await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
            await service.perform(
                tenant.id, case_id, DispatchCase(unit_code=unit, cause="c", opinion="o"), actors["leader"]
            )
        if title in ("工地噪音很大", "Fees charged"):
            async with tenant_tx(tenant.id):
                await CaseRow.update({CaseRow.priority: 1}).where(CaseRow.id == case_id)
    other = await make_tenant()
    for title in ("噪音 另一租户", "违章搭建 另一租户", "FEES 另一租户", "甲乙丙 另一租户"):
        await service.intake(other.id, draft(title, "不应出现在别的租户"), actors["operator"])
    return tenant, other


async def test_text_search_finds_chinese_words_of_two_and_more_characters(texts, text_path):
    tenant, _ = texts
    assert await search(tenant.id, text="噪音") == ["工地噪音很大", "夜间施工噪音扰民"]
    assert await search(tenant.id, text="违章搭建") == ["楼顶违章搭建彩钢房"]
    assert await search(tenant.id, text="章搭") == ["楼顶违章搭建彩钢房"]
    assert await search(tenant.id, text="噪声") == ["噪声超标"]
    assert await search(tenant.id, text="声音很响") == ["噪声超标"]  # in the content only
    assert await search(tenant.id, text=" 打桩 ") == ["工地噪音很大"]  # trimmed
    assert await search(tenant.id, text="噪") == ["噪声超标", "工地噪音很大", "夜间施工噪音扰民"]  # no pair
    # Both pairs of 甲乙丙 are in the case, but not side by side: the text is checked, not only pairs.
    assert await search(tenant.id, text="甲乙丙") == []
    assert await search(tenant.id, text="没有这个词") == []


async def test_text_search_ignores_the_case_of_letters_and_takes_like_characters_literally(texts, text_path):
    tenant, _ = texts
    assert await search(tenant.id, text="FEES") == ["Fees charged"]
    assert await search(tenant.id, text="NiGhT") == ["infoXsheet leaflet"]
    assert await search(tenant.id, text="INFO_SHEET") == ["Fees charged"]  # _ is no wildcard
    assert await search(tenant.id, text="100%") == ["收费100%公开"]  # % is no wildcard
    assert await search(tenant.id, text="%") == ["收费100%公开"]
    assert await search(tenant.id, text="_") == ["Fees charged"]
    assert await search(tenant.id, text="C:\\temp\\x") == ["路径问题"]
    assert await search(tenant.id, text="\\t") == ["路径问题"]
    assert await search(tenant.id, text="\\") == ["路径问题"]
    assert await search(tenant.id, text="C:\\\\temp") == []  # two backslashes are two characters


async def test_text_search_never_returns_another_tenants_cases(texts, text_path):
    tenant, other = texts
    for word in ("噪音", "违章搭建", "fees", "甲乙丙", "另一租户"):
        assert all("另一租户" not in title for title in await search(tenant.id, text=word))
    assert await search(other.id, text="噪音") == ["噪音 另一租户"]
    assert await search(other.id, text="甲乙丙") == ["甲乙丙 另一租户"]
    assert await search(other.id, text="Fees") == ["FEES 另一租户"]


async def _pages(tenant_id: int, **filters) -> list[str]:
    titles: list[str] = []
    cursor = None
    while True:
        async with tenant_tx(tenant_id):
            page = await search_cases(tenant_id, CaseQuery(limit=1, cursor=cursor, **filters))
        titles += [case.title for case in page.cases]
        cursor = page.next_cursor
        if cursor is None:
            return titles


@pytest.mark.parametrize("sort", ["-received_at", "received_at", "-id", "id", "queue"])
async def test_text_search_with_filters_pages_through_like_the_whole_list(texts, text_path, sort):
    tenant, _ = texts
    async with tenant_tx(tenant.id):
        everything = (await search_cases(tenant.id, CaseQuery(sort=sort, limit=200))).cases
    dispatched = (CaseState.DISPATCHED,)
    for word, filters in [
        ("噪音", {}),
        ("噪音", {"states": dispatched}),
        ("噪音", {"states": dispatched, "unit_code": "jcs"}),
        ("charged", {}),
        ("收费", {"unit_code": "jcs"}),
        ("收费", {"states": (CaseState.RECEIVED,)}),
        ("公开", {"received_before": NOW - timedelta(hours=2, minutes=30)}),
    ]:
        expected = [
            case.title
            for case in everything
            if word.lower() in (case.title + "\n" + case.content).lower()
            and (not filters.get("states") or case.state in filters["states"])
            and case.unit_code == filters.get("unit_code", case.unit_code)
            and case.received_at < filters.get("received_before", case.received_at + timedelta(1))
        ]
        assert expected, (word, filters)
        assert await _pages(tenant.id, text=word, sort=sort, **filters) == expected, (word, filters)
        assert await search(tenant.id, text=word, sort=sort, **filters) == expected, (word, filters)


async def test_the_search_function_answers_for_the_transactions_tenant_only(texts):
    """The function runs past RLS (SECURITY DEFINER).

    So it must take the tenant from app.tenant_id and nothing else.
    """
    from core.store.engine import DB
    from core.store.tables import CaseRow
    from tests.helpers import on_postgres

    if not on_postgres():
        pytest.skip("PostgreSQL only")
    tenant, other = texts

    async def matches(tenant_id: int, needle: str) -> set[int]:
        async with tenant_tx(tenant_id):
            rows = await CaseRow.raw("SELECT id FROM huiying_case_text_matches({})", needle)
        return {row["id"] for row in rows}

    async def ids_of(tenant_id: int) -> set[int]:
        async with tenant_tx(tenant_id):
            return {row["id"] for row in await CaseRow.select(CaseRow.id)}

    mine, theirs = await ids_of(tenant.id), await ids_of(other.id)
    for needle in ("噪音", "违章搭建", "fees", "甲乙丙", "噪"):
        assert await matches(tenant.id, needle) <= mine
        assert await matches(other.id, needle) <= theirs
        assert await matches(other.id, needle)
    async with DB.transaction():  # no tenant set: nothing
        assert await CaseRow.raw("SELECT id FROM huiying_case_text_matches({})", "噪音") == []
    # The needle is its only argument: there is no tenant to pass, so none to forge.
    signature = await CaseRow.raw(
        "SELECT pg_get_function_identity_arguments(p.oid) AS args, p.prosecdef AS definer, "
        "pg_get_userbyid(p.proowner) AS owner FROM pg_proc p WHERE p.proname = 'huiying_case_text_matches'"
    )
    assert signature == [{"args": "needle text", "definer": True, "owner": "huiying_search"}]
    with pytest.raises(Exception, match="does not exist"):
        async with tenant_tx(tenant.id):
            await CaseRow.raw("SELECT id FROM huiying_case_text_matches({}, {})", "噪音", other.id)
