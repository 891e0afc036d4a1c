"""Platform admin pages under ``/admin/``: onboard, list, suspend and resume tenants, see their health.

A platform admin sees counts and instants of each tenant, never a case's contents.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.domain.errors import DomainError, InvalidCommand
from core.services.auth import authenticate_platform_admin
from core.services.console import Console
from core.services.root import Services
from core.web.pages import form_data, handlers_for_errors
from core.web.session import (
    ADMIN_COOKIE,
    check_csrf,
    check_login_csrf,
    login_csrf,
    session_cookie,
    signed_in,
)

__all__ = ["PlatformPages"]


def _console(services: Services) -> Console:
    return services.console


def _units(text: str) -> list[dict[str, str]]:
    """Units from lines of ``code 名称`` (an optional third word names the parent's code)."""
    units = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2:
            raise InvalidCommand(f"第 {number} 行应为“单位代码 单位名称”", field="units")
        unit = {"code": parts[0], "name": parts[1]}
        if len(parts) > 2:
            unit["parent"] = parts[2]
        units.append(unit)
    return units


class PlatformPages(Controller):
    """The platform admin's pages."""

    path = "/admin"
    include_in_schema = False
    exception_handlers = handlers_for_errors("admin")

    async def _context(self, request: Request) -> tuple[str, dict[str, Any]]:
        principal, csrf = await signed_in(request, cookie=ADMIN_COOKIE)
        return csrf, {"user": principal, "csrf": csrf}

    @get("/")
    async def tenants(self, request: Request, services: NamedDependency[Services]) -> Template:
        _, context = await self._context(request)
        health = await _console(services).tenant_health()
        return Template("admin/tenants.html", context=context | {"health": health, "error": ""})

    @get("/login")
    async def login_form(self, request: Request) -> Response:
        return self._login(request, {}, "", 200)

    @staticmethod
    def _login(request: Request, values: dict, error: str, status: int) -> Response:
        token, cookie = login_csrf(request)
        response = Template(
            "admin/login.html",
            context={"login_csrf": token, "values": values, "error": error},
            status_code=status,
        )
        if cookie is not None:
            response.cookies.append(cookie)
        return response

    @post("/login")
    async def login(self, request: Request, services: NamedDependency[Services]) -> Response:
        form, _ = await form_data(request)
        check_login_csrf(request, form)
        username = str(form.get("username", "")).strip()
        try:
            principal = await authenticate_platform_admin(
                username, str(form.get("password", "")), now=services.clock.now()
            )
        except DomainError as exc:
            return self._login(request, {"username": username}, str(exc), 401)
        response = Redirect("/admin/")
        response.cookies.append(session_cookie(request, principal, name=ADMIN_COOKIE))
        return response

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        form, _ = await form_data(request)
        csrf, _ = await self._context(request)
        check_csrf(request, form, csrf)
        response = Redirect("/admin/login")
        response.cookies.append(Cookie(key=ADMIN_COOKIE, value="", max_age=0, path="/"))
        return response

    def _onboard_page(self, services: Services, context, values, errors, error, status) -> Template:
        plugins = [(name, services.registry.settings_specs(name)) for name in services.registry.names]
        return Template(
            "admin/onboard.html",
            context=context | {"plugins": plugins, "values": values, "errors": errors, "error": error},
            status_code=status,
        )

    @get("/onboard")
    async def onboard_form(self, request: Request, services: NamedDependency[Services]) -> Template:
        _, context = await self._context(request)
        values = {"timezone": "Asia/Shanghai", "settings": "{}", "admin_username": "admin"}
        return self._onboard_page(services, context, values, {}, "", 200)

    @post("/onboard")
    async def onboard(self, request: Request, services: NamedDependency[Services]) -> Response:
        csrf, context = await self._context(request)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        values = {k: str(v) for k, v in form.items() if k != "_csrf"}
        try:
            try:
                settings = json.loads(values.get("settings") or "{}")
            except json.JSONDecodeError as exc:
                raise InvalidCommand(f"设置应为 JSON 对象：{exc.msg}", field="settings") from None
            if not isinstance(settings, dict):
                raise InvalidCommand('设置应为 JSON 对象，如 {"key": 1}', field="settings")
            data = {
                "slug": values.get("slug", "").strip(),
                "name": values.get("name", "").strip(),
                "plugin": values.get("plugin", ""),
                "timezone": values.get("timezone", "").strip() or "Asia/Shanghai",
                "serial_prefix": values.get("serial_prefix", "").strip(),
                "settings": settings,
                "units": _units(values.get("units", "")),
            }
            await _console(services).onboard(
                services.platform_admin,
                data,
                username=values.get("admin_username", "").strip(),
                display_name=values.get("admin_display_name", "").strip(),
                password=values.get("admin_password", ""),
            )
        except DomainError as exc:
            field = getattr(exc, "field", None) or ""
            values.pop("admin_password", None)
            return self._onboard_page(services, context, values, {field: str(exc)}, str(exc), 422)
        return Redirect(f"/admin/?onboarded={data['slug']}")

    @post("/tenants/{slug:str}/{change:str}")
    async def set_status(
        self,
        request: Request,
        slug: FromPath[str],
        change: FromPath[str],
        services: NamedDependency[Services],
    ) -> Response:
        csrf, context = await self._context(request)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        if change not in ("suspend", "resume"):
            raise InvalidCommand("未知操作", field="change")
        try:
            await services.platform_admin.set_status(
                slug,
                active=change == "resume",
                reason=str(form.get("reason", "")).strip() or "平台管理员暂停",
            )
        except DomainError as exc:
            health = await _console(services).tenant_health()
            return Template(
                "admin/tenants.html", context=context | {"health": health, "error": str(exc)}, status_code=422
            )
        return Redirect("/admin/")
