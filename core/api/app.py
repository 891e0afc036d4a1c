"""The litestar application factory (`huiying serve`, `huiying demo`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get

from core.store.engine import DB, is_postgres

__all__ = ["create_app"]


@asynccontextmanager
async def _database(app: Litestar) -> AsyncIterator[None]:
    # Each server process owns one pool on its own event loop (STACK.md §1.3).
    if is_postgres():
        await DB.start_connection_pool(min_size=1, max_size=10)
    try:
        yield
    finally:
        if is_postgres():
            await DB.close_connection_pool()


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is up (no dependency is consulted)."""
    return {"status": "ok"}


def create_app() -> Litestar:
    """A new application; every server worker builds its own."""
    return Litestar(route_handlers=[healthz], lifespan=[_database])
