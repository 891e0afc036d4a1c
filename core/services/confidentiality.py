"""Complainants' identities, kept apart from their cases.

Reading them (masked, or in clear with the reason logged), the tenant's data key, master key
rotation and the retention purge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from core.domain.cases import Case, CaseState
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.events import CaseEvent, EventName
from core.domain.masking import mask_identity
from core.domain.redaction import Redactor
from core.domain.roles import Actor, Permission
from core.plugins import PluginRegistry
from core.services.access import may_reveal, visible_case
from core.services.clock import Clock
from core.services.tenants import load_tenant
from core.services.vault import Vault, default_vault
from core.store.cases import CaseNotFound
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["IdentityDesk", "IdentityView", "KeyKeeper", "tenant_data_key"]


@dataclass(frozen=True, slots=True)
class IdentityView:
    """What most roles see of a complainant: masked values, and related cases by blind index."""

    anonymous: bool
    masked: Mapping[str, str]
    related: tuple[str, ...]


async def tenant_data_key(
    vault: Vault, repo: TenantStore, stored: tuple[int, bytes, bytes, str] | None = None
) -> tuple[int, bytes]:
    """The tenant's data key (version, key), made on the tenant's first identity.

    `stored` is the wrapped key when the caller already read it (`repo.data_key`).
    """
    stored = stored or await repo.keys.current()
    if stored is None:
        _, wrapped, nonce, master_id = vault.new_data_key()
        await repo.keys.add_first(wrapped, nonce, master_id)
        stored = await repo.keys.current()  # a concurrent first intake may have won: use its key
    version, wrapped, nonce, master_id = stored
    return version, vault.unwrap(wrapped, nonce, master_id)


async def identities_of(
    vault: Vault, repo: TenantStore, tenant_id: int, cases: Sequence[Case]
) -> dict[int, dict[str, Any]]:
    """The clear identities of named cases, by case id (to redact and mask them; shown to nobody)."""
    named = [case.id for case in cases if not case.anonymous and case.id is not None]
    stored = await repo.keys.current() if named else None
    if stored is None:
        return {}
    _, wrapped, nonce, master_key_id = stored
    key = vault.unwrap(wrapped, nonce, master_key_id)
    found = {}
    for case_id in named:
        sealed = await repo.identities.of_case(case_id)
        if sealed is not None:
            found[case_id] = vault.open(key, tenant_id, case_id, sealed)
    return found


class IdentityDesk:
    """Reading a case's complainant: masked for the case-materials roles, in clear with a reason."""

    def __init__(self, registry: PluginRegistry, clock: Clock, vault: Vault | None = None) -> None:
        self.registry = registry
        self.clock = clock
        self._vault = vault

    @property
    def vault(self) -> Vault:
        return self._vault or default_vault()

    async def redactors(
        self, tenant_id: int, cases: Sequence[Case], actor: Actor
    ) -> dict[int, Callable[[str], str]]:
        """How each case's free text reads to `actor`, by case id.

        As written for a role that may reveal the identity; for everyone else through the
        redaction rule (`core.domain.redaction`) with the case's own identity: masked for the
        case-materials roles, withheld for a handling unit.
        """
        withheld = not actor.can(Permission.CASE_MATERIALS)
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            hidden = [
                case for case in cases if not may_reveal(actor, tenant.hooks.identity_access(case, actor))
            ]
            identities = await identities_of(self.vault, TenantStore(tenant_id), tenant_id, hidden)
        redactors: dict[int, Callable[[str], str]] = {case.id: str for case in cases if case.id is not None}
        for case in hidden:
            if case.id is not None:
                redactors[case.id] = Redactor(identities.get(case.id, {}), withheld=withheld)
        return redactors

    async def masked(self, tenant_id: int, case_id: int, actor: Actor) -> IdentityView:
        """The complainant's identity, masked, and the other cases with the same phone or ID number.

        Not for the handling unit: even masked, a name and a phone can point at a neighbour.
        """
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            case = await visible_case(repo, case_id, actor)
            actor.require(Permission.CASE_MATERIALS)
            sealed = await repo.identities.of_case(case_id)
            if sealed is None:
                return IdentityView(anonymous=case.anonymous, masked={}, related=())
            _, key = await tenant_data_key(self.vault, repo)
            clear = self.vault.open(key, tenant_id, case_id, sealed)
            related = tuple(await repo.identities.cases_sharing(case_id, sealed))
        return IdentityView(anonymous=False, masked=mask_identity(clear), related=related)

    async def reveal(self, tenant_id: int, case_id: int, actor: Actor, reason: str) -> dict[str, Any]:
        """The identity in clear, for a role that needs it; the reading and its reason are recorded.

        Raises:
            NotPermitted: the actor's roles may not read identities.
            InvalidCommand: no reason was given.
            CaseNotFound: no such case (or it has no identity: anonymous).
        """
        if len(reason.strip()) < 2:
            raise InvalidCommand("查看投诉人身份须说明理由", field="reason")
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            case = await visible_case(repo, case_id, actor)
            actor.require(Permission.IDENTITY_REVEAL)
            tenant = await load_tenant(tenant_id, self.registry)
            allowed = tenant.hooks.identity_access(case, actor)  # a plugin may narrow, never widen
            if not may_reveal(actor, allowed):
                raise NotPermitted("本单位规定此类案件的投诉人身份仅限特定角色查看")
            sealed = await repo.identities.of_case(case_id)
            if sealed is None:
                raise CaseNotFound(f"{case.serial} 的投诉人身份（匿名案件）")
            _, key = await tenant_data_key(self.vault, repo)
            clear = self.vault.open(key, tenant_id, case_id, sealed)
            await repo.identities.log_reveal(case_id, reader=actor.username, reason=reason.strip(), at=now)
            await repo.events.append(
                case_id,
                CaseEvent(
                    name=EventName.IDENTITY_REVEALED,
                    at=now,
                    actor=actor.username,
                    from_state=case.state,
                    to_state=case.state,
                    # The reason stays in the reveal log (supervisors, auditors), not on the timeline.
                    data=MappingProxyType({}),
                ),
            )
        return clear

    async def reveals(self, tenant_id: int, case_id: int, actor: Actor) -> list[tuple[str, str, datetime]]:
        """Who read the identity in clear, why and when: for supervisors and auditors."""
        if not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
            raise NotPermitted("只有督查员、审计员和领导可以查看身份查阅记录")
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            await visible_case(repo, case_id, actor)
            return await repo.identities.reveals(case_id)


class KeyKeeper:
    """Platform maintenance of the identity vault."""

    def __init__(self, registry: PluginRegistry, clock: Clock, vault: Vault | None = None) -> None:
        self.registry = registry
        self.clock = clock
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
                repo = TenantStore(tenant_id)
                stored = await repo.keys.current()
                if stored is None or stored[3] == vault.keys.current_id:
                    continue
                version, wrapped, nonce, master_id = stored
                rewrapped, renonce = vault.wrap(vault.unwrap(wrapped, nonce, master_id))
                await repo.keys.rewrap(version, rewrapped, renonce, vault.keys.current_id)
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
                repo = TenantStore(record.id)
                for case_id, archived_at in await repo.identities.archived_with_identity():
                    if archived_at >= cutoff:
                        continue
                    await repo.identities.delete(case_id)
                    case = await repo.cases.get(case_id)
                    await repo.events.append(
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
