"""The writes of a case intake, shaped so the tenant's two queues are held as briefly as possible.

Every intake of a tenant queues twice: on the gap-free serial counter and on the head of the
event hash chain, both row locks held until commit. So the case row goes in first under a
provisional serial, with its timers in one statement, and the serial is drawn only at the end
(`number`), leaving a few statements between taking the counter and committing. Like
`core.store.repositories`, every method runs inside the caller's `tenant_tx` and keeps an
explicit ``WHERE tenant_id``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace

from core.domain.cases import Case
from core.domain.sla import Timer
from core.store.repositories import StoredTimer, _case, _case_columns, _in_tenant, _timer, _timer_columns
from core.store.tables import CaseRow, SlaTimer

__all__ = ["IntakeWriter"]

_PROVISIONAL = "~"
"""Serials of cases not numbered yet start with this; no committed case keeps one."""


class IntakeWriter:
    """A tenant's new cases: stored unnumbered, then numbered last."""

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id

    async def add_case(self, case: Case, *, year: int) -> Case:
        """Store `case` under a provisional serial; returns it as stored, with its id and no serial.

        The provisional serial is unique, so concurrent intakes of the tenant never wait for
        each other on the serial index.
        """
        _in_tenant(self.tenant_id)
        row = CaseRow(
            tenant_id=self.tenant_id,
            serial=_PROVISIONAL + secrets.token_hex(15),
            year=year,
            kind=case.kind.value,
            channel=case.channel.value,
            received_at=case.received_at,
            anonymous=case.anonymous,
        )
        for column, value in _case_columns(case).items():
            setattr(row, column._meta.name, value)
        stored = await CaseRow.insert(row).returning(*CaseRow.all_columns())
        return _with_serial(_case(stored[0]), "")

    async def add_timers(self, case_id: int, timers: Sequence[tuple[str, Timer]]) -> list[StoredTimer]:
        """Store a new case's (label, timer) pairs in one statement; returns them by id."""
        _in_tenant(self.tenant_id)
        if not timers:
            return []
        rows = []
        for label, timer in timers:
            row = SlaTimer(tenant_id=self.tenant_id, case_id=case_id, kind=timer.kind, label=label)
            for column, value in _timer_columns(timer).items():
                setattr(row, column._meta.name, value)
            rows.append(row)
        stored = await SlaTimer.insert(*rows).returning(*SlaTimer.all_columns())
        return sorted((_timer(row) for row in stored), key=lambda t: t.id)

    async def number(self, case: Case, serial: str) -> Case:
        """Give the stored `case` its serial (drawn by `CaseRepository.next_serial_number`)."""
        _in_tenant(self.tenant_id)
        await CaseRow.update({CaseRow.serial: serial}).where(
            (CaseRow.tenant_id == self.tenant_id) & (CaseRow.id == case.id)
        )
        return _with_serial(case, serial)


def _with_serial(case: Case, serial: str) -> Case:
    return replace(case, serial=serial)
