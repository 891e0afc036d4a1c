"""Trend signals for supervisors: the tenant's recent cases through `core.domain.trends.detect`.

`trend_signals(tenant_id, actor, ...)` is the one entry point, for the API and the supervision
dashboard alike. Cases are read as plain records (id, serial, received instant, category, the
respondent named at intake, title) and compared in Python, so PostgreSQL and SQLite behave the
same; 10,000 cases take well under a second (``bench/documents.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.domain.errors import NotPermitted
from core.domain.roles import Actor, Permission
from core.domain.trends import Signal, TrendParams, TrendRecord, detect
from core.services.clock import Clock, SystemClock
from core.store.repositories import _in_tenant
from core.store.tables import CaseRow
from core.store.tx import tenant_tx

__all__ = ["RESPONDENT_FIELDS", "trend_signals"]

RESPONDENT_FIELDS = ("respondent", "accused", "product", "respondent_unit", "window")
"""Intake fields that name who or what a case is about, in the order they are looked for."""


async def _records(tenant_id: int, since: datetime) -> list[TrendRecord]:
    _in_tenant(tenant_id)
    rows = (
        await CaseRow.select(
            CaseRow.id, CaseRow.serial, CaseRow.received_at, CaseRow.category, CaseRow.title, CaseRow.fields
        )
        .where((CaseRow.tenant_id == tenant_id) & (CaseRow.received_at >= since))
        .output(load_json=True)
    )
    records = []
    for row in rows:
        fields = row["fields"] or {}
        respondent = next((str(fields[k]) for k in RESPONDENT_FIELDS if fields.get(k)), "")
        records.append(
            TrendRecord(
                case_id=row["id"],
                serial=row["serial"],
                received_at=row["received_at"],
                category=row["category"] or "",
                respondent=respondent,
                title=row["title"],
            )
        )
    return records


async def trend_signals(
    tenant_id: int,
    actor: Actor,
    *,
    now: datetime | None = None,
    params: TrendParams | None = None,
    clock: Clock | None = None,
) -> list[Signal]:
    """The tenant's trend signals at `now` (default: the clock), each with its case ids and serials.

    Raises:
        NotPermitted: neither a supervisor nor an auditor.
    """
    if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
        raise NotPermitted("只有督查员、审计员和领导可以查看倾向性、苗头性问题")
    p = params or TrendParams()
    at = (now or (clock or SystemClock()).now()).astimezone(UTC)
    # The surge baseline may reach further back than the window.
    reach = max(p.window_days, p.surge_days * (p.baseline_periods + 1))
    async with tenant_tx(tenant_id):
        records = await _records(tenant_id, at - timedelta(days=reach))
    return detect(records, now=at, params=p)
