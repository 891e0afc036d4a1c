"""The dramatiq actors: thin entry points that call the services with ids from the message.

Run them with ``huiying worker``. Retries back off from one second; the work is idempotent, so
a redelivered message does nothing twice. Each worker process builds its services once
(`core.services.root.process_services`).
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

import dramatiq

from core.jobs.broker import broker
from core.services.root import JobHandlers, Services, process_services

__all__ = ["broker", "deliver_notification", "fire_timers", "queued_handlers", "render_document"]

_POOL_LOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


async def _services() -> Services:
    # All async actors of a worker process share one event loop (the AsyncIO middleware's), so
    # one pool opened on it serves them all; it dies with the process. The first messages arrive
    # together: without the lock each opened a pool, and a connection taken from one was handed
    # back to the next ("Pool.release() received invalid connection", seen in bench/ runs).
    services = process_services()
    if not services.operations.has_pool():
        async with _POOL_LOCKS.setdefault(asyncio.get_running_loop(), asyncio.Lock()):
            await services.operations.open_pool(max_size=8)
    return services


@dramatiq.actor(queue_name="huiying_timers", max_retries=10, min_backoff=1_000, max_backoff=60_000)
async def fire_timers(tenant_id: int, timer_ids: list[int]) -> None:
    """Carry out the due warning or breach effects of several timers of one tenant (once)."""
    await (await _services()).jobs.fire_timers(tenant_id, timer_ids)


@dramatiq.actor(queue_name="huiying_notifications", max_retries=3, min_backoff=1_000, max_backoff=60_000)
async def deliver_notification(tenant_id: int, notification_id: int) -> None:
    """Attempt delivery of one outbox notification (its own retry schedule lives in the row)."""
    await (await _services()).jobs.deliver_notification(tenant_id, notification_id)


@dramatiq.actor(queue_name="huiying_documents", max_retries=3, min_backoff=1_000, max_backoff=60_000)
async def render_document(tenant_id: int, document_id: int) -> None:
    """Render a pending document's copies to PDF and HTML (once; a rendered one is left alone)."""
    await (await _services()).jobs.render_document(tenant_id, document_id)


def queued_handlers(services: Services) -> JobHandlers:
    """The scheduler's handlers when workers do the work: each sends the message to its actor.

    The monthly circulars are issued by the scheduler itself (one check every few minutes).
    """

    async def send_timers(tenant_id: int, timer_ids: list[int]) -> None:
        fire_timers.send(tenant_id, timer_ids)

    async def send_notification(tenant_id: int, notification_id: int) -> None:
        deliver_notification.send(tenant_id, notification_id)

    async def send_render(tenant_id: int, document_id: int) -> None:
        render_document.send(tenant_id, document_id)

    return JobHandlers(send_timers, send_notification, send_render, services.jobs.monthly_jobs)
