"""Accountability: an event the tenant's plugin turns into ledger lines (sanctions or rewards).

One place for both sources: a breached deadline (the timer jobs) and a case closed with an
upheld complaint against someone or a verified report (the close action).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.cases import Case
from core.domain.commands import CloseCase, Outcome
from core.domain.decisions import AccountabilityEvent, AccountabilityKind, Sanction
from core.domain.ledger import EntryType, LedgerEntry
from core.services.tenants import LoadedTenant
from core.store.tenant_store import TenantStore

__all__ = ["accountability_lines", "close_accountability", "record_accountability", "standing_this_year"]


async def record_accountability(
    repo: TenantStore,
    tenant: LoadedTenant,
    case: Case,
    *,
    kind: AccountabilityKind,
    subject: str,
    now: datetime,
    evidence: str,
    detail: str = "",
    amount: Decimal = Decimal("0"),
    commission: Decimal = Decimal("0"),
    unit_code: str = "",
    responsible: tuple[str, ...] = (),
) -> tuple[AccountabilityEvent, tuple[LedgerEntry, ...]]:
    """Ask the plugin for the sanctions or rewards of one event and append them to the ledger.

    ``count_in_year`` counts the subject's events of this kind in the tenant's calendar year
    that still stand (an overturned one no longer counts; the same rule as
    `core.domain.ledger.events_in_force`, counted in SQL), this one included, so ladders
    (1st: admonition, 2nd: circulated criticism, ...) climb per year on what stands.

    Raises:
        ValueError: the plugin answered with a negative amount or points (a contract breach).
    """
    event, lines = accountability_lines(
        tenant,
        case,
        kind=kind,
        subject=subject,
        now=now,
        evidence=evidence,
        detail=detail,
        amount=amount,
        commission=commission,
        unit_code=unit_code,
        responsible=responsible,
        earlier=await standing_this_year(repo, tenant, subject, kind, now),
    )
    return event, tuple(await repo.ledger.add_many(lines))


def accountability_lines(
    tenant: LoadedTenant,
    case: Case,
    *,
    kind: AccountabilityKind,
    subject: str,
    now: datetime,
    evidence: str,
    detail: str = "",
    amount: Decimal = Decimal("0"),
    commission: Decimal = Decimal("0"),
    unit_code: str = "",
    responsible: tuple[str, ...] = (),
    earlier: int,
) -> tuple[AccountabilityEvent, tuple[LedgerEntry, ...]]:
    """The event and the ledger lines (not yet written) the plugin makes of it.

    `earlier` is the subject's count of standing events of this kind this year before this one;
    the timer jobs, recording many in one batch, keep it themselves.

    Raises:
        ValueError: the plugin answered with a negative amount or points (a contract breach).
    """
    event = AccountabilityEvent(
        kind=kind,
        subject=subject,
        case_serial=case.serial,
        count_in_year=earlier + 1,
        amount=amount,
        detail=detail,
        unit_code=unit_code,
        commission=commission,
        responsible=tuple(dict.fromkeys(name for name in responsible if name)),
    )
    sanctions = tenant.hooks.accountability_sanctions(event)
    for sanction in sanctions:
        if sanction.points < 0 or sanction.amount < Decimal("0"):
            raise ValueError(f"plugin {tenant.record.plugin} returned a negative sanction: {sanction}")
    ref = uuid.uuid4().hex
    lines = tuple(
        LedgerEntry(
            id=None,
            type=EntryType.LINE,
            subject=sanction.subject or subject,
            unit_code=unit_code,
            case_id=case.id,
            event_kind=kind,
            event_ref=ref,
            sanction=_without_subject(sanction),
            evidence=evidence,
            reason=detail,
            at=now,
        )
        for sanction in sanctions
    )
    return event, lines


async def standing_this_year(
    repo: TenantStore, tenant: LoadedTenant, subject: str, kind: AccountabilityKind, now: datetime
) -> int:
    """How many events of `kind` hold `subject` to account in the tenant's calendar year of `now`."""
    zone = ZoneInfo(tenant.record.timezone)
    year = now.astimezone(zone).year
    since, until = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    return await repo.ledger.standing_events(subject, kind, since, until)


def _without_subject(sanction: Sanction) -> Sanction:
    # The line's subject is stored on the entry; the sanction keeps only what it imposes.
    return Sanction(
        kind=sanction.kind,
        basis=sanction.basis,
        points=sanction.points,
        amount=sanction.amount,
        appealable=sanction.appealable,
        note=sanction.note,
    )


async def close_accountability(
    repo: TenantStore, tenant: LoadedTenant, case: Case, command: CloseCase, now: datetime
) -> dict[str, Any] | None:
    """An upheld complaint holds its respondent to account; a verified report rewards its reporter."""
    if command.outcome is Outcome.UPHELD:
        kind, subject = AccountabilityKind.COMPLAINT_UPHELD, command.respondent
    elif command.outcome is Outcome.VERIFIED:
        kind, subject = AccountabilityKind.REPORT_VERIFIED, f"举报人（{case.serial}）"
    else:
        return None
    event, lines = await record_accountability(
        repo,
        tenant,
        case,
        kind=kind,
        subject=subject,
        now=now,
        evidence=f"案件 {case.serial} 办结：{command.outcome.label}",
        detail=command.summary,
        amount=command.amount,
        commission=command.commission,
        unit_code=command.respondent_unit,
        responsible=(case.owner, case.handler or ""),
    )
    return {
        "subject": subject,
        "count_in_year": event.count_in_year,
        "sanctions": [_line_summary(line) for line in lines],
    }


def _line_summary(line: LedgerEntry) -> dict[str, Any]:
    sanction = line.sanction
    assert sanction is not None  # record_accountability writes lines only
    return {
        "entry": line.id,
        "subject": line.subject,
        "kind": sanction.kind.value,
        "points": sanction.points,
        "amount": str(sanction.amount),
    }
