"""Accountability: an event the tenant's plugin turns into ledger lines (sanctions or rewards).

One place for both sources: a breached deadline (the timer jobs) and a case closed with an
upheld complaint against someone or a verified report (the close action).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.domain.cases import Case
from core.domain.decisions import AccountabilityEvent, AccountabilityKind, Sanction
from core.services.tenants import LoadedTenant
from core.store.repositories import CaseRepository

__all__ = ["ACCOUNTABILITY_RECORDED", "record_accountability"]

ACCOUNTABILITY_RECORDED = "case_accountability_recorded"


async def record_accountability(
    repo: CaseRepository,
    tenant: LoadedTenant,
    case: Case,
    *,
    kind: AccountabilityKind,
    subject: str,
    now: datetime,
    detail: str = "",
    amount: Decimal = Decimal("0"),
) -> tuple[AccountabilityEvent, tuple[Sanction, ...]]:
    """Ask the plugin for the sanctions or rewards of one event and write them to the ledger.

    ``count_in_year`` counts the subject's earlier lines of this kind in the tenant's calendar
    year, so ladders (1st: admonition, 2nd: circulated criticism, ...) climb per year.

    Raises:
        ValueError: the plugin answered with a negative amount or points (a contract breach).
    """
    zone = ZoneInfo(tenant.record.timezone)
    local = now.astimezone(zone)
    year_start = datetime(local.year, 1, 1, tzinfo=zone)
    year_end = datetime(local.year + 1, 1, 1, tzinfo=zone)
    earlier = await repo.ledger_count(subject, kind, year_start, year_end)
    event = AccountabilityEvent(
        kind=kind,
        subject=subject,
        case_serial=case.serial,
        count_in_year=earlier + 1,
        amount=amount,
        detail=detail,
    )
    sanctions = tenant.hooks.accountability_sanctions(event)
    for sanction in sanctions:
        if sanction.points < 0 or sanction.amount < Decimal("0"):
            raise ValueError(f"plugin {tenant.record.plugin} returned a negative sanction: {sanction}")
        await repo.add_ledger_line(
            case_id=case.id, subject=subject, event_kind=kind, sanction=sanction, at=now
        )
    return event, sanctions
