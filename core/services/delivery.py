"""Delivering the outbox: e-mail over SMTP and signed webhooks, with retries; the in-app inbox.

`Deliverer.deliver` sends one notification. It locks the row in the tenant's transaction, so two
workers handed the same row (a duplicate or re-queued message) cannot both send it: the second
one waits for the lock, finds the row no longer pending and does nothing. The send happens while
the lock is held and the result is written in the same transaction.

Only what the row holds is sent — subject and body as the notification was written; nothing is
looked up about the case, and never the complainant's identity.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import os
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from core.domain.errors import DomainError
from core.services.clock import Clock
from core.store.outbox import NotificationRecord, OutboxRepository
from core.store.tenants import TenantRepository
from core.store.tx import tenant_tx

__all__ = [
    "SIGNATURE_HEADER",
    "Deliverer",
    "DeliveryConfig",
    "Inbox",
    "NotificationNotFound",
    "sign",
]

SIGNATURE_HEADER = "X-Huiying-Signature"
EVENT_HEADER = "X-Huiying-Event"
_ERROR_LENGTH = 200
_INBOX_SCAN = 1000  # rows read to find unread ones (see `Inbox.notifications`)


class NotificationNotFound(DomainError):
    """No such notification for this user (another user's or another tenant's is "not found" too)."""

    code = "not_found"

    def __init__(self, notification_id: int) -> None:
        super().__init__(f"通知 {notification_id} 不存在 (notification not found)")


def _env_number(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """Where e-mail goes out, how long a send may take, and how often a failed one is retried.

    A failed attempt is retried after ``base_backoff_seconds * 2**(attempts - 1)``; the
    `max_attempts`-th failure makes the notification "dead".
    """

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "huiying@localhost"
    smtp_timeout: float = 10
    webhook_timeout: float = 10
    max_attempts: int = 5
    base_backoff_seconds: int = 30

    @classmethod
    def from_env(cls) -> DeliveryConfig:
        """The defaults, overridden by ``HUIYING_SMTP_HOST``/``_PORT``/``_FROM``, ``HUIYING_WEBHOOK_TIMEOUT``.

        Raises:
            ValueError: a port or timeout that is not a positive number.
        """
        defaults = cls()
        return cls(
            smtp_host=os.environ.get("HUIYING_SMTP_HOST", "").strip() or defaults.smtp_host,
            smtp_port=int(_env_number("HUIYING_SMTP_PORT", defaults.smtp_port, int)),
            smtp_from=os.environ.get("HUIYING_SMTP_FROM", "").strip() or defaults.smtp_from,
            webhook_timeout=_env_number("HUIYING_WEBHOOK_TIMEOUT", defaults.webhook_timeout, float),
        )


def sign(secret: str, body: bytes) -> str:
    """The ``X-Huiying-Signature`` value of a webhook body: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why an attempt failed; `permanent` failures are not retried (retrying cannot help)."""

    error: str
    permanent: bool = False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_LENGTH else text[: _ERROR_LENGTH - 1] + "…"


class Deliverer:
    """Sends e-mail and webhook notifications, one row at a time."""

    def __init__(self, config: DeliveryConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def deliver(self, tenant_id: int, notification_id: int) -> str:
        """Attempt the notification once if it is pending and due; returns its state afterwards.

        A row that is not pending ("sent", "dead") is left alone, as is one whose next attempt
        is not due yet, so a duplicate message does nothing. A row that does not exist (any
        more) gives "missing".
        """
        async with tenant_tx(tenant_id):
            outbox = OutboxRepository(tenant_id)
            note = await outbox.get(notification_id, for_update=True)
            if note is None:
                return "missing"
            now = self.clock.now()
            if note.state != "pending" or (note.next_attempt_at is not None and note.next_attempt_at > now):
                return note.state
            failure = await self._send(tenant_id, note)
            if failure is None:
                await outbox.update(
                    note.id, state="sent", sent_at=now, next_attempt_at=None, enqueued_at=None
                )
                return "sent"
            attempts = note.attempts + 1
            dead = failure.permanent or attempts >= self.config.max_attempts
            retry_at = now + timedelta(seconds=self.config.base_backoff_seconds * 2 ** (attempts - 1))
            state = "dead" if dead else "pending"
            await outbox.update(
                note.id,
                state=state,
                attempts=attempts,
                last_error=_short(failure.error),
                next_attempt_at=None if dead else retry_at,
                enqueued_at=None,  # the scheduler may hand the row out again once it is due
            )
            return state

    async def _send(self, tenant_id: int, note: NotificationRecord) -> _Failure | None:
        if note.channel == "email":
            return await self._email(tenant_id, note)
        if note.channel == "webhook":
            return await self._webhook(tenant_id, note)
        return _Failure(f"渠道 {note.channel!r} 不由投递程序发送 (channel not deliverable)", permanent=True)

    # --- e-mail ---------------------------------------------------------------------------------

    def _message(self, tenant_id: int, note: NotificationRecord) -> EmailMessage:
        domain = self.config.smtp_from.rpartition("@")[2] or "localhost"
        message = EmailMessage()
        message["From"] = self.config.smtp_from
        message["To"] = note.recipient
        message["Subject"] = note.subject
        message["Date"] = format_datetime(self.clock.now())
        # Stable across retries, so a receiving system can drop a duplicate.
        message["Message-ID"] = f"<huiying.{tenant_id}.{note.id}@{domain}>"
        # base64 passes any relay, 7-bit only or not.
        message.set_content(note.body, charset="utf-8", cte="base64")
        return message

    def _smtp_send(self, message: EmailMessage) -> None:
        config = self.config
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout) as smtp:
            smtp.send_message(message)

    async def _email(self, tenant_id: int, note: NotificationRecord) -> _Failure | None:
        address = note.recipient.strip()
        if "@" not in address or any(char.isspace() for char in address):
            return _Failure("收件地址不是有效的电子邮件地址 (invalid e-mail address)", permanent=True)
        try:
            message = self._message(tenant_id, note)
        except (ValueError, TypeError) as exc:  # e.g. a line break in a header
            return _Failure(f"邮件无法生成 (cannot build message): {type(exc).__name__}", permanent=True)
        try:
            await asyncio.to_thread(self._smtp_send, message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            permanent = bool(codes) and min(codes) >= 500
            return _Failure(f"SMTP 拒收收件人 (recipient refused): {codes}", permanent=permanent)
        except smtplib.SMTPResponseException as exc:
            reply = exc.smtp_error
            text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
            return _Failure(f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code >= 500)
        except (smtplib.SMTPException, OSError) as exc:  # refused, unreachable, timed out, dropped
            return _Failure(f"SMTP 发送失败 (send failed): {type(exc).__name__}: {exc}")
        return None

    # --- webhooks -------------------------------------------------------------------------------

    async def _webhook(self, tenant_id: int, note: NotificationRecord) -> _Failure | None:
        url = note.recipient.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return _Failure("webhook 地址无效，须为 http(s) URL (invalid webhook URL)", permanent=True)
        tenant = await TenantRepository().get(tenant_id)
        secret = str((tenant.settings.get("tenant") or {}).get("webhook_secret") or "")
        if not secret:
            return _Failure(
                "租户未设置 webhook_secret，无法签名，未发送 (webhook_secret is not set)", permanent=True
            )
        payload = {
            "id": note.id,
            "tenant": tenant.slug,
            "case_id": note.case_id,
            "subject": note.subject,
            "body": note.body,
            "created_at": note.created_at.isoformat(),
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(secret, body),
            EVENT_HEADER: "notification",
            "User-Agent": "Huiying-Webhook/1",
        }
        import httpx  # here, not at the top: every process builds a Deliverer, few send webhooks

        try:
            timeout = self.config.webhook_timeout
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            # The type only: messages may quote the URL, which can carry a token.
            return _Failure(f"webhook 请求失败 (request failed): {type(exc).__name__}")
        if not 200 <= response.status_code < 300:
            return _Failure(f"webhook 返回 HTTP {response.status_code} (non-2xx answer)")
        return None


class Inbox:
    """A tenant user's in-app notifications (channel ``inbox``, addressed to the username)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def notifications(
        self, tenant_id: int, username: str, *, unread_only: bool = False, limit: int = 50
    ) -> list[NotificationRecord]:
        """The user's notifications, newest first.

        With `unread_only`, unread ones among the newest 1000 (the outbox repository has no
        read filter of its own).
        """
        async with tenant_tx(tenant_id):
            outbox = OutboxRepository(tenant_id)
            rows = await outbox.for_recipient(username, "inbox", limit=_INBOX_SCAN if unread_only else limit)
        if unread_only:
            rows = [row for row in rows if row.read_at is None]
        return rows[:limit]

    async def mark_read(self, tenant_id: int, username: str, notification_id: int) -> NotificationRecord:
        """Mark one of the user's notifications read (again: it keeps the first time it was read).

        Raises:
            NotificationNotFound: no such in-app notification addressed to this user.
        """
        async with tenant_tx(tenant_id):
            outbox = OutboxRepository(tenant_id)
            note = await outbox.get(notification_id, for_update=True)
            if note is None or note.channel != "inbox" or note.recipient != username:
                raise NotificationNotFound(notification_id)
            if note.read_at is None:
                now = self.clock.now()
                await outbox.update(note.id, read_at=now)
                note = dataclasses.replace(note, read_at=now)
            return note
