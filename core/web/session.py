"""Who is looking at a page: the API's browser session cookie and its CSRF token, read for pages.

Pages use the same signed session token (`TokenService.session`) and the same CSRF token
(an HMAC of the session id) as ``POST /api/v1/auth/session``. A plain HTML form cannot set
the ``X-CSRF-Token`` header, so pages also accept the token as the ``_csrf`` form field. The
sign-in forms, which have no session yet, carry a token bound to a random cookie instead, so a
third-party site cannot sign a browser into someone else's account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from core.api.security import SESSION_COOKIE, TokenService, principal_from_claims
from core.domain.errors import DomainError
from core.services.auth import Principal

__all__ = [
    "ADMIN_COOKIE",
    "LOGIN_COOKIE",
    "CsrfFailed",
    "SignInRequired",
    "check_csrf",
    "check_login_csrf",
    "login_csrf",
    "session_cookie",
    "signed_in",
]

ADMIN_COOKIE = "huiying_admin_session"
"""The platform admin's page session, kept apart so a tenant sign-in never replaces it."""

LOGIN_COOKIE = "huiying_login"
_SAFE = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(NotAuthorizedException):
    """No valid session for this page: the page answers with the sign-in form."""


class CsrfFailed(PermissionDeniedException):
    """An unsafe request without the session's CSRF token."""


def _tokens(request: Request) -> TokenService:
    return request.app.state.tokens


async def signed_in(
    request: Request, *, cookie: str = SESSION_COOKIE, tenant: str | None = None
) -> tuple[Principal, str]:
    """The principal behind the page's session cookie, and its CSRF token.

    `tenant` is the slug in the URL: a session of another tenant does not open this one's pages.
    Platform pages pass `tenant=None` and need a platform session.

    Raises:
        SignInRequired: no session, an expired or forged one, or one for another tenant.
    """
    token = request.cookies.get(cookie, "")
    if not token:
        raise SignInRequired("请先登录")
    tokens = _tokens(request)
    try:
        claims = tokens.claims(token, kind="session")
        principal = await principal_from_claims(claims)
    except DomainError as exc:
        raise SignInRequired(str(exc)) from None
    if tenant is None and not principal.is_platform_admin:
        raise SignInRequired("请以平台管理员身份登录")
    if tenant is not None and principal.tenant_slug != tenant:
        raise SignInRequired("请登录本单位账户")
    return principal, tokens.csrf_token(claims)


def check_csrf(request: Request, form: dict[str, Any], expected: str) -> None:
    """Refuse an unsafe request whose ``_csrf`` field (or ``X-CSRF-Token`` header) is not the session's.

    Raises:
        CsrfFailed: the token is missing or wrong.
    """
    if request.method in _SAFE:
        return
    sent = request.headers.get("x-csrf-token") or form.get("_csrf") or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise CsrfFailed("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试")


def _login_token(request: Request, nonce: str) -> str:
    key = request.app.state.config.secret_key.encode()
    return hmac.new(key, f"login:{nonce}".encode(), hashlib.sha256).hexdigest()


def login_csrf(request: Request) -> tuple[str, Cookie | None]:
    """The sign-in form's token, and the cookie to set when the browser has none yet."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    cookie = None
    if len(nonce) < 16:
        nonce = secrets.token_urlsafe(16)
        cookie = Cookie(key=LOGIN_COOKIE, value=nonce, httponly=True, samesite="strict", path="/")
    return _login_token(request, nonce), cookie


def check_login_csrf(request: Request, form: dict[str, Any]) -> None:
    """Refuse a sign-in posted from elsewhere (no matching cookie-bound token).

    Raises:
        CsrfFailed: the token does not match the browser's cookie.
    """
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    sent = form.get("_csrf") or ""
    if (
        len(nonce) < 16
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent, _login_token(request, nonce))
    ):
        raise CsrfFailed("登录页面已过期，请刷新后重新登录")


def session_cookie(request: Request, principal: Principal, *, name: str = SESSION_COOKIE) -> Cookie:
    """A new session cookie for `principal` (the API's session token)."""
    token, _ = _tokens(request).session(principal)
    config = request.app.state.config
    return Cookie(
        key=name,
        value=token,
        httponly=True,
        secure=config.secure_cookies,
        samesite="lax",
        path="/",
        max_age=config.session_ttl_seconds,
    )
