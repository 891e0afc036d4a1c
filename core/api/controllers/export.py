"""Case files for a recipient (redacted as the recipient may see them) and the case's documents."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import RowId
from core.api.security import requires
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.export import CaseExport

__all__ = ["DocumentOut", "ExportController"]

Recipient = Annotated[
    str,
    QueryParameter(
        max_length=32,
        description="unit 承办单位（不含投诉人身份，附件只计数）/ supervisor 督查（身份脱敏）/ archive 归档",
    ),
]
RevealReason = Annotated[
    str | None,
    QueryParameter(
        max_length=500,
        description="仅用于 archive：载明投诉人身份原文的理由（需要 identity:reveal 权限，查阅留痕）",
    ),
]


class DocumentOut(msgspec.Struct):
    """A document issued on a case, e.g. a numbered supervision notice 督办通知单."""

    kind: str
    number: str
    title: str
    body: str


class ExportController(Controller):
    """What leaves the system about a case: never more of the complainant than the recipient may see."""

    path = "/api/v1/cases/{case_id:int}"
    tags = ("cases 案件",)
    security = ({"BearerToken": []},)

    @get(
        "/export",
        guards=[requires(Permission.CASE_READ)],
        summary="导出案卷（按接收方脱敏：承办单位不含身份，督查脱敏，归档可说明理由载明原文）",
        responses=PROBLEMS,
    )
    async def export(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
        recipient: Recipient,
        reveal_reason: RevealReason = None,
    ) -> Response[dict[str, Any]]:
        """The case file for `recipient`: fields, timers, events, documents, attachment descriptions.

        ``redaction`` names the recipient the file was made for. Never cached.
        """
        user = request.user
        body = await CaseExport(services.cases).case_file(
            user.tenant_id, case_id, user.actor, recipient, reveal_reason=reveal_reason
        )
        return Response(body, headers={"Cache-Control": "no-store"})

    @get(
        "/documents",
        guards=[requires(Permission.CASE_READ)],
        summary="案件文书（督办通知单等）",
        responses=PROBLEMS,
    )
    async def documents(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
    ) -> list[DocumentOut]:
        """The documents issued on the case, oldest first."""
        user = request.user
        documents = await CaseExport(services.cases).documents(user.tenant_id, case_id, user.actor)
        return [DocumentOut(d.kind, d.number, d.title, d.body) for d in documents]
