"""The work queue over open cases only (bench/results.md: the intake queue at 1M cases).

The `queue` order (priority first, then oldest first) walked the tenant's whole queue index
and skipped the closed and archived cases, which are most of a tenant's history: 68,143 rows
read for a page of 51 (323 ms). A partial index holds the cases still being worked, so a queue
page reads about one page of rows (1.4 ms, same data).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "work queue index over open cases"

INDEXES = (
    'CREATE INDEX IF NOT EXISTS case_queue_open ON "case" (tenant_id, priority DESC, received_at, id) '
    "WHERE state NOT IN ('closed', 'archived', 'refused', 'referred_out')",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def index():
        from core.store.engine import DB
        from core.store.rls import create_indexes

        await create_indexes(DB, INDEXES)

    manager.add_raw(index)
    return manager
