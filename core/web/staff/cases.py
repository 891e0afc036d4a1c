"""The case page: its facts and timeline, the actions offered, identity, documents, files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.domain import sla
from core.domain.commands import COMMANDS
from core.domain.errors import DocumentNotFound, DomainError, InvalidCommand
from core.domain.lifecycle import Action
from core.domain.payloads import command_from_payload
from core.domain.roles import Permission
from core.domain.transitions import CLASSIFICATION
from core.services.auth import Principal
from core.services.root import Services
from core.web.forms import action_fields, payload_from_form
from core.web.labels import countdown, urgency
from core.web.pages import form_data
from core.web.session import check_csrf
from core.web.staff.base import RENDER_STATES, StaffPages, console_for, documents_for

__all__ = ["CasePages"]


# An attachment is the reader's own copy: never cached, never sniffed into something else.
_DOWNLOAD_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class CasePages(StaffPages):
    """One case and what staff do to it."""

    async def _case(
        self,
        request: Request,
        slug: str,
        case_id: int,
        services: Services,
        *,
        context: dict[str, Any],
        principal: Principal,
        failed: Action | None = None,
        error: str = "",
        error_field: str | None = None,
        sent: dict[str, Any] | None = None,
        revealed: dict[str, Any] | None = None,
        section_error: tuple[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        page = await console_for(services).case_page(principal.tenant_id, case_id, principal.actor)
        units = [(unit.code, unit.name) for unit in page.units]
        forms = []
        for action in page.actions:
            if action not in COMMANDS:
                continue  # an action the console has no form for yet
            fields = action_fields(
                action,
                units=units,
                handlers=page.handlers,
                reply_modes=[mode.value for mode in page.reply.modes],
                reply_sections=page.reply.sections,
                me=principal.username,
                current=_current_values(page, action),
            )
            forms.append((action, fields))
        now = services.clock.now()
        timers = [
            (stored, urgency(stored.timer, now), sla.remaining(stored.timer, now))
            for stored in page.view.timers
        ]
        return Template(
            "staff/case.html",
            context=context
            | {
                "page": page,
                "case": page.view.case,
                "forms": forms,
                "timers": timers,
                "units": dict(units),
                "failed": failed,
                "error": error,
                "error_field": error_field,
                "sent": sent or {},
                "revealed": revealed,
                "created": request.query_params.get("created") == "1",
                # Any time, the steps open now, and the step just taken (what to tell the caller).
                "phrases": [
                    p
                    for p in page.phrases
                    if p.step is None
                    or p.step in page.actions
                    or (page.events and p.step == page.events[-1].action)
                ],
                "countdown": countdown,
                "second": timedelta(seconds=1),
                "can_reveal": principal.actor.can(Permission.IDENTITY_REVEAL),
                "render_states": RENDER_STATES,
                "can_attach": principal.actor.can(Permission.CASE_ATTACH) and page.view.case.state.is_open,
                "sees_materials": principal.actor.can(Permission.CASE_MATERIALS),
                "attachment_limit_kb": request.app.state.config.attachment_max_bytes // 1024,
                # (section, message): a refused issue or upload, shown in its own section
                "section_error": section_error or ("", ""),
                "issued": request.query_params.get("issued", ""),
                "attached": request.query_params.get("attached") == "1",
            },
            status_code=status,
        )

    @get("/cases/{case_id:int}")
    async def case(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        services: NamedDependency[Services],
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        return await self._case(request, slug, case_id, services, context=context, principal=principal)

    @post("/cases/{case_id:int}/act/{action:str}")
    async def act(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        action: FromPath[str],
        services: NamedDependency[Services],
    ) -> Response:
        principal, csrf, context = await self._page(request, slug, services)
        form, multi = await form_data(request)
        check_csrf(request, form, csrf)
        try:
            chosen = Action(action)
        except ValueError:
            raise InvalidCommand(f"未知操作 {action}", field="action") from None
        console = console_for(services)
        # The page's visibility rule first: another unit's case is "not found", before any rule.
        await console.visible_case(principal.tenant_id, case_id, principal.actor)
        version = form.get("version")
        sent = {k: v for k, v in form.items() if k not in ("_csrf", "version")}
        try:
            if chosen not in COMMANDS:
                raise InvalidCommand(f"网页暂不支持“{chosen.label}”", field="action")
            command = command_from_payload(chosen, payload_from_form(chosen, form, multi))
            await services.cases.perform(
                principal.tenant_id,
                case_id,
                command,
                principal.actor,
                expected_version=int(version) if isinstance(version, str) and version.isdigit() else None,
            )
        except DomainError as exc:
            return await self._case(
                request,
                slug,
                case_id,
                services,
                context=context,
                principal=principal,
                failed=chosen,
                error=str(exc),
                error_field=getattr(exc, "field", None),
                sent=sent,
                status=409 if exc.code in ("illegal_transition", "conflict") else 422,
            )
        return Redirect(f"/t/{slug}/cases/{case_id}?done={chosen.value}")

    @post("/cases/{case_id:int}/reveal")
    async def reveal(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        services: NamedDependency[Services],
    ) -> Template:
        principal, csrf, context = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        await console_for(services).visible_case(principal.tenant_id, case_id, principal.actor)
        reason = str(form.get("reason", ""))
        try:
            clear = await services.cases.identities.reveal(
                principal.tenant_id, case_id, principal.actor, reason
            )
        except DomainError as exc:
            return await self._case(
                request,
                slug,
                case_id,
                services,
                context=context,
                principal=principal,
                failed=None,
                error=str(exc),
                error_field="reason",
                sent={"reason": reason},
                status=422,
            )
        response = await self._case(
            request, slug, case_id, services, context=context, principal=principal, revealed=clear
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- documents and attachments on the case page ------------------------------------------

    @post("/cases/{case_id:int}/documents")
    async def issue_document(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        services: NamedDependency[Services],
    ) -> Response:
        principal, csrf, context = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        await console_for(services).visible_case(principal.tenant_id, case_id, principal.actor)
        try:
            info = await documents_for(services).issue(
                principal.tenant_id, case_id, str(form.get("key", "")), principal.actor
            )
        except DomainError as exc:
            return await self._case(
                request,
                slug,
                case_id,
                services,
                context=context,
                principal=principal,
                section_error=("documents", str(exc)),
                status=403 if exc.code == "forbidden" else 422,
            )
        return Redirect(f"/t/{slug}/cases/{case_id}?issued={quote(info.number)}#doc-h")

    @get("/cases/{case_id:int}/documents/{document_id:int}/{fmt:str}")
    async def document(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        document_id: FromPath[int],
        fmt: FromPath[str],
        services: NamedDependency[Services],
    ) -> Response:
        """The rendered PDF or HTML, in the copy the reader may read (`DocumentService.download`)."""
        principal, _, _ = await self._page(request, slug, services)
        documents = documents_for(services)
        info = await documents.get(principal.tenant_id, document_id, principal.actor)
        if info.case_id != case_id:
            raise DocumentNotFound(document_id)
        download = await documents.download(principal.tenant_id, document_id, principal.actor, fmt)
        return Response(download.content, media_type=download.media_type, headers=download.headers())

    @post("/cases/{case_id:int}/attachments")
    async def attach(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        services: NamedDependency[Services],
    ) -> Response:
        principal, csrf, context = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        await console_for(services).visible_case(principal.tenant_id, case_id, principal.actor)
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidCommand("请选择要上传的文件", field="file")
            await services.cases.add_attachment(
                principal.tenant_id,
                case_id,
                principal.actor,
                filename=upload.filename,
                content_type=upload.content_type or "application/octet-stream",
                data=await upload.read(),
                max_bytes=request.app.state.config.attachment_max_bytes,
            )
        except DomainError as exc:
            return await self._case(
                request,
                slug,
                case_id,
                services,
                context=context,
                principal=principal,
                section_error=("attachments", str(exc)),
                status=403 if exc.code == "forbidden" else 422,
            )
        return Redirect(f"/t/{slug}/cases/{case_id}?attached=1#att-h")

    @get("/cases/{case_id:int}/attachments/{attachment_id:int}")
    async def attachment(
        self,
        request: Request,
        slug: FromPath[str],
        case_id: FromPath[int],
        attachment_id: FromPath[int],
        services: NamedDependency[Services],
    ) -> Response:
        """An attachment's bytes, for roles holding ``case:materials``; always downloaded, never shown."""
        principal, _, _ = await self._page(request, slug, services)
        await console_for(services).visible_case(principal.tenant_id, case_id, principal.actor)
        stored, content = await services.cases.attachment(
            principal.tenant_id, case_id, attachment_id, principal.actor
        )
        return Response(
            content,
            media_type=stored.content_type,
            headers={
                **_DOWNLOAD_HEADERS,
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}",
                "Content-Security-Policy": "default-src 'none'",
            },
        )

    # --- supervision dashboard ----------------------------------------------------------------


def _current_values(page, action: Action) -> dict[str, object]:
    """What a form starts with: the case's classification, or the plugin's suggested route."""
    if action is Action.DISPATCH and page.routing is not None:
        return {"unit_code": page.routing.unit_code, "cause": page.routing.cause}
    return {name: getattr(page.view.case, name) for name in CLASSIFICATION}
