"""A tenant's revision moves with its row, its units and the holiday schedules, on both engines."""

from __future__ import annotations

from datetime import date

from core.domain.calendar import YearSchedule
from core.domain.tenancy import Unit
from core.store.directory import TenantDirectory
from core.store.platform import HolidayRepository
from core.store.tables import HolidaySchedule, Tenant
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx

YEAR = 2097  # no statutory data and no other test's


async def revision(tenant_id: int) -> int:
    async with platform_tx():
        return (await TenantRepository().get(tenant_id)).revision


async def test_every_change_a_loaded_tenant_depends_on_moves_its_revision(make_tenant):
    tenant = await make_tenant()
    other = await make_tenant()
    seen = await revision(tenant.id)
    directory = TenantDirectory(tenant.id)
    async with tenant_tx(tenant.id):
        await directory.add_unit(Unit(code="xfb", name="信访办"))
    assert await revision(tenant.id) == seen + 1
    async with tenant_tx(tenant.id):
        await directory.update_unit("xfb", name="信访接待室", parent=None)
    assert await revision(tenant.id) == seen + 2
    async with platform_tx():  # a row update that does not bump the revision itself
        await Tenant.update({Tenant.name: "改名的租户"}).where(Tenant.id == tenant.id)
    assert await revision(tenant.id) == seen + 3
    async with platform_tx():  # one that does is not counted twice
        await TenantRepository().set_status(tenant.id, "suspended", "测试")
    assert await revision(tenant.id) == seen + 4
    before = await revision(other.id)
    try:
        async with platform_tx():
            await HolidayRepository().put(
                YearSchedule(YEAR, frozenset({date(YEAR, 1, 1)}), frozenset(), "测试")
            )
        assert await revision(tenant.id) > seen + 4 and await revision(other.id) > before
    finally:
        async with platform_tx():
            await HolidaySchedule.delete().where(HolidaySchedule.year == YEAR)
