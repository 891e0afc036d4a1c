"""Keeping identities safe over time: master key rotation and the retention purge."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from core.domain.cases import CaseState
from core.domain.events import CaseEvent, EventName
from core.plugins import PluginRegistry
from core.services.clock import Clock, SystemClock
from core.services.tenants import load_tenant
from core.services.vault import Vault, default_vault
from core.store.repositories import CaseRepository, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["KeyKeeper"]

"""The retention period ran out: the identity was deleted; the case stays for statistics."""


class KeyKeeper:
    """Platform maintenance of the identity vault."""

    def __init__(
        self, registry: PluginRegistry, clock: Clock | None = None, vault: Vault | None = None
    ) -> None:
        self.registry = registry
        self.clock = clock or SystemClock()
        self.vault = vault

    async def rotate_master_key(self) -> int:
        """Re-wrap every tenant's data key under the current master key; returns how many changed.

        Identities are untouched, so this runs while the platform serves: readers accept the
        old master key (``HUIYING_OLD_MASTER_KEYS``) until every data key is re-wrapped.
        """
        vault = self.vault or default_vault()
        changed = 0
        for tenant_id in await _tenant_ids():
            async with tenant_tx(tenant_id):
                repo = CaseRepository(tenant_id)
                stored = await repo.data_key()
                if stored is None or stored[3] == vault.keys.current_id:
                    continue
                version, wrapped, nonce, master_id = stored
                rewrapped, renonce = vault.wrap(vault.unwrap(wrapped, nonce, master_id))
                await repo.rewrap_data_key(version, rewrapped, renonce, vault.keys.current_id)
                changed += 1
        return changed

    async def purge_expired_identities(self) -> int:
        """Delete identities of cases archived longer ago than the tenant's retention setting.

        ``identity_retention_years`` = 0 keeps identities for ever. Returns how many were purged.
        """
        now = self.clock.now()
        purged = 0
        async with platform_tx():
            tenants = [t for t in await TenantRepository().all() if t.plugin in self.registry.names]
        for record in tenants:
            async with tenant_tx(record.id):
                tenant = await load_tenant(record.id, self.registry, require_active=False)
                years = tenant.ctx.settings["identity_retention_years"]
                if years <= 0:
                    continue
                cutoff = now - timedelta(days=365 * years)
                repo = CaseRepository(record.id)
                for case_id, archived_at in await repo.archived_with_identity():
                    if archived_at >= cutoff:
                        continue
                    await repo.delete_identity(case_id)
                    case = await repo.get(case_id)
                    await repo.append_event(
                        case_id,
                        CaseEvent(
                            name=EventName.IDENTITY_PURGED,
                            at=now,
                            actor="system",
                            from_state=CaseState.ARCHIVED,
                            to_state=case.state,
                            data=MappingProxyType(
                                {"retention_years": years, "archived_at": archived_at.isoformat()}
                            ),
                        ),
                    )
                    purged += 1
        return purged


async def _tenant_ids() -> list[int]:
    async with platform_tx():
        return [record.id for record in await TenantRepository().all()]
