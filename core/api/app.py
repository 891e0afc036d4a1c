"""The litestar application factory (`huiying serve`, `huiying demo`, tests).

One composition root: the plugin registry, the clock and the services are built here and
handed to controllers as a dependency. The database pool lives in the lifespan, one per
server process (STACK.md §1.3).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.stores.memory import MemoryStore

from core.api.config import ApiConfig, ConfigError
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
from core.api.controllers.statistics import StatisticsController, TrendsController
from core.api.problems import exception_handlers
from core.api.security import PUBLIC_PATHS, AuthMiddleware, TokenService
from core.plugins import PluginRegistry
from core.services.clock import Clock, SystemClock
from core.services.vault import MasterKeyError, MasterKeys
from core.store import dialect
from core.store.engine import DB
from core.web import WEB_PATHS, build_web

__all__ = ["create_app"]

_BODY_METHODS = {"POST", "PUT", "PATCH"}


@asynccontextmanager
async def _database(app: Litestar) -> AsyncIterator[None]:
    if dialect.pools_connections():
        await DB.start_connection_pool(min_size=1, max_size=10)
    try:
        yield
    finally:
        if dialect.pools_connections():
            await DB.close_connection_pool()


@asynccontextmanager
async def _embedded_jobs(app: Litestar) -> AsyncIterator[None]:
    """The embedded mode's scheduler: the same job code, run in this process (one process only)."""
    if not app.state.config.embedded_jobs:
        yield
        return
    from core.jobs.scheduler import Scheduler
    from core.services.delivery import Deliverer, DeliveryConfig
    from core.services.documents import DocumentJobs
    from core.services.statistics import CircularJobs
    from core.services.timers import TimerJobs

    services: Services = app.state.services
    jobs = TimerJobs(services.registry, services.clock)
    deliverer = Deliverer(DeliveryConfig.from_env(), services.clock)
    scheduler = Scheduler(
        clock=services.clock,
        fire_timers=jobs.fire_many,
        deliver_notification=deliverer.deliver,
        render_document=DocumentJobs(services.clock).render,
        monthly_jobs=CircularJobs(services.clock).issue_due,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


@get("/healthz", sync_to_thread=False, tags=["health"], summary="进程存活")
def healthz() -> dict[str, str]:
    """The process is up (no dependency is consulted)."""
    return {"status": "ok"}


@get("/readyz", tags=["health"], summary="依赖就绪（数据库、Redis）")
async def readyz(request: Request) -> Response[dict[str, str]]:
    """The database answers, and Redis too when one is configured."""
    checks: dict[str, str] = {}
    try:
        await DB.run_ddl("SELECT 1")
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


async def _require_json(request: Request) -> None:
    """Refuse bodies that are not JSON (multipart for uploads) before any handler parses them."""
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if request.method in _BODY_METHODS and has_body and request.url.path.startswith("/api/"):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        upload = request.url.path.rstrip("/").endswith("/attachments")
        expected = "multipart/form-data" if upload else MediaType.JSON.value
        if media_type != expected:
            raise HTTPException(
                status_code=415, detail=f"请求体须为 {expected}，收到的是“{media_type or '空'}”"
            )


def _client_address(request: Request) -> str:
    client = request.client
    return client.host if client else "unknown"


def create_app(
    *, config: ApiConfig | None = None, registry: PluginRegistry | None = None, clock: Clock | None = None
) -> Litestar:
    """A new application. Arguments default to the environment, the installed plugins and real time."""
    config = config or ApiConfig.from_env()
    try:
        MasterKeys.from_env()  # no identity may be taken in without the vault's key
    except MasterKeyError as exc:
        raise ConfigError(str(exc)) from None
    registry = registry or PluginRegistry.discover()
    services = Services.build(registry, clock or SystemClock())
    rate_limit = RateLimitConfig(
        rate_limit=("minute", config.public_rate_per_minute),
        identifier_for_request=_client_address,
        store="public_rate_limit",
    )
    public = Router(
        path="/",
        route_handlers=[PublicController],
        middleware=[rate_limit.middleware],
        request_max_body_size=config.public_max_body_bytes,
    )
    upload_limit = config.attachment_max_bytes + 64_000  # the file plus the multipart envelope
    uploads = Router(path="/", route_handlers=[AttachmentsController], request_max_body_size=upload_limit)
    public_uploads = Router(
        path="/",
        route_handlers=[PublicAttachmentsController],
        middleware=[rate_limit.middleware],
        request_max_body_size=upload_limit,
    )
    # The pages read the session cookie themselves and accept a form field as the CSRF token.
    auth = DefineMiddleware(AuthMiddleware, exclude=[*PUBLIC_PATHS, *WEB_PATHS])
    web = build_web(
        public_middleware=[rate_limit.middleware],
        portal_max_body=config.public_max_body_bytes + upload_limit,
        staff_max_body=upload_limit,
    )
    return Litestar(
        route_handlers=[
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
            TrendsController,
            LedgerController,
            DutyController,
            TenantAdminController,
            PlatformController,
            public,
            uploads,
            public_uploads,
            *web.route_handlers,
        ],
        dependencies={"services": Provide(lambda: services, sync_to_thread=False)},
        middleware=[auth],
        before_request=_require_json,
        exception_handlers=exception_handlers,
        lifespan=[_database, _embedded_jobs],
        request_max_body_size=config.max_body_bytes,
        template_config=web.template_config,
        stores={"public_rate_limit": MemoryStore()},
        state=State({"config": config, "tokens": TokenService(config), "services": services}),
        openapi_config=OpenAPIConfig(
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
        ),
    )
