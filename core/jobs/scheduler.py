"""The scheduler: one light loop that hands due timers and notifications to the workers.

Safe to run twice: claims use ``FOR UPDATE SKIP LOCKED`` and stamp ``enqueued_at``; work not
finished within `requeue_after` (a lost message, a killed worker) is handed out again, and the
work itself is idempotent. Timers are never kept as long dramatiq delays (STACK.md trap 13).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from core.services.clock import Clock
from core.store.jobs import claim_due_notifications, claim_due_timers

__all__ = ["Dispatch", "Scheduler"]

log = logging.getLogger("huiying.scheduler")

Dispatch = Callable[[int, int], Awaitable[None] | None]
"""Hands one (tenant_id, id) to whatever does the work: a dramatiq send, or the job itself."""


@dataclass
class Scheduler:
    """Polls for due work every `interval` seconds."""

    clock: Clock
    fire_timer: Dispatch
    deliver_notification: Dispatch
    interval: float = 1.0
    requeue_after: timedelta = timedelta(seconds=30)
    batch: int = 200

    async def tick(self) -> tuple[int, int]:
        """One pass: claim and dispatch everything due now; returns (timers, notifications)."""
        now = self.clock.now()
        timers = await claim_due_timers(now, limit=self.batch, requeue_after=self.requeue_after)
        for tenant_id, timer_id in timers:
            await _call(self.fire_timer, tenant_id, timer_id)
        notifications = await claim_due_notifications(now, limit=self.batch, requeue_after=self.requeue_after)
        for tenant_id, notification_id in notifications:
            await _call(self.deliver_notification, tenant_id, notification_id)
        return len(timers), len(notifications)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; a failing tick is logged and the loop goes on."""
        while not stop.is_set():
            try:
                busy = sum(await self.tick()) >= self.batch
            except Exception:  # the loop must survive a database blip; the next tick retries
                log.exception("scheduler tick failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):  # the normal case: nothing stopped us
                    await asyncio.wait_for(stop.wait(), timeout=self.interval)


async def _call(dispatch: Dispatch, tenant_id: int, item_id: int) -> None:
    # One failing item must not hold up the rest; it is handed out again after requeue_after.
    try:
        result = dispatch(tenant_id, item_id)
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        log.exception("dispatching %s/%s failed", tenant_id, item_id)
