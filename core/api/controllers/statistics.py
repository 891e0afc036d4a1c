"""Monthly statistics per unit, as data and as a circular ready to send round."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.security import requires
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.statistics import StatisticsService

__all__ = ["StatisticsController"]


class UnitLineOut(msgspec.Struct):
    unit_code: str | None
    unit_name: str
    received: int
    dispatched: int
    replied: int
    replied_on_time: int
    late: int
    supervision_notices: int


class MonthlyOut(msgspec.Struct):
    tenant: str
    year: int
    month: int
    lines: list[UnitLineOut]
    totals: UnitLineOut
    circular: str


def _line(line: Any) -> UnitLineOut:
    return UnitLineOut(**{name: getattr(line, name) for name in UnitLineOut.__struct_fields__})


class StatisticsController(Controller):
    path = "/api/v1/stats/monthly"
    tags = ("stats 统计",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        guards=[requires(Permission.CASE_READ)],
        summary="月度办理统计（按承办单位），含通报文本",
        responses=PROBLEMS,
    )
    async def monthly(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
        month: Annotated[int, QueryParameter(ge=1, le=12)],
    ) -> MonthlyOut:
        user = request.user
        report = await StatisticsService().monthly(user.tenant_id, user.actor, year, month)
        return MonthlyOut(
            tenant=report.tenant,
            year=report.year,
            month=report.month,
            lines=[_line(line) for line in report.lines],
            totals=_line(report.totals),
            circular=report.circular(),
        )
