"""Indexes for the case lists measured in bench/ (1M cases in one tenant among 5M in all).

The default list (newest first) and a handler's own cases ("my cases") read every case of the
tenant and sorted them; these let PostgreSQL walk a tenant's newest cases in order and stop
after one page. Before and after: bench/results.md.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T16:04:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "case list indexes: newest first, a handler's cases"

INDEXES = (
    # case_search's default sort -received_at: ORDER BY received_at DESC, id DESC.
    'CREATE INDEX IF NOT EXISTS case_tenant_received ON "case" (tenant_id, received_at DESC, id DESC)',
    # "My cases": handler = ?, newest first; the state filter then drops few of the recent ones.
    'CREATE INDEX IF NOT EXISTS case_tenant_handler ON "case" (tenant_id, handler, received_at DESC)',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def index():
        from core.store.engine import DB
        from core.store.rls import create_indexes

        await create_indexes(DB, INDEXES)

    manager.add_raw(index)
    return manager
