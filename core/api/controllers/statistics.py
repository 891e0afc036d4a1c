"""Monthly statistics per unit, as data and as a circular ready to send round."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.security import requires
from core.domain.roles import Permission
from core.services.auth import Principal

__all__ = ["StatisticsController", "TrendsController"]


class UnitLineOut(msgspec.Struct):
    unit_code: str | None
    unit_name: str
    received: int
    accepted: int
    refused: int
    referred: int
    dispatched: int
    replied: int
    replied_on_time: int
    late: int
    supervision_notices: int
    extensions: int
    feedback: int
    satisfied: int
    satisfaction_rate: float | None
    avg_handling_days: float | None
    rank: int | None
    received_change: int
    late_change: int


class SignalOut(msgspec.Struct):
    kind: str
    key: str
    summary: str
    count: int
    case_ids: list[int]
    serials: list[str]
    baseline: float | None


class CircularOut(msgspec.Struct):
    id: int
    number: str
    title: str
    render_state: str
    pdf: str


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
        format: Annotated[
            str | None, QueryParameter(description="csv 或 xlsx：下载表格", max_length=8)
        ] = None,
    ) -> Response[Any]:
        user = request.user
        report = await services.statistics.monthly(user.tenant_id, user.actor, year, month)
        if format in ("csv", "xlsx"):
            content = report.csv().encode("utf-8-sig") if format == "csv" else report.xlsx()
            media = (
                "text/csv; charset=utf-8"
                if format == "csv"
                else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            name = f"circular-{year}-{month:02d}.{format}"
            return Response(
                content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
            )
        if format is not None:
            from core.domain.errors import InvalidCommand

            raise InvalidCommand("format 只能是 csv 或 xlsx", field="format")
        return Response(
            MonthlyOut(
                tenant=report.tenant,
                year=report.year,
                month=report.month,
                lines=[_line(line) for line in report.lines],
                totals=_line(report.totals),
                circular=report.circular(),
            )
        )

    @post(
        "/circulars",
        guards=[requires(Permission.CASE_READ)],
        status_code=202,
        summary="立即出具月度通报（PDF 由后台生成；每月 1 日自动出具上月通报）",
        responses=PROBLEMS,
    )
    async def issue(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
        month: Annotated[int, QueryParameter(ge=1, le=12)],
    ) -> CircularOut:
        user = request.user
        info = await services.statistics.issue_circular(user.tenant_id, user.actor, year, month)
        return CircularOut(
            info.id, info.number, info.title, info.render_state, f"/api/v1/documents/{info.id}/pdf"
        )


class TrendsController(Controller):
    """倾向性、苗头性问题: repeat respondents, similar subjects, common issues and surges."""

    path = "/api/v1/stats/trends"
    tags = ("stats 统计",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        guards=[requires(Permission.CASE_READ)],
        summary="倾向性、苗头性问题（重复投诉、同类问题、共性问题、突增），附所涉案件",
        responses=PROBLEMS,
    )
    async def trends(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        days: Annotated[int, QueryParameter(ge=7, le=366, description="回看天数")] = 90,
    ) -> list[SignalOut]:
        from core.domain.trends import TrendParams

        user = request.user
        signals = await services.trends.signals(
            user.tenant_id, user.actor, params=TrendParams(window_days=days)
        )
        return [
            SignalOut(s.kind, s.key, s.summary, s.count, list(s.case_ids), list(s.serials), s.baseline)
            for s in signals
        ]
