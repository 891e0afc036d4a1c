"""Signing in: tokens for tenant users and platform admins, and their refresh."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Controller, Request, Response, delete, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import PlatformTokenIn, RefreshIn, TokenIn, TokenOut
from core.api.security import SESSION_COOKIE, TokenPair, TokenService, principal_from_claims
from core.services.auth import (
    AuthenticationFailed,
    Principal,
    authenticate_platform_admin,
    authenticate_user,
    rotate_refresh,
    start_refresh_family,
)

__all__ = ["AuthController", "PlatformAuthController", "SessionController"]


async def _out(tokens: TokenService, principal: Principal) -> TokenOut:
    """A sign-in's first token pair; its refresh token starts the sign-in's family."""
    pair = tokens.issue(principal)
    await start_refresh_family(pair.family, pair.refresh_jti, pair.refresh_expires_at)
    return _token_out(pair)


def _token_out(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ("auth 登录",)

    @post("/token", status_code=200, summary="租户用户登录，取得访问令牌", responses=PROBLEMS)
    async def token(
        self, request: Request, data: JSONBody[TokenIn], services: NamedDependency[Services]
    ) -> TokenOut:
        """Sign in with tenant slug, username and password; five failures lock the account."""
        now = services.clock.now()
        principal = await authenticate_user(data.tenant, data.username, data.password, now=now)
        return await _out(request.app.state.tokens, principal)

    @post("/refresh", status_code=200, summary="用刷新令牌换取新的访问令牌", responses=PROBLEMS)
    async def refresh(self, request: Request, data: JSONBody[RefreshIn]) -> TokenOut:
        """A new token pair for a valid refresh token, if the tenant and user are still active.

        Each refresh token works once: the answer carries the next one. A token presented again
        (copied, stolen) revokes the whole sign-in, and both holders must sign in again.
        """
        tokens: TokenService = request.app.state.tokens
        claims = tokens.claims(data.refresh_token, kind="refresh")
        if not isinstance(claims.get("fam"), str) or not isinstance(claims.get("jti"), str):
            raise AuthenticationFailed("刷新令牌无效，请重新登录 (refresh token without a sign-in)")
        principal = await principal_from_claims(claims)
        pair = tokens.issue(principal, family=claims["fam"])
        now = datetime.now(UTC)
        await rotate_refresh(claims["fam"], claims["jti"], pair.refresh_jti, pair.refresh_expires_at, now=now)
        return _token_out(pair)


class SessionOut(msgspec.Struct):
    csrf_token: str
    expires_in: int
    username: str
    tenant: str


class SessionController(Controller):
    """Browser sign-in: an HttpOnly session cookie plus a CSRF token for unsafe requests."""

    path = "/api/v1/auth/session"
    tags = ("auth 登录",)

    @post("/", status_code=200, summary="浏览器登录（会话 Cookie + CSRF 令牌）", responses=PROBLEMS)
    async def sign_in(
        self, request: Request, data: JSONBody[TokenIn], services: NamedDependency[Services]
    ) -> Response[SessionOut]:
        """Sign in for the browser pages; send ``X-CSRF-Token`` with every unsafe request."""
        principal = await authenticate_user(
            data.tenant, data.username, data.password, now=services.clock.now()
        )
        tokens: TokenService = request.app.state.tokens
        session, csrf = tokens.session(principal)
        config = request.app.state.config
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=session,
            httponly=True,
            secure=config.secure_cookies,
            samesite="lax",
            path="/",
            max_age=config.session_ttl_seconds,
        )
        body = SessionOut(csrf, config.session_ttl_seconds, principal.username, principal.tenant_slug)
        return Response(body, cookies=[cookie])

    @delete(
        "/",
        status_code=204,
        summary="退出浏览器会话",
        responses=PROBLEMS,
        response_cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
    )
    async def sign_out(self) -> None:
        """Forget the session cookie."""


class PlatformAuthController(Controller):
    path = "/api/v1/platform/auth"
    tags = ("platform 平台管理",)

    @post("/token", status_code=200, summary="平台管理员登录", responses=PROBLEMS)
    async def token(
        self, request: Request, data: JSONBody[PlatformTokenIn], services: NamedDependency[Services]
    ) -> TokenOut:
        """Sign in as a platform admin; the token opens no tenant's data."""
        now = services.clock.now()
        principal = await authenticate_platform_admin(data.username, data.password, now=now)
        return await _out(request.app.state.tokens, principal)
