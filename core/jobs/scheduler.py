"""The scheduler: one light loop that hands due timers and notifications to the workers.

Safe to run twice: claims use ``FOR UPDATE SKIP LOCKED`` and stamp ``enqueued_at``; work not
finished within `requeue_after` (a lost message, a killed worker) is handed out again, and the
work itself is idempotent. Timers are never kept as long dramatiq delays: a delayed message
sits in Redis where a moved deadline cannot reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.services.clock import Clock
from core.services.root import JobHandlers
from core.store.jobs import claim_due_notifications, claim_due_renders, claim_due_timers

__all__ = ["Dispatch", "DispatchMany", "Scheduler"]

log = logging.getLogger("huiying.scheduler")

Dispatch = Callable[[int, int], Awaitable[None] | None]
"""Hands one (tenant_id, id) to whatever does the work: a dramatiq send, or the job itself."""

DispatchMany = Callable[[int, list[int]], Awaitable[object] | object]
"""Hands several ids of one tenant to whatever does the work, to be done together."""


@dataclass
class Scheduler:
    """Polls for due work every `interval` seconds."""

    clock: Clock
    fire_timers: DispatchMany
    deliver_notification: Dispatch
    interval: float = 1.0
    requeue_after: timedelta = timedelta(seconds=30)
    batch: int = 200
    # Due timers are claimed many at a time and go out grouped by tenant, up to
    # `timers_per_message` per message: a worker fires them in one transaction with one tenant
    # load (TimerJobs.fire_many), many times the rate of one timer per message (bench/results.md).
    timers_per_tick: int = 1000
    timers_per_message: int = 50
    # Documents waiting for their PDF and HTML, and the monthly circulars due on the 1st; optional
    # so a scheduler that only fires deadlines can still be built with two callables.
    render_document: Dispatch | None = None
    monthly_jobs: Callable[[], Awaitable[int]] | None = None
    monthly_every: timedelta = timedelta(minutes=10)
    _monthly_checked: datetime | None = None
    _monthly_task: asyncio.Task[None] | None = None

    @classmethod
    def for_handlers(cls, clock: Clock, handlers: JobHandlers, **options: Any) -> Scheduler:
        """A scheduler handing each kind of due work to `handlers` (in-process, or sends to workers)."""
        return cls(
            clock=clock,
            fire_timers=handlers.fire_timers,
            deliver_notification=handlers.deliver_notification,
            render_document=handlers.render_document,
            monthly_jobs=handlers.monthly_jobs,
            **options,
        )

    async def tick(self) -> tuple[int, int]:
        """One pass: claim and dispatch everything due now; returns (timers, notifications).

        Renders are claimed too (fewer per tick: a render takes milliseconds, not microseconds),
        and every `monthly_every` the monthly circulars due are issued.
        """
        now = self.clock.now()
        timers = await claim_due_timers(now, limit=self.timers_per_tick, requeue_after=self.requeue_after)
        by_tenant: dict[int, list[int]] = {}
        for tenant_id, timer_id in timers:
            by_tenant.setdefault(tenant_id, []).append(timer_id)
        for tenant_id, timer_ids in by_tenant.items():
            for first in range(0, len(timer_ids), self.timers_per_message):
                await _call(self.fire_timers, tenant_id, timer_ids[first : first + self.timers_per_message])
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
                timers, notifications = await self.tick()
                busy = timers >= self.timers_per_tick or notifications >= self.batch
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


async def _call(dispatch: Dispatch | DispatchMany, tenant_id: int, items: Any) -> None:
    # One failing item must not hold up the rest; it is handed out again after requeue_after.
    try:
        result = dispatch(tenant_id, items)
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        log.exception("dispatching %s/%s failed", tenant_id, items)
