"""Composite unique keys (both engines), then on PostgreSQL row-level security on every tenant
table and the composite indexes queries lead with.

Kept apart from the table migration because piccolo runs raw steps before add_table
(STACK.md trap 10), and because piccolo's table constraints need ALTER TABLE ADD CONSTRAINT,
which SQLite lacks: unique indexes work on both.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T13:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys, row-level security and tenant-leading indexes"

TENANT_TABLES = (
    "unit",
    "app_user",
    "case",
    "complainant_identity",
    "case_event",
    "sla_timer",
    "document",
    "ledger_entry",
    "case_serial",
)

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::int"

UNIQUE_KEYS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS unit_tenant_code ON unit (tenant_id, code)',
    "CREATE UNIQUE INDEX IF NOT EXISTS app_user_tenant_username ON app_user (tenant_id, username)",
    'CREATE UNIQUE INDEX IF NOT EXISTS case_tenant_serial ON "case" (tenant_id, serial)',
    "CREATE UNIQUE INDEX IF NOT EXISTS case_event_case_seq ON case_event (case_id, seq)",
    "CREATE UNIQUE INDEX IF NOT EXISTS sla_timer_case_kind ON sla_timer (case_id, kind)",
    "CREATE UNIQUE INDEX IF NOT EXISTS case_serial_tenant_year ON case_serial (tenant_id, year)",
)

INDEXES = (
    'CREATE INDEX IF NOT EXISTS case_tenant_state ON "case" (tenant_id, state, received_at)',
    'CREATE INDEX IF NOT EXISTS case_tenant_unit ON "case" (tenant_id, unit_code, state)',
    "CREATE INDEX IF NOT EXISTS case_event_tenant_case ON case_event (tenant_id, case_id, seq)",
    "CREATE INDEX IF NOT EXISTS sla_timer_state_due ON sla_timer (state, due_at)",
    "CREATE INDEX IF NOT EXISTS sla_timer_tenant_case ON sla_timer (tenant_id, case_id)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def enable_rls():
        from core.store.engine import DB as db

        for statement in UNIQUE_KEYS:
            await db.run_ddl(statement)
        if db.engine_type != "postgres":
            return
        for table in TENANT_TABLES:
            await db.run_ddl(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            await db.run_ddl(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            await db.run_ddl(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
            await db.run_ddl(
                f'CREATE POLICY tenant_isolation ON "{table}" '
                f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
            )
        for statement in INDEXES:
            await db.run_ddl(statement)

    manager.add_raw(enable_rls)
    return manager
