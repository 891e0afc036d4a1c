"""Finding cases: filters, text search, sorting and keyset (cursor) pagination.

Raw SQL, because "overdue" and "due before" look into the timers. Works on both engines:
timestamps are compared in UTC (piccolo stores them that way on SQLite too). Text search on
PostgreSQL walks the newest cases first and, for a word rarer than that walk can fill a page
with, asks the character-pair index through ``huiying_case_text_matches`` (see WALK_ROWS);
SQLite matches with plain LIKE.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.errors import InvalidCommand
from core.domain.text import has_control_characters
from core.store import dialect
from core.store.cases import case_from_row
from core.store.tables import CaseRow
from core.store.tx import require_tenant

__all__ = ["SORTS", "CasePage", "CaseQuery", "like_pattern", "search_cases", "text_matches"]

SORTS = ("-received_at", "received_at", "-id", "id", "queue")
"""Allowed sort keys; a leading minus means newest (or highest) first.

``queue`` is the work-queue order: the plugin's priority first (e.g. real-name complaints are
investigated first), then oldest first.
"""

# A timer paused only after its due instant had passed is still late (sla.is_overdue agrees).
_LIVE_TIMER_DUE_BEFORE = (
    'EXISTS (SELECT 1 FROM sla_timer t WHERE t.case_id = "case".id AND t.tenant_id = "case".tenant_id '
    "AND t.due_at < {} AND (t.state IN ('running', 'breached') "
    "OR (t.state = 'paused' AND t.paused_at > t.due_at)))"
)


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """What a case list asks for. Every filter is optional and they combine with AND."""

    states: tuple[CaseState, ...] = ()
    kind: CaseKind | None = None
    channel: Channel | None = None
    unit_code: str | None = None
    handler: str | None = None
    overdue_at: datetime | None = None  # cases with a live timer due before this instant (now)
    due_before: datetime | None = None  # cases with a live timer due before this instant
    received_from: datetime | None = None
    received_before: datetime | None = None
    text: str = ""
    sort: str = "-received_at"
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of cases and the cursor of the next page (None on the last)."""

    cases: tuple[Case, ...]
    next_cursor: str | None


