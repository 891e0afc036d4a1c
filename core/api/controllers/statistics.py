"""Monthly statistics per unit, as data and as a circular ready to send round."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.security import requires
from core.domain.errors import InvalidCommand
from core.domain.reporting import ReportingPeriod
from core.domain.roles import Permission
from core.services.auth import Principal

__all__ = ["ReportController", "StatisticsController", "TrendsController"]


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


class BreakdownRowOut(msgspec.Struct):
    label: str
    received: int
    replied: int
    late: int
    feedback: int
    satisfied: int
    satisfaction_rate: float | None


class BreakdownOut(msgspec.Struct):
    key: str
    label: str
    rows: list[BreakdownRowOut]


class ReportOut(msgspec.Struct):
    tenant: str
    period: str
    period_label: str
    start: date
    last: date
    lines: list[UnitLineOut]
    totals: UnitLineOut
    breakdowns: list[BreakdownOut]
    circular: str


def _line(line: Any) -> UnitLineOut:
    return UnitLineOut(**{name: getattr(line, name) for name in UnitLineOut.__struct_fields__})


def _row(row: Any) -> BreakdownRowOut:
    return BreakdownRowOut(**{name: getattr(row, name) for name in BreakdownRowOut.__struct_fields__})


def _respond(report: Any, format: str | None) -> Response[Any]:
    """The report as JSON, or as a CSV or XLSX download."""
    if format is None:
        return Response(
            ReportOut(
                tenant=report.tenant,
                period=report.period.key,
                period_label=report.period.label,
                start=report.period.start,
                last=report.period.last,
                lines=[_line(line) for line in report.lines],
                totals=_line(report.totals),
                breakdowns=[
                    BreakdownOut(b.key, b.label, [_row(row) for row in b.rows]) for b in report.breakdowns
                ],
                circular=report.circular(),
            )
        )
    if format not in ("csv", "xlsx"):
        raise InvalidCommand(f"format 只能是 csv 或 xlsx，而不是“{format}”", field="format")
    content = report.csv().encode("utf-8-sig") if format == "csv" else report.xlsx()
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"statistics-{report.period.key}.{format}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


_FORMAT = QueryParameter(description="csv 或 xlsx：下载表格", max_length=8)


class StatisticsController(Controller):
    path = "/api/v1/stats/monthly"
    tags = ("stats 统计",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        guards=[requires(Permission.CASE_READ)],
        summary="月度办理统计（按承办单位和插件登记的各分类维度），含通报文本",
        responses=PROBLEMS,
    )
    async def monthly(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
        month: Annotated[int, QueryParameter(ge=1, le=12)],
        format: Annotated[str | None, _FORMAT] = None,
    ) -> Response[Any]:
        user = request.user
        return _respond(await services.statistics.monthly(user.tenant_id, user.actor, year, month), format)

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


class ReportController(Controller):
    path = "/api/v1/stats/report"
    tags = ("stats 统计",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        guards=[requires(Permission.CASE_READ)],
        summary="任意期间的办理统计：月 2026-05、季度 2026-Q2、年 2026 或日期范围 2026-01-01..2026-03-31",
        responses=PROBLEMS,
    )
    async def report(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        period: Annotated[str, QueryParameter(max_length=40, description="统计期间")],
        format: Annotated[str | None, _FORMAT] = None,
    ) -> Response[Any]:
        user = request.user
        chosen = ReportingPeriod.parse(period)
        return _respond(await services.statistics.report(user.tenant_id, user.actor, chosen), format)


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
