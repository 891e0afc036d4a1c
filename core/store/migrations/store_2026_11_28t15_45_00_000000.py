"""Rendering documents in the workers: the claim function and the index it reads.

A requested document is stored ``render_state = 'pending'``; the scheduler claims pending rows of
every tenant and a worker renders them (`core.services.documents.DocumentJobs`). Like the timer
and notification claims, the PostgreSQL claim is a SECURITY DEFINER function owned by the
NOLOGIN BYPASSRLS role ``huiying_jobs`` that hands out only (tenant, id) pairs; SQLite claims in
plain SQL (`core.store.jobs`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "document rendering claims"

JOBS_ROLE = "huiying_jobs"
SIGNATURE = "huiying_claim_due_renders(timestamptz, int, interval)"

INDEX = "CREATE INDEX IF NOT EXISTS document_render_pending ON document (render_state, id)"

FUNCTION = """
CREATE OR REPLACE FUNCTION huiying_claim_due_renders(at_time timestamptz, max_rows int, requeue_after interval)
RETURNS TABLE (tenant_id int, document_id int)
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
  UPDATE document d SET enqueued_at = at_time
  WHERE d.id IN (
    SELECT e.id FROM document e
    WHERE e.render_state = 'pending'
      AND (e.enqueued_at IS NULL OR e.enqueued_at < at_time - requeue_after)
    ORDER BY e.id
    LIMIT max_rows
    FOR UPDATE SKIP LOCKED)
  RETURNING d.tenant_id, d.id
$$
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def claims():
        from core.store.engine import DB
        from core.store.rls import create_indexes

        await create_indexes(DB, (INDEX,))
        if DB.engine_type != "postgres":
            return
        await DB.run_ddl(f"GRANT SELECT, UPDATE ON document TO {JOBS_ROLE}")
        await DB.run_ddl(FUNCTION)
        await DB.run_ddl(f"ALTER FUNCTION {SIGNATURE} OWNER TO {JOBS_ROLE}")
        await DB.run_ddl(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")

    manager.add_raw(claims)
    return manager
