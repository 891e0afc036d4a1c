"""What the baseline migration runs after its tables: the SQL piccolo's table steps cannot say.

Frozen with the baseline: this is what every database ran. A change to any of it (a new index,
a function replaced, a policy) is a new migration, never an edit here (docs/architecture.md,
"Adding a migration"). Nothing here imports the application, for the same reason.

- Composite unique keys are unique indexes on both engines: piccolo adds table constraints with
  ``ALTER TABLE ADD CONSTRAINT``, which SQLite lacks.
- PostgreSQL: every tenant table has a forced ``tenant_isolation`` policy; the scheduler and the
  text search reach across tenants only through SECURITY DEFINER functions owned by NOLOGIN
  BYPASSRLS roles; the event log and the ledger are append-only by trigger; a tenant's
  ``revision`` follows its row, its units and the holidays.
- SQLite (embedded) has no RLS and no roles: the repositories filter by tenant and the job
  claims are plain SQL; the triggers are SQLite's own.
"""

from __future__ import annotations

from piccolo.engine.finder import engine_finder

__all__ = ["SQLITE_CASE_EVENT_APPEND_ONLY", "after_tables"]

JOBS_ROLE = "huiying_jobs"
SEARCH_ROLE = "huiying_search"
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::int"

# Every table with a tenant_id column (the platform's tenant, platform_admin and holiday_schedule
# have none).
TENANT_TABLES = (
    "unit",
    "app_user",
    "case",
    "complainant_identity",
    "case_event",
    "sla_timer",
    "document",
    "ledger_entry",
    "case_serial",
    "idempotency_key",
    "case_receipt",
    "attachment",
    "document_serial",
    "notification",
    "duty_shift",
    "handover",
    "tenant_key",
    "identity_reveal",
    "event_chain",
)

UNIQUE_KEYS = (
    "CREATE UNIQUE INDEX unit_tenant_code ON unit (tenant_id, code)",
    "CREATE UNIQUE INDEX app_user_tenant_username ON app_user (tenant_id, username)",
    'CREATE UNIQUE INDEX case_tenant_serial ON "case" (tenant_id, serial)',
    "CREATE UNIQUE INDEX case_event_case_seq ON case_event (case_id, seq)",
    "CREATE UNIQUE INDEX sla_timer_case_kind ON sla_timer (case_id, kind)",
    "CREATE UNIQUE INDEX case_serial_tenant_year ON case_serial (tenant_id, year)",
    "CREATE UNIQUE INDEX idempotency_key_tenant_key ON idempotency_key (tenant_id, key)",
    "CREATE UNIQUE INDEX case_receipt_tenant_receipt ON case_receipt (tenant_id, receipt)",
    "CREATE UNIQUE INDEX document_serial_key ON document_serial (tenant_id, kind, year)",
    "CREATE UNIQUE INDEX notification_dedupe ON notification (tenant_id, dedupe_key)",
    "CREATE UNIQUE INDEX tenant_key_version ON tenant_key (tenant_id, version)",
    "CREATE UNIQUE INDEX event_chain_tenant ON event_chain (tenant_id)",
    "CREATE UNIQUE INDEX complainant_identity_case ON complainant_identity (tenant_id, case_id)",
)

# Indexes the queries lead with, on both engines. Figures: bench/results.md and bench/pages.md.
INDEXES = (
    "CREATE INDEX ledger_entry_subject ON ledger_entry (tenant_id, subject, at)",
    "CREATE INDEX ledger_entry_unit ON ledger_entry (tenant_id, unit_code, at)",
    "CREATE INDEX ledger_entry_refers ON ledger_entry (tenant_id, refers_to)",
    # The work-queue order (case_search "queue"): priority first, then oldest first.
    'CREATE INDEX case_queue ON "case" (tenant_id, priority DESC, received_at, id)',
    # The workers' render claim reads the pending documents.
    "CREATE INDEX document_render_pending ON document (render_state, id)",
    # The default list (newest first) and "my cases" walk a tenant's newest cases and stop after
    # a page instead of sorting all of them.
    'CREATE INDEX case_tenant_received ON "case" (tenant_id, received_at DESC, id DESC)',
    'CREATE INDEX case_tenant_handler ON "case" (tenant_id, handler, received_at DESC)',
    # The month's counted events (statistics, the supervision dashboard).
    "CREATE INDEX case_event_tenant_at ON case_event (tenant_id, at)",
    # The work queue over the cases still being worked: closed ones are most of a tenant's history.
    'CREATE INDEX case_queue_open ON "case" (tenant_id, priority DESC, received_at, id) '
    "WHERE state NOT IN ('closed', 'archived', 'refused', 'referred_out')",
)

