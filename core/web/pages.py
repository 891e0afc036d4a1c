"""What every page shares: reading forms, and errors as pages instead of problem+json."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from core.api.problems import DOMAIN_STATUS
from core.domain.errors import DomainError
from core.web.session import CsrfFailed, SignInRequired

__all__ = ["error_page", "form_data", "handlers_for_errors"]

log = logging.getLogger("huiying.web")

_TITLES = {
    401: "请先登录",
    403: "无权访问",
    404: "找不到该页面或案件",
    409: "操作冲突",
    413: "上传内容过大",
    422: "无法办理",
    429: "请求过于频繁",
    500: "服务器内部错误",
}


async def form_data(request: Request) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The posted form: each field's last value, and every value of fields sent several times."""
    form = await request.form()
    multi = {key: form.getall(key) for key in form}
    return dict(form.items()), multi


def error_page(request: Request, status: int, message: str, *, home: str = "") -> Response:
    """A plain page saying what went wrong and where to go next."""
    return Template(
        "error.html",
        context={"status": status, "title": _TITLES.get(status, "出错了"), "message": message, "home": home},
        status_code=status,
    )


def _home(request: Request, area: str) -> str:
    slug = request.path_params.get("slug", "")
    if area == "staff":
        return f"/t/{slug}/"
    if area == "portal":
        return f"/p/{slug}/"
    return "/admin/"


def handlers_for_errors(area: str) -> dict:
    """Exception handlers of one area (staff, portal, admin): pages, never tracebacks."""

    def sign_in(request: Request, exc: SignInRequired) -> Response:
        target = f"/t/{request.path_params.get('slug', '')}/login" if area == "staff" else "/admin/login"
        if request.method == "GET":
            return Redirect(target)
        return error_page(request, 401, f"{exc.detail}。请重新登录后再提交。", home=target)

    def csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_page(request, 403, exc.detail, home=_home(request, area))

    def domain(request: Request, exc: DomainError) -> Response:
        status = DOMAIN_STATUS.get(exc.code, 422)
        return error_page(request, status, str(exc), home=_home(request, area))

    def http(request: Request, exc: HTTPException) -> Response:
        return error_page(request, exc.status_code, str(exc.detail), home=_home(request, area))

    def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_page(request, 500, "服务器内部错误，已记录，请稍后重试", home=_home(request, area))

    return {
        SignInRequired: sign_in,
        CsrfFailed: csrf,
        DomainError: domain,
        HTTPException: http,
        Exception: unexpected,
    }
