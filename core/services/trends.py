"""Trend signals for supervisors: the tenant's recent cases through `core.domain.trends.detect`.

`TrendService.signals(tenant_id, actor, ...)` is the one entry point, for the API and the supervision
dashboard alike. Cases are read as plain records (id, serial, received instant, category, the
respondent named at intake, title) and compared in Python, so PostgreSQL and SQLite behave the
same; 10,000 cases take well under a second (``bench/documents.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.domain.errors import NotPermitted
from core.domain.roles import Actor, Permission
from core.domain.trends import Signal, TrendParams, detect
from core.services.clock import Clock
from core.store.statistics import trend_records
from core.store.tx import tenant_tx

__all__ = ["TrendService"]


class TrendService:
    """Trend signals of a tenant's recent cases."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def signals(
        self, tenant_id: int, actor: Actor, *, params: TrendParams | None = None
    ) -> list[Signal]:
        """The tenant's trend signals now, each with its case ids and serials.

        Raises:
            NotPermitted: neither a supervisor nor an auditor.
        """
        return await _signals(tenant_id, actor, params or TrendParams(), self.clock.now())


async def _signals(tenant_id: int, actor: Actor, p: TrendParams, now: datetime) -> list[Signal]:
    if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
        raise NotPermitted("只有督查员、审计员和领导可以查看倾向性、苗头性问题")
    at = now.astimezone(UTC)
    # The surge baseline may reach further back than the window.
    reach = max(p.window_days, p.surge_days * (p.baseline_periods + 1))
    async with tenant_tx(tenant_id):
        records = await trend_records(tenant_id, at - timedelta(days=reach))
    return detect(records, now=at, params=p)
