"""RLS for the vault tables, unique keys, and the append-only trigger on case events.

The app's role already lacks UPDATE and DELETE on ``case_event`` (grants); the trigger makes
the log append-only for every role but a superuser who deliberately disables it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T13:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "vault RLS, key uniqueness, append-only case events"

UNIQUE_KEYS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS tenant_key_version ON tenant_key (tenant_id, version)",
    "CREATE UNIQUE INDEX IF NOT EXISTS event_chain_tenant ON event_chain (tenant_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS complainant_identity_case ON complainant_identity (tenant_id, case_id)",
)

APPEND_ONLY = (
    """
    CREATE OR REPLACE FUNCTION huiying_case_event_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'case_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS case_event_no_rewrite ON case_event",
    """
    CREATE TRIGGER case_event_no_rewrite BEFORE UPDATE OR DELETE ON case_event
    FOR EACH ROW EXECUTE FUNCTION huiying_case_event_append_only()
    """,
    "DROP TRIGGER IF EXISTS case_event_no_truncate ON case_event",
    """
    CREATE TRIGGER case_event_no_truncate BEFORE TRUNCATE ON case_event
    FOR EACH STATEMENT EXECUTE FUNCTION huiying_case_event_append_only()
    """,
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def secure():
        from core.store.engine import DB
        from core.store.rls import create_indexes, enable_rls

        await create_indexes(DB, UNIQUE_KEYS)
        await enable_rls(DB, ("tenant_key", "identity_reveal", "event_chain"))
        if DB.engine_type == "postgres":
            for statement in APPEND_ONLY:
                await DB.run_ddl(statement)

    manager.add_raw(secure)
    return manager
