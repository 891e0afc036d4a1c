"""The hash chain of case events: stable hashes, and every alteration, removal or reordering seen."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.domain.audit import (
    GENESIS,
    HASH_MISMATCH,
    PREV_MISMATCH,
    BrokenLink,
    ChainedEvent,
    canonical_at,
    chain_record,
    event_hash,
    event_text_around_prev,
    first_broken,
    head_mismatch,
)

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def record(seq: int = 1, case_id: int = 7, **overrides) -> dict:
    values = {
        "tenant_id": 3,
        "case_id": case_id,
        "seq": seq,
        "name": "case_received",
        "action": "",
        "from_state": None,
        "to_state": "received",
        "actor": "operator",
        "at": AT + timedelta(minutes=seq),
        "data": {"kind": "complaint", "备注": "来电", "timers": [{"kind": "intake", "due": 3}]},
    }
    return chain_record(**(values | overrides))


def chain(records: list[dict]) -> list[ChainedEvent]:
    events, prev = [], GENESIS
    for number, item in enumerate(records, start=1):
        digest = event_hash(prev, item)
        events.append(ChainedEvent(id=number * 10, record=item, prev_hash=prev, hash=digest))
        prev = digest
    return events


@pytest.mark.parametrize("prev", [GENESIS, "0" * 64, hashlib.sha256(b"x").hexdigest()])
@pytest.mark.parametrize(
    "item",
    [
        record(),
        record(data={"prev": "x", "quote": '"引号"\\', "nested": {"prev": [1, 2.5, None]}}),
        record(seq=9),
    ],
)
def test_the_text_around_prev_finishes_into_the_same_hash(prev, item):
    # The store finishes the hash in SQL from these two halves and the head's hash.
    before, after = event_text_around_prev(item)
    text = before + json.dumps(prev) + after
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == event_hash(prev, item)


def test_the_hash_is_sha256_of_canonical_json_and_stable():
    item = record()
    text = json.dumps({"prev": "", **item}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert event_hash("", item) == hashlib.sha256(text.encode()).hexdigest()
    assert event_hash("", item) == event_hash("", dict(reversed(list(item.items()))))  # key order
    assert event_hash("", item) == event_hash("", record())
    assert len(event_hash("", item)) == 64
    assert event_hash("a" * 64, item) != event_hash("", item)


def test_instants_are_hashed_in_utc_with_microseconds():
    shanghai = timezone(timedelta(hours=8))
    assert canonical_at(datetime(2026, 11, 2, 10, 0, tzinfo=shanghai)) == "2026-11-02T02:00:00.000000+00:00"
    assert canonical_at(datetime(2026, 11, 2, 2, 0, 0, 5)) == "2026-11-02T02:00:00.000005+00:00"  # naive: UTC
    same = record(at=datetime(2026, 11, 2, 10, 1, tzinfo=shanghai))
    assert event_hash("", same) == event_hash("", record())


def test_data_is_hashed_as_it_reads_back_from_json():
    item = record(data={"n": 1e16, "x": 2.5, "when": AT, "nested": {"k": (1, 2)}})
    assert item["data"] == {
        "n": 10**16,
        "x": 2.5,
        "when": "2026-11-02 02:00:00+00:00",
        "nested": {"k": [1, 2]},
    }
    assert event_hash("", item) == event_hash("", record(data=json.loads(json.dumps(item["data"]))))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tenant_id", 4),
        ("case_id", 8),
        ("seq", 2),
        ("name", "case_closed"),
        ("action", "close"),
        ("from_state", "received"),
        ("to_state", "closed"),
        ("actor", "someone"),
        ("at", "2026-11-02T02:01:00.000001+00:00"),
        ("data", {"kind": "complaint", "备注": "来访", "timers": [{"kind": "intake", "due": 3}]}),
    ],
)
def test_changing_any_field_changes_the_hash(field, value):
    item = record()
    assert item[field] != value
    assert event_hash("", {**item, field: value}) != event_hash("", item)


def test_an_intact_chain_has_no_broken_link():
    assert first_broken([]) is None
    assert first_broken(chain([record(1), record(1, case_id=8), record(2)])) is None


def test_an_altered_event_is_named_by_its_hash():
    events = chain([record(1), record(1, case_id=8), record(2)])
    altered = {**events[1].record, "data": {"kind": "consultation"}}
    events[1] = events[1]._replace(record=altered)
    assert first_broken(events) == BrokenLink(position=2, event_id=20, case_id=8, seq=1, why=HASH_MISMATCH)


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link():
    events = chain([record(1), record(2), record(3)])
    altered = {**events[0].record, "actor": "forger"}
    events[0] = events[0]._replace(record=altered, hash=event_hash(GENESIS, altered))
    broken = first_broken(events)
    assert (broken.position, broken.event_id, broken.why) == (2, 20, PREV_MISMATCH)


def test_a_removed_event_breaks_the_next_link():
    events = chain([record(1), record(2), record(3)])
    broken = first_broken([events[0], events[2]])
    assert (broken.position, broken.event_id, broken.seq, broken.why) == (2, 30, 3, PREV_MISMATCH)
    first = first_broken(events[1:])  # the first event removed: the new first does not start at GENESIS
    assert (first.position, first.event_id, first.why) == (1, 20, PREV_MISMATCH)


def test_reordered_events_break_a_link():
    events = chain([record(1), record(2), record(3)])
    broken = first_broken([events[0], events[2], events[1]])
    assert (broken.event_id, broken.why) == (30, PREV_MISMATCH)


def test_plain_tuples_are_walked_too():
    events = [tuple(event) for event in chain([record(1), record(2)])]
    assert first_broken(events) is None


def test_the_head_notices_events_removed_from_the_end():
    events = chain([record(1), record(2), record(3)])
    head = (events[-1].hash, events[-1].id)
    assert head_mismatch(events, head) is None
    assert head_mismatch([], None) is None
    assert "removed from the end" in head_mismatch(events[:2], head)
    assert "no event is left" in head_mismatch([], head)
    assert "head missing" in head_mismatch(events, None)
    assert "altered" in head_mismatch(events, ("0" * 64, events[-1].id))


def test_broken_links_are_values():
    link = BrokenLink(position=1, event_id=2, case_id=3, seq=4, why=HASH_MISMATCH)
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.why = ""  # type: ignore[misc]
