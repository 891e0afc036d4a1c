"""Tiered amounts for compensation rules, in `Decimal` and rounded to the fen (0.01 yuan).

A tier applies its rate to the part of the amount between the previous tier's bound and its
own ``upto``. Example, the company rule "20% of the part up to 10,000, 10% above":
``[Tier(Decimal(10000), Decimal("0.2")), Tier(None, Decimal("0.1"))]``. When the last tier is
bounded, the part of the amount above its bound earns nothing (the base is capped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.domain.errors import InvalidCommand

__all__ = ["Tier", "tiered_amount"]

_FEN = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Tier:
    """One band of a tiered rule.

    Attributes:
        upto: Upper bound of the band (inclusive), or None for "and above" (last tier only).
        rate: Share of the band's part paid, between 0 and 1.
    """

    upto: Decimal | None
    rate: Decimal

    def __post_init__(self) -> None:
        """Reject a non-decimal or out-of-range rate and a non-positive bound."""
        rate = _decimal(self.rate, "rate")
        if not 0 <= rate <= 1:
            raise InvalidCommand(
                f"比例应在 0 到 1 之间，收到 {rate} (rate must be within [0, 1])", field="rate"
            )
        if self.upto is not None and _decimal(self.upto, "upto") <= 0:
            raise InvalidCommand(f"档位上限应大于 0，收到 {self.upto} (upto must be positive)", field="upto")


def tiered_amount(amount: Decimal, tiers: Sequence[Tier]) -> Decimal:
    """Apply the tiers to `amount` and round to 0.01 with ROUND_HALF_UP.

    Args:
        amount: The base amount, not negative.
        tiers: Bands in ascending order of `upto`; only the last may be open-ended.

    Returns:
        The tiered amount, rounded to the fen.

    Raises:
        InvalidCommand: If the amount is negative or not a decimal, or the tiers are empty,
            not strictly ascending, or open-ended before the last.
    """
    amount = _decimal(amount, "amount")
    if amount < 0:
        raise InvalidCommand(f"金额不能为负数，收到 {amount} (amount must not be negative)", field="amount")
    _check_tiers(tiers)
    total = Decimal(0)
    lower = Decimal(0)
    for tier in tiers:
        upper = amount if tier.upto is None else min(Decimal(tier.upto), amount)
        if upper > lower:
            total += (upper - lower) * Decimal(tier.rate)
        if tier.upto is None or amount <= tier.upto:
            break
        lower = Decimal(tier.upto)
    return total.quantize(_FEN, rounding=ROUND_HALF_UP)


def _check_tiers(tiers: Sequence[Tier]) -> None:
    """Raise unless the tiers are non-empty, strictly ascending and open-ended only at the end."""
    if not tiers:
        raise InvalidCommand("至少需要一个档位 (at least one tier is required)", field="tiers")
    previous: Decimal | None = None
    for position, tier in enumerate(tiers, start=1):
        if tier.upto is None:
            if position != len(tiers):
                raise InvalidCommand(
                    f"只有最后一档可以不设上限，第 {position} 档未设上限 "
                    "(only the last tier may be open-ended)",
                    field="tiers",
                )
            continue
        if previous is not None and tier.upto <= previous:
            raise InvalidCommand(
                f"档位上限必须严格递增：第 {position} 档 {tier.upto} 不大于 {previous} "
                "(upto must be ascending)",
                field="tiers",
            )
        previous = tier.upto


def _decimal(value: object, field: str) -> Decimal:
    """Accept a finite Decimal or an int; floats are refused because they are inexact."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    raise InvalidCommand(
        f"{field} 应为有限的 Decimal 数值，收到 {value!r} (expected a finite Decimal)", field=field
    )
