"""Attachments: evidence and scanned material on a case, for staff and for the person who filed it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, MultipartBody

from core.api.controllers.deps import Services
from core.api.controllers.public import Secret
from core.api.problems import PROBLEMS
from core.api.schemas import RowId
from core.api.security import requires
from core.domain.roles import Permission
from core.services.auth import Principal
from core.services.values import StoredAttachment

__all__ = ["AttachmentsController", "PublicAttachmentsController"]


# The file as it was handed in: its type is the one checked at upload, always as a download.
_FILE = ResponseSpec(
    data_container=bytes,
    generate_examples=False,
    media_type="application/octet-stream",
    description="附件原文件（Content-Type 为上传时核验的类型，如 application/pdf、image/jpeg、image/png），"
    "以附件形式下载（Content-Disposition: attachment）",
)


@dataclass
class FileUpload:
    """A multipart form with one part named ``file``."""

    file: UploadFile


class AttachmentOut(msgspec.Struct):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    added_by: str


def attachment_out(stored: StoredAttachment) -> AttachmentOut:
    return AttachmentOut(
        stored.id, stored.filename, stored.content_type, stored.size, stored.sha256, stored.added_by
    )


class AttachmentsController(Controller):
    path = "/api/v1/cases/{case_id:int}/attachments"
    tags = ("cases 案件",)
    security = ({"BearerToken": []},)

    @post(
        "/",
        guards=[requires(Permission.CASE_READ)],
        summary="上传附件（multipart，字段名 file）",
        responses=PROBLEMS,
    )
    async def upload(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        data: MultipartBody[FileUpload],
        services: NamedDependency[Services],
    ) -> Response[AttachmentOut]:
        """Add a file (PDF, images, text, Office documents) within the configured size."""
        user = request.user
        content = await data.file.read()
        stored = await services.cases.add_attachment(
            user.tenant_id,
            case_id,
            user.actor,
            filename=data.file.filename,
            content_type=data.file.content_type,
            data=content,
            max_bytes=request.app.state.config.attachment_max_bytes,
        )
        return Response(attachment_out(stored), status_code=201)

    @get("/", guards=[requires(Permission.CASE_READ)], summary="附件列表", responses=PROBLEMS)
    async def list_attachments(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        services: NamedDependency[Services],
    ) -> list[AttachmentOut]:
        user = request.user
        return [
            attachment_out(a) for a in await services.cases.attachments(user.tenant_id, case_id, user.actor)
        ]

    @get(
        "/{attachment_id:int}",
        guards=[requires(Permission.CASE_READ)],
        summary="下载附件",
        responses=PROBLEMS | {200: _FILE},
    )
    async def download(
        self,
        request: Request[Principal, Any, Any],
        case_id: RowId,
        attachment_id: RowId,
        services: NamedDependency[Services],
    ) -> Response[bytes]:
        user = request.user
        stored, content = await services.cases.attachment(user.tenant_id, case_id, attachment_id, user.actor)
        return Response(
            content,
            media_type=stored.content_type,
            headers={
                # Always a download, never rendered in the page that asked for it.
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}",
                "X-Content-Type-Options": "nosniff",
            },
        )


class PublicAttachmentsController(Controller):
    path = "/api/v1/public/{tenant:str}/cases/{receipt:str}/attachments"
    tags = ("public 公众",)

    @post("/", summary="补充材料（multipart，字段名 file）", responses=PROBLEMS)
    async def upload(
        self,
        request: Request,
        tenant: FromPath[str],
        receipt: FromPath[str],
        secret: Secret,
        data: MultipartBody[FileUpload],
        services: NamedDependency[Services],
    ) -> Response[AttachmentOut]:
        """Add material to one's own case with the receipt number and secret."""
        content = await data.file.read()
        stored = await services.portal.attach(
            tenant,
            receipt,
            secret,
            filename=data.file.filename,
            content_type=data.file.content_type,
            data=content,
            max_bytes=request.app.state.config.attachment_max_bytes,
        )
        return Response(attachment_out(stored), status_code=201)
