"""Duty 应急值班: the roster, its gaps, who is on duty now, and handover records 交接班记录.

Times are ISO 8601 with a time zone; a naive time is refused (422) rather than guessed.
Handover records are confidential: only duty staff and supervisors reach them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta, Struct, field

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import Input
from core.api.security import requires
from core.domain.duty import Handover, Shift
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.duty import DutyService

__all__ = [
    "CoverageOut",
    "DutyController",
    "GapOut",
    "HandoverIn",
    "HandoverOut",
    "OnDutyOut",
    "ShiftIn",
    "ShiftOut",
]

_Username = Annotated[str, Meta(min_length=1, max_length=64, examples=["leader"])]
_Item = Annotated[str, Meta(max_length=1000)]
_Items = Annotated[list[_Item], Meta(max_length=200)]
_ShiftId = Annotated[int, Meta(ge=1, le=2_147_483_647)]
_Instant = Annotated[
    datetime, Meta(examples=["2026-10-01T08:00:00+08:00"], description="须带时区 (timezone-aware)")
]
_QueryInstant = Annotated[datetime, QueryParameter(description="须带时区，如 2026-10-01T00:00:00+08:00")]


class ShiftIn(Input):
    """A shift to plan: one duty leader and one or two duty officers, at most 24 hours."""

    starts_at: _Instant
    ends_at: _Instant
    leader: _Username
    officers: Annotated[
        list[_Username], Meta(max_length=8, description="1–2 名值班员", examples=[["operator"]])
    ]


class ShiftOut(Struct):
    id: int
    starts_at: datetime
    ends_at: datetime
    leader: str
    officers: list[str]


class GapOut(Struct):
    start: datetime
    end: datetime


class CoverageOut(Struct):
    start: datetime
    end: datetime
    covered: bool
    gaps: list[GapOut]


class OnDutyOut(Struct):
    at: datetime
    leader: str | None
    shift: ShiftOut | None


class HandoverIn(Input):
    """A handover record: cases received, pending items 待办事宜, documents, the room's equipment."""

    shift_id: _ShiftId
    equipment: Annotated[str, Meta(max_length=2000, examples=["电话、录音设备、电脑运行正常"])]
    cases_received: _Items = field(default_factory=list)
    pending: _Items = field(default_factory=list)
    documents: _Items = field(default_factory=list)
    notes: Annotated[str, Meta(max_length=20_000)] = ""


class HandoverOut(Struct):
    id: int
    shift_id: int
    written_by: str
    at: datetime
    cases_received: list[str]
    pending: list[str]
    documents: list[str]
    equipment: str
    notes: str


def shift_out(shift: Shift) -> ShiftOut:
    return ShiftOut(
        id=shift.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        leader=shift.leader,
        officers=list(shift.officers),
    )


def handover_out(handover: Handover) -> HandoverOut:
    return HandoverOut(
        id=handover.id,
        shift_id=handover.shift_id,
        written_by=handover.written_by,
        at=handover.at,
        cases_received=list(handover.cases_received),
        pending=list(handover.pending),
        documents=list(handover.documents),
        equipment=handover.equipment,
        notes=handover.notes,
    )


def _duty(services: Services) -> DutyService:
    # Stateless but for the clock, so built per request from the composition root's clock.
    return services.duty


class DutyController(Controller):
    path = "/api/v1/duty"
    tags = ("duty 值班",)
    security = ({"BearerToken": []},)

    @post("/shifts", guards=[requires(Permission.DUTY_MANAGE)], summary="排一个值班班次", responses=PROBLEMS)
    async def add_shift(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[ShiftIn],
        services: NamedDependency[Services],
    ) -> ShiftOut:
        """Plan a shift; the leader must hold duty_leader, the officers intake_officer or duty_leader."""
        user = request.user
        shift = await _duty(services).add_shift(
            user.tenant_id,
            user.actor,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            leader=data.leader,
            officers=data.officers,
        )
        return shift_out(shift)

    @get("/shifts", guards=[requires(Permission.CASE_READ)], summary="值班表", responses=PROBLEMS)
    async def shifts(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        start: _QueryInstant,
        end: _QueryInstant,
    ) -> list[ShiftOut]:
        """The shifts overlapping ``[start, end)`` (at most 93 days), by start time."""
        user = request.user
        return [shift_out(s) for s in await _duty(services).roster(user.tenant_id, user.actor, start, end)]

    @get(
        "/coverage",
        guards=[requires(Permission.DUTY_MANAGE)],
        summary="值班空档（无人值班的时段）",
        responses=PROBLEMS,
    )
    async def coverage(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        start: _QueryInstant,
        end: _QueryInstant,
    ) -> CoverageOut:
        """The spans of ``[start, end)`` no shift covers; 24 h duty should have none."""
        user = request.user
        gaps = await _duty(services).coverage(user.tenant_id, user.actor, start, end)
        # Gap bounds come from the query and from stored shifts: one zone (UTC) for all, as stored.
        return CoverageOut(
            start=start.astimezone(UTC),
            end=end.astimezone(UTC),
            covered=not gaps,
            gaps=[GapOut(a.astimezone(UTC), b.astimezone(UTC)) for a, b in gaps],
        )

    @get("/on-duty", guards=[requires(Permission.CASE_READ)], summary="当前值班", responses=PROBLEMS)
    async def on_duty(
        self, request: Request[Principal, Any, Any], services: NamedDependency[Services]
    ) -> OnDutyOut:
        """The shift on duty now and its leader, to whom new cases are reported; nulls if none."""
        user = request.user
        duty = _duty(services)
        at = services.clock.now().astimezone(UTC)
        shift = await duty.on_duty(user.tenant_id, user.actor, at)
        return OnDutyOut(
            at=at, leader=shift.leader if shift else None, shift=shift_out(shift) if shift else None
        )

    @post(
        "/handovers",
        guards=[requires(Permission.DUTY_LOG_READ)],
        summary="填写交接班记录",
        responses=PROBLEMS,
    )
    async def write_handover(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[HandoverIn],
        services: NamedDependency[Services],
    ) -> HandoverOut:
        """Record a shift's handover; only its leader, its officers or a supervisor may."""
        user = request.user
        handover = await _duty(services).write_handover(
            user.tenant_id,
            user.actor,
            data.shift_id,
            cases_received=data.cases_received,
            pending=data.pending,
            documents=data.documents,
            equipment=data.equipment,
            notes=data.notes,
        )
        return handover_out(handover)

    @get(
        "/handovers",
        guards=[requires(Permission.DUTY_LOG_READ)],
        summary="交接班记录（保密）",
        responses=PROBLEMS,
    )
    async def handovers(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        shift_id: Annotated[
            int | None, QueryParameter(ge=1, le=2_147_483_647, description="只看此班次")
        ] = None,
    ) -> list[HandoverOut]:
        """Handover records, newest first (at most 100). Duty staff and supervisors only."""
        user = request.user
        records = await _duty(services).handovers(user.tenant_id, user.actor, shift_id)
        return [handover_out(h) for h in records]
