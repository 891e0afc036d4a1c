"""A tenant's revision moves with everything `load_tenant` reads: its row, its units, the holidays.

Workers keep each tenant's loaded plugin context between requests and check it against the
tenant row (its ``xmin`` on PostgreSQL, which no rolled-back change can bring back), so every
change that alters a loaded tenant must touch that row. Triggers do it whoever writes: the
tenant row's own updates, unit changes (the unit's tenant) and holiday imports (every tenant).
On SQLite they keep the revision honest too; the embedded default keeps no such cache.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T18:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tenant revision follows its row, units and holidays"

POSTGRES = (
    """
    CREATE OR REPLACE FUNCTION huiying_tenant_revision() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.revision = OLD.revision THEN
        NEW.revision := OLD.revision + 1;
      END IF;
      RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tenant_revision ON tenant",
    "CREATE TRIGGER tenant_revision BEFORE UPDATE ON tenant "
    "FOR EACH ROW EXECUTE FUNCTION huiying_tenant_revision()",
    """
    CREATE OR REPLACE FUNCTION huiying_unit_revision() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        UPDATE tenant SET revision = revision + 1 WHERE id = OLD.tenant_id;
      END IF;
      IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.tenant_id <> OLD.tenant_id) THEN
        UPDATE tenant SET revision = revision + 1 WHERE id = NEW.tenant_id;
      END IF;
      RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS unit_revision ON unit",
    "CREATE TRIGGER unit_revision AFTER INSERT OR UPDATE OR DELETE ON unit "
    "FOR EACH ROW EXECUTE FUNCTION huiying_unit_revision()",
    """
    CREATE OR REPLACE FUNCTION huiying_holiday_revision() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE tenant SET revision = revision + 1;
      RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS holiday_revision ON holiday_schedule",
    "CREATE TRIGGER holiday_revision AFTER INSERT OR UPDATE OR DELETE ON holiday_schedule "
    "FOR EACH STATEMENT EXECUTE FUNCTION huiying_holiday_revision()",
)

_BUMP_TENANT = "UPDATE tenant SET revision = revision + 1 WHERE id"
SQLITE = (
    # Recursive triggers are off in SQLite, and the WHEN clause stops a loop anyway.
    "CREATE TRIGGER IF NOT EXISTS tenant_revision AFTER UPDATE ON tenant WHEN NEW.revision = OLD.revision "
    f"BEGIN {_BUMP_TENANT} = NEW.id; END",
    "CREATE TRIGGER IF NOT EXISTS unit_insert_revision AFTER INSERT ON unit "
    f"BEGIN {_BUMP_TENANT} = NEW.tenant_id; END",
    "CREATE TRIGGER IF NOT EXISTS unit_update_revision AFTER UPDATE ON unit "
    f"BEGIN {_BUMP_TENANT} IN (OLD.tenant_id, NEW.tenant_id); END",
    "CREATE TRIGGER IF NOT EXISTS unit_delete_revision AFTER DELETE ON unit "
    f"BEGIN {_BUMP_TENANT} = OLD.tenant_id; END",
    *(
        f"CREATE TRIGGER IF NOT EXISTS holiday_{event.lower()}_revision AFTER {event} ON holiday_schedule "
        "BEGIN UPDATE tenant SET revision = revision + 1; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def triggers():
        from core.store.engine import DB

        for statement in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(statement)

    manager.add_raw(triggers)
    return manager
