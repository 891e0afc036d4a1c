"""The timer claim plans with this call's values, so it reads the due timers only.

``huiying_claim_due_timers`` was a SQL function: PostgreSQL plans its statement once per call
with the arguments as unknown parameters, guesses that a third of the table is due, and reads
every timer (bench: 131 ms to claim 1,000 due among 1M open timers, 22 ms among 10k). As
plpgsql with ``EXECUTE ... USING`` the statement is planned with the actual instant and limit,
and walks the (state, warn_at) and due_at indexes. Same signature, result, owner and grants
(CREATE OR REPLACE keeps them). PostgreSQL only; SQLite claims in plain SQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T16:33:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "timer claim planned per call"

CLAIM_DUE_TIMERS = """
CREATE OR REPLACE FUNCTION huiying_claim_due_timers(at_time timestamptz, max_rows int, requeue_after interval)
RETURNS TABLE (tenant_id int, timer_id int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
BEGIN
  RETURN QUERY EXECUTE $q$
    UPDATE sla_timer t SET enqueued_at = $1
    WHERE t.id IN (
      SELECT s.id FROM sla_timer s
      WHERE s.state IN ('running', 'breached')
        AND ((s.warned_at IS NULL AND s.warn_at <= $1) OR (s.breached_at IS NULL AND s.due_at <= $1))
        AND (s.enqueued_at IS NULL OR s.enqueued_at < $1 - $3)
      ORDER BY s.due_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED)
    RETURNING t.tenant_id, t.id
  $q$ USING at_time, max_rows, requeue_after;
END
$fn$
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def replan():
        from core.store.engine import DB

        if DB.engine_type != "postgres":
            return
        await DB.run_ddl(CLAIM_DUE_TIMERS)

    manager.add_raw(replan)
    return manager
