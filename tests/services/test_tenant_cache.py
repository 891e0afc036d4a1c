"""`load_tenant` keeps each tenant's plugin context per process; nothing it depends on goes stale.

Every change below is made the way an operator or a careless script would make it, and the
next load must see it: the cache is checked against the tenant row's stamp, which triggers
move on any change to the row, its units or the holidays (PostgreSQL; SQLite keeps no cache).
"""

from __future__ import annotations

from datetime import date

import pytest

from core.domain.calendar import YearSchedule
from core.domain.tenancy import Unit
from core.services.tenants import TenantInactive, load_tenant, suspend
from core.store.directory import TenantDirectory
from core.store.platform import HolidayRepository
from core.store.tables import HolidaySchedule, Tenant
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx
from tests.helpers import on_postgres

FAR_YEAR = 2098  # no statutory data and no other test's


async def load(tenant_id, registry):
    async with tenant_tx(tenant_id):
        return await load_tenant(tenant_id, registry)


async def test_an_unchanged_tenant_is_loaded_once(make_tenant, registry):
    tenant = await make_tenant()
    first = await load(tenant.id, registry)
    again = await load(tenant.id, registry)
    assert again.ctx == first.ctx
    if on_postgres():
        assert again is first


async def test_unit_changes_are_seen_at_once(make_tenant, registry):
    tenant = await make_tenant()
    assert [u.code for u in (await load(tenant.id, registry)).ctx.units] == ["dzb", "jcs"]
    async with tenant_tx(tenant.id):
        await TenantDirectory(tenant.id).add_unit(Unit(code="xfb", name="信访办"))
    assert [u.code for u in (await load(tenant.id, registry)).ctx.units] == ["dzb", "jcs", "xfb"]
    async with tenant_tx(tenant.id):
        await TenantDirectory(tenant.id).update_unit("xfb", name="信访接待室", parent="dzb")
    loaded = await load(tenant.id, registry)
    assert loaded.ctx.unit("xfb") == Unit(code="xfb", name="信访接待室", parent="dzb")
    assert loaded.hooks.ctx.unit("xfb").name == "信访接待室"  # the plugin hears of it too


async def test_settings_calendar_and_suspension_are_seen_at_once(make_tenant, registry):
    tenant = await make_tenant()
    assert (await load(tenant.id, registry)).settings()["intake_max_backdate_days"] != 7
    async with platform_tx():
        await TenantRepository().update_settings(tenant.id, {"tenant": {"intake_max_backdate_days": 7}})
    loaded = await load(tenant.id, registry)
    assert loaded.settings()["intake_max_backdate_days"] == 7
    assert loaded.ctx.settings["intake_max_backdate_days"] == 7
    closure = date(2026, 10, 9)
    assert loaded.calendar.is_workday(closure)
    async with platform_tx():  # a script that knows nothing of revisions
        await Tenant.update({Tenant.calendar: {"extra_closures": [closure.isoformat()]}}).where(
            Tenant.id == tenant.id
        )
    assert not (await load(tenant.id, registry)).calendar.is_workday(closure)
    await suspend(tenant.slug, "欠费")
    with pytest.raises(TenantInactive):
        await load(tenant.id, registry)


async def test_an_imported_holiday_schedule_reaches_every_loaded_tenant(make_tenant, registry):
    tenant = await make_tenant()
    assert not (await load(tenant.id, registry)).calendar.has_data(FAR_YEAR)
    schedule = YearSchedule(FAR_YEAR, frozenset({date(FAR_YEAR, 1, 1)}), frozenset(), "测试")
    try:
        async with platform_tx():
            await HolidayRepository().put(schedule)
        calendar = (await load(tenant.id, registry)).calendar
        assert calendar.has_data(FAR_YEAR) and not calendar.is_workday(date(FAR_YEAR, 1, 1))
        async with platform_tx():
            await HolidayRepository().put(YearSchedule(FAR_YEAR, frozenset(), frozenset(), "测试"))
        assert (await load(tenant.id, registry)).calendar.is_workday(date(FAR_YEAR, 1, 1))
    finally:
        async with platform_tx():
            await HolidaySchedule.delete().where(HolidaySchedule.year == FAR_YEAR)
    assert not (await load(tenant.id, registry)).calendar.has_data(FAR_YEAR)


async def test_a_rolled_back_change_never_comes_back(make_tenant, registry):
    # The rolled-back transaction loaded its own uncommitted unit; a later committed change
    # brings the tenant to the same revision number, but not to the same stamp.
    tenant = await make_tenant()
    await load(tenant.id, registry)
    with pytest.raises(RuntimeError, match="undo"):
        async with tenant_tx(tenant.id):
            await TenantDirectory(tenant.id).add_unit(Unit(code="tmp", name="临时单位"))
            assert (await load_tenant(tenant.id, registry)).ctx.unit("tmp") is not None
            raise RuntimeError("undo")
    async with tenant_tx(tenant.id):
        await TenantDirectory(tenant.id).add_unit(Unit(code="kept", name="保留单位"))
    loaded = await load(tenant.id, registry)
    assert loaded.ctx.unit("tmp") is None and loaded.ctx.unit("kept") is not None
