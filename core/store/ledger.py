"""The accountability ledger: an append-only journal (core/domain/ledger.py folds it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from piccolo.utils.encoding import dump_json

from core.domain.decisions import AccountabilityKind, Sanction, SanctionKind
from core.domain.ledger import AppealDecision, EntryType, Instalment
from core.domain.ledger import LedgerEntry as LedgerJournalEntry
from core.store import dialect
from core.store.rows import insert_rows, json_value
from core.store.tables import (
    LedgerEntry,
)
from core.store.tx import TenantScoped

__all__ = ["LEDGER_COLUMNS", "LedgerRepository", "journal_entry"]

LEDGER_COLUMNS = (
    "tenant_id",
    "entry_type",
    "case_id",
    "subject",
    "unit_code",
    "event_kind",
    "event_ref",
    "sanction_kind",
    "points",
    "amount",
    "basis",
    "note",
    "appealable",
    "refers_to",
    "evidence",
    "reason",
    "decision",
    "due_at",
    "schedule",
    "created_by",
    "at",
)


def journal_entry(r: dict[str, Any]) -> LedgerJournalEntry:
    entry_type = EntryType(r["entry_type"])
    sanction = None
    if entry_type is EntryType.LINE:
        sanction = Sanction(
            kind=SanctionKind(r["sanction_kind"]),
            basis=r["basis"],
            points=r["points"],
            amount=Decimal(r["amount"]).quantize(Decimal("0.01")),
            appealable=r["appealable"],
            note=r["note"],
        )
    return LedgerJournalEntry(
        id=r["id"],
        type=entry_type,
        subject=r["subject"],
        at=r["at"],
        by=r["created_by"],
        unit_code=r["unit_code"],
        case_id=r["case_id"],
        event_kind=AccountabilityKind(r["event_kind"]) if r["event_kind"] else None,
        event_ref=r["event_ref"],
        sanction=sanction,
        refers_to=r["refers_to"],
        evidence=r["evidence"],
        reason=r["reason"],
        decision=AppealDecision(r["decision"]) if r["decision"] else None,
        due_at=r["due_at"],
        schedule=tuple(
            Instalment(due_on=date.fromisoformat(i["due_on"]), amount=Decimal(i["amount"]))
            for i in json_value(r["schedule"])
        ),
    )


class LedgerRepository(TenantScoped):
    """A tenant's accountability journal."""

    async def add(self, entry: LedgerJournalEntry) -> LedgerJournalEntry:
        """Append one journal entry; returns it with its id."""
        return (await self.add_many([entry]))[0]

    async def add_many(self, entries: Sequence[LedgerJournalEntry]) -> list[LedgerJournalEntry]:
        """Append journal entries in one statement; returns them with their ids."""
        rows = []
        for entry in entries:
            sanction, schedule = entry.sanction, entry.schedule
            rows.append(
                (
                    self.tenant_id,
                    entry.type.value,
                    entry.case_id,
                    entry.subject,
                    entry.unit_code,
                    entry.event_kind.value if entry.event_kind else "",
                    entry.event_ref,
                    sanction.kind.value if sanction else "",
                    sanction.points if sanction else 0,
                    sanction.amount if sanction else Decimal("0"),
                    sanction.basis if sanction else "",
                    sanction.note if sanction else "",
                    sanction.appealable if sanction else False,
                    entry.refers_to,
                    entry.evidence,
                    entry.reason,
                    entry.decision.value if entry.decision else "",
                    entry.due_at,
                    dump_json([{"due_on": i.due_on.isoformat(), "amount": str(i.amount)} for i in schedule]),
                    entry.by,
                    entry.at,
                )
            )
        ids = await insert_rows(LedgerEntry, LEDGER_COLUMNS, rows)
        return [replace(entry, id=entry_id) for entry, entry_id in zip(entries, ids, strict=True)]

    async def standing_events(
        self, subject: str, event_kind: AccountabilityKind, since: datetime, until: datetime
    ) -> int:
        """How many events of `event_kind` still hold `subject` to account, first written in [since, until).

        The count `core.domain.ledger.events_in_force` makes of a folded journal, done in SQL so
        a breach does not read the subject's whole history: an event counts once, unless every
        one of its lines was reversed.
        """
        rows = await LedgerEntry.raw(
            "SELECT COUNT(*) AS n FROM ("
            " SELECT l.event_ref FROM ledger_entry l"
            " WHERE l.tenant_id = {} AND l.entry_type = 'line' AND l.subject = {} AND l.event_kind = {}"
            " GROUP BY l.event_ref"
            " HAVING MIN(l.at) >= {} AND MIN(l.at) < {}"
            " AND SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE r.tenant_id = l.tenant_id"
            " AND r.entry_type = 'reversal' AND r.refers_to = l.id) THEN 1 ELSE 0 END) > 0"
            ") standing",
            self.tenant_id,
            subject,
            event_kind.value,
            since.astimezone(UTC),
            until.astimezone(UTC),
        )
        return int(rows[0]["n"])

    async def lock_line(self, line_id: int) -> None:
        """Serialise everyone answering one line (no FOR UPDATE: the journal grants no UPDATE)."""
        if dialect.queues_writers():
            await LedgerEntry.raw("SELECT pg_advisory_xact_lock({}, {})", self.tenant_id, line_id)

    async def journal(
        self, *, subjects: Sequence[str] | None = None, unit: str | None = None
    ) -> list[LedgerJournalEntry]:
        """The journal, oldest first; narrowed to entries about some subjects or one unit.

        A narrowed journal still holds every entry about the lines it returns (their
        reversals, appeals and decisions share the line's subject and unit).
        """
        query = LedgerEntry.select().where(LedgerEntry.tenant_id == self.tenant_id)
        if subjects is not None:
            query = query.where(LedgerEntry.subject.is_in(list(subjects) or [""]))
        if unit is not None:
            query = query.where(LedgerEntry.unit_code == unit)
        return [journal_entry(r) for r in await query.order_by(LedgerEntry.id)]
