"""The one place that asks which engine serves the store.

PostgreSQL is the product's database; SQLite is only the embedded first-run default. Every
difference the store relies on is asked here by what differs (row locks, arrays, RLS, a text
index), never by the engine's name, so a reader sees in one file what SQLite goes without.
The rules that must run in SQL for speed keep their Python definition beside their SQL
(`core.store.cases.serial_sql`, `core.store.events.event_hash_sql`, `core.store.timers.DUE_SQL`,
`core.store.case_search.like_pattern`), and tests/store/test_sql_rules.py runs both on each engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.sqlite import TransactionType

from core.store.engine import DB

__all__ = [
    "binds_arrays",
    "caseless_like",
    "force_custom_plans",
    "has_rls",
    "has_row_versions",
    "has_text_index",
    "lock_for_update",
    "pools_connections",
    "queues_writers",
    "transaction",
    "typed_row",
    "utc",
]


def _postgres() -> bool:
    return DB.engine_type == "postgres"


def queues_writers() -> bool:
    """True when writers take row locks and queue on them (PostgreSQL).

    SQLite's write transactions are exclusive already: ``FOR UPDATE``, ``SKIP LOCKED``,
    advisory locks and the one-statement intake that shortens a queue have nothing to do there.
    """
    return _postgres()


def lock_for_update(query: Any) -> Any:
    """`query` with ``FOR UPDATE`` where writers queue on row locks; unchanged on SQLite."""
    return query.lock_rows("UPDATE") if queues_writers() else query


def binds_arrays() -> bool:
    """True when a statement may take a list as one parameter (``unnest``, ``= ANY``)."""
    return _postgres()


def has_rls() -> bool:
    """True when row-level security filters by tenant and the app's role needs grants."""
    return _postgres()


def has_text_index() -> bool:
    """True when the character-pair index serves text search (pg_trgm)."""
    return _postgres()


def has_row_versions() -> bool:
    """True when a row carries a version the engine bumps on every write (``xmin``)."""
    return _postgres()


def pools_connections() -> bool:
    """True when the process serves from a connection pool (SQLite opens a file per query)."""
    return _postgres()


def caseless_like(text: str) -> str:
    """The operator that matches `text` regardless of case.

    ILIKE folds case row by row, which costs 3-4x LIKE on Chinese text (bench/pages.md); a
    pattern with no cased letter (Chinese, digits) matches the same rows with LIKE, which is
    also what SQLite's LIKE does for ASCII letters.
    """
    return "ILIKE" if _postgres() and text.lower() != text.upper() else "LIKE"


async def force_custom_plans() -> None:
    """Plan this transaction's statements with their values; nothing to do on SQLite.

    asyncpg prepares each statement, and after five runs PostgreSQL may keep a generic plan that
    cannot see a text pattern's selectivity (bench/pages.md).
    """
    if _postgres():
        await DB.run_ddl("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")


def transaction():
    """A new transaction; on SQLite with write intent up front.

    Without it concurrent SQLite writers fail with "database is locked".
    """
    if _postgres():
        return DB.transaction()
    return DB.transaction(transaction_type=TransactionType.immediate)


def utc(value: datetime) -> datetime:
    """`value` in UTC, as both engines store instants; a naive instant is refused.

    Raises:
        ValueError: `value` has no time zone.
    """
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware instant")
    return value.astimezone(UTC)


def typed_row(
    row: dict[str, Any], *, instants: Iterable[str] = (), flags: Iterable[str] = ()
) -> dict[str, Any]:
    """A raw row typed as piccolo's own selects type it.

    PostgreSQL's raw rows are typed already; SQLite's carry instants as text (stored in UTC)
    and booleans as 0/1.
    """
    if _postgres():
        return row
    typed = dict(row)
    for key in instants:
        value = typed.get(key)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            typed[key] = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    for key in flags:
        if key in typed:
            typed[key] = typed[key] in (1, "1", True, "true", "t")
    return typed
