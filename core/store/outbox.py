"""The notification outbox: rows written with the event that causes them, read by the deliverer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.store.rows import insert_rows
from core.store.tables import Notification
from core.store.tx import TenantScoped

__all__ = ["CHANNELS", "NewNotification", "NotificationRecord", "OutboxRepository"]

CHANNELS = ("inbox", "email", "webhook")
_COLUMNS = (
    "tenant_id",
    "case_id",
    "channel",
    "recipient",
    "subject",
    "body",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "dedupe_key",
    "created_at",
    "sent_at",
)
"""In-app inbox (delivered when written), e-mail over SMTP, signed webhook."""


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """One notification as stored."""

    id: int
    tenant_id: int
    case_id: int | None
    channel: str
    recipient: str
    subject: str
    body: str
    state: str  # pending, sent, dead (inbox rows are "sent" at once)
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    dedupe_key: str
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewNotification:
    """A notification to queue: one cause (`dedupe_key`) to one recipient on one channel."""

    channel: str
    recipient: str
    subject: str
    body: str
    dedupe_key: str
    case_id: int | None = None


def _record(row: dict[str, Any]) -> NotificationRecord:
    row = {key: value for key, value in row.items() if key != "enqueued_at"}
    return NotificationRecord(**row)


class OutboxRepository(TenantScoped):
    """A tenant's notifications."""

    async def add(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        dedupe_key: str,
        now: datetime,
        case_id: int | None = None,
    ) -> bool:
        """Queue a notification unless one with `dedupe_key` exists; True when it was added.

        Inbox notifications are delivered by being written.
        """
        added = await self.add_many(
            [NewNotification(channel, recipient, subject, body, dedupe_key, case_id)], now=now
        )
        return bool(added)

    async def add_many(self, notifications: Sequence[NewNotification], *, now: datetime) -> set[str]:
        """Queue notifications in one statement, skipping any whose `dedupe_key` exists.

        Returns the dedupe keys of those added.
        """
        for notification in notifications:
            if notification.channel not in CHANNELS:
                raise ValueError(f"unknown channel {notification.channel!r}")
        unique = list({n.dedupe_key: n for n in notifications}.values())
        if not unique:
            return set()
        added = await insert_rows(
            Notification,
            _COLUMNS,
            [
                (
                    self.tenant_id,
                    n.case_id,
                    n.channel,
                    n.recipient,
                    n.subject,
                    n.body,
                    "sent" if n.channel == "inbox" else "pending",
                    0,
                    None if n.channel == "inbox" else now,
                    "",
                    n.dedupe_key,
                    now,
                    now if n.channel == "inbox" else None,
                )
                for n in unique
            ],
            on_conflict="ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
            returning="dedupe_key",
        )
        return set(added)

    async def get(self, notification_id: int, *, for_update: bool = False) -> NotificationRecord | None:
        query = Notification.select().where(
            (Notification.tenant_id == self.tenant_id) & (Notification.id == notification_id)
        )
        if for_update and Notification._meta.db.engine_type == "postgres":
            query = query.lock_rows("UPDATE")
        row = await query.first()
        return _record(row) if row else None

    async def update(self, notification_id: int, **values: Any) -> None:
        """Set delivery fields: state, attempts, next_attempt_at, last_error, sent_at, read_at."""
        columns = {getattr(Notification, key): value for key, value in values.items()}
        await Notification.update(columns).where(
            (Notification.tenant_id == self.tenant_id) & (Notification.id == notification_id)
        )

    async def for_recipient(
        self, recipient: str, channel: str, *, limit: int = 100
    ) -> list[NotificationRecord]:
        rows = (
            await Notification.select()
            .where(
                (Notification.tenant_id == self.tenant_id)
                & (Notification.recipient == recipient)
                & (Notification.channel == channel)
            )
            .order_by(Notification.id, ascending=False)
            .limit(limit)
        )
        return [_record(row) for row in rows]

    async def for_case(self, case_id: int) -> list[NotificationRecord]:
        rows = (
            await Notification.select()
            .where((Notification.tenant_id == self.tenant_id) & (Notification.case_id == case_id))
            .order_by(Notification.id)
        )
        return [_record(row) for row in rows]
