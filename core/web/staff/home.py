"""Signing in and out, one's password, and the work queues."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from core.api.security import SESSION_COOKIE
from core.domain.cases import CaseKind, CaseState
from core.domain.errors import DomainError, InvalidCommand
from core.domain.roles import Permission
from core.domain.visibility import unit_bound
from core.services.auth import authenticate_user
from core.services.root import Services
from core.services.values import CaseQuery
from core.web.labels import countdown
from core.web.pages import form_data
from core.web.session import (
    SignInRequired,
    check_csrf,
    check_login_csrf,
    login_csrf,
    session_cookie,
    signed_in,
)
from core.web.staff.base import OPEN_STATES, QUEUES, Row, StaffPages, console_for, nearest_timer

__all__ = ["HomePages"]


class HomePages(StaffPages):
    """Sign-in, password and the queues."""

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
                await console_for(services).change_password(
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
            deadlines = await services.deadlines.mine(principal.tenant_id, actor, "today")
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
                found, next_cursor = await console_for(services).search(principal.tenant_id, query, actor)
                rows = [nearest_timer(item, now) for item in found]
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
