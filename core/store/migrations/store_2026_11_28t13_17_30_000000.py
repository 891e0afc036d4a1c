"""Row-level security for case attachments."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T13:17:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security for attachments"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def secure():
        from core.store.engine import DB
        from core.store.rls import enable_rls

        await enable_rls(DB, ("attachment",))

    manager.add_raw(secure)
    return manager
