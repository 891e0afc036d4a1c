"""The scheduler's loop: the monthly circulars run beside the ticks, never in the way of a deadline.

Time here is the scheduler's clock, a `FixedClock` the tests move; a slow run of circulars is
one that has not been released yet, so nothing waits for the wall clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.jobs.scheduler import Scheduler
from core.services.clock import FixedClock

# Long before any case of the suite, so no tick claims another test's timers or notifications.
QUIET = datetime(2000, 1, 1, 1, 0, tzinfo=UTC)
GUARD = 5  # seconds; only so that a tick that waits for the circulars fails instead of hanging


class SlowCirculars:
    """Monthly circulars that take as long as the test wants: each run waits for `release`."""

    def __init__(self) -> None:
        self.runs = 0
        self.finished = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = asyncio.Event()
        self.ended = asyncio.Event()

    async def __call__(self) -> int:
        self.runs += 1
        self.started.set()
        try:
            await self.release.wait()  # a month's circulars over many tenants
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        self.finished += 1
        self.ended.set()
        return 0

    async def wait_for_the_end(self) -> None:
        await asyncio.wait_for(self.ended.wait(), timeout=GUARD)
        self.ended.clear()


def scheduler_with(circulars: SlowCirculars, clock: FixedClock) -> Scheduler:
    return Scheduler(
        clock=clock,
        fire_timers=lambda t, ids: None,
        deliver_notification=lambda t, i: None,
        monthly_jobs=circulars,
    )


async def tick(scheduler: Scheduler) -> None:
    await asyncio.wait_for(scheduler.tick(), timeout=GUARD)


async def test_slow_monthly_circulars_do_not_hold_up_the_ticks():
    circulars, clock = SlowCirculars(), FixedClock(QUIET)
    scheduler = scheduler_with(circulars, clock)
    await tick(scheduler)  # returns while the circulars are still held: the tick did not wait
    await asyncio.wait_for(circulars.started.wait(), timeout=GUARD)
    assert (circulars.runs, circulars.finished) == (1, 0)

    clock.advance(scheduler.monthly_every)  # due again, but the first run is still going
    await tick(scheduler)  # a second tick neither waits nor starts a second run
    assert (circulars.runs, circulars.finished) == (1, 0)

    circulars.release.set()
    await circulars.wait_for_the_end()
    assert (circulars.runs, circulars.finished) == (1, 1)


async def test_the_monthly_circulars_are_looked_at_every_monthly_every():
    circulars, clock = SlowCirculars(), FixedClock(QUIET)
    circulars.release.set()  # quick circulars this time
    scheduler = scheduler_with(circulars, clock)
    await tick(scheduler)
    await circulars.wait_for_the_end()
    assert circulars.finished == 1

    clock.advance(scheduler.monthly_every - timedelta(seconds=1))
    await tick(scheduler)
    assert circulars.runs == 1  # not yet
    clock.advance(timedelta(seconds=1))
    await tick(scheduler)
    await circulars.wait_for_the_end()
    assert (circulars.runs, circulars.finished) == (2, 2)


async def test_stopping_the_loop_cancels_unfinished_circulars():
    circulars = SlowCirculars()
    scheduler = scheduler_with(circulars, FixedClock(QUIET))
    stop = asyncio.Event()
    loop = asyncio.create_task(scheduler.run(stop))
    await asyncio.wait_for(circulars.started.wait(), timeout=GUARD)  # the loop's first tick
    stop.set()
    # Not wait_for: its own cancelling on a timeout would do the scheduler's work for it.
    done, _ = await asyncio.wait({loop}, timeout=GUARD)
    loop.cancel()
    assert done == {loop}, "the loop did not stop"
    assert circulars.cancelled.is_set()  # stopping cancels the unfinished circulars
    assert circulars.finished == 0
