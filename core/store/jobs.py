"""Handing due work to workers: which timers and notifications of any tenant are due now.

On PostgreSQL this goes through SECURITY DEFINER functions (the baseline migration makes them):
the app's role learns only (tenant, id) pairs and never reads another tenant's rows.
Claimed rows are stamped ``enqueued_at`` so a second scheduler does not hand them out again,
and are handed out again after `requeue_after` if no worker finished them (a lost message).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.store import dialect
from core.store.tables import Document, Notification, SlaTimer
from core.store.timers import DUE_SQL
from core.store.tx import platform_tx

__all__ = ["claim_due_notifications", "claim_due_renders", "claim_due_timers"]

_SQLITE_TIMERS = (
    "UPDATE sla_timer SET enqueued_at = {} WHERE id IN (SELECT s.id FROM sla_timer AS s WHERE "
    + DUE_SQL.format(t="s", at="{}")  # the claim's instant, twice
    + " AND (s.enqueued_at IS NULL OR s.enqueued_at < {}) ORDER BY s.due_at LIMIT {}) RETURNING tenant_id, id"
)

_SQLITE_NOTIFICATIONS = """
UPDATE notification SET enqueued_at = {}
WHERE id IN (
  SELECT id FROM notification
  WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= {})
    AND (enqueued_at IS NULL OR enqueued_at < {})
  ORDER BY id LIMIT {})
RETURNING tenant_id, id
"""

_SQLITE_RENDERS = """
UPDATE document SET enqueued_at = {}
WHERE id IN (
  SELECT id FROM document
  WHERE render_state = 'pending' AND (enqueued_at IS NULL OR enqueued_at < {})
  ORDER BY id LIMIT {})
RETURNING tenant_id, id
"""


async def claim_due_timers(
    now: datetime, *, limit: int = 200, requeue_after: timedelta
) -> list[tuple[int, int]]:
    """(tenant_id, timer_id) of running timers whose warning point or due instant has passed."""
    if dialect.has_rls():
        rows = await SlaTimer.raw(
            "SELECT tenant_id, timer_id FROM huiying_claim_due_timers({}, {}, {})", now, limit, requeue_after
        )
        return [(row["tenant_id"], row["timer_id"]) for row in rows]
    async with platform_tx():
        rows = await SlaTimer.raw(_SQLITE_TIMERS, now, now, now, now - requeue_after, limit)
    return [(row["tenant_id"], row["id"]) for row in rows]


async def claim_due_notifications(
    now: datetime, *, limit: int = 200, requeue_after: timedelta
) -> list[tuple[int, int]]:
    """(tenant_id, notification_id) of pending e-mail and webhook notifications due for an attempt."""
    if dialect.has_rls():
        rows = await Notification.raw(
            "SELECT tenant_id, notification_id FROM huiying_claim_due_notifications({}, {}, {})",
            now,
            limit,
            requeue_after,
        )
        return [(row["tenant_id"], row["notification_id"]) for row in rows]
    async with platform_tx():
        rows = await Notification.raw(_SQLITE_NOTIFICATIONS, now, now, now - requeue_after, limit)
    return [(row["tenant_id"], row["id"]) for row in rows]


async def claim_due_renders(
    now: datetime, *, limit: int = 50, requeue_after: timedelta
) -> list[tuple[int, int]]:
    """(tenant_id, document_id) of documents waiting to be rendered (PDF and HTML)."""
    if dialect.has_rls():
        rows = await Document.raw(
            "SELECT tenant_id, document_id FROM huiying_claim_due_renders({}, {}, {})",
            now,
            limit,
            requeue_after,
        )
        return [(row["tenant_id"], row["document_id"]) for row in rows]
    async with platform_tx():
        rows = await Document.raw(_SQLITE_RENDERS, now, now - requeue_after, limit)
    return [(row["tenant_id"], row["id"]) for row in rows]
