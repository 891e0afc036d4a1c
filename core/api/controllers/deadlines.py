"""Deadlines: the caller's overdue, due-today and due-this-week timers, and overdue cases per unit.

Whose cases a list covers and how windows and working days are counted is described in
`core.services.deadlines`. Instants are returned in the tenant's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from msgspec import Meta, Struct

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.security import requires
from core.domain.cases import CaseState
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.deadlines import (
    DeadlineItem,
    DeadlineList,
    DeadlineScope,
    DeadlineWindow,
    OverdueByUnit,
)

__all__ = [
    "DeadlineCaseOut",
    "DeadlineOut",
    "DeadlinesController",
    "DeadlinesOut",
    "OverdueByUnitOut",
    "UnitOverdueOut",
]


class DeadlineCaseOut(Struct):
    """The case a deadline belongs to."""

    id: int
    serial: str
    title: str
    state: CaseState
    unit_code: str | None
    handler: str | None


class DeadlineOut(Struct):
    """One live timer: when it is due and how much time is left."""

    timer_id: int
    kind: Annotated[str, Meta(examples=["handling"])]
    label: Annotated[str, Meta(examples=["办结时限（一般）"])]
    basis: Annotated[str, Meta(examples=["南溪镇制度 五(一)"])]
    state: Annotated[str, Meta(description="running 计时中 / paused 已暂停 / breached 已超期")]
    due_at: Annotated[datetime, Meta(description="到期时间（租户时区）；暂停中的计时恢复后顺延")]
    provisional: Annotated[bool, Meta(description="缺少该年节假日安排时为 true，导入后重新计算")]
    paused_at: datetime | None
    overdue: bool
    remaining_seconds: Annotated[int, Meta(description="剩余秒数；超期为负；暂停期间不变")]
    remaining_working_days: Annotated[
        int, Meta(description="按租户工作日历计的剩余工作日：到期当日为 0，超期为负")
    ]
    case: DeadlineCaseOut


class DeadlinesOut(Struct):
    """The caller's deadlines in a window, soonest due first."""

    window: DeadlineWindow
    scope: Annotated[
        DeadlineScope,
        Meta(description="handler 本人承办的案件 / unit 本单位全部案件 / tenant 全部案件（督查）"),
    ]
    as_of: datetime
    until: Annotated[datetime, Meta(description="窗口截止（当日或本周日 23:59:59）；overdue 为 as_of")]
    items: list[DeadlineOut]


class UnitOverdueOut(Struct):
    """Overdue cases of one unit; ``unit_code`` is null for cases not with any unit."""

    unit_code: str | None
    unit_name: str
    overdue_cases: int


class OverdueByUnitOut(Struct):
    """Overdue cases per unit, most overdue first; ``total`` counts each case once."""

    as_of: datetime
    total: int
    units: list[UnitOverdueOut]


def deadline_out(item: DeadlineItem) -> DeadlineOut:
    return DeadlineOut(
        timer_id=item.timer_id,
        kind=item.kind,
        label=item.label,
        basis=item.basis,
        state=item.state.value,
        due_at=item.due_at,
        provisional=item.provisional,
        paused_at=item.paused_at,
        overdue=item.overdue,
        remaining_seconds=item.remaining_seconds,
        remaining_working_days=item.remaining_working_days,
        case=DeadlineCaseOut(
            id=item.case_id,
            serial=item.serial,
            title=item.title,
            state=item.case_state,
            unit_code=item.unit_code,
            handler=item.handler,
        ),
    )


def deadlines_out(found: DeadlineList) -> DeadlinesOut:
    return DeadlinesOut(
        window=found.window,
        scope=found.scope,
        as_of=found.as_of,
        until=found.until,
        items=[deadline_out(item) for item in found.items],
    )


def overdue_by_unit_out(report: OverdueByUnit) -> OverdueByUnitOut:
    return OverdueByUnitOut(
        as_of=report.as_of,
        total=report.total,
        units=[
            UnitOverdueOut(
                unit_code=line.unit_code, unit_name=line.unit_name, overdue_cases=line.overdue_cases
            )
            for line in report.units
        ],
    )


class DeadlinesController(Controller):
    """A handler planning the day, a unit head watching the unit, a supervisor chasing late cases."""

    path = "/api/v1"
    tags = ("deadlines 期限",)
    security = ({"BearerToken": []},)

    @get(
        "/me/deadlines",
        guards=[requires(Permission.CASE_READ)],
        summary="我的期限：已超期、今日到期、本周到期",
        responses=PROBLEMS,
    )
    async def mine(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        window: Annotated[
            DeadlineWindow,
            QueryParameter(description="overdue 已超期 / today 今日到期 / week 本周（至周日）到期"),
        ] = DeadlineWindow.TODAY,
    ) -> DeadlinesOut:
        """The caller's live timers in the window, soonest due first.

        Handlers see their own cases, unit heads their unit's, supervisors the whole tenant's.
        """
        user = request.user
        found = await services.deadlines.mine(user.tenant_id, user.actor, window)
        return deadlines_out(found)

    @get(
        "/stats/overdue-by-unit",
        guards=[requires(Permission.CASE_SUPERVISE)],
        summary="各承办单位超期案件数",
        responses=PROBLEMS,
    )
    async def overdue_by_unit(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services]
    ) -> OverdueByUnitOut:
        """How many cases of each unit are overdue now; cases with no unit come last (unit_code null)."""
        user = request.user
        report = await services.deadlines.by_unit(user.tenant_id, user.actor)
        return overdue_by_unit_out(report)
