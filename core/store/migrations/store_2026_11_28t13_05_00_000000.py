"""Unique keys and row-level security for the idempotency keys and public receipts."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T13:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys and row-level security for idempotency keys and receipts"

UNIQUE_KEYS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS idempotency_key_tenant_key ON idempotency_key (tenant_id, key)",
    "CREATE UNIQUE INDEX IF NOT EXISTS case_receipt_tenant_receipt ON case_receipt (tenant_id, receipt)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def secure():
        from core.store.engine import DB
        from core.store.rls import create_indexes, enable_rls

        await create_indexes(DB, UNIQUE_KEYS)
        await enable_rls(DB, ("idempotency_key", "case_receipt"))

    manager.add_raw(secure)
    return manager
