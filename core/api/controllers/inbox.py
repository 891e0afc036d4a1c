"""The caller's in-app inbox: notifications addressed to them, and marking them read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from msgspec import Struct

from core.api.controllers.deps import Services
from core.api.problems import PROBLEMS
from core.api.schemas import RowId
from core.api.security import tenant_scope
from core.services.auth import Principal
from core.services.values import NotificationRecord

__all__ = ["InboxController", "NotificationOut"]


class NotificationOut(Struct):
    """An in-app notification; ``read_at`` is null while it is unread."""

    id: int
    case_id: int | None
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


def notification_out(note: NotificationRecord) -> NotificationOut:
    return NotificationOut(
        id=note.id,
        case_id=note.case_id,
        subject=note.subject,
        body=note.body,
        created_at=note.created_at,
        read_at=note.read_at,
    )


class InboxController(Controller):
    """Any tenant user reads their own inbox; nobody reads another's."""

    path = "/api/v1/me/inbox"
    tags = ("inbox 站内通知",)
    security = ({"BearerToken": []},)

    @get("/", guards=[tenant_scope], summary="我的站内通知（新的在前）", responses=PROBLEMS)
    async def notifications(
        self,
        request: Request[Principal, Any, Any],
        services: NamedDependency[Services],
        unread_only: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[NotificationOut]:
        """The caller's notifications, newest first; ``unread_only=true`` leaves out read ones."""
        user = request.user
        notes = await services.inbox.notifications(
            user.tenant_id, user.username, unread_only=unread_only, limit=limit
        )
        return [notification_out(note) for note in notes]

    @post(
        "/{notification_id:int}/read",
        guards=[tenant_scope],
        status_code=200,
        summary="标记一条通知为已读",
        responses=PROBLEMS,
    )
    async def mark_read(
        self,
        request: Request[Principal, Any, Any],
        notification_id: RowId,
        services: NamedDependency[Services],
    ) -> NotificationOut:
        """Mark one of the caller's notifications read; marking it again keeps the first time."""
        user = request.user
        note = await services.inbox.mark_read(user.tenant_id, user.username, notification_id)
        return notification_out(note)
