"""A tenant's duty roster and handover records: piccolo rows in, `core.domain.duty` values out.

Every method runs inside the caller's `tenant_tx` and keeps an explicit ``WHERE tenant_id``
(for the index, and for SQLite, which has no RLS), like `core.store.repositories`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.domain.duty import Handover, Shift
from core.domain.errors import DomainError
from core.store.rows import json_value
from core.store.tables import DutyShift
from core.store.tables import Handover as HandoverRow
from core.store.tx import TenantScoped

__all__ = ["DutyRepository", "ShiftNotFound"]


class ShiftNotFound(DomainError):
    """No such shift in this tenant (another tenant's shift is "not found" too)."""

    code = "not_found"

    def __init__(self, ref: object) -> None:
        super().__init__(f"值班班次 {ref} 不存在 (shift not found)")


def _shift(row: dict[str, Any]) -> Shift:
    return Shift(
        id=row["id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        leader=row["leader"],
        officers=tuple(json_value(row["officers"])),
    )


def _handover(row: dict[str, Any]) -> Handover:
    return Handover(
        id=row["id"],
        shift_id=row["shift_id"],
        written_by=row["written_by"],
        at=row["at"],
        cases_received=tuple(json_value(row["cases_received"])),
        pending=tuple(json_value(row["pending"])),
        documents=tuple(json_value(row["documents"])),
        equipment=row["equipment"],
        notes=row["notes"],
    )


class DutyRepository(TenantScoped):
    """A tenant's shifts and their handover records."""

    # shifts
    async def add_shift(self, shift: Shift, *, created_by: str) -> Shift:
        row = DutyShift(
            tenant_id=self.tenant_id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            leader=shift.leader,
            officers=list(shift.officers),
            created_by=created_by,
        )
        await row.save()
        return await self.shift(row.id)

    async def shift(self, shift_id: int) -> Shift:
        """The shift `shift_id`.

        Raises:
            ShiftNotFound: no such shift in this tenant.
        """
        row = (
            await DutyShift.select()
            .where((DutyShift.tenant_id == self.tenant_id) & (DutyShift.id == shift_id))
            .first()
        )
        if row is None:
            raise ShiftNotFound(shift_id)
        return _shift(row)

    async def shifts_between(self, start: datetime, end: datetime) -> list[Shift]:
        """The shifts overlapping ``[start, end)``, by start time (then by id)."""
        rows = (
            await DutyShift.select()
            .where(
                (DutyShift.tenant_id == self.tenant_id)
                & (DutyShift.starts_at < end)
                & (DutyShift.ends_at > start)
            )
            .order_by(DutyShift.starts_at)
            .order_by(DutyShift.id)
        )
        return [_shift(row) for row in rows]

    async def shifts_at(self, at: datetime) -> list[Shift]:
        """The shifts on duty at the instant `at` (``starts_at <= at < ends_at``)."""
        rows = (
            await DutyShift.select()
            .where(
                (DutyShift.tenant_id == self.tenant_id)
                & (DutyShift.starts_at <= at)
                & (DutyShift.ends_at > at)
            )
            .order_by(DutyShift.starts_at)
            .order_by(DutyShift.id)
        )
        return [_shift(row) for row in rows]

    # handovers
    async def add_handover(self, handover: Handover) -> Handover:
        row = HandoverRow(
            tenant_id=self.tenant_id,
            shift_id=handover.shift_id,
            written_by=handover.written_by,
            at=handover.at,
            cases_received=list(handover.cases_received),
            pending=list(handover.pending),
            documents=list(handover.documents),
            equipment=handover.equipment,
            notes=handover.notes,
        )
        await row.save()
        stored = (
            await HandoverRow.select()
            .where((HandoverRow.tenant_id == self.tenant_id) & (HandoverRow.id == row.id))
            .first()
        )
        return _handover(stored)

    async def handovers(self, shift_id: int | None = None, *, limit: int = 50) -> list[Handover]:
        """Handover records, newest first; of one shift when `shift_id` is given."""
        query = (
            HandoverRow.select()
            .where(HandoverRow.tenant_id == self.tenant_id)
            .order_by(HandoverRow.at, ascending=False)
            .order_by(HandoverRow.id, ascending=False)
            .limit(limit)
        )
        if shift_id is not None:
            query = query.where(HandoverRow.shift_id == shift_id)
        return [_handover(row) for row in await query]
