"""The case event chain: each tenant's events, hash-linked in the order they were written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from piccolo.query import Max
from piccolo.utils.encoding import dump_json

from core.domain.audit import ChainedEvent, chain_record, event_hash
from core.domain.cases import (
    CaseState,
)
from core.domain.events import CaseEvent as CaseEventValue
from core.store import dialect
from core.store.rows import ids_in, insert_rows, json_value
from core.store.tables import (
    CaseEvent,
    CaseRow,
    EventChain,
)
from core.store.tx import TenantScoped, require_tenant, tenant_tx

__all__ = [
    "EVENT_COLUMNS",
    "ChainLink",
    "EventRepository",
    "case_chain",
    "case_serials",
    "chain_head",
    "chain_links",
    "chain_records",
    "chained_event",
    "chained_record",
    "event_hash_sql",
]


def chained_record(
    tenant_id: int, case_id: int, seq: int, event: CaseEventValue
) -> tuple[dict[str, Any], datetime]:
    """The record `event` is hashed as on the chain, and its instant in UTC (as stored)."""
    at = (event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)).astimezone(UTC)
    record = chain_record(
        tenant_id=tenant_id,
        case_id=case_id,
        seq=seq,
        name=event.name,
        action=event.action,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        actor=event.actor,
        at=at,
        data=event.data,
    )
    return record, at


EVENT_COLUMNS = (
    "tenant_id",
    "case_id",
    "seq",
    "name",
    "action",
    "from_state",
    "to_state",
    "actor",
    "at",
    "data",
    "prev_hash",
    "hash",
)


def event_hash_sql(before: str, prev_hash: str, after: str) -> str:
    """`core.domain.audit.event_hash` in PostgreSQL, finished around the previous hash.

    `before` and `after` are SQL expressions of the text `core.domain.audit.event_text_around_prev`
    splits; `prev_hash` is the chain head's hash. The intake finishes an event's hash in the
    statement that locks the head (`core.store.intake`); tests/store/test_sql_rules.py compares.
    """
    text = f"{before}::text || to_json({prev_hash})::text || {after}::text"
    return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"


class EventRepository(TenantScoped):
    """A tenant's case events."""

    async def append(self, case_id: int, event: CaseEventValue) -> int:
        """Append `event` as the case's next one; returns its sequence number (1-based)."""
        return (await self.append_many([(case_id, event)]))[0]

    async def append_many(self, events: Sequence[tuple[int, CaseEventValue]]) -> list[int]:
        """Append events (each to its case, in this order); returns their sequence numbers.

        The events join the tenant's hash chain: the chain head is locked until the transaction
        ends (SQLite's write transactions are exclusive already), so a tenant's appends queue up
        and each event carries the hash of the one before it. Many events go in one INSERT, so
        the timer jobs write a whole batch's events with the head locked only at the end.
        """
        if not events:
            return []

        def chain_head():
            query = EventChain.select(EventChain.last_hash).where(EventChain.tenant_id == self.tenant_id)
            return dialect.lock_for_update(query)

        head = await chain_head().first()
        if head is None:  # the tenant's first event
            await EventChain.raw(
                "INSERT INTO event_chain (tenant_id, last_hash, last_event_id) VALUES ({}, '', 0) "
                "ON CONFLICT (tenant_id) DO NOTHING",
                self.tenant_id,
            )
            head = await chain_head().first()  # a concurrent first event made it: this waited for it
        prev_hash = head["last_hash"]
        case_ids = list(dict.fromkeys(case_id for case_id, _ in events))
        last_seq = await self._last_seqs(case_ids)
        rows, seqs = [], []
        for case_id, event in events:
            seq = last_seq.get(case_id, 0) + 1
            last_seq[case_id] = seq
            record, at = chained_record(self.tenant_id, case_id, seq, event)
            digest = event_hash(prev_hash, record)
            rows.append(
                (
                    self.tenant_id,
                    case_id,
                    seq,
                    record["name"],
                    record["action"],
                    record["from_state"],
                    record["to_state"],
                    record["actor"],
                    at,
                    dump_json(record["data"]),  # stored as hashed
                    prev_hash,
                    digest,
                )
            )
            seqs.append(seq)
            prev_hash = digest
        # One statement: the rows take their ids in the order given, which is the chain's order
        # (`huiying audit verify` walks the chain by id).
        ids = await insert_rows(CaseEvent, EVENT_COLUMNS, rows)
        await EventChain.update({EventChain.last_hash: prev_hash, EventChain.last_event_id: max(ids)}).where(
            EventChain.tenant_id == self.tenant_id
        )
        return seqs

    async def _last_seqs(self, case_ids: Sequence[int]) -> dict[int, int]:
        rows = (
            await CaseEvent.select(CaseEvent.case_id, Max(CaseEvent.seq, alias="seq"))
            .where((CaseEvent.tenant_id == self.tenant_id) & ids_in(CaseEvent.case_id, case_ids))
            .group_by(CaseEvent.case_id)
        )
        return {row["case_id"]: row["seq"] for row in rows}

    async def of_case(self, case_id: int) -> list[CaseEventValue]:
        rows = (
            await CaseEvent.select()
            .where((CaseEvent.tenant_id == self.tenant_id) & (CaseEvent.case_id == case_id))
            .order_by(CaseEvent.seq)
        )
        return [
            CaseEventValue(
                name=row["name"],
                at=row["at"],
                actor=row["actor"],
                from_state=CaseState(row["from_state"]) if row["from_state"] else None,
                to_state=CaseState(row["to_state"]),
                action=row["action"],
                data=MappingProxyType(json_value(row["data"])),
            )
            for row in rows
        ]


