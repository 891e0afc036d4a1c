"""Bearer tokens (JWT, HS256), the authentication middleware and the guards.

A token names its scope: ``tenant`` (a tenant user: tenant id and slug, roles) or ``platform``
(a platform admin, who holds no tenant). Every request re-reads the user and the tenant, so a
suspended tenant's tokens and a deactivated user's stop working at once, and role changes
apply at once. The guards read the domain permission matrix — the one place rules live.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from core.api.config import ApiConfig
from core.domain.errors import DomainError
from core.domain.roles import Permission
from core.services.auth import AuthenticationFailed, Principal, platform_principal_for, principal_for

__all__ = [
    "PUBLIC_PATHS",
    "SESSION_COOKIE",
    "AuthMiddleware",
    "TokenPair",
    "TokenService",
    "platform_scope",
    "requires",
    "tenant_scope",
]

ALGORITHM = "HS256"
SESSION_COOKIE = "huiying_session"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ISSUER = "huiying"

PUBLIC_PATHS = [
    "^/healthz$",
    "^/readyz$",
    "^/schema",
    "^/api/v1/auth/",
    "^/api/v1/platform/auth/",
    "^/api/v1/public/",
]
"""Paths that need no token (anchored: litestar matches exclusions unanchored otherwise)."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    expires_in: int
    family: str  # the sign-in the refresh token belongs to (`fam`)
    refresh_jti: str
    refresh_expires_at: datetime


class TokenService:
    """Issues and checks tokens with the configured key."""

    def __init__(self, config: ApiConfig) -> None:
        self.config = config

    @staticmethod
    def _base(principal: Principal, now: datetime) -> dict[str, Any]:
        base: dict[str, Any] = {"sub": principal.username, "iss": ISSUER, "iat": int(now.timestamp())}
        if principal.is_platform_admin:
            return base | {"scope": "platform"}
        return base | {
            "scope": "tenant",
            "tid": principal.tenant_id,
            "tenant": principal.tenant_slug,
            "roles": sorted(role.value for role in principal.roles),
        }

    def issue(self, principal: Principal, family: str | None = None) -> TokenPair:
        """A token pair for `principal`, in the sign-in `family` (a new one when None).

        Token lifetimes run on real time, never a business clock. The caller records the refresh
        token with the family (`core.services.auth`): only the latest one of a family refreshes.
        """
        now = datetime.now(UTC)
        base = self._base(principal, now)
        access = base | {"typ": "access", "exp": now + timedelta(seconds=self.config.access_ttl_seconds)}
        expires_at = now + timedelta(seconds=self.config.refresh_ttl_seconds)
        refresh = base | {
            "typ": "refresh",
            "jti": secrets.token_urlsafe(12),
            "fam": family or secrets.token_urlsafe(16),
            "exp": expires_at,
        }
        return TokenPair(
            access_token=jwt.encode(access, self.config.secret_key, algorithm=ALGORITHM),
            refresh_token=jwt.encode(refresh, self.config.secret_key, algorithm=ALGORITHM),
            expires_in=self.config.access_ttl_seconds,
            family=refresh["fam"],
            refresh_jti=refresh["jti"],
            refresh_expires_at=expires_at,
        )

    def session(self, principal: Principal) -> tuple[str, str]:
        """A browser session token (for an HttpOnly cookie) and its CSRF token."""
        now = datetime.now(UTC)
        claims = self._base(principal, now) | {
            "typ": "session",
            "jti": secrets.token_urlsafe(12),
            "exp": now + timedelta(seconds=self.config.session_ttl_seconds),
        }
        token = jwt.encode(claims, self.config.secret_key, algorithm=ALGORITHM)
        return token, self.csrf_token(claims)

    def csrf_token(self, claims: dict[str, Any]) -> str:
        """The CSRF token bound to one session (an HMAC of its id: nothing to store)."""
        return hmac.new(
            self.config.secret_key.encode(), f"csrf:{claims['jti']}".encode(), hashlib.sha256
        ).hexdigest()

    def claims(self, token: str, *, kind: str) -> dict[str, Any]:
        """The verified claims of `token` if it is a valid token of `kind` ("access" or "refresh").

        Raises:
            AuthenticationFailed: expired, forged, malformed or of the wrong kind.
        """
        try:
            claims = jwt.decode(
                token,
                self.config.secret_key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "sub", "typ", "scope"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("令牌已过期，请刷新或重新登录 (token expired)") from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("令牌无效 (invalid token)") from None
        if claims.get("typ") != kind or claims.get("scope") not in ("tenant", "platform"):
            raise AuthenticationFailed("令牌类型不符 (wrong token type)")
        if claims["scope"] == "tenant" and not isinstance(claims.get("tid"), int):
            raise AuthenticationFailed("令牌无效 (invalid token)")
        return claims


async def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The live principal behind verified claims (re-read from the database)."""
    if claims["scope"] == "platform":
        return await platform_principal_for(claims["sub"])
    return await principal_for(claims["tid"], claims["sub"])


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Turns a bearer token, or a browser's session cookie, into ``request.user`` (a `Principal`).

    A cookie is sent by the browser on its own, so an unsafe request authenticated by it must
    also carry the session's CSRF token in ``X-CSRF-Token`` (double submit).
    """

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        tokens: TokenService = connection.app.state.tokens
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        session = connection.cookies.get(SESSION_COOKIE, "")
        try:
            if scheme.lower() == "bearer" and token.strip():
                claims = tokens.claims(token.strip(), kind="access")
            elif session:
                claims = tokens.claims(session, kind="session")
                if connection.scope["method"] not in _SAFE_METHODS and not hmac.compare_digest(
                    connection.headers.get("x-csrf-token", ""), tokens.csrf_token(claims)
                ):
                    raise PermissionDeniedException(
                        "CSRF 校验失败：请随请求提交 X-CSRF-Token (CSRF check failed)"
                    )
            else:
                raise NotAuthorizedException(
                    "请先登录：缺少 Authorization: Bearer 令牌 (missing bearer token)"
                )
            principal = await principal_from_claims(claims)
        except DomainError as exc:
            raise NotAuthorizedException(str(exc)) from None
        return AuthenticationResult(user=principal, auth=claims)


def _preflight(connection: ASGIConnection) -> bool:
    # CORS preflight carries no token and reaches no handler (guards run on OPTIONS too).
    return connection.scope["method"] == "OPTIONS"


def tenant_scope(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Only tenant users reach tenant data; a platform admin's token does not."""
    if _preflight(connection):
        return
    if connection.user.is_platform_admin:
        raise PermissionDeniedException(
            "平台管理员不能访问租户业务数据 (platform admins hold no tenant access)"
        )


def platform_scope(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Only platform admins reach the platform administration."""
    if _preflight(connection):
        return
    if not connection.user.is_platform_admin:
        raise PermissionDeniedException("仅限平台管理员 (platform admins only)")


def requires(permission: Permission):
    """A guard passing only tenant users whose roles grant `permission` (the domain matrix)."""

    def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        tenant_scope(connection, handler)
        if not _preflight(connection) and not connection.user.actor.can(permission):
            raise PermissionDeniedException(f"您的角色无权执行此操作（需要权限 {permission.value}）")

    return guard
