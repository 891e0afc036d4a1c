"""The dramatiq actors: thin entry points that call the services with ids from the message.

Run them with ``huiying worker``. Retries back off from one second; the work is idempotent, so
a redelivered message does nothing twice.
"""

from __future__ import annotations

import asyncio
from functools import cache
from weakref import WeakKeyDictionary

import dramatiq

from core.jobs.broker import broker
from core.plugins import PluginRegistry
from core.services.clock import SystemClock
from core.services.delivery import Deliverer, DeliveryConfig
from core.services.documents import DocumentJobs
from core.services.timers import TimerJobs
from core.store import dialect
from core.store.engine import DB

__all__ = ["broker", "deliver_notification", "fire_timers", "render_document"]


@cache
def _timer_jobs() -> TimerJobs:
    return TimerJobs(PluginRegistry.discover(), SystemClock())


@cache
def _deliverer() -> Deliverer:
    return Deliverer(DeliveryConfig.from_env(), SystemClock())


_POOL_LOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


async def _ensure_pool() -> None:
    # All async actors of a worker process share one event loop (the AsyncIO middleware's), so
    # one pool opened on it serves them all; it dies with the process. The first messages arrive
    # together: without the lock each opened a pool, and a connection taken from one was handed
    # back to the next ("Pool.release() received invalid connection", seen in bench/ runs).
    if not dialect.pools_connections() or DB.pool is not None:
        return
    async with _POOL_LOCKS.setdefault(asyncio.get_running_loop(), asyncio.Lock()):
        if DB.pool is None:
            await DB.start_connection_pool(min_size=1, max_size=8)


@dramatiq.actor(queue_name="huiying_timers", max_retries=10, min_backoff=1_000, max_backoff=60_000)
async def fire_timers(tenant_id: int, timer_ids: list[int]) -> None:
    """Carry out the due warning or breach effects of several timers of one tenant (once)."""
    await _ensure_pool()
    await _timer_jobs().fire_many(tenant_id, timer_ids)


@dramatiq.actor(queue_name="huiying_notifications", max_retries=3, min_backoff=1_000, max_backoff=60_000)
async def deliver_notification(tenant_id: int, notification_id: int) -> None:
    """Attempt delivery of one outbox notification (its own retry schedule lives in the row)."""
    await _ensure_pool()
    await _deliverer().deliver(tenant_id, notification_id)


@dramatiq.actor(queue_name="huiying_documents", max_retries=3, min_backoff=1_000, max_backoff=60_000)
async def render_document(tenant_id: int, document_id: int) -> None:
    """Render a pending document's copies to PDF and HTML (once; a rendered one is left alone)."""
    await _ensure_pool()
    await DocumentJobs(SystemClock()).render(tenant_id, document_id)
