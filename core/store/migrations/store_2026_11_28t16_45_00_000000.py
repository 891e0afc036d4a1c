"""An index for the month's events (statistics, the supervision dashboard) measured in bench/pages.md.

`month_facts` reads a tenant's counted events by `at` for the month and the month before; the
only index on `case_event` that leads with the tenant went by case, so every event of the
tenant was read twice per dashboard (about 120 ms each at 370k events).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T16:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case_event index by tenant and instant"

INDEXES = ("CREATE INDEX IF NOT EXISTS case_event_tenant_at ON case_event (tenant_id, at)",)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def index():
        from core.store.engine import DB
        from core.store.rls import create_indexes

        await create_indexes(DB, INDEXES)

    manager.add_raw(index)
    return manager
