"""Running the platform: the schema, the database pool, passwords, holidays, the demo and the chain.

What an operator does from the command line (`core.cli`) and what a process needs around its
requests (the pool, readiness), so that no entry point does store or transaction work itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.domain.audit import BrokenLink, first_broken, head_mismatch
from core.domain.calendar import BusinessCalendar, YearSchedule
from core.plugins import PluginRegistry
from core.services.passwords import hash_password
from core.services.tenants import DEMO_PASSWORD, calendar_for, onboard, read_tenant_file
from core.services.timers import TimerJobs
from core.store import dialect
from core.store.directory import TenantDirectory
from core.store.engine import DB
from core.store.engine import app_role as role_of
from core.store.events import case_serials, chain_head, chain_records
from core.store.platform import HolidayRepository, PlatformAdminRepository
from core.store.schema import MigrationFailed, migrate
from core.store.tables import Tenant
from core.store.tenants import TenantRecord, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["DEMO_ADMIN", "ChainReport", "MigrationFailed", "Operations", "UnknownUser", "role_of"]

DEMO_ADMIN = "platform"
"""The demo's platform administrator (password `core.services.tenants.DEMO_PASSWORD`)."""


class UnknownUser(LookupError):
    """The tenant has no such user."""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """One tenant's hash chain, checked: how many events, and the first fault if any."""

    tenant: TenantRecord
    events: int
    broken: BrokenLink | None = None
    broken_serial: str | None = None  # the serial of the case whose event broke the chain
    head_problem: str | None = None

    @property
    def intact(self) -> bool:
        """True when every link and the head hold."""
        return self.broken is None and self.head_problem is None


class Operations:
    """The platform operator's work and each process's database lifecycle."""

    def __init__(self, registry: PluginRegistry, timer_jobs: TimerJobs) -> None:
        self.registry = registry
        self.timer_jobs = timer_jobs

    # --- the database ----------------------------------------------------------------------------
    @staticmethod
    async def open_pool(max_size: int) -> None:
        """Open this process's connection pool (PostgreSQL; SQLite has none)."""
        if dialect.pools_connections() and DB.pool is None:
            await DB.start_connection_pool(min_size=1, max_size=max_size)

    @staticmethod
    async def close_pool() -> None:
        if dialect.pools_connections() and DB.pool is not None:
            await DB.close_connection_pool()

    @staticmethod
    def has_pool() -> bool:
        """True when no pool is needed or it is open."""
        return not dialect.pools_connections() or DB.pool is not None

    @staticmethod
    async def database_ready() -> None:
        """Ask the database a trivial question; raises what the driver raises when it cannot answer."""
        await DB.run_ddl("SELECT 1")

    @staticmethod
    async def migrate(app_role: str | None = None, app_password: str | None = None) -> None:
        """Run the pending migrations as the owner and grant `app_role` (see `core.store.schema`)."""
        await migrate(app_role=app_role, app_password=app_password)

    @staticmethod
    async def schema_ready() -> bool:
        """True once the schema has been migrated."""
        return await Tenant.table_exists()

    # --- tenants, users, admins --------------------------------------------------------------------
    @staticmethod
    async def tenants() -> list[TenantRecord]:
        async with platform_tx():
            return await TenantRepository().all()

    @staticmethod
    async def tenant(slug: str) -> TenantRecord:
        """Raises `core.store.tenants.TenantNotFound` (a DomainError) when there is none."""
        async with platform_tx():
            return await TenantRepository().by_slug(slug)

    async def set_password(self, slug: str, username: str, password: str) -> None:
        """Set a tenant user's password.

        Raises:
            TenantNotFound: no such tenant.
            UnknownUser: the tenant has no such user.
        """
        record = await self.tenant(slug)
        async with tenant_tx(record.id):
            if not await TenantDirectory(record.id).set_password_hash(username, hash_password(password)):
                raise UnknownUser(username)

    @staticmethod
    async def put_platform_admin(username: str, password: str) -> None:
        """Create the platform administrator, or give an existing one a new password."""
        async with platform_tx():
            await PlatformAdminRepository().put(username, hash_password(password))

    # --- the calendar -------------------------------------------------------------------------------
    async def calendar(self, slug: str, tenant_files: Path) -> BusinessCalendar | None:
        """The business calendar of tenant `slug`: from the database, else from its tenant file.

        None when neither knows the tenant.
        """
        imported: dict[int, YearSchedule] = {}
        if await self.schema_ready():
            async with platform_tx():
                record = await TenantRepository().find(slug)
                imported = await HolidayRepository().all()
            if record is not None:
                return calendar_for(record.timezone, record.calendar, imported)
        file = tenant_files / f"{slug}.toml"
        if not file.exists():
            return None
        config = read_tenant_file(file)
        return calendar_for(config.timezone, config.calendar, imported)

    async def import_holidays(self, schedule: YearSchedule) -> int:
        """Store a year's holidays; returns how many provisional deadlines were recomputed."""
        async with platform_tx():
            await HolidayRepository().put(schedule)
        return await self.timer_jobs.recompute_provisional()

    # --- the demo -----------------------------------------------------------------------------------
    async def prepare_demo(self, tenant_files: Iterable[Path]) -> list[tuple[TenantRecord, tuple[str, ...]]]:
        """Migrate, make the demo administrator and onboard each tenant file not onboarded yet.

        Returns each demo tenant with its usernames, in file order. Idempotent: a second start
        changes nothing.
        """
        await migrate()
        async with platform_tx():
            if await PlatformAdminRepository().get(DEMO_ADMIN) is None:
                await PlatformAdminRepository().put(DEMO_ADMIN, hash_password(DEMO_PASSWORD))
        tenants = []
        for file in tenant_files:
            config = read_tenant_file(file)
            async with platform_tx():
                record = await TenantRepository().find(config.slug)
            if record is None:
                record = await onboard(config, self.registry, demo=True, allow_missing_plugin=True)
            tenants.append((record, tuple(user.username for user in config.users)))
        return tenants

    # --- the tamper-evident record ---------------------------------------------------------------------
    async def verify_chains(self, slug: str | None = None) -> list[ChainReport]:
        """Recompute every tenant's hash chain (or one tenant's) and report the first fault of each."""
        records = [await self.tenant(slug)] if slug else await self.tenants()
        reports = []
        for record in records:
            events = await chain_records(record.id)
            link = first_broken(events)
            if link is not None:
                serial = (await case_serials(record.id, [link.case_id])).get(link.case_id, f"#{link.case_id}")
                reports.append(ChainReport(record, len(events), broken=link, broken_serial=serial))
                continue
            problem = head_mismatch(events, await chain_head(record.id))
            reports.append(ChainReport(record, len(events), head_problem=problem))
        return reports
