"""Deadline visibility: live timers with their cases, and overdue cases counted per unit.

Raw queries that work on both engines: instants are compared in UTC (piccolo stores them that
way on SQLite too), and rows are typed here because SQLite hands raw rows back as text.

A timer is *live* while it may still matter: running, paused or breached. It is *overdue* by
the rule of `core.domain.sla.is_overdue`: breached, or running past its due instant, or paused
after its due instant had already passed (a paused clock stands still, so a timer paused in
time is not late however long the pause lasts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.cases import CaseState
from core.store import dialect
from core.store.tables import SlaTimer
from core.store.timers import StoredTimer, timer_from_row
from core.store.tx import require_tenant

__all__ = ["LIVE_STATES", "LiveTimer", "live_timers", "overdue_by_unit"]

LIVE_STATES = ("running", "paused", "breached")
"""Timer states that still count towards a deadline (``stopped`` is done)."""

_LIVE = "t.state IN ('running', 'paused', 'breached')"

# sla.is_overdue in SQL: a paused timer's remaining time is frozen at due_at - paused_at.
_OVERDUE = (
    "(t.state = 'breached' OR (t.state = 'running' AND t.due_at < {}) "
    "OR (t.state = 'paused' AND t.due_at < t.paused_at))"
)

_TIMER_COLUMNS = (
    "t.id, t.case_id, t.kind, t.label, t.basis, t.period, t.state, t.started_at, t.due_at, t.warn_at, "
    "t.paused_at, t.paused_seconds, t.extended, t.provisional, t.stopped_at"
)
_CASE_COLUMNS = (
    "c.serial AS case_serial, c.title AS case_title, c.state AS case_state, c.unit_code AS case_unit_code, "
    "c.handler AS case_handler"
)
_INSTANTS = ("started_at", "due_at", "warn_at", "paused_at", "stopped_at")


@dataclass(frozen=True, slots=True)
class LiveTimer:
    """A live timer and what a deadline list shows of its case."""

    timer: StoredTimer
    case_id: int
    serial: str
    title: str
    case_state: CaseState
    unit_code: str | None
    handler: str | None


async def live_timers(
    tenant_id: int,
    *,
    handler: str | None = None,
    unit_code: str | None = None,
    due_before: datetime | None = None,
) -> list[LiveTimer]:
    """The tenant's live timers joined with their cases, soonest due first.

    Runs inside the caller's `tenant_tx`. Filters combine with AND.

    Args:
        tenant_id: The tenant; every row is filtered on it explicitly (SQLite has no RLS).
        handler: Only cases whose handler is this username.
        unit_code: Only cases of this unit.
        due_before: Only timers whose stored ``due_at`` is before this instant (exclusive). A
            paused timer's due instant moves later on resume, so callers asking about a window
            keep refining with `core.domain.sla.remaining`; this filter never drops a timer that
            is due in the window.

    Raises:
        RuntimeError: called outside ``tenant_tx(tenant_id)``.
        ValueError: `due_before` is naive.
    """
    require_tenant(tenant_id)
    where = ["t.tenant_id = {}", _LIVE]
    args: list[object] = [tenant_id]
    if handler is not None:
        where.append("c.handler = {}")
        args.append(handler)
    if unit_code is not None:
        where.append("c.unit_code = {}")
        args.append(unit_code)
    if due_before is not None:
        where.append("t.due_at < {}")
        args.append(dialect.utc(due_before))
    sql = (
        f"SELECT {_TIMER_COLUMNS}, {_CASE_COLUMNS} FROM sla_timer t "
        'JOIN "case" c ON c.id = t.case_id AND c.tenant_id = t.tenant_id '
        f"WHERE {' AND '.join(where)} ORDER BY t.due_at, t.id"
    )
    rows = await SlaTimer.raw(sql, *args)
    found = []
    for raw in rows:
        row = dialect.typed_row(raw, instants=_INSTANTS, flags=("provisional",))
        found.append(
            LiveTimer(
                timer=timer_from_row(row),
                case_id=row["case_id"],
                serial=row["case_serial"],
                title=row["case_title"],
                case_state=CaseState(row["case_state"]),
                unit_code=row["case_unit_code"],
                handler=row["case_handler"],
            )
        )
    return found


async def overdue_by_unit(tenant_id: int, now: datetime) -> list[tuple[str | None, int]]:
    """How many distinct cases of each unit have an overdue live timer at `now`.

    Runs inside the caller's `tenant_tx`. Cases not (or no longer) dispatched to a unit are
    counted under None. Units without an overdue case are left out. Ordered by unit code, None
    last, on both engines.

    Raises:
        RuntimeError: called outside ``tenant_tx(tenant_id)``.
        ValueError: `now` is naive.
    """
    require_tenant(tenant_id)
    sql = (
        'SELECT c.unit_code AS unit_code, COUNT(*) AS overdue FROM "case" c '
        "WHERE c.tenant_id = {} AND EXISTS (SELECT 1 FROM sla_timer t "
        f"WHERE t.tenant_id = c.tenant_id AND t.case_id = c.id AND {_OVERDUE}) "
        "GROUP BY c.unit_code"
    )
    rows = await SlaTimer.raw(sql, tenant_id, dialect.utc(now))
    counts = [(row["unit_code"], int(row["overdue"])) for row in rows]
    return sorted(counts, key=lambda item: (item[0] is None, item[0] or ""))
