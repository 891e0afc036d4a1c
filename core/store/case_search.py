"""Finding cases: filters, text search, sorting and keyset (cursor) pagination.

One raw query, because "overdue" and "due before" look into the timers. Works on both engines:
timestamps are compared in UTC (piccolo stores them that way on SQLite too).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.commands import has_control_characters
from core.domain.errors import InvalidCommand
from core.store.engine import is_postgres
from core.store.repositories import _case, _in_tenant
from core.store.tables import CaseRow

__all__ = ["SORTS", "CasePage", "CaseQuery", "search_cases"]

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


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


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


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_cases(tenant_id: int, query: CaseQuery) -> CasePage:
    """Run `query` inside the caller's `tenant_tx`.

    Raises:
        InvalidCommand: an unknown sort, a limit outside 1..200 or a bad cursor.
    """
    _in_tenant(tenant_id)
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
        add('"case".received_at >= {}', _utc(query.received_from))
    if query.received_before is not None:
        add('"case".received_at < {}', _utc(query.received_before))
    for instant in (query.overdue_at, query.due_before):
        if instant is not None:
            add(
                _LIVE_TIMER_DUE_BEFORE,
                _utc(instant),
            )
    if query.text.strip():
        text = query.text.strip()
        # ILIKE folds case row by row, which costs 3-4x LIKE on Chinese text (bench/pages.md);
        # a pattern with no cased letter (Chinese, digits) matches the same rows with LIKE.
        caseless = text.lower() == text.upper()
        like = "ILIKE" if is_postgres() and not caseless else "LIKE"
        pattern = _like(text)
        add(
            f"(\"case\".title {like} {{}} ESCAPE '\\' OR \"case\".content {like} {{}} ESCAPE '\\')",
            pattern,
            pattern,
        )
    if is_postgres():
        # asyncpg prepares each statement, and after five runs PostgreSQL may keep a generic
        # plan that cannot see the values: with a text pattern it walked the tenant's newest
        # cases and read all 100k (270 ms) where the states' index reads the open ones (28 ms;
        # bench/pages.md). Planning with the values costs about a millisecond.
        await CaseRow.raw("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
    if query.sort == "queue":
        return await _queue_page(query, where, args)
    descending = query.sort.startswith("-")
    column = '"case".received_at' if "received_at" in query.sort else '"case".id'
    if query.cursor:
        key, last_id = _decode_cursor(query.cursor, query.sort)
        op = "<" if descending else ">"
        if column.endswith("received_at"):
            add(f'({column} {op} {{}} OR ({column} = {{}} AND "case".id {op} {{}}))', key, key, last_id)
        else:
            add(f'"case".id {op} {{}}', last_id)
    direction = "DESC" if descending else "ASC"
    sql = (
        f'SELECT "case".* FROM "case" WHERE {" AND ".join(where)} '
        f'ORDER BY {column} {direction}, "case".id {direction} LIMIT {{}}'
    )
    rows = await CaseRow.raw(sql, *args, query.limit + 1)
    cases = tuple(_case(_typed(row)) for row in rows[: query.limit])
    more = len(rows) > query.limit
    return CasePage(cases, _encode_cursor(query.sort, cases[-1]) if more and cases else None)


async def _queue_page(query: CaseQuery, where: list[str], args: list[object]) -> CasePage:
    """Priority first, then oldest first: the order people work a queue in."""
    if query.cursor:
        (priority, received), last_id = _decode_cursor(query.cursor, query.sort)  # type: ignore[misc]
        where.append(
            '("case".priority < {} OR ("case".priority = {} AND ("case".received_at > {} '
            'OR ("case".received_at = {} AND "case".id > {}))))'
        )
        args.extend([priority, priority, received, received, last_id])
    sql = (
        f'SELECT "case".* FROM "case" WHERE {" AND ".join(where)} '
        'ORDER BY "case".priority DESC, "case".received_at ASC, "case".id ASC LIMIT {}'
    )
    rows = await CaseRow.raw(sql, *args, query.limit + 1)
    cases = tuple(_case(_typed(row)) for row in rows[: query.limit])
    more = len(rows) > query.limit
    return CasePage(cases, _encode_cursor(query.sort, cases[-1]) if more and cases else None)


def _typed(row: dict) -> dict:
    """Raw rows on SQLite carry text where piccolo's own selects convert types."""
    if is_postgres():
        return row
    converted = dict(row)
    for key in ("received_at", "created_at", "updated_at"):
        value = converted.get(key)
        if isinstance(value, str):
            converted[key] = datetime.fromisoformat(value).replace(tzinfo=UTC)
    converted["anonymous"] = bool(converted["anonymous"])
    return converted
