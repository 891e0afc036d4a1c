"""The scheduler's loop: the monthly circulars run beside the ticks, never in the way of a deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from core.jobs.scheduler import Scheduler
from core.services.clock import FixedClock


async def test_slow_monthly_circulars_do_not_hold_up_the_ticks():
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow_circulars() -> int:
        started.set()
        await asyncio.sleep(3)  # a month's circulars over many tenants
        finished.set()
        return 0

    scheduler = Scheduler(
        clock=FixedClock(
            datetime(2030, 1, 1, 1, 0, tzinfo=UTC)
        ),  # nothing is due this far ahead... but the 1st
        fire_timers=lambda t, ids: None,
        deliver_notification=lambda t, i: None,
        monthly_jobs=slow_circulars,
        interval=0.05,
    )
    before = time.monotonic()
    await scheduler.tick()
    await asyncio.wait_for(started.wait(), timeout=1)
    assert time.monotonic() - before < 1  # the tick did not wait for the circulars
    await scheduler.tick()  # a second tick neither waits nor starts a second run
    assert not finished.is_set()

    stop = asyncio.Event()
    loop = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(loop, timeout=2)  # stopping cancels the unfinished circulars
    assert not finished.is_set()
