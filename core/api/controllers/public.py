"""The public portal: submit a case without signing in, follow it with receipt and secret."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from core.api.controllers.cases import IdempotencyKey
from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import (
    PublicFeedbackIn,
    PublicIntakeIn,
    PublicMessageIn,
    PublicReceiptOut,
    PublicStatusOut,
    public_status_out,
)
from core.domain.cases import Channel
from core.domain.commands import RecordFeedback
from core.domain.intake import IntakeDraft

__all__ = ["PublicController"]

Secret = Annotated[
    str,
    HeaderParameter(
        name="X-Receipt-Secret", min_length=1, max_length=200, description="提交时获得的查询密码"
    ),
]


class PublicController(Controller):
    path = "/api/v1/public/{tenant:str}/cases"
    tags = ("public 公众",)

    @post("/", summary="提交投诉、举报或咨询（无需登录）", responses=PROBLEMS)
    async def submit(
        self,
        tenant: FromPath[str],
        data: JSONBody[PublicIntakeIn],
        services: NamedDependency[Services],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PublicReceiptOut]:
        """Submit named or anonymously; the answer holds the receipt number and the secret, shown once."""
        draft = IntakeDraft(
            kind=data.kind,
            channel=Channel.WEB,
            title=data.title,
            content=data.content,
            anonymous=data.anonymous,
            identity=data.identity,
            fields=data.fields,
        )
        receipt = await services.portal.submit(tenant, draft, idempotency_key=idempotency_key)
        return Response(PublicReceiptOut(receipt=receipt.receipt, secret=receipt.secret), status_code=201)

    @get("/{receipt:str}", summary="查询办理进度", responses=PROBLEMS)
    async def status(
        self,
        tenant: FromPath[str],
        receipt: FromPath[str],
        secret: Secret,
        services: NamedDependency[Services],
    ) -> PublicStatusOut:
        """Progress and replies, without internal notes or staff names. A wrong secret is "not found"."""
        return public_status_out(await services.portal.status(tenant, receipt, secret))

    @post("/{receipt:str}/messages", status_code=200, summary="补充说明或回答询问", responses=PROBLEMS)
    async def message(
        self,
        tenant: FromPath[str],
        receipt: FromPath[str],
        secret: Secret,
        data: JSONBody[PublicMessageIn],
        services: NamedDependency[Services],
    ) -> PublicStatusOut:
        """Answer the staff's questions or explain more; recorded on the case."""
        return public_status_out(await services.portal.message(tenant, receipt, secret, data.text))

    @post(
        "/{receipt:str}/feedback",
        status_code=200,
        summary="对答复进行满意度评价",
        responses=PROBLEMS,
    )
    async def feedback(
        self,
        tenant: FromPath[str],
        receipt: FromPath[str],
        secret: Secret,
        data: JSONBody[PublicFeedbackIn],
        services: NamedDependency[Services],
    ) -> PublicStatusOut:
        """Say how satisfied you are with the reply (possible once the case is replied)."""
        command = RecordFeedback(satisfaction=data.satisfaction, note=data.note)
        return public_status_out(await services.portal.feedback(tenant, receipt, secret, command))
