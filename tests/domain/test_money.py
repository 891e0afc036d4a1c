"""Tiered amounts for compensation rules."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.errors import InvalidCommand
from core.domain.money import Tier, tiered_amount

# The company rule: 20% of the part up to 10,000 and 10% of the part above.
COMPANY = [Tier(Decimal(10000), Decimal("0.2")), Tier(None, Decimal("0.1"))]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "0.00"),
        ("8000", "1600.00"),
        ("10000", "2000.00"),
        ("25000", "3500.00"),
        ("0.03", "0.01"),  # 0.006 rounds half up
        ("0.02", "0.00"),  # 0.004 rounds down
        ("10000.05", "2000.01"),  # 2000.005 rounds half up
    ],
)
def test_company_rule(amount: str, expected: str) -> None:
    result = tiered_amount(Decimal(amount), COMPANY)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_bounded_last_tier_caps_the_base() -> None:
    assert tiered_amount(Decimal(25000), [Tier(Decimal(10000), Decimal("0.2"))]) == Decimal("2000.00")


def test_three_tiers_and_int_values() -> None:
    tiers = [Tier(1000, Decimal("0.5")), Tier(5000, Decimal("0.2")), Tier(None, Decimal(0))]
    assert tiered_amount(6000, tiers) == Decimal("1300.00")


@pytest.mark.parametrize("amount", [Decimal(-1), Decimal("NaN"), Decimal("Infinity"), 100.0, "100"])
def test_bad_amount_is_refused(amount) -> None:
    with pytest.raises(InvalidCommand) as error:
        tiered_amount(amount, COMPANY)
    assert error.value.field == "amount"


@pytest.mark.parametrize(
    "make_tiers",
    [
        lambda: [],
        lambda: [Tier(None, Decimal("0.1")), Tier(Decimal(10000), Decimal("0.2"))],
        lambda: [Tier(Decimal(10000), Decimal("0.2")), Tier(Decimal(10000), Decimal("0.1"))],
        lambda: [Tier(Decimal(10000), Decimal("0.2")), Tier(Decimal(5000), Decimal("0.1"))],
        lambda: [Tier(Decimal(10000), Decimal("1.5"))],
        lambda: [Tier(Decimal(10000), Decimal("-0.1"))],
        lambda: [Tier(Decimal(0), Decimal("0.1"))],
        lambda: [Tier(None, 0.1)],
    ],
)
def test_bad_tiers_are_refused(make_tiers) -> None:
    with pytest.raises(InvalidCommand):
        tiered_amount(Decimal(100), make_tiers())


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def tier_lists(draw) -> list[Tier]:
    """Strictly ascending bounds, each with a rate in [0, 1], optionally open-ended at the end."""
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=5)))
    rates = st.decimals(min_value=0, max_value=1, places=3)
    tiers = [Tier(Decimal(bound), draw(rates)) for bound in bounds]
    if draw(st.booleans()):
        tiers.append(Tier(None, draw(rates)))
    return tiers


@settings(database=None, max_examples=300)
@given(tiers=tier_lists(), first=amounts, second=amounts)
def test_monotone_and_never_above_the_highest_rate(
    tiers: list[Tier], first: Decimal, second: Decimal
) -> None:
    low, high = sorted((first, second))
    assert tiered_amount(low, tiers) <= tiered_amount(high, tiers)
    highest = max(tier.rate for tier in tiers)
    ceiling = (high * highest).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # rounding is monotone too
    assert tiered_amount(high, tiers) <= ceiling
