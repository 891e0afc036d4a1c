"""Cases: intake, reading, searching, the timeline, and every lifecycle action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody

from core.api.controllers.case_filters import case_query
from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import (
    CaseOut,
    CasePageOut,
    EventOut,
    Input,
    IntakeIn,
    RoutingOut,
    RowId,
    case_out,
    event_out,
)
from core.api.security import requires
from core.domain.cases import Case
from core.domain.errors import InvalidCommand
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.domain.payloads import command_from_payload
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.cases import CaseView
from core.services.values import CaseQuery

__all__ = ["CasesController", "IdentityController"]

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key", max_length=128, description="重试同一受理请求时保持不变，避免重复登记"
    ),
]
IfMatch = Annotated[
    str | None, HeaderParameter(name="If-Match", description="案件版本（ETag），防止覆盖他人的更新")
]


async def _redactors(
    services: Services, user: Principal, cases: list[Case]
) -> dict[int, Callable[[str], str]]:
    """The reader's redaction rule for each case (as written for who may reveal the identity)."""
    return await services.cases.identities.redactors(user.tenant_id, cases, user.actor)


async def _out(services: Services, user: Principal, view: CaseView) -> CaseOut:
    redact = (await _redactors(services, user, [view.case]))[view.case.id]
    return case_out(view, redact=redact)


def _etag(version: int) -> str:
    return f'"{version}"'


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidCommand('If-Match 应为案件版本号，如 "3"（取自 ETag 或 version）', field="If-Match")
    return int(value)


def draft_from(data: IntakeIn) -> IntakeDraft:
    return IntakeDraft(
        kind=data.kind,
        channel=data.channel,
        title=data.title,
        content=data.content,
        received_at=data.received_at,
        anonymous=data.anonymous,
        identity=data.identity,
        fields=data.fields,
    )


class CasesController(Controller):
    path = "/api/v1/cases"
    tags = ("cases 案件",)
    security = ({"BearerToken": []},)

    @post(
        "/",
        guards=[requires(Permission.CASE_INTAKE)],
        summary="受理登记一件案件",
        responses=PROBLEMS
        | {200: ResponseSpec(CaseOut, description="同一 Idempotency-Key 的重放：返回首次受理的案件")},
    )
    async def create(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[IntakeIn],
        services: NamedDependency[Services],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CaseOut]:
        """Take a case in. The same ``Idempotency-Key`` returns the first case, never a second one."""
        user = request.user
        view = await services.cases.intake(
            user.tenant_id, draft_from(data), user.actor, idempotency_key=idempotency_key
        )
        headers = {"ETag": _etag(view.case.version), "Location": f"/api/v1/cases/{view.case.id}"}
        if view.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            await _out(services, user, view), status_code=200 if view.replayed else 201, headers=headers
        )

    @get(
        "/",
        guards=[requires(Permission.CASE_READ)],
        summary="查询案件列表",
        responses=PROBLEMS,
        dependencies={"filters": Provide(case_query, sync_to_thread=False)},
    )
    async def list_cases(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        filters: NamedDependency[CaseQuery],
    ) -> CasePageOut:
        """Filter, search (Chinese text over title and content), sort and page through cases."""
        user = request.user
        views, next_cursor = await services.cases.search(user.tenant_id, filters, user.actor)
        redactors = await _redactors(services, user, [view.case for view in views])
        return CasePageOut(
            items=[case_out(view, redact=redactors[view.case.id]) for view in views], next_cursor=next_cursor
        )

    @get("/{case_id:int}", guards=[requires(Permission.CASE_READ)], summary="查看案件", responses=PROBLEMS)
    async def get_case(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
    ) -> Response[CaseOut]:
        """A case with its timers (identity never included)."""
        user = request.user
        view = await services.cases.get(user.tenant_id, case_id, user.actor)
        return Response(await _out(services, user, view), headers={"ETag": _etag(view.case.version)})

    @get(
        "/{case_id:int}/events",
        guards=[requires(Permission.CASE_READ)],
        summary="案件流转记录",
        responses=PROBLEMS,
    )
    async def events(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
    ) -> list[EventOut]:
        """The case's timeline, oldest first."""
        user = request.user
        events = await services.cases.events(user.tenant_id, case_id, user.actor)
        view = await services.cases.get(user.tenant_id, case_id, user.actor)
        redact = (await _redactors(services, user, [view.case]))[case_id]
        return [event_out(seq, event, redact) for seq, event in enumerate(events, start=1)]

    @get(
        "/{case_id:int}/actions",
        guards=[requires(Permission.CASE_READ)],
        summary="当前可执行的操作",
        responses=PROBLEMS,
    )
    async def actions(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
    ) -> list[Action]:
        """The actions the caller may perform on the case now."""
        user = request.user
        return list(await services.cases.allowed_actions(user.tenant_id, case_id, user.actor))

    @get(
        "/{case_id:int}/routing",
        guards=[requires(Permission.CASE_READ)],
        summary="建议承办单位（分流规则）",
        responses=PROBLEMS,
    )
    async def routing(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
    ) -> RoutingOut | None:
        """The unit the tenant's rules suggest for the case, with the cause and why; null: none."""
        user = request.user
        route = await services.cases.routing(user.tenant_id, case_id, user.actor)
        return RoutingOut(route.unit_code, route.cause, route.reason, route.binding) if route else None

    @post(
        "/{case_id:int}/actions/{action:str}",
        guards=[requires(Permission.CASE_READ)],
        status_code=200,
        summary="执行一项流转操作",
        responses=PROBLEMS,
    )
    async def act(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        action: FromPath[Action],
        data: JSONBody[dict[str, Any]],
        services: NamedDependency[Services],
        if_match: IfMatch = None,
    ) -> Response[CaseOut]:
        """Perform `action` with its payload; the tenant's plugin validates it.

        ``If-Match`` (the case's version) makes sure nobody else changed the case meanwhile.
        """
        user = request.user
        command = command_from_payload(action, data)
        view = await services.cases.perform(
            user.tenant_id, case_id, command, user.actor, expected_version=_expected_version(if_match)
        )
        return Response(await _out(services, user, view), headers={"ETag": _etag(view.case.version)})


