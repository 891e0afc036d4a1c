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

    async def secure():
        from core.store.engine import DB
        from core.store.rls import create_indexes, enable_rls

        await create_indexes(DB, UNIQUE_KEYS)
        await enable_rls(DB, TENANT_TABLES)
        if DB.engine_type == "postgres":
            await create_indexes(DB, INDEXES)

    manager.add_raw(secure)
    return manager
