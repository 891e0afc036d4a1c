"""The writes of a case intake, shaped so the tenant's two queues are held as briefly as possible.

Every intake of a tenant queues twice: on the gap-free serial counter and on the head of the
event hash chain, both row locks held until commit. So the case row goes in first under a
provisional serial, with its timers in one statement, and the serial is drawn only at the end
(`number`), leaving a few statements between taking the counter and committing. Like
every repository, every method runs inside the caller's `tenant_tx` and keeps an
explicit ``WHERE tenant_id``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from piccolo.utils.encoding import dump_json

from core.domain.audit import event_hash, event_text_around_prev
from core.domain.cases import Case, case_serial
from core.domain.duty import Shift
from core.domain.events import CaseEvent as CaseEventValue
from core.domain.sla import Timer
from core.store import dialect
from core.store.cases import CaseRepository, case_columns, case_from_row, serial_sql
from core.store.duty import DutyRepository
from core.store.events import EventRepository, chained_record, event_hash_sql
from core.store.identities import DataKeyRepository
from core.store.rows import json_value
from core.store.tables import CaseEvent, CaseRow, SlaTimer, TenantKey
from core.store.timers import StoredTimer, timer_columns, timer_from_row
from core.store.tx import TenantScoped

__all__ = ["IntakeReads", "IntakeWriter"]


@dataclass(frozen=True, slots=True)
class IntakeReads:
    """What intake reads before it writes.

    The newest wrapped data key as (version, wrapped, nonce, master key id), None before the
    tenant's first identity; and the shifts on duty.
    """

    data_key: tuple[int, bytes, bytes, str] | None
    shifts: tuple[Shift, ...]


_READS = (
    "SELECT true AS key, k.version, k.wrapped, k.nonce, k.master_key_id, NULL::int AS id, "
    "NULL::timestamptz AS starts_at, NULL::timestamptz AS ends_at, NULL::text AS leader, "
    "NULL::jsonb AS officers "
    "FROM (SELECT version, wrapped, nonce, master_key_id FROM tenant_key WHERE tenant_id = {} "
    "ORDER BY version DESC LIMIT 1) k "
    "UNION ALL SELECT false, NULL, NULL, NULL, NULL, id, starts_at, ends_at, leader, officers "
    "FROM duty_shift WHERE tenant_id = {} AND starts_at <= {} AND ends_at > {}"
)

_PROVISIONAL = "~"
"""Serials of cases not numbered yet start with this; no committed case keeps one."""


class IntakeWriter(TenantScoped):
    """A tenant's new cases: stored unnumbered, then numbered last."""

    async def reads(self, at: datetime) -> IntakeReads:
        """The tenant's newest wrapped data key and the duty shifts at `at`, in one statement.

        The same rows as `DataKeyRepository.current` and `DutyRepository.shifts_at`, which SQLite
        still reads one by one.
        """
        if not dialect.queues_writers():  # one statement less matters only where writers queue
            return IntakeReads(
                await DataKeyRepository(self.tenant_id).current(),
                tuple(await DutyRepository(self.tenant_id).shifts_at(at)),
            )
        rows = await TenantKey.raw(_READS, self.tenant_id, self.tenant_id, at, at)
        key = next(
            (
                (r["version"], bytes(r["wrapped"]), bytes(r["nonce"]), r["master_key_id"])
                for r in rows
                if r["key"]
            ),
            None,
        )
        shifts = tuple(
            Shift(r["id"], r["starts_at"], r["ends_at"], r["leader"], tuple(json_value(r["officers"])))
            for r in rows
            if not r["key"]
        )
        return IntakeReads(key, tuple(sorted(shifts, key=lambda s: (s.starts_at, s.id))))

    async def add_case(self, case: Case, *, year: int) -> Case:
        """Store `case` under a provisional serial; returns it as stored, with its id and no serial.

        The provisional serial is unique, so concurrent intakes of the tenant never wait for
        each other on the serial index.
        """
        row = CaseRow(
            tenant_id=self.tenant_id,
            serial=_PROVISIONAL + secrets.token_hex(15),
            year=year,
            kind=case.kind.value,
            channel=case.channel.value,
            received_at=case.received_at,
            anonymous=case.anonymous,
        )
        for column, value in case_columns(case).items():
            setattr(row, column._meta.name, value)
        stored = await CaseRow.insert(row).returning(*CaseRow.all_columns())
        return _with_serial(case_from_row(stored[0]), "")

    async def add_timers(self, case_id: int, timers: Sequence[tuple[str, Timer]]) -> list[StoredTimer]:
        """Store a new case's (label, timer) pairs in one statement; returns them by id."""
        if not timers:
            return []
        rows = []
        for label, timer in timers:
            row = SlaTimer(tenant_id=self.tenant_id, case_id=case_id, kind=timer.kind, label=label)
            for column, value in timer_columns(timer).items():
                setattr(row, column._meta.name, value)
            rows.append(row)
        stored = await SlaTimer.insert(*rows).returning(*SlaTimer.all_columns())
        return sorted((timer_from_row(row) for row in stored), key=lambda t: t.id)

    async def number(self, case: Case, serial: str) -> Case:
        """Give the stored `case` its serial (drawn by `CaseRepository.next_serial_number`)."""
        await CaseRow.update({CaseRow.serial: serial}).where(
            (CaseRow.tenant_id == self.tenant_id) & (CaseRow.id == case.id)
        )
        return _with_serial(case, serial)

    async def number_and_record(self, case: Case, prefix: str, year: int, event: CaseEventValue) -> Case:
        """Draw the case's serial, give it to the case and append its first event to the chain.

        The same rows, locks and hashes as `CaseRepository.next_serial_number`, `number` and
        `EventRepository.append`. On PostgreSQL it is one statement, which finishes the
        event's hash in SQL from the head it locks (`event_text_around_prev`), so the counter
        and the chain head are held for that statement and the commit. The case was stored in
        this transaction, so the event is its first (seq 1).
        """
        events = EventRepository(self.tenant_id)
        if not dialect.queues_writers():  # SQLite's write transactions are exclusive: no queue to shorten
            number = await CaseRepository(self.tenant_id).next_serial_number(year)
            case = await self.number(case, case_serial(prefix, year, number))
            await events.append(case.id, event)
            return case
        record, at = chained_record(self.tenant_id, case.id, 1, event)
        before, after = event_text_around_prev(record)
        event_values = (
            self.tenant_id,
            case.id,
            record["name"],
            record["action"],
            record["from_state"],
            record["to_state"],
            record["actor"],
            at,
            dump_json(record["data"]),  # stored as hashed (as EventRepository.append_many stores it)
        )
        rows = await CaseEvent.raw(
            _NUMBER_AND_RECORD,
            self.tenant_id,
            year,
            before,
            after,
            self.tenant_id,
            prefix,
            str(year),
            self.tenant_id,
            case.id,
            *event_values,
            self.tenant_id,
        )
        (row,) = rows
        serial = case_serial(prefix, year, row["last"])
        if row["last_hash"] is None:  # the tenant's first event: the plain append makes the head
            case = await self.number(case, serial)
            await events.append(case.id, event)
            return case
        # The SQL finished the hash: check it against the domain's before anything commits.
        if row["hash"] != event_hash(row["last_hash"], record) or row["serial"] != serial:
            raise RuntimeError(
                f"intake of case {case.id}: the chained hash or serial differs from the domain's"
            )
        return _with_serial(case, serial)


