"""Row-level security DDL, shared by the migrations that create tenant tables.

Piccolo runs a migration's raw steps before its add_table steps (STACK.md trap 10), so each
table migration is followed by a raw one calling these.
"""

from __future__ import annotations

from collections.abc import Iterable

from piccolo.engine.base import Engine

__all__ = ["create_indexes", "enable_rls"]

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::int"


async def enable_rls(db: Engine, tables: Iterable[str]) -> None:
    """ENABLE and FORCE RLS with a ``tenant_isolation`` policy on each table (PostgreSQL only)."""
    if db.engine_type != "postgres":
        return  # SQLite has no RLS: the embedded default relies on the repositories' filters
    for table in tables:
        await db.run_ddl(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        await db.run_ddl(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        await db.run_ddl(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
        await db.run_ddl(
            f'CREATE POLICY tenant_isolation ON "{table}" '
            f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )


async def create_indexes(db: Engine, statements: Iterable[str]) -> None:
    """Run ``CREATE [UNIQUE] INDEX IF NOT EXISTS`` statements (both engines)."""
    for statement in statements:
        await db.run_ddl(statement)
