"""One case's part of its tenant's hash chain, for an archive bundle 归档.

A tenant's events form one chain (`core.domain.audit`), so between two events of a case lie
other cases' events. The bundle carries the case's events in full and, for the stretch of the
chain they span, every other event's link only (id, ``prev_hash``, ``hash``): enough to check
the case's events are unbroken in the tenant's chain without telling anything about other
cases. Every function runs inside the caller's `tenant_tx` and keeps an explicit
``WHERE tenant_id`` for SQLite.
"""

from __future__ import annotations

from typing import NamedTuple

from core.domain.audit import ChainedEvent
from core.store.audit import chained_event
from core.store.repositories import _in_tenant
from core.store.tables import CaseEvent

__all__ = ["ChainLink", "case_chain", "chain_links"]


class ChainLink(NamedTuple):
    """One event's place in the chain, without what it says."""

    event_id: int
    case_id: int
    prev_hash: str
    hash: str


async def case_chain(tenant_id: int, case_id: int) -> list[ChainedEvent]:
    """The case's events in chain order, each with the record its hash covers."""
    _in_tenant(tenant_id)
    rows = (
        await CaseEvent.select()
        .where((CaseEvent.tenant_id == tenant_id) & (CaseEvent.case_id == case_id))
        .order_by(CaseEvent.id)
    )
    return [chained_event(row) for row in rows]


async def chain_links(tenant_id: int, *, after_id: int, upto_id: int, limit: int = 5000) -> list[ChainLink]:
    """Up to `limit` links of the tenant's chain with ``after_id < id <= upto_id``, in order."""
    _in_tenant(tenant_id)
    rows = (
        await CaseEvent.select(CaseEvent.id, CaseEvent.case_id, CaseEvent.prev_hash, CaseEvent.hash)
        .where((CaseEvent.tenant_id == tenant_id) & (CaseEvent.id > after_id) & (CaseEvent.id <= upto_id))
        .order_by(CaseEvent.id)
        .limit(limit)
    )
    return [ChainLink(row["id"], row["case_id"], row["prev_hash"], row["hash"]) for row in rows]
