"""Telling people about a case: the outbox rows one cause writes, once per recipient and channel.

Every sender (timer effects, escalation at intake) goes through `notify_users`, so the rules are
in one place: active users only; the in-app inbox always, e-mail where the user has an address,
and one signed webhook push per cause when the tenant configured one. Subjects and bodies are
the caller's and never carry the complainant's identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.store.outbox import OutboxRepository
from core.store.repositories import TenantDirectory

__all__ = ["notify_users"]


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
    outbox = OutboxRepository(tenant_id)
    told: list[str] = []
    for username in sorted(set(usernames)):
        user = await directory.user(username)
        if user is None or not user.active:
            continue
        channels = [("inbox", username)] + ([("email", user.email)] if user.email else [])
        for channel, address in channels:
            await outbox.add(
                channel=channel,
                recipient=address,
                subject=subject,
                body=body,
                dedupe_key=f"{key}:{channel}:{username}",
                now=now,
                case_id=case_id,
            )
        told.append(username)
    if webhook_url:  # one signed push per cause, for an SMS gateway or an integration
        await outbox.add(
            channel="webhook",
            recipient=webhook_url,
            subject=subject,
            body=body,
            dedupe_key=f"{key}:webhook",
            now=now,
            case_id=case_id,
        )
    return told
