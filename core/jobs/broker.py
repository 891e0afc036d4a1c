"""The dramatiq broker: Redis when ``HUIYING_REDIS_URL`` is set, else an in-memory stub.

Import this before any module that declares actors: actors bind to the broker
that is current when they are declared.
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

__all__ = ["broker"]


def _make_broker() -> dramatiq.Broker:
    url = os.environ.get("HUIYING_REDIS_URL", "").strip()
    if url:
        from dramatiq.brokers.redis import RedisBroker

        namespace = os.environ.get("HUIYING_REDIS_NAMESPACE", "huiying")
        return RedisBroker(url=url, namespace=namespace)
    return StubBroker()


broker = _make_broker()
broker.add_middleware(AsyncIO())
dramatiq.set_broker(broker)
