"""What controllers receive: the composition root's services, and the calling principal."""

from __future__ import annotations

from dataclasses import dataclass

from core.plugins import PluginRegistry
from core.services.admin import PlatformAdmin, TenantAdmin
from core.services.cases import CaseService
from core.services.clock import Clock
from core.services.portal import PublicPortal

__all__ = ["Services"]


@dataclass(frozen=True, slots=True)
class Services:
    """The composition root the app is built around (one per process)."""

    registry: PluginRegistry
    clock: Clock
    cases: CaseService
    portal: PublicPortal
    tenant_admin: TenantAdmin
    platform_admin: PlatformAdmin

    @classmethod
    def build(cls, registry: PluginRegistry, clock: Clock) -> Services:
        cases = CaseService(registry, clock)
        return cls(
            registry, clock, cases, PublicPortal(cases), TenantAdmin(registry), PlatformAdmin(registry)
        )
