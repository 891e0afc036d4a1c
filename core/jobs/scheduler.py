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
from datetime import datetime, timedelta

from core.services.clock import Clock
from core.store.jobs import claim_due_notifications, claim_due_renders, claim_due_timers

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
    # Documents waiting for their PDF and HTML, and the monthly circulars due on the 1st; optional
    # so a scheduler that only fires deadlines can still be built with two callables.
    render_document: Dispatch | None = None
    monthly_jobs: Callable[[], Awaitable[int]] | None = None
    monthly_every: timedelta = timedelta(minutes=10)
    _monthly_checked: datetime | None = None
    _monthly_task: asyncio.Task[None] | None = None

    async def tick(self) -> tuple[int, int]:
        """One pass: claim and dispatch everything due now; returns (timers, notifications).

        Renders are claimed too (fewer per tick: a render takes milliseconds, not microseconds),
        and every `monthly_every` the monthly circulars due are issued.
        """
        now = self.clock.now()
        timers = await claim_due_timers(now, limit=self.batch, requeue_after=self.requeue_after)
        for tenant_id, timer_id in timers:
            await _call(self.fire_timer, tenant_id, timer_id)
        notifications = await claim_due_notifications(now, limit=self.batch, requeue_after=self.requeue_after)
        for tenant_id, notification_id in notifications:
            await _call(self.deliver_notification, tenant_id, notification_id)
        if self.render_document is not None:
            renders = await claim_due_renders(now, limit=self.batch // 4, requeue_after=self.requeue_after)
            for tenant_id, document_id in renders:
                await _call(self.render_document, tenant_id, document_id)
        monthly_due = self._monthly_checked is None or now - self._monthly_checked >= self.monthly_every
        idle = self._monthly_task is None or self._monthly_task.done()
        if self.monthly_jobs is not None and monthly_due and idle:
            self._monthly_checked = now
            # A month's circulars take seconds over many tenants: they run beside the ticks,
            # never in the way of a deadline (a minute-scale rule fires within seconds).
            self._monthly_task = asyncio.create_task(self._issue_monthly(self.monthly_jobs))
        return len(timers), len(notifications)

    async def _issue_monthly(self, jobs: Callable[[], Awaitable[int]]) -> None:
        try:
            await jobs()
        except Exception:  # a failing circular must not stop deadlines; retried next round
            log.exception("monthly circulars failed")

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
        if self._monthly_task is not None and not self._monthly_task.done():
            # Stopped mid-way: its transaction rolls back and the next scheduler issues it.
            self._monthly_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monthly_task


async def _call(dispatch: Dispatch, tenant_id: int, item_id: int) -> None:
    # One failing item must not hold up the rest; it is handed out again after requeue_after.
    try:
        result = dispatch(tenant_id, item_id)
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        log.exception("dispatching %s/%s failed", tenant_id, item_id)
