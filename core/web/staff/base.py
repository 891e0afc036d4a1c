"""What every staff page shares: the signed-in frame, the services it asks, a queue row."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request

from core.domain import sla
from core.domain.cases import CaseState
from core.domain.roles import Permission
from core.domain.visibility import unit_bound
from core.services.auth import Principal
from core.services.cases import CaseView
from core.services.console import Console
from core.services.documents import DocumentService
from core.services.root import Services
from core.web.labels import urgency
from core.web.pages import handlers_for_errors
from core.web.session import signed_in

__all__ = [
    "OPEN_STATES",
    "QUEUES",
    "RENDER_STATES",
    "Row",
    "StaffPages",
    "console_for",
    "documents_for",
    "nearest_timer",
]


OPEN_STATES = tuple(state for state in CaseState if state.is_open)

QUEUES = {
    "all": "全部在办",
    "mine": "我的案件",
    "unit": "本单位",
    "approval": "待审批",
    "today": "今日到期",
    "overdue": "已超期",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """A case in a queue with its most urgent live timer."""

    view: CaseView
    timer: sla.Timer | None
    remaining: int
    css: str


def console_for(services: Services) -> Console:
    return services.console


def documents_for(services: Services) -> DocumentService:
    return services.documents


RENDER_STATES = {"pending": "生成中", "ready": "可下载", "failed": "生成失败"}


def nearest_timer(view: CaseView, now: datetime) -> Row:
    live = [
        stored.timer
        for stored in view.timers
        if stored.timer.state in (sla.TimerState.RUNNING, sla.TimerState.PAUSED, sla.TimerState.BREACHED)
    ]
    if not live:
        return Row(view, None, 0, "none")
    timer = min(live, key=lambda t: sla.remaining(t, now))
    return Row(view, timer, sla.remaining(timer, now) // timedelta(seconds=1), urgency(timer, now))


class StaffPages(Controller):
    """What every staff page shares: the tenant path, error pages, and the signed-in frame."""

    path = "/t/{slug:str}"
    include_in_schema = False
    exception_handlers = handlers_for_errors("staff")

    async def _page(
        self, request: Request, slug: str, services: Services
    ) -> tuple[Principal, str, dict[str, Any]]:
        principal, csrf = await signed_in(request, tenant=slug)
        record = await console_for(services).tenant(principal.tenant_id)
        actor = principal.actor
        nav = [("queue", "工作台", True)]
        nav.append(("intake", "受理登记", actor.can(Permission.CASE_INTAKE)))
        nav.append(("dashboard", "督办看板", actor.can(Permission.CASE_SUPERVISE)))
        reads_statistics = actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)
        nav.append(("statistics", "统计", reads_statistics))
        nav.append(("duty", "值班", actor.can(Permission.CASE_READ) and not unit_bound(actor)))
        nav.append(("password", "修改密码", True))
        context = {
            "slug": slug,
            "user": principal,
            "roles": "、".join(role.label for role in sorted(principal.roles)),
            "csrf": csrf,
            "tenant": record,
            "zone": ZoneInfo(record.timezone),
            "nav": [(key, label) for key, label, shown in nav if shown],
            "now": services.clock.now(),
        }
        return principal, csrf, context