# Draws the number (locking the counter), then locks the chain head (the LATERAL join runs per
# drawn row, so always in that order), finishes the event's hash from the head's, numbers the
# case, appends the event and moves the head. Without a head (the tenant's first event) only the
# number is drawn and last_hash comes back NULL.
_NUMBER_AND_RECORD = (
    "WITH drawn AS (INSERT INTO case_serial (tenant_id, year, last) VALUES ({}, {}, 1) "
    "ON CONFLICT (tenant_id, year) DO UPDATE SET last = case_serial.last + 1 RETURNING last), "
    "head AS (SELECT drawn.last, h.last_hash, "
    f"{event_hash_sql('{}', 'h.last_hash', '{}')} AS hash "
    "FROM drawn LEFT JOIN LATERAL (SELECT last_hash FROM event_chain "
    "WHERE tenant_id = {} AND drawn.last > 0 FOR UPDATE) h ON true), "
    f'numbered AS (UPDATE "case" SET serial = {serial_sql("{}", "{}", "head.last")} FROM head '
    'WHERE "case".tenant_id = {} AND "case".id = {} AND head.last_hash IS NOT NULL RETURNING "case".serial), '
    "appended AS (INSERT INTO case_event (tenant_id, case_id, seq, name, action, from_state, to_state, "
    "actor, at, data, prev_hash, hash) SELECT {}::int, {}::int, 1, {}::text, {}::text, {}::text, {}::text, "
    "{}::text, {}::timestamptz, {}::jsonb, head.last_hash, head.hash FROM head "
    "WHERE head.last_hash IS NOT NULL RETURNING id), "
    "moved AS (UPDATE event_chain SET last_hash = head.hash, last_event_id = appended.id FROM head, appended "
    "WHERE event_chain.tenant_id = {}) "
    "SELECT head.last, head.last_hash, head.hash, (SELECT serial FROM numbered) AS serial FROM head"
)


def _with_serial(case: Case, serial: str) -> Case:
    return replace(case, serial=serial)
