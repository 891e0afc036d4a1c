"""The HTTP application: the API and the pages over one set of services (`huiying serve`, tests).

The composition root of the web process: the plugin registry, the clock and every service are
built once (`core.services.root.Services`) and handed to controllers and pages as a dependency.
The database pool lives in the lifespan, one per server process
(a pool opened at import would belong to another event loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.memory import MemoryStore

from core.api.config import ApiConfig, ConfigError
from core.api.problems import exception_handlers
from core.api.routes import api_handlers, client_address, openapi_config, screen_request
from core.api.security import PUBLIC_PATHS, AuthMiddleware, TokenService
from core.jobs.scheduler import Scheduler
from core.plugins import PluginRegistry
from core.services.clock import Clock, SystemClock
from core.services.root import Services
from core.services.vault import MasterKeyError, MasterKeys
from core.web import WEB_PATHS, build_web

__all__ = ["create_app", "embedded_jobs"]


@asynccontextmanager
async def _database(app: Litestar) -> AsyncIterator[None]:
    operations = app.state.services.operations
    await operations.open_pool(max_size=10)
    try:
        yield
    finally:
        await operations.close_pool()


@asynccontextmanager
async def embedded_jobs(app: Litestar) -> AsyncIterator[None]:
    """The embedded mode's scheduler: the same job code, run in this process (one process only)."""
    if not app.state.config.embedded_jobs:
        yield
        return
    services: Services = app.state.services
    scheduler = Scheduler.for_handlers(services.clock, services.jobs)
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


def create_app(
    *, config: ApiConfig | None = None, registry: PluginRegistry | None = None, clock: Clock | None = None
) -> Litestar:
    """A new application. Arguments default to the environment, the installed plugins and real time."""
    config = config or ApiConfig.from_env()
    try:
        MasterKeys.from_env()  # no identity may be taken in without the vault's key
    except MasterKeyError as exc:
        raise ConfigError(str(exc)) from None
    try:
        services = Services.build(registry or PluginRegistry.discover(), clock or SystemClock())
    except ValueError as exc:  # a malformed mail setting (HUIYING_SMTP_PORT, HUIYING_WEBHOOK_TIMEOUT)
        raise ConfigError(str(exc)) from None
    rate_limit = RateLimitConfig(
        rate_limit=("minute", config.public_rate_per_minute),
        identifier_for_request=client_address,
        store="public_rate_limit",
    )
    upload_limit = config.attachment_max_bytes + 64_000  # the file plus the multipart envelope
    # The pages read the session cookie themselves and accept a form field as the CSRF token.
    auth = DefineMiddleware(AuthMiddleware, exclude=[*PUBLIC_PATHS, *WEB_PATHS])
    web = build_web(
        public_middleware=[rate_limit.middleware],
        portal_max_body=config.public_max_body_bytes + upload_limit,
        staff_max_body=upload_limit,
    )
    return Litestar(
        route_handlers=[*api_handlers(config, [rate_limit.middleware]), *web.route_handlers],
        dependencies={"services": Provide(lambda: services, sync_to_thread=False)},
        middleware=[auth],
        before_request=screen_request,
        exception_handlers=exception_handlers,
        lifespan=[_database, embedded_jobs],
        request_max_body_size=config.max_body_bytes,
        template_config=web.template_config,
        stores={"public_rate_limit": MemoryStore()},
        state=State({"config": config, "tokens": TokenService(config), "services": services}),
        openapi_config=openapi_config(),
    )
