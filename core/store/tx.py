"""Transactions: every unit of work on a tenant's data runs inside `tenant_tx`.

On PostgreSQL the first statement sets ``app.tenant_id`` for this transaction only
(``set_config(..., true)``), so RLS filters every query of it; SQLite relies on the
repositories' explicit ``WHERE tenant_id``. Opened in the service layer, never in middleware
(a transaction opened in middleware outlives the
handler's errors and pins a pooled connection for the whole request).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from core.store import dialect
from core.store.engine import DB

__all__ = ["TenantScoped", "current_tenant", "platform_tx", "require_tenant", "tenant_tx"]

_tenant: ContextVar[int | None] = ContextVar("huiying_tenant", default=None)
_platform: ContextVar[bool] = ContextVar("huiying_platform_tx", default=False)


def current_tenant() -> int | None:
    """The tenant of the transaction this code runs in, if any."""
    return _tenant.get()


def require_tenant(tenant_id: int) -> None:
    """Refuse to touch `tenant_id`'s rows outside ``tenant_tx(tenant_id)``.

    On PostgreSQL RLS would hide the rows anyway; on SQLite this check and the explicit
    ``WHERE tenant_id`` are all that keeps tenants apart.

    Raises:
        RuntimeError: called outside that tenant's transaction.
    """
    if current_tenant() != tenant_id:
        raise RuntimeError(f"store access for tenant {tenant_id} outside tenant_tx({tenant_id})")


class TenantScoped:
    """Base of a tenant's repositories: every public coroutine runs `require_tenant` first.

    The guard is applied once, here, to each subclass's public ``async def`` methods, so a
    repository method cannot forget it.
    """

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(cls, name, _guarded(member))


def _guarded(method):
    @functools.wraps(method)
    async def guarded(self, *args, **kwargs):
        require_tenant(self.tenant_id)
        return await method(self, *args, **kwargs)

    return guarded


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
            if dialect.has_rls():
                await DB.run_ddl(f"SELECT set_config('app.tenant_id', '{tenant_id}', true)")
            yield
            return
        async with dialect.transaction():
            if dialect.has_rls():
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
        async with dialect.transaction():
            yield
    finally:
        _platform.reset(token)
