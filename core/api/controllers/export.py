"""Case files for a recipient (redacted as the recipient may see them) and the case's documents."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from core.api.controllers.case_filters import case_query
from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import RowId
from core.api.security import requires
from core.domain.errors import DocumentNotFound
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.documents import DocumentService
from core.services.values import CaseQuery, DocumentInfo

__all__ = [
    "CaseListController",
    "DocumentOut",
    "DocumentRequest",
    "DocumentStatusOut",
    "ExportController",
    "TenantDocumentsController",
]

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


Format = Annotated[
    str,
    PathParameter(
        max_length=8, description="pdf（打印、归档）、html（浏览器查看）或 zip（归档案卷，仅限归档包）"
    ),
]
Copy = Annotated[
    str | None,
    QueryParameter(
        max_length=16,
        description="unit 承办单位版（不含投诉人信息）/ internal 内部版（身份脱敏）；默认按角色",
    ),
]


class DocumentOut(msgspec.Struct):
    """A document issued on a case, e.g. a numbered supervision notice 督办通知单 (the unit's copy)."""

    id: int
    kind: str
    number: str
    title: str
    body: str
    render_state: str


class DocumentStatusOut(msgspec.Struct):
    """A document's number and whether its PDF and HTML are ready (pending, ready, failed)."""

    id: int
    case_id: int | None
    kind: str
    number: str
    title: str
    render_state: str
    created_by: str
    created_at: str
    pdf: str
    html: str


class TemplateOut(msgspec.Struct):
    key: str
    title: str


class PreviewOut(msgspec.Struct):
    """A document as it would be issued now (unnumbered): the reader's copy, and its blank sections."""

    key: str
    title: str
    text: str
    blank: list[str]  # the labels of sections the case has no fact for yet


class DocumentRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Which document to issue: a template key from GET …/documents/templates."""

    key: str = msgspec.field()


def _status(case_id: int, info: DocumentInfo) -> DocumentStatusOut:
    base = f"/api/v1/cases/{case_id}/documents/{info.id}"
    return DocumentStatusOut(
        id=info.id,
        case_id=info.case_id,
        kind=info.kind,
        number=info.number,
        title=info.title,
        render_state=info.render_state,
        created_by=info.created_by,
        created_at=info.created_at.isoformat(),
        pdf=f"{base}/pdf",
        html=f"{base}/html",
    )


RevealInList = Annotated[
    str | None,
    QueryParameter(
        max_length=500,
        description="载明投诉人身份原文的理由（需要 identity:reveal 权限，每件案件的查阅均留痕）",
    ),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _case_list(
    fmt: str,
    request: Request[Principal, Any, Any],
    services: Services,
    query: CaseQuery,
    reveal_reason: str | None,
) -> Stream:
    user = request.user
    listing = await services.export.case_list(
        user.tenant_id, user.actor, query, fmt, reveal_reason=reveal_reason
    )
    return Stream(
        listing.chunks,
        media_type=listing.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(listing.filename)}",
            "Cache-Control": "no-store",
            "X-Identity": listing.identity,
        },
    )


class CaseListController(Controller):
    """The case list as a spreadsheet: the list's filters, redacted for the reader, streamed.

    Both answer every case matching the filters (those of ``GET /api/v1/cases``). ``X-Identity``
    says what the file shows of complainants: ``none``, ``masked`` or ``clear``. Never cached.
    """

    path = "/api/v1/cases"
    tags = ("cases 案件",)
    security = ({"BearerToken": []},)

    @get(
        "/export.csv",
        guards=[requires(Permission.CASE_READ)],
        summary="导出案件清单 CSV（承办单位只含本单位案件、不含投诉人；身份默认脱敏）",
        media_type="text/csv",  # litestar adds "; charset=utf-8" to text types
        responses=PROBLEMS,
        dependencies={"filters": Provide(case_query, sync_to_thread=False)},  # the list's filters
    )
    async def export_csv(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        filters: NamedDependency[CaseQuery],
        reveal_reason: RevealInList = None,
    ) -> Stream:
        return await _case_list("csv", request, services, filters, reveal_reason)

    @get(
        "/export.xlsx",
        guards=[requires(Permission.CASE_READ)],
        summary="导出案件清单 XLSX（承办单位只含本单位案件、不含投诉人；身份默认脱敏）",
        media_type=XLSX,
        responses=PROBLEMS,
        dependencies={"filters": Provide(case_query, sync_to_thread=False)},  # the list's filters
    )
    async def export_xlsx(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        filters: NamedDependency[CaseQuery],
        reveal_reason: RevealInList = None,
    ) -> Stream:
        return await _case_list("xlsx", request, services, filters, reveal_reason)


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
        body = await services.export.case_file(
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
        documents = await services.export.documents(user.tenant_id, case_id, user.actor)
        states = {
            d.id: d.render_state
            for d in await _documents(services).of_case(user.tenant_id, case_id, user.actor)
        }
        return [DocumentOut(d.id, d.kind, d.number, d.title, d.body, states.get(d.id, "")) for d in documents]

    @get(
        "/documents/templates",
        guards=[requires(Permission.CASE_READ)],
        summary="本案可出具的文书（登记表、转办单、答复书等；插件模板按键替换核心模板）",
        responses=PROBLEMS,
    )
    async def templates(
        self, request: Request[Principal, Any, Any], case_id: RowId, services: NamedDependency[Services]
    ) -> list[TemplateOut]:
        user = request.user
        templates = await _documents(services).templates(user.tenant_id, case_id, user.actor)
        return [TemplateOut(t.key, t.title) for t in templates]

    @get(
        "/documents/templates/{key:str}/preview",
        guards=[requires(Permission.CASE_READ)],
        summary="预览文书：按本案当前事实填写，不编号、不保存，并列出尚为空白的栏目",
        responses=PROBLEMS,
    )
    async def preview(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        key: FromPath[str],
        services: NamedDependency[Services],
    ) -> PreviewOut:
        user = request.user
        preview = await _documents(services).preview(user.tenant_id, case_id, key, user.actor)
        return PreviewOut(preview.key, preview.title, preview.text, list(preview.blank))

    @post(
        "/documents",
        guards=[requires(Permission.CASE_READ)],
        status_code=202,
        summary="出具文书：编号并保存，PDF/HTML 由后台生成（返回 202 与状态地址）",
        responses=PROBLEMS,
    )
    async def issue(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        data: JSONBody[DocumentRequest],
        services: NamedDependency[Services],
    ) -> Response[DocumentStatusOut]:
        """Number and store the document; a worker renders it. Poll the ``Location`` until ready."""
        user = request.user
        info = await _documents(services).issue(user.tenant_id, case_id, data.key, user.actor)
        out = _status(case_id, info)
        return Response(
            out, status_code=202, headers={"Location": f"/api/v1/cases/{case_id}/documents/{info.id}"}
        )

    @get(
        "/documents/{document_id:int}",
        guards=[requires(Permission.CASE_READ)],
        summary="文书状态（pending 生成中 / ready 可下载 / failed 生成失败）",
        responses=PROBLEMS,
    )
    async def status(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        document_id: RowId,
        services: NamedDependency[Services],
    ) -> DocumentStatusOut:
        user = request.user
        info = await _documents(services).get(user.tenant_id, document_id, user.actor)
        if info.case_id != case_id:
            raise DocumentNotFound(document_id)
        return _status(case_id, info)

    @post(
        "/archive",
        guards=[requires(Permission.CASE_MATERIALS)],
        status_code=202,
        summary="生成归档案卷（办结或归档后；案卷 PDF、全部文书、带哈希链的流转记录打包为 zip，后台生成）",
        responses=PROBLEMS,
    )
    async def archive(
        self, request: Request[Principal, Any, Any], case_id: RowId, services: NamedDependency[Services]
    ) -> Response[DocumentStatusOut]:
        """Ask for an archive bundle 归档; a worker builds it. Poll the ``Location``, then GET ``…/zip``."""
        user = request.user
        archive = services.archive
        info = await archive.request(user.tenant_id, case_id, user.actor)
        out = _status(case_id, info)
        return Response(
            out, status_code=202, headers={"Location": f"/api/v1/cases/{case_id}/documents/{info.id}"}
        )

    @post(
        "/documents/{document_id:int}/render",
        guards=[requires(Permission.CASE_READ)],
        status_code=202,
        summary="重新生成失败的文书（本案承办单位或受理、督查人员）",
        responses=PROBLEMS,
    )
    async def rerender(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        document_id: RowId,
        services: NamedDependency[Services],
    ) -> DocumentStatusOut:
        """Queue a document whose rendering failed again; 422 unless it failed."""
        user = request.user
        documents = _documents(services)
        info = await documents.get(user.tenant_id, document_id, user.actor)
        if info.case_id != case_id:
            raise DocumentNotFound(document_id)
        return _status(case_id, await documents.rerender(user.tenant_id, document_id, user.actor))

    @get(
        "/documents/{document_id:int}/{fmt:str}",
        guards=[requires(Permission.CASE_READ)],
        summary="下载文书（pdf 打印归档 / html 浏览器查看），按角色给出承办单位版或内部版",
        responses=PROBLEMS,
    )
    async def download(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        document_id: RowId,
        fmt: Format,
        services: NamedDependency[Services],
        copy: Copy = None,
    ) -> Response[bytes]:
        """The rendered copy the caller may read; 409 while it is still being rendered."""
        user = request.user
        documents = _documents(services)
        info = await documents.get(user.tenant_id, document_id, user.actor)
        if info.case_id != case_id:
            raise DocumentNotFound(document_id)
        if fmt == "zip":
            archive = services.archive
            filename, zipped = await archive.download(user.tenant_id, document_id, user.actor)
            return Response(
                zipped,
                media_type="application/zip",
                headers={
                    "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
                    "Cache-Control": "no-store",
                },
            )
        download = await documents.download(user.tenant_id, document_id, user.actor, fmt, copy)
        return Response(download.content, media_type=download.media_type, headers=download.headers())


def _documents(services: Services) -> DocumentService:
    return services.documents


class TenantDocumentsController(Controller):
    """Documents about no case: monthly circulars 月度通报 and handover records 交接班记录."""

    path = "/api/v1/documents"
    tags = ("documents 文书",)
    security = ({"BearerToken": []},)

    @post(
        "/handovers/{handover_id:int}",
        guards=[requires(Permission.DUTY_LOG_READ)],
        status_code=202,
        summary="出具交接班记录（值班记录保密：值班人员和督查员）",
        responses=PROBLEMS,
    )
    async def handover(
        self, request: Request[Principal, Any, Any], handover_id: RowId, services: NamedDependency[Services]
    ) -> DocumentStatusOut:
        user = request.user
        info = await _documents(services).issue_handover(user.tenant_id, handover_id, user.actor)
        return _free_status(info)

    @post(
        "/{document_id:int}/render",
        guards=[requires(Permission.CASE_READ)],
        status_code=202,
        summary="重新生成失败的通报或交接班记录",
        responses=PROBLEMS,
    )
    async def rerender(
        self, request: Request[Principal, Any, Any], document_id: RowId, services: NamedDependency[Services]
    ) -> DocumentStatusOut:
        user = request.user
        documents = _documents(services)
        info = await documents.get(user.tenant_id, document_id, user.actor)
        if info.case_id is not None:
            raise DocumentNotFound(document_id)  # a case's document is queued under its case
        return _free_status(await documents.rerender(user.tenant_id, document_id, user.actor))

    @get(
        "/{document_id:int}",
        guards=[requires(Permission.CASE_READ)],
        summary="文书状态",
        responses=PROBLEMS,
    )
    async def status(
        self, request: Request[Principal, Any, Any], document_id: RowId, services: NamedDependency[Services]
    ) -> DocumentStatusOut:
        user = request.user
        info = await _documents(services).get(user.tenant_id, document_id, user.actor)
        if info.case_id is not None:
            raise DocumentNotFound(document_id)  # a case's document is read under its case
        return _free_status(info)

    @get(
        "/{document_id:int}/{fmt:str}",
        guards=[requires(Permission.CASE_READ)],
        summary="下载通报或交接班记录（pdf / html）",
        responses=PROBLEMS,
    )
    async def download(
        self,
        request: Request[Principal, Any, Any],
        document_id: RowId,
        fmt: Format,
        services: NamedDependency[Services],
    ) -> Response[bytes]:
        user = request.user
        documents = _documents(services)
        info = await documents.get(user.tenant_id, document_id, user.actor)
        if info.case_id is not None:
            raise DocumentNotFound(document_id)
        download = await documents.download(user.tenant_id, document_id, user.actor, fmt)
        return Response(download.content, media_type=download.media_type, headers=download.headers())


def _free_status(info: DocumentInfo) -> DocumentStatusOut:
    base = f"/api/v1/documents/{info.id}"
    return DocumentStatusOut(
        id=info.id,
        case_id=None,
        kind=info.kind,
        number=info.number,
        title=info.title,
        render_state=info.render_state,
        created_by=info.created_by,
        created_at=info.created_at.isoformat(),
        pdf=f"{base}/pdf",
        html=f"{base}/html",
    )
