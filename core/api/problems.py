"""Every error the API returns is ``application/problem+json`` (RFC 9457), never a traceback.

``type`` is a stable URN per kind of problem; ``title`` is English; ``detail`` is the message
for a person, Chinese first; validation problems list ``errors`` by field.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from core.domain.errors import DomainError, InvalidCommand
from core.services.auth import AccountLocked

__all__ = [
    "DOMAIN_STATUS",
    "PROBLEMS",
    "PROBLEM_JSON",
    "ProblemOut",
    "exception_handlers",
    "problem",
    "problem_responses",
]

PROBLEM_JSON = "application/problem+json"
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
log = logging.getLogger("huiying.api")

DOMAIN_STATUS = {
    "not_found": 404,
    "conflict": 409,
    "illegal_transition": 409,
    "rule_violation": 422,
    "invalid_command": 422,
    "forbidden": 403,
    "authentication_failed": 401,
    "account_locked": 429,
    "tenant_inactive": 403,
    "unknown_plugin": 422,
    "plugin_contract": 422,
}
"""The HTTP status of each domain error code, for the API's problems and the pages' errors alike."""

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

_DEFAULT_DETAILS = {
    400: "请求无效 (bad request)",
    401: "请先登录或提供有效令牌 (authentication required)",
    403: "无权执行此操作 (forbidden)",
    404: "资源不存在 (not found)",
    405: "不支持该请求方法 (method not allowed)",
    413: "请求体过大 (request body too large)",
    415: "请求体须为 application/json (unsupported media type)",
    429: "请求过于频繁，请稍后再试 (too many requests)",
    500: "服务器内部错误，已记录，请稍后重试 (internal error)",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict | None = None,
) -> Response[dict[str, Any]]:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:huiying:problem:{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain(request: Request, exc: DomainError) -> Response:
    status = DOMAIN_STATUS.get(exc.code, 400)
    if exc.code == "conflict" and request.headers.get("if-match"):
        status = 412  # the version the client named is not the current one
    errors = None
    if isinstance(exc, InvalidCommand) and exc.field:
        errors = [{"field": exc.field, "message": str(exc)}]
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, AccountLocked) else None
    return problem(status, exc.code, str(exc), errors=errors, headers=headers)


def _validation(request: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "")
            errors.append({"field": field, "message": str(item.get("message", ""))})
    detail = (
        "请求内容不符合要求："
        + "；".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        if errors
        else f"请求内容不符合要求：{exc.detail}"
    )
    return problem(400, "validation", f"{detail} (validation failed)", errors=errors or None)


def _http(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    code = {
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "media_type",
        429: "rate_limited",
    }
    # Our own raises carry Chinese; litestar's built-in ones get our wording, with their English
    # reason after it for 4xx (a server error never echoes internals).
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
        detail = _DEFAULT_DETAILS[500]
    elif exc.detail and _CHINESE.search(exc.detail):
        detail = exc.detail
    elif status == 400:
        code[400] = "malformed_body"
        detail = f"请求体不是有效的 JSON 对象（{exc.detail}）(malformed request body)"
    else:
        detail = _DEFAULT_DETAILS.get(status, exc.detail)
    headers = {k: v for k, v in (exc.headers or {}).items()}
    return problem(status, code.get(status, "http_error"), detail or _TITLES.get(status, ""), headers=headers)


def _bad_encoding(request: Request, exc: UnicodeDecodeError) -> Response:
    return problem(400, "malformed_body", "请求体不是有效的 UTF-8 文本 (request body is not valid UTF-8)")


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal", _DEFAULT_DETAILS[500])


exception_handlers = {
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    UnicodeDecodeError: _bad_encoding,
    Exception: _unexpected,
}
"""Handlers for the app (router 404/405 reach only app-level handlers)."""


class FieldErrorOut(msgspec.Struct):
    field: str
    message: str


class ProblemOut(msgspec.Struct):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldErrorOut] | msgspec.UnsetType = msgspec.UNSET


_ALWAYS = (400, 401, 403, 404, 405, 413, 415, 429)


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for the problems a handler may answer with (plus the ones any route may)."""
    return {
        status: ResponseSpec(
            data_container=ProblemOut,
            media_type=PROBLEM_JSON,
            description=_DEFAULT_DETAILS.get(status, _TITLES.get(status, "Error")),
            generate_examples=False,
        )
        for status in sorted({*_ALWAYS, *statuses})
    }


PROBLEMS = problem_responses(404, 409, 412, 422)
"""The problem responses every API route documents."""
