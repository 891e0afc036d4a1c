"""Row-level security proves tenant isolation even when a query forgets its filter."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import asyncpg
import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.engine import DB
from core.store.tables import CaseRow
from core.store.tx import platform_tx, tenant_tx

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def draft(title: str) -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title=title,
        content="政务公开栏三个月未更新",
        identity={"name": "张三", "phone": "13812345678"},
        fields={"situation": "not_compiled", "respondent": "某村委会"},
    )


async def test_a_raw_select_without_where_returns_only_the_current_tenants_rows(
    make_tenant, registry, actors
):
    a, b = await make_tenant(), await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    for tenant, title in ((a, "A 的案件"), (a, "A 的第二件"), (b, "B 的案件")):
        await service.intake(tenant.id, draft(title), actors["operator"])

    async with tenant_tx(a.id):
        rows = await CaseRow.raw('SELECT * FROM "case"')
    assert {row["tenant_id"] for row in rows} == {a.id}
    assert sorted(row["title"] for row in rows) == ["A 的案件", "A 的第二件"]

    async with tenant_tx(b.id):
        rows = await CaseRow.raw('SELECT * FROM "case"')
    assert [row["title"] for row in rows] == ["B 的案件"]


async def test_without_a_tenant_nothing_is_visible():
    async with platform_tx():
        rows = await CaseRow.raw('SELECT count(*) AS n FROM "case"')
    assert rows[0]["n"] == 0


async def test_writing_another_tenants_row_is_refused(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with tenant_tx(a.id):
            await DB.run_ddl(f"INSERT INTO unit (tenant_id, code, name) VALUES ({b.id}, 'x', 'x')")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with tenant_tx(a.id):
            # A forgotten tenant_id would default to 0: RLS refuses it too.
            await DB.run_ddl("INSERT INTO unit (code, name) VALUES ('y', 'y')")


async def test_the_app_role_cannot_bypass_rls_truncate_or_rewrite_history():
    rows = await DB.run_ddl("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert [dict(row) for row in rows] == [{"rolsuper": False, "rolbypassrls": False}]
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await DB.run_ddl('TRUNCATE "case"')
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await DB.run_ddl("UPDATE case_event SET actor = 'someone else'")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await DB.run_ddl("DELETE FROM case_event")


async def test_every_tenant_table_has_forced_rls():
    from core.store.tables import TENANT_TABLES

    owner = await asyncpg.connect(os.environ["HUIYING_OWNER_DATABASE_URL"])
    try:
        rows = await owner.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY($1::text[])",
            [table._meta.tablename for table in TENANT_TABLES],
        )
    finally:
        await owner.close()
    assert len(rows) == len(TENANT_TABLES)
    assert all(row["relrowsecurity"] and row["relforcerowsecurity"] for row in rows)