def _encode_cursor(sort: str, case: Case) -> str:
    key: object = case.received_at.astimezone(UTC).isoformat() if "received_at" in sort else case.id
    if sort == "queue":
        key = [case.priority, case.received_at.astimezone(UTC).isoformat()]
    raw = json.dumps({"s": sort, "k": key, "id": case.id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[object, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["s"] != sort:
            raise ValueError("sort changed")
        if sort == "queue":
            priority, received = data["k"]
            return (int(priority), datetime.fromisoformat(received)), int(data["id"])
        key = datetime.fromisoformat(data["k"]) if "received_at" in sort else int(data["k"])
        return key, int(data["id"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCommand(
            "cursor 无效或已过期，请从第一页重新查询 (invalid cursor)", field="cursor"
        ) from None


def text_matches(needle: str, *texts: str) -> bool:
    """Whether a case whose title and content are `texts` matches the search text `needle`.

    The rule: `needle` appears in one of them, regardless of case when it has a cased letter
    (Chinese and digits have none). The SQL spells it as LIKE or ILIKE over `like_pattern`
    (`_text_clause`, and ``huiying_case_text_matches`` in the baseline migration);
    tests/store/test_sql_rules.py runs the SQL on each engine against this.
    """
    if needle.lower() != needle.upper():
        return any(needle.lower() in text.lower() for text in texts)
    return any(needle in text for text in texts)


def like_pattern(text: str) -> str:
    """The LIKE pattern of a case holding `text`, its wildcards escaped with a backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Text search on PostgreSQL (the baseline migration, docs/architecture.md):
# first walk the newest WALK_ROWS cases that pass the other filters, in the page's order, and
# test the text on each; a word in more than about one case in eighty fills its page there
# (噪音: about 400 rows). Otherwise the word is rare among them, and
# `huiying_case_text_matches` finds every match of the tenant through the character-pair
# index (cost about one row read per match: under 51 * N / WALK_ROWS of them, 13k for a
# tenant of 1M). Walk and index cost the same near 4,000 rows at 1M cases (about 2 and 1.3
# microseconds a row, bench), so neither side goes past ~25 ms hot.
WALK_ROWS = 4000


def _order(sort: str, alias: str) -> str:
    if sort == "queue":  # priority first, then oldest first: the order people work a queue in
        return f"{alias}.priority DESC, {alias}.received_at ASC, {alias}.id ASC"
    direction = "DESC" if sort.startswith("-") else "ASC"
    column = "received_at" if "received_at" in sort else "id"
    return f"{alias}.{column} {direction}, {alias}.id {direction}"


def _after(sort: str, cursor: str, alias: str) -> tuple[str, list[object]]:
    """The keyset condition of the rows after `cursor`, on `alias`'s sort keys."""
    key, last_id = _decode_cursor(cursor, sort)
    a = alias
    if sort == "queue":
        priority, received = key  # type: ignore[misc]
        return (
            f"({a}.priority < {{}} OR ({a}.priority = {{}} AND ({a}.received_at > {{}} "
            f"OR ({a}.received_at = {{}} AND {a}.id > {{}}))))",
            [priority, priority, received, received, last_id],
        )
    op = "<" if sort.startswith("-") else ">"
    if "received_at" in sort:
        clause = f"({a}.received_at {op} {{}} OR ({a}.received_at = {{}} AND {a}.id {op} {{}}))"
        return clause, [key, key, last_id]
    return f"{a}.id {op} {{}}", [last_id]


async def search_cases(tenant_id: int, query: CaseQuery) -> CasePage:
    """Run `query` inside the caller's `tenant_tx`.

    Raises:
        InvalidCommand: an unknown sort, a limit outside 1..200 or a bad cursor.
    """
    require_tenant(tenant_id)
    if query.sort not in SORTS:
        raise InvalidCommand(f"sort 只能是 {', '.join(SORTS)}", field="sort")
    if not 1 <= query.limit <= 200:
        raise InvalidCommand("limit 应在 1 到 200 之间", field="limit")
    for name in ("text", "unit_code", "handler", "cursor"):
        # PostgreSQL refuses a NUL in text; every control character is a mistake a person can fix.
        if has_control_characters(getattr(query, name) or ""):
            raise InvalidCommand(f"{name} 含有控制字符 (control characters are not allowed)", field=name)
    where = ['"case".tenant_id = {}']
    args: list[object] = [tenant_id]

    def add(clause: str, *values: object) -> None:
        where.append(clause)
        args.extend(values)

    if query.states:
        add(f'"case".state IN ({", ".join("{}" for _ in query.states)})', *(s.value for s in query.states))
    if query.kind is not None:
        add('"case".kind = {}', query.kind.value)
    if query.channel is not None:
        add('"case".channel = {}', query.channel.value)
    if query.unit_code:
        add('"case".unit_code = {}', query.unit_code)
    if query.handler:
        add('"case".handler = {}', query.handler)
    if query.received_from is not None:
        add('"case".received_at >= {}', dialect.utc(query.received_from))
    if query.received_before is not None:
        add('"case".received_at < {}', dialect.utc(query.received_before))
    for instant in (query.overdue_at, query.due_before):
        if instant is not None:
            add(
                _LIVE_TIMER_DUE_BEFORE,
                dialect.utc(instant),
            )
    if query.cursor:
        _decode_cursor(query.cursor, query.sort)  # a bad cursor is refused before any query
    text = query.text.strip()
    # With a generic plan a text pattern walked the tenant's newest cases and read all 100k
    # (270 ms) where the states' index reads the open ones (28 ms; bench/pages.md). Planning
    # with the values costs about a millisecond.
    await dialect.force_custom_plans()
    if text and dialect.has_text_index() and len(text) >= 2:
        rows = await _walk_newest(query, text, where, args)
        if rows is None:
            rows = await _indexed(query, text, where, args)
    else:
        if text:
            clause, values = _text_clause(text, '"case"')
            add(clause, *values)
        rows = await _plain(query, where, args)
    cases = tuple(case_from_row(_typed(row)) for row in rows[: query.limit])
    more = len(rows) > query.limit
    return CasePage(cases, _encode_cursor(query.sort, cases[-1]) if more and cases else None)


def _text_clause(text: str, alias: str) -> tuple[str, list[object]]:
    like = dialect.caseless_like(text)
    pattern = like_pattern(text)
    return (
        f"({alias}.title {like} {{}} ESCAPE '\\' OR {alias}.content {like} {{}} ESCAPE '\\')",
        [pattern, pattern],
    )


def _with_cursor(query: CaseQuery, where: list[str], args: list[object], alias: str) -> tuple[str, list]:
    clauses, values = list(where), list(args)
    if query.cursor:
        clause, extra = _after(query.sort, query.cursor, alias)
        clauses.append(clause)
        values += extra
    return " AND ".join(clauses), values


async def _plain(query: CaseQuery, where: list[str], args: list[object]) -> list[dict]:
    """One query: SQLite, no text, or a one-character text (no pair to look up)."""
    condition, values = _with_cursor(query, where, args, '"case"')
    order = _order(query.sort, '"case"')
    sql = f'SELECT "case".* FROM "case" WHERE {condition} ORDER BY {order} LIMIT {{}}'
    return await CaseRow.raw(sql, *values, query.limit + 1)


async def _walk_newest(
    query: CaseQuery, text: str, where: list[str], args: list[object]
) -> list[dict] | None:
    """The page from the first WALK_ROWS cases in the page's order, or None if that is not enough.

    The inner LIMIT fences the text test off from the planner: it walks the filters' own plan
    (the newest-first index for a bare text search) and stops as soon as the page is full. The
    WALK_ROWS-th row comes back even when it does not match, to tell "walked them all" from
    "stopped at the budget".
    """
    hit, hit_values = _text_clause(text, '"case"')
    condition, values = _with_cursor(query, where, args, '"case"')
    order = _order(query.sort, '"case"')
    sql = (
        f'SELECT w.* FROM (SELECT "case".*, {hit} AS _hit, row_number() OVER (ORDER BY {order}) AS _n '
        f'FROM "case" WHERE {condition} ORDER BY {order} LIMIT {WALK_ROWS}) AS w '
        f"WHERE w._hit OR w._n = {WALK_ROWS} ORDER BY {_order(query.sort, 'w')} LIMIT {query.limit + 2}"
    )
    rows = await CaseRow.raw(sql, *hit_values, *values)
    hits = [row for row in rows if row["_hit"]]
    if len(hits) <= query.limit and any(row["_n"] == WALK_ROWS for row in rows):
        return None  # fewer matches than a page among the first WALK_ROWS, and more rows behind
    return hits[: query.limit + 1]


async def _indexed(query: CaseQuery, text: str, where: list[str], args: list[object]) -> list[dict]:
    """Every match of the tenant from the pair index, sorted on the keys the function returns.

    Sorting the function's rows first lets the join read only the page's cases (plus those the
    other filters reject); the text is tested again here as the app role, under RLS.
    """
    hit, hit_values = _text_clause(text, '"case"')
    condition, values = _with_cursor(query, [*where, hit], [*args, *hit_values], "m")
    sql = (
        f'SELECT "case".* FROM (SELECT * FROM huiying_case_text_matches({{}}) AS f '
        f"ORDER BY {_order(query.sort, 'f')}) AS m "
        f'JOIN "case" ON "case".id = m.id WHERE {condition} ORDER BY {_order(query.sort, "m")} LIMIT {{}}'
    )
    return await CaseRow.raw(sql, text, *values, query.limit + 1)


def _typed(row: dict) -> dict:
    return dialect.typed_row(row, instants=("received_at", "created_at", "updated_at"), flags=("anonymous",))
