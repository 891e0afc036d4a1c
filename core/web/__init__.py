"""Server-rendered pages: the staff console, the public portal and the platform admin (zh-CN).

`build_web` hands `create_app` the route handlers, the template configuration and the paths
the API's bearer-token middleware must leave alone (pages read the session cookie themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from core.domain.events import event_label
from core.web.admin import PlatformPages
from core.web.labels import SATISFACTION_LABELS, TIMER_STATE_LABELS, local_time
from core.web.portal import PortalController
from core.web.staff import STAFF_PAGES

__all__ = ["WEB_PATHS", "WebParts", "build_web"]

_HERE = Path(__file__).parent

WEB_PATHS = ["^/t/", "^/p/", "^/admin(/|$)", "^/static/"]
"""Page paths: anchored, as the API's exclusions must be."""


@dataclass(frozen=True, slots=True)
class WebParts:
    """What the app factory registers."""

    route_handlers: list[Any]
    template_config: TemplateConfig


def _engine_setup(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["localtime"] = local_time
    env.globals["satisfaction_labels"] = SATISFACTION_LABELS
    env.globals["timer_state_labels"] = TIMER_STATE_LABELS
    env.globals["event_label"] = event_label
    env.trim_blocks = True
    env.lstrip_blocks = True


def build_web(*, public_middleware: list[Any], portal_max_body: int, staff_max_body: int) -> WebParts:
    """The pages. The portal gets the public API's rate limit; both areas a body limit fit for attachments."""
    portal = Router(
        path="/",
        route_handlers=[PortalController],
        middleware=public_middleware,
        request_max_body_size=portal_max_body,
    )
    staff = Router(path="/", route_handlers=list(STAFF_PAGES), request_max_body_size=staff_max_body)
    static = create_static_files_router(
        path="/static", directories=[_HERE / "static"], include_in_schema=False, name="web-static"
    )
    return WebParts(
        route_handlers=[staff, PlatformPages, portal, static],
        template_config=TemplateConfig(
            directory=_HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_engine_setup
        ),
    )
