"""The public portal under ``/p/{slug}/``: submit a case, then follow it with receipt and secret.

The same `PublicPortal` as ``/api/v1/public`` and the same limits: the router carries the
public rate limit, and attachments pass the same checks as uploads through the API.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from core.domain.cases import CaseKind, Channel, Satisfaction
from core.domain.commands import RecordFeedback
from core.domain.errors import DomainError, InvalidCommand
from core.domain.intake import IntakeDraft
from core.services.console import Console, IntakeForm
from core.services.root import Services
from core.web.labels import SATISFACTION_LABELS
from core.web.pages import form_data, handlers_for_errors
from core.web.staff.intake import field_errors

__all__ = ["PortalController"]

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _console(services: Services) -> Console:
    return services.console


class PortalController(Controller):
    """Pages for the public: no sign-in, phone-sized."""

    path = "/p/{slug:str}"
    include_in_schema = False
    exception_handlers = handlers_for_errors("portal")

    async def _form(self, slug: str, services: Services, kind: CaseKind) -> tuple[dict[str, Any], IntakeForm]:
        console = _console(services)
        record = await console.public_tenant(slug)
        form = await console.public_intake_form(slug, kind)
        return {"slug": slug, "tenant": record, "kinds": list(CaseKind)}, form

    @get("/")
    async def submit_form(
        self, slug: FromPath[str], services: NamedDependency[Services], kind: FromQuery[str] = "complaint"
    ) -> Template:
        chosen = CaseKind(kind) if kind in CaseKind.__members__.values() else CaseKind.COMPLAINT
        context, form = await self._form(slug, services, chosen)
        return Template(
            "portal/submit.html",
            context=context | {"form": form, "values": {"kind": chosen.value}, "errors": {}, "error": ""},
        )

    @post("/")
    async def submit(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Response:
        raw, multi = await form_data(request)
        values = {k: v for k, v in raw.items() if isinstance(v, str)}
        kind = (
            CaseKind(values["kind"])
            if values.get("kind") in CaseKind.__members__.values()
            else CaseKind.COMPLAINT
        )
        context, form = await self._form(slug, services, kind)
        anonymous = bool(values.get("anonymous"))
        draft = IntakeDraft(
            kind=kind,
            channel=Channel.WEB,
            title=values.get("title", ""),
            content=values.get("content", ""),
            anonymous=anonymous,
            identity={}
            if anonymous
            else {
                s.key: values[s.key].strip()
                for s in form.fields
                if s.identity and values.get(s.key, "").strip()
            },
            fields={
                s.key: values[s.key].strip()
                for s in form.fields
                if not s.identity and values.get(s.key, "").strip()
            },
        )
        files = [f for f in multi.get("attachment", []) if isinstance(f, UploadFile) and f.filename]

        def again(errors: dict[str, str], error: str) -> Template:
            return Template(
                "portal/submit.html",
                context=context | {"form": form, "values": values, "errors": errors, "error": error},
                status_code=422,
            )

        try:
            receipt = await services.portal.submit(slug, draft)
        except InvalidCommand as exc:
            return again(field_errors(form, draft, exc), str(exc))
        except DomainError as exc:
            return again({}, str(exc))
        problems = []
        limit = request.app.state.config.attachment_max_bytes
        for upload in files:
            try:
                await services.portal.attach(
                    slug,
                    receipt.receipt,
                    receipt.secret,
                    filename=upload.filename,
                    content_type=upload.content_type or "application/octet-stream",
                    data=await upload.read(),
                    max_bytes=limit,
                )
            except DomainError as exc:
                problems.append(f"{upload.filename}：{exc}")
        return Template(
            "portal/receipt.html",
            context=context | {"receipt": receipt.receipt, "secret": receipt.secret, "problems": problems},
            status_code=201,
            headers=_NO_STORE,
        )

    @get("/follow")
    async def follow_form(self, slug: FromPath[str], services: NamedDependency[Services]) -> Template:
        record = await _console(services).public_tenant(slug)
        return Template(
            "portal/follow.html", context={"slug": slug, "tenant": record, "error": "", "values": {}}
        )

    async def _status(
        self,
        slug: str,
        services: Services,
        receipt: str,
        secret: str,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
    ) -> Template:
        record = await _console(services).public_tenant(slug)
        found = await services.portal.status(slug, receipt, secret)
        return Template(
            "portal/status.html",
            context={
                "slug": slug,
                "tenant": record,
                "zone": ZoneInfo(record.timezone),
                "status": found,
                "receipt": receipt,
                "secret": secret,
                "notice": notice,
                "error": error,
                "satisfactions": [(s.value, SATISFACTION_LABELS[s.value]) for s in Satisfaction],
                "satisfaction_labels": SATISFACTION_LABELS,
            },
            status_code=status,
            headers=_NO_STORE,
        )

    @post("/follow")
    async def follow(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        form, _ = await form_data(request)
        receipt = str(form.get("receipt", "")).strip()
        secret = str(form.get("secret", "")).strip()
        try:
            return await self._status(slug, services, receipt, secret)
        except DomainError:
            record = await _console(services).public_tenant(slug)
            return Template(
                "portal/follow.html",
                context={
                    "slug": slug,
                    "tenant": record,
                    "error": "受理编号或查询密码不正确",
                    "values": {"receipt": receipt},
                },
                status_code=404,
            )

    @post("/follow/message")
    async def message(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        form, _ = await form_data(request)
        receipt, secret = str(form.get("receipt", "")), str(form.get("secret", ""))
        try:
            await services.portal.message(slug, receipt, secret, str(form.get("text", "")))
        except (InvalidCommand, DomainError) as exc:
            if exc.code == "not_found":
                raise
            return await self._status(slug, services, receipt, secret, error=str(exc), status=422)
        return await self._status(slug, services, receipt, secret, notice="补充说明已提交")

    @post("/follow/feedback")
    async def feedback(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        form, _ = await form_data(request)
        receipt, secret = str(form.get("receipt", "")), str(form.get("secret", ""))
        try:
            try:
                satisfaction = Satisfaction(str(form.get("satisfaction", "")))
            except ValueError:
                raise InvalidCommand("请选择满意度", field="satisfaction") from None
            command = RecordFeedback(satisfaction=satisfaction, note=str(form.get("note", "")).strip())
            await services.portal.feedback(slug, receipt, secret, command)
        except DomainError as exc:
            if exc.code == "not_found":
                raise
            return await self._status(slug, services, receipt, secret, error=str(exc), status=422)
        return await self._status(slug, services, receipt, secret, notice="感谢您的评价")
