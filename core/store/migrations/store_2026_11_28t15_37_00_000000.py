"""The accountability ledger is an append-only journal on both engines; indexes for it and queues.

Corrections and appeal outcomes are new entries (core/domain/ledger.py); nothing rewrites a
line, so UPDATE and DELETE are refused by trigger (and revoked from the app role by grants).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T15:37:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only ledger journal, ledger and work-queue indexes"

INDEXES = (
    "CREATE INDEX IF NOT EXISTS ledger_entry_subject ON ledger_entry (tenant_id, subject, at)",
    "CREATE INDEX IF NOT EXISTS ledger_entry_unit ON ledger_entry (tenant_id, unit_code, at)",
    "CREATE INDEX IF NOT EXISTS ledger_entry_refers ON ledger_entry (tenant_id, refers_to)",
    # The work-queue order (case_search "queue"): priority first, then oldest first.
    'CREATE INDEX IF NOT EXISTS case_queue ON "case" (tenant_id, priority DESC, received_at, id)',
)

POSTGRES_TRIGGERS = (
    """
    CREATE OR REPLACE FUNCTION huiying_ledger_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS ledger_entry_no_rewrite ON ledger_entry",
    """
    CREATE TRIGGER ledger_entry_no_rewrite BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION huiying_ledger_append_only()
    """,
)

SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only'); END",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def protect():
        from core.store.engine import DB
        from core.store.rls import create_indexes

        await create_indexes(DB, INDEXES)
        triggers = POSTGRES_TRIGGERS if DB.engine_type == "postgres" else SQLITE_TRIGGERS
        for statement in triggers:
            await DB.run_ddl(statement)

    manager.add_raw(protect)
    return manager