class IdentityOut(msgspec.Struct):
    anonymous: bool
    identity: dict[str, str]
    related_cases: list[str]


class RevealIn(Input):
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=500, examples=["回访核实满意度"])]


class RevealOut(msgspec.Struct):
    identity: dict[str, Any]
    notice: str = "本次查阅已记录（查阅人、时间、理由），请勿外传。"


class RevealLogOut(msgspec.Struct):
    reader: str
    reason: str
    at: datetime


class IdentityController(Controller):
    """The complainant's identity: masked for all, in clear only with a reason, and recorded."""

    path = "/api/v1/cases/{case_id:int}/identity"
    tags = ("cases 案件",)
    security = ({"BearerToken": []},)

    @get("/", guards=[requires(Permission.CASE_READ)], summary="投诉人身份（脱敏）", responses=PROBLEMS)
    async def masked(
        self, request: Request[Principal, Any, Any], case_id: RowId, services: NamedDependency[Services]
    ) -> IdentityOut:
        user = request.user
        view = await services.cases.identities.masked(user.tenant_id, case_id, user.actor)
        return IdentityOut(view.anonymous, dict(view.masked), list(view.related))

    @post(
        "/reveal",
        status_code=200,
        guards=[requires(Permission.CASE_READ)],
        summary="查看投诉人身份原文（须说明理由，留痕）",
        responses=PROBLEMS,
    )
    async def reveal(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        data: JSONBody[RevealIn],
        services: NamedDependency[Services],
    ) -> Response[RevealOut]:
        user = request.user
        clear = await services.cases.identities.reveal(user.tenant_id, case_id, user.actor, data.reason)
        return Response(RevealOut(clear), headers={"Cache-Control": "no-store"})

    @get("/reveals", guards=[requires(Permission.CASE_READ)], summary="身份查阅记录", responses=PROBLEMS)
    async def reveals(
        self, request: Request[Principal, Any, Any], case_id: RowId, services: NamedDependency[Services]
    ) -> list[RevealLogOut]:
        user = request.user
        return [
            RevealLogOut(reader, reason, at)
            for reader, reason, at in await services.cases.identities.reveals(
                user.tenant_id, case_id, user.actor
            )
        ]
