"""Deadline timers: the domain timer as stored, and the locks the timer jobs fire under."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.domain.calendar import Period
from core.domain.cases import (
    Case,
)
from core.domain.sla import Timer, TimerState
from core.store import dialect
from core.store.cases import case_from_row
from core.store.rows import ids_in
from core.store.tables import (
    CaseRow,
    SlaTimer,
)
from core.store.tx import TenantScoped

__all__ = ["DUE_SQL", "StoredTimer", "TimerRepository", "TimersForFiring", "timer_columns", "timer_from_row"]


DUE_SQL = (
    "{t}.state IN ('running', 'breached') AND "
    "(({t}.warned_at IS NULL AND {t}.warn_at <= {at}) OR ({t}.breached_at IS NULL AND {t}.due_at <= {at}))"
)
"""`core.domain.sla.due_phases` in SQL: the timer (alias ``{t}``) has a phase due at ``{at}``.

The scheduler claims due timers in SQL (``huiying_claim_due_timers`` in the baseline migration
spells the same predicate); tests/store/test_sql_rules.py runs both against the Python rule.
"""


@dataclass(frozen=True, slots=True)
class StoredTimer:
    """A timer row: the domain timer plus where it belongs."""

    id: int
    case_id: int
    label: str
    timer: Timer


@dataclass(frozen=True, slots=True)
class TimersForFiring:
    """Timers locked for firing, by id, with when each phase fired; and their cases, by id."""

    timers: dict[int, tuple[StoredTimer, datetime | None, datetime | None]]
    cases: dict[int, Case]


def timer_from_row(row: dict[str, Any]) -> StoredTimer:
    return StoredTimer(
        id=row["id"],
        case_id=row["case_id"],
        label=row["label"],
        timer=Timer(
            kind=row["kind"],
            started_at=row["started_at"],
            due_at=row["due_at"],
            warn_at=row["warn_at"],
            state=TimerState(row["state"]),
            basis=row["basis"],
            provisional=row["provisional"],
            period=Period.parse(row["period"]),
            paused_at=row["paused_at"],
            paused_seconds=row["paused_seconds"],
            extended=row["extended"],
            stopped_at=row["stopped_at"],
        ),
    )


def timer_columns(timer: Timer) -> dict[Any, Any]:
    return {
        SlaTimer.state: timer.state.value,
        SlaTimer.basis: timer.basis,
        SlaTimer.period: str(timer.period),
        SlaTimer.started_at: timer.started_at,
        SlaTimer.due_at: timer.due_at,
        SlaTimer.warn_at: timer.warn_at,
        SlaTimer.paused_at: timer.paused_at,
        SlaTimer.paused_seconds: timer.paused_seconds,
        SlaTimer.extended: timer.extended,
        SlaTimer.provisional: timer.provisional,
        SlaTimer.stopped_at: timer.stopped_at,
    }


class TimerRepository(TenantScoped):
    """A tenant's deadline timers."""

    async def of_case(self, case_id: int) -> list[StoredTimer]:
        rows = (
            await SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & (SlaTimer.case_id == case_id))
            .order_by(SlaTimer.id)
        )
        return [timer_from_row(row) for row in rows]

    async def of_cases(self, case_ids: Sequence[int]) -> dict[int, list[StoredTimer]]:
        """The timers of several cases at once, by case id."""
        if not case_ids:
            return {}
        rows = (
            await SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & SlaTimer.case_id.is_in(list(case_ids)))
            .order_by(SlaTimer.id)
        )
        found: dict[int, list[StoredTimer]] = {}
        for row in rows:
            found.setdefault(row["case_id"], []).append(timer_from_row(row))
        return found

    async def add(self, case_id: int, label: str, timer: Timer) -> None:
        row = SlaTimer(tenant_id=self.tenant_id, case_id=case_id, kind=timer.kind, label=label)
        for column, value in timer_columns(timer).items():
            setattr(row, column._meta.name, value)
        await row.save()

    async def update(self, timer_id: int, timer: Timer, *, rearm: bool = False) -> None:
        """Write a timer; `rearm` when its due instant moved, so its warning and breach fire anew."""
        columns = timer_columns(timer)
        if rearm:
            columns |= {SlaTimer.warned_at: None, SlaTimer.breached_at: None, SlaTimer.enqueued_at: None}
        await SlaTimer.update(columns).where(
            (SlaTimer.tenant_id == self.tenant_id) & (SlaTimer.id == timer_id)
        )

    async def provisional(self) -> list[StoredTimer]:
        """Timers whose deadline crossed a year without holiday data."""
        rows = (
            await SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & (SlaTimer.provisional == True))  # noqa: E712 - SQL
            .order_by(SlaTimer.id)
        )
        return [timer_from_row(row) for row in rows]

    async def for_firing(self, timer_id: int) -> tuple[StoredTimer, datetime | None, datetime | None] | None:
        """A timer locked for firing, with when its warning and breach already fired (None: not yet)."""
        found = await self.many_for_firing([timer_id])
        return found.timers.get(timer_id)

    async def many_for_firing(self, timer_ids: Sequence[int]) -> TimersForFiring:
        """Timers locked for firing, with their cases (locked too) and when each phase already fired.

        The cases are locked first, in id order: every writer takes case, then timers, then the
        event chain, so firing and a person's action on the same case queue instead of
        deadlocking, and two batches sharing a case lock it in the same order. Unknown ids are
        left out.
        """
        found = TimersForFiring({}, {})
        ids = sorted(set(timer_ids))
        if not ids:
            return found
        owners = (
            await SlaTimer.select(SlaTimer.case_id)
            .where((SlaTimer.tenant_id == self.tenant_id) & ids_in(SlaTimer.id, ids))
            .distinct()
        )
        if not owners:
            return found
        cases = (
            CaseRow.select()
            .where(CaseRow.tenant_id == self.tenant_id)
            .where(ids_in(CaseRow.id, [row["case_id"] for row in owners]))
            .order_by(CaseRow.id)
        )
        timers = (
            SlaTimer.select()
            .where((SlaTimer.tenant_id == self.tenant_id) & ids_in(SlaTimer.id, ids))
            .order_by(SlaTimer.id)
        )
        cases, timers = dialect.lock_for_update(cases), dialect.lock_for_update(timers)
        for row in await cases:
            found.cases[row["id"]] = case_from_row(row)
        for row in await timers:
            found.timers[row["id"]] = (timer_from_row(row), row["warned_at"], row["breached_at"])
        return found

    async def stamp_many(self, stamps: Sequence[tuple[int, str, datetime | None, datetime | None]]) -> None:
        """Record fired phases as (timer id, state, warned at, breached at).

        Timers fired together share their stamps, so one UPDATE per distinct stamp does.
        """
        alike: dict[tuple[str, datetime | None, datetime | None], list[int]] = {}
        for timer_id, state, warned_at, breached_at in stamps:
            alike.setdefault((state, warned_at, breached_at), []).append(timer_id)
        for (state, warned_at, breached_at), ids in alike.items():
            await SlaTimer.update(
                {SlaTimer.state: state, SlaTimer.warned_at: warned_at, SlaTimer.breached_at: breached_at}
            ).where((SlaTimer.tenant_id == self.tenant_id) & ids_in(SlaTimer.id, ids))
