"""Keys and RLS for the outbox, duty roster and document numbers; the cross-tenant claim functions.

The scheduler must find due timers and notifications of every tenant, while the app's role
sees one tenant at a time. Two SECURITY DEFINER functions, owned by a NOLOGIN role with
BYPASSRLS, hand out only (tenant, id) pairs and stamp ``enqueued_at``; the work itself then
runs in that tenant's own transaction under RLS. SQLite (embedded) has no RLS and claims in
plain SQL (`core.store.jobs`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T13:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox, duty roster, document numbers and claim functions"

UNIQUE_KEYS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS document_serial_key ON document_serial (tenant_id, kind, year)",
    "CREATE UNIQUE INDEX IF NOT EXISTS notification_dedupe ON notification (tenant_id, dedupe_key)",
)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS notification_pending ON notification (state, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS notification_inbox ON notification (tenant_id, recipient, channel, id)",
    "CREATE INDEX IF NOT EXISTS duty_shift_span ON duty_shift (tenant_id, starts_at, ends_at)",
    "CREATE INDEX IF NOT EXISTS sla_timer_warn ON sla_timer (state, warn_at)",
)

JOBS_ROLE = "huiying_jobs"

FUNCTIONS = (
    """
    CREATE OR REPLACE FUNCTION huiying_claim_due_timers(at_time timestamptz, max_rows int, requeue_after interval)
    RETURNS TABLE (tenant_id int, timer_id int)
    LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
      UPDATE sla_timer t SET enqueued_at = at_time
      WHERE t.id IN (
        SELECT s.id FROM sla_timer s
        WHERE s.state IN ('running', 'breached')
          AND ((s.warned_at IS NULL AND s.warn_at <= at_time) OR (s.breached_at IS NULL AND s.due_at <= at_time))
          AND (s.enqueued_at IS NULL OR s.enqueued_at < at_time - requeue_after)
        ORDER BY s.due_at
        LIMIT max_rows
        FOR UPDATE SKIP LOCKED)
      RETURNING t.tenant_id, t.id
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION huiying_claim_due_notifications(
        at_time timestamptz, max_rows int, requeue_after interval)
    RETURNS TABLE (tenant_id int, notification_id int)
    LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
      UPDATE notification n SET enqueued_at = at_time
      WHERE n.id IN (
        SELECT m.id FROM notification m
        WHERE m.state = 'pending'
          AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= at_time)
          AND (m.enqueued_at IS NULL OR m.enqueued_at < at_time - requeue_after)
        ORDER BY m.id
        LIMIT max_rows
        FOR UPDATE SKIP LOCKED)
      RETURNING n.tenant_id, n.id
    $$
    """,
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def secure():
        from core.store.engine import DB
        from core.store.rls import create_indexes, enable_rls

        await create_indexes(DB, UNIQUE_KEYS)
        await enable_rls(DB, ("document_serial", "notification", "duty_shift", "handover"))
        if DB.engine_type != "postgres":
            return
        await create_indexes(DB, INDEXES)
        await DB.run_ddl(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{JOBS_ROLE}') "
            f"THEN CREATE ROLE {JOBS_ROLE} NOLOGIN BYPASSRLS; END IF; END $$"
        )
        await DB.run_ddl(f"GRANT USAGE ON SCHEMA public TO {JOBS_ROLE}")
        await DB.run_ddl(f"GRANT SELECT, UPDATE ON sla_timer, notification TO {JOBS_ROLE}")
        for function in FUNCTIONS:
            await DB.run_ddl(function)
        for name in ("huiying_claim_due_timers", "huiying_claim_due_notifications"):
            signature = f"{name}(timestamptz, int, interval)"
            await DB.run_ddl(f"ALTER FUNCTION {signature} OWNER TO {JOBS_ROLE}")
            await DB.run_ddl(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")

    manager.add_raw(secure)
    return manager
