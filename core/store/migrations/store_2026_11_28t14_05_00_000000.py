"""The event log is append-only on SQLite too (PostgreSQL has grants and a trigger already)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T14:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only case events on SQLite"

SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS case_event_no_update BEFORE UPDATE ON case_event "
    "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS case_event_no_delete BEFORE DELETE ON case_event "
    "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def protect():
        from core.store.engine import DB

        if DB.engine_type == "sqlite":
            for statement in SQLITE_TRIGGERS:
                await DB.run_ddl(statement)

    manager.add_raw(protect)
    return manager
