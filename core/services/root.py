"""The composition root: every service built once, around one plugin registry and one clock.

The HTTP app (`core.app.create_app`), the job workers (`core.jobs.actors`) and the command line
(`core.cli`) each build one `Services` and take what they need from it, so a service is wired
in one place only, and a test that hands in a `FixedClock` moves every service's time at once.
`jobs` is the one wiring of the background work, whether it runs in the embedded scheduler, in
a dramatiq worker or from the command line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from core.plugins import PluginRegistry
from core.services.admin import PlatformAdmin, TenantAdmin
from core.services.archive import ArchiveService
from core.services.cases import CaseService
from core.services.clock import Clock, SystemClock
from core.services.confidentiality import KeyKeeper
from core.services.console import Console
from core.services.deadlines import DeadlineService
from core.services.delivery import Deliverer, DeliveryConfig, Inbox
from core.services.documents import DocumentJobs, DocumentService
from core.services.duty import DutyService
from core.services.export import CaseExport
from core.services.ledger import LedgerService
from core.services.operations import Operations
from core.services.portal import PublicPortal
from core.services.statistics import CircularJobs, StatisticsService
from core.services.timers import TimerJobs
from core.services.trends import TrendService

__all__ = ["JobHandlers", "Services", "process_services"]


@dataclass(frozen=True, slots=True)
class JobHandlers:
    """The background work, each a coroutine taking a tenant id and the ids its message carries."""

    fire_timers: Callable[[int, list[int]], Awaitable[object]]
    deliver_notification: Callable[[int, int], Awaitable[object]]
    render_document: Callable[[int, int], Awaitable[object]]
    monthly_jobs: Callable[[], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Services:
    """Every service of one process."""

    registry: PluginRegistry
    clock: Clock
    cases: CaseService
    portal: PublicPortal
    console: Console
    documents: DocumentService
    archive: ArchiveService
    export: CaseExport
    deadlines: DeadlineService
    statistics: StatisticsService
    trends: TrendService
    ledger: LedgerService
    duty: DutyService
    inbox: Inbox
    tenant_admin: TenantAdmin
    platform_admin: PlatformAdmin
    keys: KeyKeeper
    operations: Operations
    timer_jobs: TimerJobs
    document_jobs: DocumentJobs
    circular_jobs: CircularJobs
    deliverer: Deliverer

    @classmethod
    def build(
        cls, registry: PluginRegistry, clock: Clock, *, delivery: DeliveryConfig | None = None
    ) -> Services:
        """Every service over `registry` and `clock`; mail settings from the environment unless given."""
        cases = CaseService(registry, clock)
        documents = DocumentService(registry, cases)
        timer_jobs = TimerJobs(registry, clock)
        return cls(
            registry=registry,
            clock=clock,
            cases=cases,
            portal=PublicPortal(cases),
            console=Console(registry, cases, documents),
            documents=documents,
            archive=ArchiveService(registry, cases),
            export=CaseExport(cases),
            deadlines=DeadlineService(registry, clock),
            statistics=StatisticsService(registry, clock),
            trends=TrendService(clock),
            ledger=LedgerService(registry, clock),
            duty=DutyService(clock),
            inbox=Inbox(clock),
            tenant_admin=TenantAdmin(registry),
            platform_admin=PlatformAdmin(registry),
            keys=KeyKeeper(registry, clock),
            operations=Operations(registry, timer_jobs),
            timer_jobs=timer_jobs,
            document_jobs=DocumentJobs(clock),
            circular_jobs=CircularJobs(registry, clock),
            deliverer=Deliverer(delivery or DeliveryConfig.from_env(), clock),
        )

    @property
    def jobs(self) -> JobHandlers:
        """The background work carried out by these services."""
        return JobHandlers(
            fire_timers=self.timer_jobs.fire_many,
            deliver_notification=self.deliverer.deliver,
            render_document=self.document_jobs.render,
            monthly_jobs=self.circular_jobs.issue_due,
        )


@cache
def process_services() -> Services:
    """The services of a worker or command-line process: the installed plugins and real time."""
    return Services.build(PluginRegistry.discover(), SystemClock())