# --- reading the chain back: verification (`huiying audit verify`) -----------------------------
async def chain_records(tenant_id: int) -> list[ChainedEvent]:
    """The tenant's events in the order they were chained (by id), as `first_broken` walks them."""
    async with tenant_tx(tenant_id):
        rows = await CaseEvent.select().where(CaseEvent.tenant_id == tenant_id).order_by(CaseEvent.id)
    return [chained_event(row) for row in rows]


def chained_event(row: dict) -> ChainedEvent:
    """A `case_event` row as the chain hashed it: the record, its predecessor's hash and its own."""
    return ChainedEvent(
        id=row["id"],
        record=chain_record(
            tenant_id=row["tenant_id"],
            case_id=row["case_id"],
            seq=row["seq"],
            name=row["name"],
            action=row["action"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            actor=row["actor"],
            at=row["at"],
            data=json_value(row["data"]),
        ),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


async def chain_head(tenant_id: int) -> tuple[str, int] | None:
    """The tenant's chain head as ``(last_hash, last_event_id)``; None before its first event."""
    async with tenant_tx(tenant_id):
        row = (
            await EventChain.select(EventChain.last_hash, EventChain.last_event_id)
            .where(EventChain.tenant_id == tenant_id)
            .first()
        )
    return (row["last_hash"], row["last_event_id"]) if row else None


async def case_serials(tenant_id: int, case_ids: Iterable[int]) -> dict[int, str]:
    """The serials of the tenant's cases with these ids (a missing case is left out)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    async with tenant_tx(tenant_id):
        rows = await CaseRow.select(CaseRow.id, CaseRow.serial).where(
            (CaseRow.tenant_id == tenant_id) & CaseRow.id.is_in(ids)
        )
    return {row["id"]: row["serial"] for row in rows}


# --- one case's part of the chain, for an archive bundle 归档 -----------------------------------
# A tenant's events form one chain, so between two events of a case lie other cases' events.
# The bundle carries the case's events in full and, for the stretch of the chain they span,
# every other event's link only (id, prev_hash, hash): enough to check the case's events are
# unbroken in the tenant's chain without telling anything about other cases.
class ChainLink(NamedTuple):
    """One event's place in the chain, without what it says."""

    event_id: int
    case_id: int
    prev_hash: str
    hash: str


async def case_chain(tenant_id: int, case_id: int) -> list[ChainedEvent]:
    """The case's events in chain order, each with the record its hash covers."""
    require_tenant(tenant_id)
    rows = (
        await CaseEvent.select()
        .where((CaseEvent.tenant_id == tenant_id) & (CaseEvent.case_id == case_id))
        .order_by(CaseEvent.id)
    )
    return [chained_event(row) for row in rows]


async def chain_links(tenant_id: int, *, after_id: int, upto_id: int, limit: int = 5000) -> list[ChainLink]:
    """Up to `limit` links of the tenant's chain with ``after_id < id <= upto_id``, in order."""
    require_tenant(tenant_id)
    rows = (
        await CaseEvent.select(CaseEvent.id, CaseEvent.case_id, CaseEvent.prev_hash, CaseEvent.hash)
        .where((CaseEvent.tenant_id == tenant_id) & (CaseEvent.id > after_id) & (CaseEvent.id <= upto_id))
        .order_by(CaseEvent.id)
        .limit(limit)
    )
    return [ChainLink(row["id"], row["case_id"], row["prev_hash"], row["hash"]) for row in rows]
