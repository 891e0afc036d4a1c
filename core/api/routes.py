"""The API's route handlers, its request checks and its OpenAPI description.

`core.app.create_app` mounts them beside the pages; this package knows nothing of the pages.
"""

from __future__ import annotations

from litestar import MediaType, Request, Response, Router, get
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.types import Middleware

from core.api.config import ApiConfig
from core.api.controllers.admin import TenantAdminController
from core.api.controllers.attachments import AttachmentsController, PublicAttachmentsController
from core.api.controllers.auth import AuthController, PlatformAuthController, SessionController
from core.api.controllers.cases import CasesController, IdentityController
from core.api.controllers.deadlines import DeadlinesController
from core.api.controllers.deps import Services
from core.api.controllers.duty import DutyController
from core.api.controllers.export import CaseListController, ExportController, TenantDocumentsController
from core.api.controllers.inbox import InboxController
from core.api.controllers.ledger import LedgerController
from core.api.controllers.platform import PlatformController
from core.api.controllers.public import PublicController
from core.api.controllers.statistics import ReportController, StatisticsController, TrendsController
from core.domain.errors import InvalidCommand
from core.domain.text import has_control_characters

__all__ = ["api_handlers", "client_address", "openapi_config", "screen_request"]

_BODY_METHODS = {"POST", "PUT", "PATCH"}
MAX_JSON_DEPTH = 32  # no request of the API nests deeper than a handful of levels


@get("/healthz", sync_to_thread=False, tags=["health"], summary="进程存活")
def healthz() -> dict[str, str]:
    """The process is up (no dependency is consulted)."""
    return {"status": "ok"}


@get("/readyz", tags=["health"], summary="依赖就绪（数据库、Redis）")
async def readyz(request: Request) -> Response[dict[str, str]]:
    """The database answers, and Redis too when one is configured."""
    checks: dict[str, str] = {}
    services: Services = request.app.state.services
    try:
        await services.operations.database_ready()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    redis_url = request.app.state.config.redis_url
    if redis_url:
        import redis.asyncio as redis

        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        try:
            await client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
        finally:
            await client.aclose()
    else:
        checks["redis"] = "not used (embedded mode)"
    ready = all(value == "ok" or value.startswith("not used") for value in checks.values())
    return Response(
        {"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503
    )


async def screen_request(request: Request) -> None:
    """Refuse what no handler can take, before any parses it.

    Bodies that are not JSON (multipart for uploads) or nest too deep, and query or path values
    with control characters (a NUL in a filter would reach PostgreSQL, which refuses it).
    """
    if request.url.path.startswith("/api/"):
        for name, value in request.query_params.multi_items():
            if has_control_characters(value):  # a filter the person can correct: 422, named
                raise InvalidCommand(f"{name} 含有控制字符 (control characters are not allowed)", field=name)
        if any(has_control_characters(str(value)) for value in request.path_params.values()):
            raise HTTPException(
                status_code=400, detail="地址中含有控制字符，无法识别 (control characters in the path)"
            )
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if request.method in _BODY_METHODS and has_body and request.url.path.startswith("/api/"):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        upload = request.url.path.rstrip("/").endswith("/attachments")
        expected = "multipart/form-data" if upload else MediaType.JSON.value
        if media_type != expected:
            raise HTTPException(
                status_code=415, detail=f"请求体须为 {expected}，收到的是“{media_type or '空'}”"
            )
        if expected == MediaType.JSON.value and nests_deeper(await request.body(), MAX_JSON_DEPTH):
            # Decoding a deeper body recurses until it fails: refuse it before it gets there.
            detail = f"请求体的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层，无法受理"
            raise HTTPException(status_code=400, detail=detail)


def nests_deeper(body: bytes, limit: int) -> bool:
    """Whether `body`'s JSON arrays and objects nest deeper than `limit` (brackets in strings aside)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # too few brackets to get that deep: no need to scan
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def client_address(request: Request) -> str:
    """Who a rate limit counts a request against."""
    client = request.client
    return client.host if client else "unknown"


def api_handlers(config: ApiConfig, public_middleware: list[Middleware]) -> list:
    """The API's handlers; the public ones behind `public_middleware` (the rate limit)."""
    public = Router(
        path="/",
        route_handlers=[PublicController],
        middleware=public_middleware,
        request_max_body_size=config.public_max_body_bytes,
    )
    upload_limit = config.attachment_max_bytes + 64_000  # the file plus the multipart envelope
    uploads = Router(path="/", route_handlers=[AttachmentsController], request_max_body_size=upload_limit)
    public_uploads = Router(
        path="/",
        route_handlers=[PublicAttachmentsController],
        middleware=public_middleware,
        request_max_body_size=upload_limit,
    )
    return [
        healthz,
        readyz,
        AuthController,
        SessionController,
        PlatformAuthController,
        CasesController,
        IdentityController,
        CaseListController,
        ExportController,
        TenantDocumentsController,
        InboxController,
        DeadlinesController,
        StatisticsController,
        ReportController,
        TrendsController,
        LedgerController,
        DutyController,
        TenantAdminController,
        PlatformController,
        public,
        uploads,
        public_uploads,
    ]


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="回应 Huiying API",
        version="1.0.0",
        description="投诉、举报、咨询的受理、转办、答复与督办。所有错误均为 application/problem+json。",
        path="/schema",
        servers=[Server(url="/")],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="POST /api/v1/auth/token 取得",
                )
            }
        ),
    )
