"""The auth lookup: a tenant's standing and one of its users in one statement, on both engines."""

from __future__ import annotations

import pytest

from core.domain.roles import Role
from core.services.auth import AuthenticationFailed, principal_for
from core.store.directory import TenantDirectory, tenant_and_user
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx


async def test_the_tenant_and_its_user_come_back_together(make_tenant):
    tenant = await make_tenant()
    other = await make_tenant()
    async with tenant_tx(tenant.id):
        found = await tenant_and_user(tenant.id, "handler")
        missing = await tenant_and_user(tenant.id, "nobody")
    assert (found.slug, found.status) == (tenant.slug, "active")
    assert found.user.username == "handler" and found.user.roles == frozenset({Role.HANDLER})
    assert found.user.unit_code == "jcs" and found.user.active
    assert (missing.slug, missing.user) == (tenant.slug, None)
    async with tenant_tx(other.id):  # another tenant's user is not found through this one
        assert (await tenant_and_user(other.id, "handler")).user.tenant_id == other.id


async def test_suspension_and_deactivation_end_a_principal_at_once(make_tenant):
    tenant = await make_tenant()
    principal = await principal_for(tenant.id, "handler")
    assert principal.tenant_slug == tenant.slug and principal.roles == frozenset({Role.HANDLER})
    async with tenant_tx(tenant.id):
        await TenantDirectory(tenant.id).update_user("handler", {"active": False})
    for username in ("handler", "nobody"):
        with pytest.raises(AuthenticationFailed, match="停用"):
            await principal_for(tenant.id, username)
    async with platform_tx():
        await TenantRepository().set_status(tenant.id, "suspended", "测试")
    for tenant_id in (tenant.id, 10**9, 0):
        with pytest.raises(AuthenticationFailed, match="暂停"):
            await principal_for(tenant_id, "operator")
