"""The accountability ledger 问责台账: lines with their standing, appeals, corrections, instalments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta, Struct

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import Input, LongText, RowId
from core.api.security import requires, tenant_scope
from core.domain.decisions import AccountabilityKind
from core.domain.ledger import AppealDecision, LedgerEntry, LineStanding, fold
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.ledger import LedgerService

__all__ = ["LedgerController"]

_Year = Annotated[int | None, QueryParameter(ge=2000, le=2100, description="自然年")]
_Name = Annotated[str | None, QueryParameter(min_length=1, max_length=64)]


class EntryOut(Struct):
    id: int
    type: str
    subject: str
    at: datetime
    by: str
    reason: str
    decision: str | None
    due_at: datetime | None


class InstalmentOut(Struct):
    due_on: date
    amount: str


class LineOut(Struct):
    id: int
    at: datetime
    subject: str
    unit_code: str
    case_id: int | None
    event_kind: str | None
    sanction: str
    points: int
    amount: str
    basis: str
    evidence: str
    appealable: bool
    in_force: bool
    replaced_by: int | None
    appeal_open: bool
    schedule: list[InstalmentOut]
    history: list[EntryOut]


class SubjectYearOut(Struct):
    subject: str
    event_kind: str
    events: int
    lines: int
    points: int
    amount: str


class AppealIn(Input):
    reason: LongText


class DecisionIn(Input):
    decision: Annotated[AppealDecision, Meta(examples=["reduce"])]
    reason: LongText
    points: Annotated[int, Meta(ge=0, le=10_000)] | None = None
    amount: Annotated[Decimal, Meta(examples=["2000.00"])] | None = None


class CorrectionIn(Input):
    reason: LongText
    points: Annotated[int, Meta(ge=0, le=10_000)] | None = None
    amount: Annotated[Decimal, Meta(examples=["2000.00"])] | None = None


class EventIn(Input):
    case_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]
    kind: Annotated[AccountabilityKind, Meta(examples=["identity_leaked"])]
    subject: Annotated[str, Meta(min_length=1, max_length=64, examples=["张三"])]
    detail: LongText
    unit_code: Annotated[str, Meta(max_length=64)] = ""
    amount: Annotated[Decimal, Meta(examples=["3500.00"], description="涉及金额，可不填")] | None = None


class InstalmentsIn(Input):
    count: Annotated[int, Meta(ge=2, le=36, examples=[6])]
    first_due: Annotated[date, Meta(examples=["2026-12-31"])]


def entry_out(entry: LedgerEntry) -> EntryOut:
    return EntryOut(
        id=entry.id or 0,
        type=entry.type.value,
        subject=entry.subject,
        at=entry.at,
        by=entry.by,
        reason=entry.reason,
        decision=entry.decision.value if entry.decision else None,
        due_at=entry.due_at,
    )


def line_out(standing: LineStanding) -> LineOut:
    line, sanction = standing.line, standing.line.sanction
    assert sanction is not None
    return LineOut(
        id=line.id or 0,
        at=line.at,
        subject=line.subject,
        unit_code=line.unit_code,
        case_id=line.case_id,
        event_kind=line.event_kind.value if line.event_kind else None,
        sanction=sanction.kind.value,
        points=sanction.points,
        amount=f"{sanction.amount:.2f}",
        basis=sanction.basis,
        evidence=line.evidence,
        appealable=sanction.appealable,
        in_force=standing.in_force,
        replaced_by=standing.replaced_by,
        appeal_open=standing.appeal_open,
        schedule=[InstalmentOut(due_on=i.due_on, amount=f"{i.amount:.2f}") for i in standing.schedule],
        history=[entry_out(entry) for entry in standing.history[1:]],
    )


def _ledger(services: Services) -> LedgerService:
    return services.ledger


class LedgerController(Controller):
    path = "/api/v1/ledger"
    tags = ("ledger 问责台账",)
    security = ({"BearerToken": []},)

    @get("/", guards=[tenant_scope], summary="问责台账（按人、按单位、按年）", responses=PROBLEMS)
    async def lines(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        subject: _Name = None,
        unit: _Name = None,
        year: _Year = None,
    ) -> list[LineOut]:
        """Everyone's lines for ledger staff; anyone else sees only their own."""
        user = request.user
        standings = await _ledger(services).lines(
            user.tenant_id, user.actor, subject=subject, unit=unit, year=year
        )
        return [line_out(s) for s in standings]

    @get(
        "/yearly",
        guards=[requires(Permission.LEDGER_READ)],
        summary="年度统计：每人每类事由的有效次数（阶梯处理依据）",
        responses=PROBLEMS,
    )
    async def yearly(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
    ) -> list[SubjectYearOut]:
        user = request.user
        rows = await _ledger(services).yearly(user.tenant_id, user.actor, year)
        return [
            SubjectYearOut(
                subject=r.subject,
                event_kind=r.event_kind.value,
                events=r.events,
                lines=r.lines,
                points=r.points,
                amount=f"{r.amount:.2f}",
            )
            for r in rows
        ]

    @get(
        "/appeals/overdue",
        guards=[requires(Permission.LEDGER_READ)],
        summary="逾期未决的申诉",
        responses=PROBLEMS,
    )
    async def overdue_appeals(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services]
    ) -> list[LineOut]:
        user = request.user
        return [line_out(s) for s in await _ledger(services).overdue_appeals(user.tenant_id, user.actor)]

    @get(
        "/export.csv",
        guards=[requires(Permission.LEDGER_READ)],
        summary="导出问责台账（CSV）",
        media_type="text/csv; charset=utf-8",
        responses=PROBLEMS,
    )
    async def export(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services], year: _Year = None
    ) -> Response[str]:
        user = request.user
        body = await _ledger(services).csv(user.tenant_id, user.actor, year=year)
        name = f"ledger-{year}.csv" if year else "ledger.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    @post(
        "/events",
        guards=[requires(Permission.LEDGER_DECIDE)],
        summary="登记经查实的问责事由（泄露身份、脱岗漏报、造成损失）",
        responses=PROBLEMS,
    )
    async def record_event(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        data: JSONBody[EventIn],
    ) -> list[LineOut]:
        """The plugin turns the fact into ledger lines; the case's timeline records it."""
        user = request.user
        ledger = _ledger(services)
        entries = await ledger.record_event(
            user.tenant_id,
            data.case_id,
            user.actor,
            data.kind,
            data.subject,
            data.detail,
            unit_code=data.unit_code,
            amount=data.amount if data.amount is not None else Decimal("0"),
        )
        return [line_out(standing) for standing in fold(entries)]

    @post("/{line_id:int}/appeal", guards=[tenant_scope], summary="对处理提出申诉", responses=PROBLEMS)
    async def appeal(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        line_id: RowId,
        data: JSONBody[AppealIn],
    ) -> EntryOut:
        user = request.user
        return entry_out(
            await _ledger(services).lodge_appeal(user.tenant_id, line_id, user.actor, data.reason)
        )

    @post(
        "/{line_id:int}/appeal/decision",
        guards=[requires(Permission.LEDGER_DECIDE)],
        summary="作出申诉决定：维持、撤销或减轻",
        responses=PROBLEMS,
    )
    async def decide(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        line_id: RowId,
        data: JSONBody[DecisionIn],
    ) -> list[EntryOut]:
        user = request.user
        entries = await _ledger(services).decide_appeal(
            user.tenant_id,
            line_id,
            user.actor,
            data.decision,
            data.reason,
            points=data.points,
            amount=data.amount,
        )
        return [entry_out(e) for e in entries]

    @post(
        "/{line_id:int}/corrections",
        guards=[requires(Permission.LEDGER_DECIDE)],
        summary="更正记录（撤销并按需另记）",
        responses=PROBLEMS,
    )
    async def correct(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        line_id: RowId,
        data: JSONBody[CorrectionIn],
    ) -> list[EntryOut]:
        user = request.user
        entries = await _ledger(services).correct(
            user.tenant_id, line_id, user.actor, data.reason, points=data.points, amount=data.amount
        )
        return [entry_out(e) for e in entries]

    @post(
        "/{line_id:int}/instalments",
        guards=[requires(Permission.LEDGER_DECIDE)],
        summary="约定分期赔付",
        responses=PROBLEMS,
    )
    async def instalments(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        line_id: RowId,
        data: JSONBody[InstalmentsIn],
    ) -> EntryOut:
        user = request.user
        entry = await _ledger(services).agree_instalments(
            user.tenant_id, line_id, user.actor, data.count, data.first_due
        )
        return entry_out(entry)
