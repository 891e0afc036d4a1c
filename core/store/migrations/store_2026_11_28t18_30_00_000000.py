"""Case text search by an index of character pairs, read through a SECURITY DEFINER function.

``search_cases`` looked for words with ``title LIKE '%w%' OR content LIKE '%w%'``, which no
index serves: a rare word read every case of the tenant (375 ms p95 at 1M cases, bench). Two
things stood in the way of an index:

- Chinese words are often two characters (噪音, 欠薪); pg_trgm finds no trigram in a 2-character
  pattern. So the index holds every pair of adjacent characters (bigram) of the lowercased
  title and content, and a word of n >= 2 characters is looked up by its n-1 pairs (GIN
  intersects them), then checked with LIKE/ILIKE. Each key is one bigint: tenant (21 bits),
  first character, second character (21 bits each, Unicode code points), so a tenant's keys
  never share posting lists with another tenant's and a small tenant's search reads only its
  own cases. A tenant id past 2^21 wraps and shares keys: slower, never wrong (the function
  checks the tenant and the text).
- Under RLS the app role's planner cannot use any index for the text: ``~~``/``@>`` are not
  leakproof, so they run after the policy, row by row. ``huiying_case_text_matches(needle)``
  runs as the NOLOGIN BYPASSRLS role ``huiying_search`` (SELECT on six columns of ``case``, no
  more) and returns (id, received_at, priority) of the matching cases of the tenant in
  ``app.tenant_id`` — the tenant is never an argument, so a caller cannot ask for another one.
  The page itself is then read by the app role under RLS (``core/store/case_search.py``).

The index is built here on an existing table, which blocks writes to ``case`` while it runs
(about four minutes for 5M cases on two shared cores); on a large live database create it first by hand with
``CREATE INDEX CONCURRENTLY case_text_pairs ...`` (same definition) and this migration skips it.
SQLite keeps plain LIKE: nothing to do there.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case text search by character pairs"

SEARCH_ROLE = "huiying_search"

# Pairs never span title and content (the previous character is reset between them). IMMUTABLE:
# lower() and ascii() depend only on the database's fixed encoding and ctype.
CASE_PAIRS = r"""
CREATE OR REPLACE FUNCTION huiying_case_pairs(tenant int, title text, content text)
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

INDEX = (
    'CREATE INDEX IF NOT EXISTS case_text_pairs ON "case" '
    "USING gin (huiying_case_pairs(tenant_id, title, content))"
)

# plpgsql EXECUTE plans with the needle's own pairs (not a generic plan), so the planner sees
# the keys and takes the GIN index. jit off: a bitmap scan of a few thousand rows is costed
# high enough to compile, which took 400 ms. A needle of one character has no pair: the
# tenant's cases are scanned (search_cases never sends one).
TEXT_MATCHES = r"""
CREATE OR REPLACE FUNCTION huiying_case_text_matches(needle text)
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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="store", description=DESCRIPTION)

    async def text_search():
        from core.store.engine import DB

        if DB.engine_type != "postgres":
            return
        await DB.run_ddl(CASE_PAIRS)
        await DB.run_ddl("SET LOCAL maintenance_work_mem = '512MB'")
        await DB.run_ddl(INDEX)
        await DB.run_ddl(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SEARCH_ROLE}') "
            f"THEN CREATE ROLE {SEARCH_ROLE} NOLOGIN BYPASSRLS; END IF; END $$"
        )
        await DB.run_ddl(f"GRANT USAGE ON SCHEMA public TO {SEARCH_ROLE}")
        await DB.run_ddl(
            f'GRANT SELECT (id, tenant_id, title, content, received_at, priority) ON "case" TO {SEARCH_ROLE}'
        )
        await DB.run_ddl(TEXT_MATCHES)
        await DB.run_ddl(f"ALTER FUNCTION huiying_case_text_matches(text) OWNER TO {SEARCH_ROLE}")
        await DB.run_ddl("REVOKE ALL ON FUNCTION huiying_case_text_matches(text) FROM PUBLIC")

    manager.add_raw(text_search)
    return manager
