"""The ledger journal folded back into standings, counted for ladders, and split into instalments."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.decisions import AccountabilityKind, Sanction, SanctionKind
from core.domain.errors import InvalidCommand, RuleViolation
from core.domain.ledger import (
    AppealDecision,
    EntryType,
    LedgerEntry,
    appeal_outcome,
    check_appeal,
    correction,
    events_in_force,
    fold,
    split_instalments,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
UPHELD = AccountabilityKind.COMPLAINT_UPHELD


def line(entry_id: int, *, at: datetime = T0, ref: str = "", amount: str = "0", appealable: bool = True):
    return LedgerEntry(
        id=entry_id,
        type=EntryType.LINE,
        subject="张三",
        at=at,
        event_kind=UPHELD,
        event_ref=ref or f"ev{entry_id}",
        sanction=Sanction(SanctionKind.REIMBURSEMENT, "制度", amount=Decimal(amount), appealable=appealable),
    )


def written(entries: list[LedgerEntry], start: int) -> list[LedgerEntry]:
    """Give entries ids, as the store would."""
    return [
        LedgerEntry(**{**{f: getattr(e, f) for f in e.__slots__}, "id": start + n})
        for n, e in enumerate(entries)
    ]


def test_an_unanswered_line_stands_and_may_be_appealed_once():
    (standing,) = fold([line(1)])
    assert standing.in_force and not standing.appeal_open
    check_appeal(standing)
    appeal = LedgerEntry(id=2, type=EntryType.APPEAL, subject="张三", at=T0, refers_to=1, reason="不服")
    (appealed,) = fold([line(1), appeal])
    assert appealed.appeal_open
    with pytest.raises(RuleViolation, match="不能重复申诉"):
        check_appeal(appealed)
    with pytest.raises(RuleViolation, match="不可申诉"):
        check_appeal(fold([line(3, appealable=False)])[0])


def test_a_reduction_reverses_and_replaces_and_the_event_still_counts_once():
    original = line(1, amount="3500")
    appeal = LedgerEntry(id=2, type=EntryType.APPEAL, subject="张三", at=T0, refers_to=1, reason="不服")
    (standing,) = fold([original, appeal])
    later = T0 + timedelta(days=40)
    entries = written(
        appeal_outcome(
            standing, AppealDecision.REDUCE, reason="情节轻", by="gm", at=later, amount=Decimal("1000")
        ),
        3,
    )
    assert [e.type for e in entries] == [EntryType.APPEAL_DECISION, EntryType.REVERSAL, EntryType.LINE]
    old, new = fold([original, appeal, *entries])
    assert (old.in_force, old.replaced_by, old.decision.decision) == (False, 5, AppealDecision.REDUCE)
    assert new.in_force and new.line.sanction.amount == Decimal("1000.00") and new.line.event_ref == "ev1"
    # Counted in the year of the event, once, though its standing line was written later.
    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert events_in_force([old, new], "张三", UPHELD, *year) == 1
    assert events_in_force([old, new], "李四", UPHELD, *year) == 0


def test_an_overturned_event_does_not_count_but_another_line_of_it_keeps_it():
    a, b = line(1, ref="same"), line(2, ref="same")
    reversal = LedgerEntry(id=3, type=EntryType.REVERSAL, subject="张三", at=T0, refers_to=1)
    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert events_in_force(fold([a, b, reversal]), "张三", UPHELD, *year) == 1
    reversal_b = LedgerEntry(id=4, type=EntryType.REVERSAL, subject="张三", at=T0, refers_to=2)
    assert events_in_force(fold([a, b, reversal, reversal_b]), "张三", UPHELD, *year) == 0


def test_corrections_need_a_reason_and_a_standing_line():
    (standing,) = fold([line(1, amount="100")])
    with pytest.raises(InvalidCommand, match="更正理由"):
        correction(standing, reason=" ", by="gm", at=T0)
    only_reversal = correction(standing, reason="记错人", by="gm", at=T0)
    assert [e.type for e in only_reversal] == [EntryType.REVERSAL]
    with pytest.raises(InvalidCommand, match="金额"):
        correction(standing, reason="改金额", by="gm", at=T0, amount=Decimal("-1"))
    with pytest.raises(InvalidCommand, match="金额"):
        correction(standing, reason="改金额", by="gm", at=T0, amount=Decimal("NaN"))
    (reversed_line,) = fold([line(1), *written(only_reversal, 2)])
    with pytest.raises(RuleViolation, match="已被撤销"):
        correction(reversed_line, reason="再改", by="gm", at=T0)


def test_instalments_are_monthly_to_the_cent_and_end_of_month_safe():
    plan = split_instalments(Decimal("3500"), 3, date(2026, 1, 31))
    assert [(i.due_on, i.amount) for i in plan] == [
        (date(2026, 1, 31), Decimal("1166.66")),
        (date(2026, 2, 28), Decimal("1166.66")),
        (date(2026, 3, 31), Decimal("1166.68")),
    ]
    with pytest.raises(InvalidCommand):
        split_instalments(Decimal("0"), 3, date(2026, 1, 31))
    with pytest.raises(InvalidCommand):
        split_instalments(Decimal("0.01"), 2, date(2026, 1, 31))


@given(
    cents=st.integers(min_value=2 * 36, max_value=10**10),
    count=st.integers(min_value=2, max_value=36),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_instalments_always_add_up_and_fall_due_monthly(cents, count, start):
    amount = Decimal(cents) / 100
    plan = split_instalments(amount, count, start)
    assert sum(i.amount for i in plan) == amount and len(plan) == count
    assert all(i.amount > 0 for i in plan)
    assert all(later.due_on > earlier.due_on for earlier, later in itertools.pairwise(plan))
