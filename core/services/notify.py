"""Telling people about a case: the outbox rows one cause writes, once per recipient and channel.

Every sender (timer effects, escalation at intake) goes through `notifications_for`, so the rules
are in one place: active users only; the in-app inbox always, e-mail where the user has an
address, and one signed webhook push per cause when the tenant configured one. Subjects and
bodies are the caller's and never carry the complainant's identity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from core.domain.cases import Case
from core.domain.roles import Role
from core.store.directory import TenantDirectory, UserRecord
from core.store.outbox import NewNotification, OutboxRepository

__all__ = ["must_act", "notifications_for", "notify_users"]


def must_act(
    case: Case, users: Iterable[UserRecord], *, on_duty: str | None, named: Iterable[str] = ()
) -> list[str]:
    """Who hears of a 催办 or 督办 on `case`: the people who must act on it now, and those named.

    A dispatched case: its handler (before anyone signed for it, every handler of its unit) and
    the unit's heads. Before dispatch: the intake officers, and the leader on duty (every duty
    leader when no shift covers now). `named` are the plugin's (`hy_supervision_recipients`).
    The usernames are sorted; inactive users are left out.
    """
    active = [user for user in users if user.active]

    def holding(role: Role, unit: str | None = None) -> list[str]:
        return [u.username for u in active if role in u.roles and (unit is None or u.unit_code == unit)]

    if case.unit_code:
        handlers = [case.handler] if case.handler else holding(Role.HANDLER, case.unit_code)
        people = [*handlers, *holding(Role.UNIT_HEAD, case.unit_code)]
    else:
        leaders = [on_duty] if on_duty else holding(Role.DUTY_LEADER)
        people = [*holding(Role.INTAKE_OFFICER), *leaders]
    known = {user.username for user in active}
    return sorted({name for name in [*people, *named] if name in known})


def notifications_for(
    user: Callable[[str], UserRecord | None],
    usernames: Iterable[str],
    *,
    subject: str,
    body: str,
    key: str,
    case_id: int | None,
    webhook_url: str = "",
) -> tuple[list[str], list[NewNotification]]:
    """The notifications of one cause (`key`), and the usernames told, sorted.

    `user` finds a user by name (None: no such user).
    """
    told: list[str] = []
    queued: list[NewNotification] = []
    for username in sorted(set(usernames)):
        found = user(username)
        if found is None or not found.active:
            continue
        channels = [("inbox", username)] + ([("email", found.email)] if found.email else [])
        for channel, address in channels:
            queued.append(
                NewNotification(channel, address, subject, body, f"{key}:{channel}:{username}", case_id)
            )
        told.append(username)
    if webhook_url:  # one signed push per cause, for an SMS gateway or an integration
        queued.append(NewNotification("webhook", webhook_url, subject, body, f"{key}:webhook", case_id))
    return told, queued


async def notify_users(
    tenant_id: int,
    usernames: Iterable[str],
    *,
    subject: str,
    body: str,
    key: str,
    now: datetime,
    case_id: int | None,
    webhook_url: str = "",
) -> list[str]:
    """Queue notifications of one cause (`key`) inside the caller's tenant transaction.

    Returns the usernames told, sorted. Repeating a call with the same `key` adds nothing.
    """
    directory = TenantDirectory(tenant_id)
    names = sorted(set(usernames))
    users = {name: await directory.user(name) for name in names}
    told, queued = notifications_for(
        users.get, names, subject=subject, body=body, key=key, case_id=case_id, webhook_url=webhook_url
    )
    await OutboxRepository(tenant_id).add_many(queued, now=now)
    return told
