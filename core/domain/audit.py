"""The tamper-evident record: each of a tenant's case events carries its predecessor's hash.

An event's hash covers what it says (the tenant, case, sequence number, name, action, states,
actor, instant and data) and the hash of the tenant's previous event, so altering an event
breaks its own hash and removing or reordering one breaks the next event's ``prev_hash``.
The first event of a tenant links to ``GENESIS`` (""). Everything here is pure.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

__all__ = [
    "GENESIS",
    "HASH_MISMATCH",
    "PREV_MISMATCH",
    "BrokenLink",
    "ChainedEvent",
    "canonical_at",
    "canonical_data",
    "chain_record",
    "event_hash",
    "event_text_around_prev",
    "first_broken",
    "head_mismatch",
]

GENESIS = ""
"""The ``prev_hash`` of a tenant's first event."""

HASH_MISMATCH = "hash mismatch: the event was altered"
PREV_MISMATCH = "prev_hash mismatch: an event was removed or reordered"


def canonical_at(at: datetime) -> str:
    """An instant as it is hashed: UTC, ISO 8601 with microseconds ("2026-11-02T02:00:00.000000+00:00").

    A naive instant is taken as UTC, as the store reads it back.
    """
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _whole_floats_as_ints(value: Any) -> Any:
    # PostgreSQL's JSONB prints 1e+16 back as 10000000000000000: a whole float is hashed as the
    # integer it equals, so an event hashes alike written and read back, on either engine.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_floats_as_ints(item) for item in value]
    return value


def canonical_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data as it reads back from the JSON column (values JSON lacks become strings)."""
    return _whole_floats_as_ints(json.loads(json.dumps(dict(data), default=str)))


def chain_record(
    *,
    tenant_id: int,
    case_id: int,
    seq: int,
    name: str,
    action: str,
    from_state: str | None,
    to_state: str,
    actor: str,
    at: datetime,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """What an event's hash covers, normalised as the event reads back from the store."""
    return {
        "tenant_id": tenant_id,
        "case_id": case_id,
        "seq": seq,
        "name": name,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "actor": actor,
        "at": canonical_at(at),
        "data": canonical_data(data),
    }


def event_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """The sha256 (hex) of the canonical JSON of ``{"prev": prev_hash, **record}``."""
    text = json.dumps(
        {"prev": prev_hash, **record}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_text_around_prev(record: Mapping[str, Any]) -> tuple[str, str]:
    """The text `event_hash` digests for `record`, split where the previous hash goes.

    ``sha256(before + json.dumps(prev_hash) + after)`` is ``event_hash(prev_hash, record)``: the
    store can then finish the hash in the same SQL statement that reads and locks the chain's
    head, instead of a round trip later.
    """
    marker = f"prev-{secrets.token_hex(16)}"  # a value the record cannot hold by chance
    text = json.dumps({"prev": marker, **record}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    before, found, after = text.partition(json.dumps(marker))
    if not found or json.dumps(marker) in after:
        raise ValueError("the record holds the marker")  # not by chance: 128 random bits
    return before, after


class ChainedEvent(NamedTuple):
    """One stored event of a tenant's chain: ``(id, record, prev_hash, hash)``."""

    id: int
    record: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first event of a chain that does not hold, and why."""

    position: int  # 1-based place in the tenant's chain
    event_id: int
    case_id: int
    seq: int
    why: str


def first_broken(events: Iterable[tuple[int, Mapping[str, Any], str, str]]) -> BrokenLink | None:
    """Walk a tenant's events in order; the first whose link or hash does not hold, or None.

    A link holds when the event's ``prev_hash`` is the previous event's stored hash (``GENESIS``
    for the first) and its hash is the one recomputed from its record.
    """
    expected_prev = GENESIS
    for position, (event_id, record, prev_hash, stored_hash) in enumerate(events, start=1):
        why = None
        if prev_hash != expected_prev:
            why = PREV_MISMATCH
        elif stored_hash != event_hash(prev_hash, record):
            why = HASH_MISMATCH
        if why is not None:
            return BrokenLink(
                position=position,
                event_id=event_id,
                case_id=record.get("case_id", 0),
                seq=record.get("seq", 0),
                why=why,
            )
        expected_prev = stored_hash
    return None


def head_mismatch(
    events: Sequence[tuple[int, Mapping[str, Any], str, str]], head: tuple[str, int] | None
) -> str | None:
    """Why the chain's head ``(last_hash, last_event_id)`` disagrees with its last event, or None.

    Only the head notices events removed from the end of the chain.
    """
    if not events:
        if head is None or head == (GENESIS, 0):
            return None
        return f"chain head points at event {head[1]} but no event is left: events were removed"
    last_id, _, _, last_hash = events[-1]
    if head is None:
        return "chain head missing: it was removed"
    if head[1] != last_id:
        return (
            f"chain head points at event {head[1]} but the last event is {last_id}: "
            "events were removed from the end"
        )
    if head[0] != last_hash:
        return f"chain head's hash differs from event {last_id}'s: the event or the head was altered"
    return None
