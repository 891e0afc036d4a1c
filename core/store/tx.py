"""Transactions: every unit of work on a tenant's data runs inside `tenant_tx`.

On PostgreSQL the first statement sets ``app.tenant_id`` for this transaction only
(``set_config(..., true)``), so RLS filters every query of it; SQLite relies on the
repositories' explicit ``WHERE tenant_id``. Opened in the service layer, never in middleware
(STACK.md traps 3–4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from piccolo.engine.sqlite import TransactionType

from core.store.engine import DB, is_postgres

__all__ = ["current_tenant", "platform_tx", "tenant_tx"]

_tenant: ContextVar[int | None] = ContextVar("huiying_tenant", default=None)
_platform: ContextVar[bool] = ContextVar("huiying_platform_tx", default=False)


def current_tenant() -> int | None:
    """The tenant of the transaction this code runs in, if any."""
    return _tenant.get()


def _transaction():
    if is_postgres():
        return DB.transaction()
    # Write intent up front, or concurrent writers fail with "database is locked".
    return DB.transaction(transaction_type=TransactionType.immediate)


@asynccontextmanager
async def tenant_tx(tenant_id: int) -> AsyncIterator[None]:
    """One transaction scoped to `tenant_id`; commits on exit, rolls back on error.

    Nested use for the same tenant joins the outer transaction; another tenant is refused.
    Inside `platform_tx` (onboarding a tenant) it joins that transaction and scopes the rest
    of it to `tenant_id`.
    """
    if not isinstance(tenant_id, int) or isinstance(tenant_id, bool) or tenant_id <= 0:
        raise ValueError(f"tenant_tx needs a positive tenant id, got {tenant_id!r}")
    outer = _tenant.get()
    if outer is not None:
        if outer != tenant_id:
            raise RuntimeError(f"tenant_tx({tenant_id}) inside tenant_tx({outer})")
        yield
        return
    token = _tenant.set(tenant_id)
    try:
        if _platform.get():
            if is_postgres():
                await DB.run_ddl(f"SELECT set_config('app.tenant_id', '{tenant_id}', true)")
            yield
            return
        async with _transaction():
            if is_postgres():
                await DB.run_ddl(f"SELECT set_config('app.tenant_id', '{tenant_id}', true)")
            yield
    finally:
        _tenant.reset(token)


@asynccontextmanager
async def platform_tx() -> AsyncIterator[None]:
    """One transaction outside any tenant: the tenant list, platform admins, holiday schedules."""
    if _tenant.get() is not None or _platform.get():
        raise RuntimeError("platform_tx inside another transaction")
    token = _platform.set(True)
    try:
        async with _transaction():
            yield
    finally:
        _platform.reset(token)
