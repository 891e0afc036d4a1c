"""The staff console under ``/t/{slug}/``: sign-in, queues, intake, the case page, dashboard, duty.

Handlers read the form, call a service, and render; every rule lives in the services and the
domain. Errors a person can fix come back on the same page, next to the field or form.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from core.api.controllers.deps import Services
from core.api.security import SESSION_COOKIE
from core.domain import sla
from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import COMMANDS
from core.domain.errors import DomainError, InvalidCommand
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.domain.payloads import command_from_payload
from core.domain.roles import Permission
from core.domain.visibility import unit_bound
from core.services.auth import Principal, authenticate_user
from core.services.cases import CaseView
from core.services.console import Console
from core.services.deadlines import DeadlineService
from core.services.documents import DocumentNotFound, DocumentService
from core.services.duty import DutyService
from core.services.statistics import StatisticsService
from core.store.case_search import CaseQuery
from core.web.forms import action_fields, payload_from_form
from core.web.labels import countdown, urgency
from core.web.pages import form_data, handlers_for_errors
from core.web.session import (
    SignInRequired,
    check_csrf,
    check_login_csrf,
    login_csrf,
    session_cookie,
    signed_in,
)

__all__ = ["StaffController"]

OPEN_STATES = tuple(state for state in CaseState if state.is_open)

QUEUES = {
    "all": "全部在办",
    "mine": "我的案件",
    "unit": "本单位",
    "approval": "待审批",
    "today": "今日到期",
    "overdue": "已超期",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """A case in a queue with its most urgent live timer."""

    view: CaseView
    timer: sla.Timer | None
    remaining: int
    css: str


def _console(services: Services) -> Console:
    return Console(services.registry, services.clock, services.cases)


def _documents(services: Services) -> DocumentService:
    return DocumentService(services.registry, services.cases, services.clock)


RENDER_STATES = {"pending": "生成中", "ready": "可下载", "failed": "生成失败"}

# A download is the reader's own copy: never cached, never sniffed into something else, and
# an HTML copy runs no script and loads nothing (it is the worker's rendering, shown inline).
_DOWNLOAD_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _nearest(view: CaseView, now: datetime) -> Row:
    live = [
        stored.timer
        for stored in view.timers
        if stored.timer.state in (sla.TimerState.RUNNING, sla.TimerState.PAUSED, sla.TimerState.BREACHED)
    ]
    if not live:
        return Row(view, None, 0, "none")
    timer = min(live, key=lambda t: sla.remaining(t, now))
    return Row(view, timer, sla.remaining(timer, now) // timedelta(seconds=1), urgency(timer, now))


class StaffController(Controller):
    """Pages for a tenant's staff."""

    path = "/t/{slug:str}"
    include_in_schema = False
    exception_handlers = handlers_for_errors("staff")

    async def _page(
        self, request: Request, slug: str, services: Services
    ) -> tuple[Principal, str, dict[str, Any]]:
        principal, csrf = await signed_in(request, tenant=slug)
        record = await _console(services).tenant(principal.tenant_id)
        actor = principal.actor
        nav = [("queue", "工作台", True)]
        nav.append(("intake", "受理登记", actor.can(Permission.CASE_INTAKE)))
        nav.append(("dashboard", "督办看板", actor.can(Permission.CASE_SUPERVISE)))
        nav.append(("duty", "值班", actor.can(Permission.CASE_READ) and not unit_bound(actor)))
        nav.append(("password", "修改密码", True))
        context = {
            "slug": slug,
            "user": principal,
            "roles": "、".join(role.label for role in sorted(principal.roles)),
            "csrf": csrf,
            "tenant": record,
            "zone": ZoneInfo(record.timezone),
            "nav": [(key, label) for key, label, shown in nav if shown],
            "now": services.clock.now(),
        }
        return principal, csrf, context

    # --- sign-in -------------------------------------------------------------------------------

    @get("/", name="staff-home")
    async def home(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Response:
        try:
            await signed_in(request, tenant=slug)
        except SignInRequired:
            return Redirect(f"/t/{slug}/login")
        return Redirect(f"/t/{slug}/queue")

    @get("/login")
    async def login_form(self, request: Request, slug: FromPath[str]) -> Response:
        return self._login(request, slug, {}, "", 200)

    @staticmethod
    def _login(request: Request, slug: str, values: dict, error: str, status: int) -> Response:
        token, cookie = login_csrf(request)
        response = Template(
            "staff/login.html",
            context={"slug": slug, "login_csrf": token, "values": values, "error": error},
            status_code=status,
        )
        if cookie is not None:
            response.cookies.append(cookie)
        return response

    @post("/login")
    async def login(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Response:
        form, _ = await form_data(request)
        check_login_csrf(request, form)
        username = str(form.get("username", "")).strip()
        try:
            principal = await authenticate_user(
                slug, username, str(form.get("password", "")), now=services.clock.now()
            )
        except DomainError as exc:
            return self._login(request, slug, {"username": username}, str(exc), 401)
        response = Redirect(f"/t/{slug}/queue")
        response.cookies.append(session_cookie(request, principal))
        return response

    @post("/logout")
    async def logout(self, request: Request, slug: FromPath[str]) -> Response:
        form, _ = await form_data(request)
        _, csrf = await signed_in(request, tenant=slug)
        check_csrf(request, form, csrf)
        response = Redirect(f"/t/{slug}/login")
        response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
        return response

    @get("/password")
    async def password_form(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        _, _, context = await self._page(request, slug, services)
        return Template("staff/password.html", context=context | {"errors": {}, "done": False})

    @post("/password")
    async def change_password(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, csrf, context = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        errors: dict[str, str] = {}
        new = str(form.get("new_password", ""))
        if new != form.get("confirm_password"):
            errors["confirm_password"] = "两次输入的新密码不一致"
        else:
            try:
                await _console(services).change_password(
                    slug, principal.username, str(form.get("current_password", "")), new
                )
            except InvalidCommand as exc:
                errors[exc.field or "new_password"] = str(exc)
            except DomainError as exc:
                errors["current_password"] = str(exc)
        return Template(
            "staff/password.html",
            context=context | {"errors": errors, "done": not errors},
            status_code=422 if errors else 200,
        )

    # --- queues ---------------------------------------------------------------------------------

    @get("/queue")
    async def queue(
        self,
        request: Request,
        slug: FromPath[str],
        services: NamedDependency[Services],
        view: FromQuery[str] = "",
        q: FromQuery[str] = "",
        state_filter: Annotated[str, QueryParameter(name="state")] = "",
        kind: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        actor = principal.actor
        views = [key for key in QUEUES if key != "unit" or actor.unit_code]
        if not actor.can(Permission.CASE_APPROVE):
            views.remove("approval")
        view = view if view in views else ("unit" if unit_bound(actor) and actor.unit_code else views[0])
        now = services.clock.now()
        state = state_filter
        filters = {"q": q.strip()[:100], "state": state, "kind": kind}
        error = ""
        rows: list[Row] = []
        deadlines = None
        next_cursor = None
        if view == "today":
            deadlines = await DeadlineService(services.registry, services.clock).mine(
                principal.tenant_id, actor, "today"
            )
        else:
            query = CaseQuery(
                states=(CaseState(state),) if state in CaseState.__members__.values() else OPEN_STATES,
                kind=CaseKind(kind) if kind in CaseKind.__members__.values() else None,
                text=filters["q"],
                cursor=cursor or None,
                limit=25,
            )
            if view == "mine":
                query = dataclasses.replace(query, handler=actor.username)
            elif view == "unit":
                query = dataclasses.replace(query, unit_code=actor.unit_code)
            elif view == "approval":
                query = dataclasses.replace(query, states=(CaseState.PENDING_APPROVAL,))
            elif view == "overdue":
                query = dataclasses.replace(query, overdue_at=now)
            try:
                found, next_cursor = await _console(services).search(principal.tenant_id, query, actor)
                rows = [_nearest(item, now) for item in found]
            except InvalidCommand as exc:
                error = str(exc)
        units = await services.tenant_admin.units(principal.tenant_id, actor)
        return Template(
            "staff/queue.html",
            context=context
            | {
                "queues": [(key, QUEUES[key]) for key in views],
                "unit_names": {unit.code: unit.name for unit in units},
                "view": view,
                "rows": rows,
                "deadlines": deadlines,
                "filters": filters,
                "next_cursor": next_cursor,
                "states": [s for s in CaseState],
                "kinds": list(CaseKind),
                "error": error,
                "countdown": countdown,
            },
        )

    # --- intake -------------------------------------------------------------------------------

    @get("/intake")
    async def intake_form(
        self,
        request: Request,
        slug: FromPath[str],
        services: NamedDependency[Services],
        kind: FromQuery[str] = "complaint",
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        chosen = CaseKind(kind) if kind in CaseKind.__members__.values() else CaseKind.COMPLAINT
        form = await _console(services).intake_form(principal.tenant_id, principal.actor, chosen)
        return self._intake(context, form, {"kind": chosen.value, "channel": "phone"}, {}, "", 200)

    @staticmethod
    def _intake(context, form, values, errors, error, status) -> Template:
        return Template(
            "staff/intake.html",
            context=context
            | {
                "form": form,
                "values": values,
                "errors": errors,
                "error": error,
                "kinds": list(CaseKind),
                "channels": [(c.value, c.label) for c in Channel],
                "repeat_hint": context["user"].actor.can(Permission.IDENTITY_REVEAL),
            },
            status_code=status,
        )

    @post("/intake")
    async def intake(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Response:
        principal, csrf, context = await self._page(request, slug, services)
        raw, _ = await form_data(request)
        check_csrf(request, raw, csrf)
        values = {key: str(value) for key, value in raw.items() if key != "_csrf"}
        kind = CaseKind(values["kind"]) if values.get("kind") in CaseKind.__members__.values() else None
        form = await _console(services).intake_form(
            principal.tenant_id, principal.actor, kind or CaseKind.COMPLAINT
        )
        draft, errors = intake_draft(form, values, context["zone"], channel=values.get("channel", ""))
        if draft is None:
            return self._intake(context, form, values, errors, "请检查标红的内容", 422)
        try:
            created = await services.cases.intake(principal.tenant_id, draft, principal.actor)
        except InvalidCommand as exc:
            errors = field_errors(form, draft, exc)
            return self._intake(context, form, values, errors, str(exc), 422)
        except DomainError as exc:
            return self._intake(context, form, values, {}, str(exc), 422)
        if values.get("receipt"):
            receipt = await _console(services).issue_receipt(principal.tenant_id, created, principal.actor)
            return Template(
                "staff/receipt.html",
                context=context
                | {"case": created.case, "receipt": receipt.receipt, "secret": receipt.secret},
                status_code=201,
                headers={"Cache-Control": "no-store"},
            )
        return Redirect(f"/t/{slug}/cases/{created.case.id}?created=1")

    @post("/intake/repeat-caller")
    async def repeat_caller(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        """The htmx hint beside the phone field: this number's recent cases (count and serials only).

        A POST, so the number stays out of URLs and access logs; the CSRF token comes in the
        ``X-CSRF-Token`` header htmx sends.
        """
        principal, csrf, _ = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        hint = await _console(services).repeat_caller(
            principal.tenant_id, principal.actor, str(form.get("phone", ""))[:40]
        )
        return Template(
            "staff/_repeat_caller.html", context={"hint": hint}, headers={"Cache-Control": "no-store"}
        )

    # --- the case page --------------------------------------------------------------------------

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
        page = await _console(services).case_page(principal.tenant_id, case_id, principal.actor)
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
                "phrases": [p for p in page.phrases if p.step is None or p.step in page.actions],
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
        console = _console(services)
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
        await _console(services).visible_case(principal.tenant_id, case_id, principal.actor)
        reason = str(form.get("reason", ""))
        try:
            clear = await services.cases.reveal_identity(
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
        await _console(services).visible_case(principal.tenant_id, case_id, principal.actor)
        try:
            info = await _documents(services).issue(
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
        documents = _documents(services)
        info = await documents.get(principal.tenant_id, document_id, principal.actor)
        if info.case_id != case_id:
            raise DocumentNotFound(document_id)
        download = await documents.download(principal.tenant_id, document_id, principal.actor, fmt)
        headers = {
            **_DOWNLOAD_HEADERS,
            "Content-Disposition": (
                f"{'inline' if fmt == 'html' else 'attachment'}; filename*=UTF-8''{quote(download.filename)}"
            ),
            "X-Document-Copy": download.copy,
        }
        if fmt == "html":
            headers["Content-Security-Policy"] = _HTML_CSP
        return Response(download.content, media_type=download.media_type, headers=headers)

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
        await _console(services).visible_case(principal.tenant_id, case_id, principal.actor)
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
        await _console(services).visible_case(principal.tenant_id, case_id, principal.actor)
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

    @get("/dashboard")
    async def dashboard(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        actor = principal.actor
        overdue = await DeadlineService(services.registry, services.clock).by_unit(principal.tenant_id, actor)
        local = services.clock.now().astimezone(context["zone"])
        # The dashboard shows no month-on-month change: the month before is not read.
        report = await StatisticsService().monthly(
            principal.tenant_id, actor, local.year, local.month, compare=False
        )
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        satisfaction = await _console(services).satisfaction(principal.tenant_id, actor, start, end)
        totals = report.totals
        rated = sum(v for k, v in satisfaction.items() if k != "unreachable")
        happy = satisfaction.get("satisfied", 0) + satisfaction.get("basically_satisfied", 0)
        return Template(
            "staff/dashboard.html",
            context=context
            | {
                "overdue": overdue,
                "report": report,
                "totals": totals,
                "on_time_rate": _rate(totals.replied_on_time, totals.replied),
                "satisfaction": satisfaction,
                "satisfaction_rate": _rate(happy, rated),
                "overdue_max": max([line.overdue_cases for line in overdue.units] + [1]),
                "received_max": max([line.received for line in report.lines] + [1]),
            },
        )

    # --- duty -----------------------------------------------------------------------------------

    @get("/duty")
    async def duty(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        return await self._duty(principal, context, services, {}, "", False, 200)

    async def _duty(self, principal, context, services, values, error, done, status) -> Template:
        duty = DutyService(services.clock)
        actor = principal.actor
        now = services.clock.now()
        local = now.astimezone(context["zone"])
        start = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        roster = await duty.roster(principal.tenant_id, actor, start, start + timedelta(days=8))
        current = await duty.on_duty(principal.tenant_id, actor)
        can_log = actor.can(Permission.DUTY_LOG_READ)
        handovers = await duty.handovers(principal.tenant_id, actor) if can_log else []
        received: list[str] = []
        if current is not None and can_log and not values:
            # The handover form starts with the cases received during the shift.
            found, _ = await services.cases.search(
                principal.tenant_id,
                CaseQuery(received_from=current.starts_at, received_before=now, limit=50),
                actor,
            )
            received = [f"{v.case.serial} {v.case.title}" for v in found]
            values = {"cases_received": "\n".join(received)}
        return Template(
            "staff/duty.html",
            context=context
            | {
                "roster": roster,
                "current": current,
                "handovers": handovers,
                "can_log": can_log,
                "values": values,
                "error": error,
                "done": done,
            },
            status_code=status,
        )

    @post("/duty/handover")
    async def handover(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, csrf, context = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        values = {k: str(v) for k, v in form.items() if k != "_csrf"}

        def lines(name: str) -> list[str]:
            return [line.strip() for line in values.get(name, "").splitlines() if line.strip()]

        duty = DutyService(services.clock)
        current = await duty.on_duty(principal.tenant_id, principal.actor)
        try:
            if current is None or current.id is None:
                raise InvalidCommand("当前没有值班班次，无法填写交接班记录", field="shift")
            await duty.write_handover(
                principal.tenant_id,
                principal.actor,
                current.id,
                cases_received=lines("cases_received"),
                pending=lines("pending"),
                documents=lines("documents"),
                equipment=values.get("equipment", ""),
                notes=values.get("notes", ""),
            )
        except DomainError as exc:
            return await self._duty(principal, context, services, values, str(exc), False, 422)
        return await self._duty(principal, context, services, {}, "", True, 200)


def _rate(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def intake_draft(
    form, values: dict[str, str], zone: ZoneInfo, *, channel: str
) -> tuple[IntakeDraft | None, dict]:
    """An intake draft from the form, or the per-field problems of its shape (choices, dates).

    Whether required fields are filled is the domain's call (`check_intake`), not the form's.
    """
    errors: dict[str, str] = {}
    try:
        kind = CaseKind(values.get("kind", ""))
    except ValueError:
        errors["kind"] = "请选择类型"
        kind = CaseKind.COMPLAINT
    try:
        chosen_channel = Channel(channel)
    except ValueError:
        errors["channel"] = "请选择来源渠道"
        chosen_channel = Channel.PHONE
    received_at = None
    raw_time = values.get("received_at", "").strip()
    if raw_time:
        try:
            received_at = datetime.fromisoformat(raw_time).replace(tzinfo=zone)
        except ValueError:
            errors["received_at"] = "收件时间格式应为 2026-09-30 10:00"
    if errors:
        return None, errors
    anonymous = bool(values.get("anonymous"))
    identity = {
        s.key: values.get(s.key, "").strip()
        for s in form.fields
        if s.identity and values.get(s.key, "").strip()
    }
    fields = {
        s.key: values.get(s.key, "").strip()
        for s in form.fields
        if not s.identity and values.get(s.key, "").strip()
    }
    draft = IntakeDraft(
        kind=kind,
        channel=chosen_channel,
        title=values.get("title", ""),
        content=values.get("content", ""),
        received_at=received_at,
        anonymous=anonymous,
        identity={} if anonymous else identity,
        fields=fields,
    )
    return draft, {}


def field_errors(form, draft: IntakeDraft, exc: InvalidCommand) -> dict[str, str]:
    """Put the domain's intake refusal next to the fields it is about.

    The missing fields are the schema's own answer (`IntakeSchema.missing`), so the page and
    `check_intake` cannot disagree.
    """
    errors: dict[str, str] = {}
    if not draft.title.strip():
        errors["title"] = "请填写标题"
    if not draft.content.strip():
        errors["content"] = "请填写内容"
    values = {**draft.fields, **draft.identity}
    for spec in form.schema.missing(draft.kind, values, anonymous=draft.anonymous):
        errors[spec.key] = f"请填写{spec.label}"
    if exc.field in ("received_at", "anonymous"):
        errors[exc.field] = str(exc)
    return errors
