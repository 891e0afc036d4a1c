"""Reading a tenant's hash chain of case events back for verification (`core.domain.audit`).

Each function opens its own `tenant_tx` (joining the caller's, if any) and keeps an explicit
``WHERE tenant_id`` for SQLite, which has no RLS.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.domain.audit import ChainedEvent, chain_record
from core.store.repositories import _json
from core.store.tables import CaseEvent, CaseRow, EventChain
from core.store.tx import tenant_tx

__all__ = ["case_serials", "chain_head", "chain_records", "chained_event"]


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
            data=_json(row["data"]),
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