POSTGRES_INDEXES = (
    'CREATE INDEX case_tenant_state ON "case" (tenant_id, state, received_at)',
    'CREATE INDEX case_tenant_unit ON "case" (tenant_id, unit_code, state)',
    "CREATE INDEX case_event_tenant_case ON case_event (tenant_id, case_id, seq)",
    "CREATE INDEX sla_timer_state_due ON sla_timer (state, due_at)",
    "CREATE INDEX sla_timer_tenant_case ON sla_timer (tenant_id, case_id)",
    "CREATE INDEX notification_pending ON notification (state, next_attempt_at)",
    "CREATE INDEX notification_inbox ON notification (tenant_id, recipient, channel, id)",
    "CREATE INDEX duty_shift_span ON duty_shift (tenant_id, starts_at, ends_at)",
    "CREATE INDEX sla_timer_warn ON sla_timer (state, warn_at)",
)


def _role(name: str) -> str:
    """Roles belong to the cluster, not the database: another database may have made it."""
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') "
        f"THEN CREATE ROLE {name} NOLOGIN BYPASSRLS; END IF; END $$"
    )


def _owned_by(signature: str, role: str) -> tuple[str, ...]:
    """The function runs as `role` and nobody may call it until a grant says so."""
    return (f"ALTER FUNCTION {signature} OWNER TO {role}", f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")


# The scheduler must find due work of every tenant while the app's role sees one tenant at a
# time. These functions hand out only (tenant, id) pairs and stamp ``enqueued_at``; the work
# then runs in that tenant's own transaction under RLS. The timer claim is plpgsql with
# ``EXECUTE ... USING`` so that it is planned with this call's instant and limit and walks the
# (state, warn_at) and due_at indexes: a SQL function's generic plan read every open timer.
CLAIM_DUE_TIMERS = """
CREATE FUNCTION huiying_claim_due_timers(at_time timestamptz, max_rows int, requeue_after interval)
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

CLAIM_DUE_NOTIFICATIONS = """
    CREATE FUNCTION huiying_claim_due_notifications(
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
    """

CLAIM_DUE_RENDERS = """
CREATE FUNCTION huiying_claim_due_renders(at_time timestamptz, max_rows int, requeue_after interval)
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

CLAIMS = (
    _role(JOBS_ROLE),
    f"GRANT USAGE ON SCHEMA public TO {JOBS_ROLE}",
    f"GRANT SELECT, UPDATE ON sla_timer, notification, document TO {JOBS_ROLE}",
    CLAIM_DUE_TIMERS,
    *_owned_by("huiying_claim_due_timers(timestamptz, int, interval)", JOBS_ROLE),
    CLAIM_DUE_NOTIFICATIONS,
    *_owned_by("huiying_claim_due_notifications(timestamptz, int, interval)", JOBS_ROLE),
    CLAIM_DUE_RENDERS,
    *_owned_by("huiying_claim_due_renders(timestamptz, int, interval)", JOBS_ROLE),
)

# The app's role lacks UPDATE and DELETE on both journals (its grants, ``huiying migrate``);
# the triggers refuse them to every role but a superuser who deliberately disables them.
# Corrections and appeal outcomes are new ledger entries (core/domain/ledger.py).
POSTGRES_APPEND_ONLY = (
    """
    CREATE FUNCTION huiying_case_event_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'case_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER case_event_no_rewrite BEFORE UPDATE OR DELETE ON case_event
    FOR EACH ROW EXECUTE FUNCTION huiying_case_event_append_only()
    """,
    """
    CREATE TRIGGER case_event_no_truncate BEFORE TRUNCATE ON case_event
    FOR EACH STATEMENT EXECUTE FUNCTION huiying_case_event_append_only()
    """,
    """
    CREATE FUNCTION huiying_ledger_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER ledger_entry_no_rewrite BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION huiying_ledger_append_only()
    """,
)

# Workers keep each tenant's loaded plugin context and check it against the tenant row (its
# ``xmin`` on PostgreSQL, which no rolled-back change brings back), so every change to what
# ``load_tenant`` reads must touch that row: its own updates, its units, the holiday imports.
POSTGRES_TENANT_REVISION = (
    """
    CREATE FUNCTION huiying_tenant_revision() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.revision = OLD.revision THEN
        NEW.revision := OLD.revision + 1;
      END IF;
      RETURN NEW;
    END
    $$
    """,
    "CREATE TRIGGER tenant_revision BEFORE UPDATE ON tenant "
    "FOR EACH ROW EXECUTE FUNCTION huiying_tenant_revision()",
    """
    CREATE FUNCTION huiying_unit_revision() RETURNS trigger
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
    "CREATE TRIGGER unit_revision AFTER INSERT OR UPDATE OR DELETE ON unit "
    "FOR EACH ROW EXECUTE FUNCTION huiying_unit_revision()",
    """
    CREATE FUNCTION huiying_holiday_revision() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE tenant SET revision = revision + 1;
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER holiday_revision AFTER INSERT OR UPDATE OR DELETE ON holiday_schedule "
    "FOR EACH STATEMENT EXECUTE FUNCTION huiying_holiday_revision()",
)

# Case text search (docs/architecture.md, "Case search"). Chinese words are often two
# characters, which have no trigram, so a GIN index holds every pair of adjacent characters of
# the lowercased title and content, one bigint per pair: tenant (21 bits), first and second
# character (21 bits each), so a tenant's keys never share posting lists with another's. A
# tenant id past 2^21 wraps and shares keys: slower, never wrong. Pairs never span title and
# content. IMMUTABLE: lower() and ascii() depend only on the database's fixed encoding and ctype.
CASE_PAIRS = r"""
CREATE FUNCTION huiying_case_pairs(tenant int, title text, content text)
RETURNS int8[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  t int8 := (tenant::int8 % 2097152) << 42;
  pairs int8[] := '{}';
  part text;
  ch text;
  code int8;
  previous int8;
BEGIN
  FOREACH part IN ARRAY ARRAY[lower(coalesce(title, '')), lower(coalesce(content, ''))] LOOP
    previous := NULL;
    FOREACH ch IN ARRAY string_to_array(part, NULL) LOOP
      code := ascii(ch);
      IF previous IS NOT NULL THEN
        pairs := pairs || (t | (previous << 21) | code);
      END IF;
      previous := code;
    END LOOP;
  END LOOP;
  RETURN pairs;
END
$fn$
"""

# Under RLS the app role's planner cannot use an index for the text (``~~``/``@>`` are not
# leakproof), so the search runs as ``huiying_search`` (SELECT on six columns of ``case``, no
# more) and returns (id, received_at, priority) of the matching cases of the tenant in
# ``app.tenant_id``: the tenant is never an argument. EXECUTE plans with the needle's own pairs
# so the planner takes the GIN index; jit off, because a bitmap scan of a few thousand rows was
# costed high enough to compile (400 ms). A one-character needle has no pair: the tenant's cases
# are scanned.
CASE_TEXT_MATCHES = r"""
CREATE FUNCTION huiying_case_text_matches(needle text)
RETURNS TABLE (id int, received_at timestamptz, priority int)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public SET jit = off ROWS 100 AS $fn$
DECLARE
  tenant int := NULLIF(current_setting('app.tenant_id', true), '')::int;
  pattern text := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  -- ILIKE folds case row by row (3-4x LIKE on Chinese); a needle with no cased letter needs none.
  op text := CASE WHEN lower(needle) = upper(needle) THEN 'LIKE' ELSE 'ILIKE' END;
BEGIN
  IF tenant IS NULL OR needle IS NULL OR needle = '' THEN
    RETURN;
  END IF;
  IF length(needle) < 2 THEN
    RETURN QUERY EXECUTE format($q$
      SELECT c.id, c.received_at, c.priority FROM "case" c
      WHERE c.tenant_id = $1 AND (c.title %1$s $2 ESCAPE '\' OR c.content %1$s $2 ESCAPE '\')
    $q$, op) USING tenant, pattern;
    RETURN;
  END IF;
  RETURN QUERY EXECUTE format($q$
    SELECT c.id, c.received_at, c.priority FROM "case" c
    WHERE huiying_case_pairs(c.tenant_id, c.title, c.content) @> huiying_case_pairs($1, $2, '')
      AND c.tenant_id = $1 AND (c.title %1$s $3 ESCAPE '\' OR c.content %1$s $3 ESCAPE '\')
  $q$, op) USING tenant, needle, pattern;
END
$fn$
"""

TEXT_SEARCH = (
    CASE_PAIRS,
    'CREATE INDEX case_text_pairs ON "case" USING gin (huiying_case_pairs(tenant_id, title, content))',
    _role(SEARCH_ROLE),
    f"GRANT USAGE ON SCHEMA public TO {SEARCH_ROLE}",
    f'GRANT SELECT (id, tenant_id, title, content, received_at, priority) ON "case" TO {SEARCH_ROLE}',
    CASE_TEXT_MATCHES,
    *_owned_by("huiying_case_text_matches(text)", SEARCH_ROLE),
)

SQLITE_CASE_EVENT_APPEND_ONLY = (
    "CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event "
    "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
    "CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event "
    "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
)

_BUMP_TENANT = "UPDATE tenant SET revision = revision + 1 WHERE id"
SQLITE_TRIGGERS = (
    *SQLITE_CASE_EVENT_APPEND_ONLY,
    "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only'); END",
    "CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only'); END",
    # Recursive triggers are off in SQLite, and the WHEN clause stops a loop anyway.
    "CREATE TRIGGER tenant_revision AFTER UPDATE ON tenant WHEN NEW.revision = OLD.revision "
    f"BEGIN {_BUMP_TENANT} = NEW.id; END",
    f"CREATE TRIGGER unit_insert_revision AFTER INSERT ON unit BEGIN {_BUMP_TENANT} = NEW.tenant_id; END",
    "CREATE TRIGGER unit_update_revision AFTER UPDATE ON unit "
    f"BEGIN {_BUMP_TENANT} IN (OLD.tenant_id, NEW.tenant_id); END",
    f"CREATE TRIGGER unit_delete_revision AFTER DELETE ON unit BEGIN {_BUMP_TENANT} = OLD.tenant_id; END",
    *(
        f"CREATE TRIGGER holiday_{event.lower()}_revision AFTER {event} ON holiday_schedule "
        "BEGIN UPDATE tenant SET revision = revision + 1; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
)


def _row_level_security(table: str) -> tuple[str, ...]:
    """FORCE makes the policy bind the tables' owner too: only a BYPASSRLS role is exempt."""
    return (
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY tenant_isolation ON "{table}" '
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})",
    )


POSTGRES = (
    *UNIQUE_KEYS,
    *(statement for table in TENANT_TABLES for statement in _row_level_security(table)),
    *INDEXES,
    *POSTGRES_INDEXES,
    *CLAIMS,
    *POSTGRES_APPEND_ONLY,
    *POSTGRES_TENANT_REVISION,
    *TEXT_SEARCH,
)

SQLITE = (*UNIQUE_KEYS, *INDEXES, *SQLITE_TRIGGERS)


async def after_tables() -> None:
    """Run this engine's statements (in the baseline's transaction, after its tables)."""
    db = engine_finder()
    for statement in POSTGRES if db.engine_type == "postgres" else SQLITE:
        await db.run_ddl(statement)
