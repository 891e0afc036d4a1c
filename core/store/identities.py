"""Sealed complainant identities, who read them in clear, and the tenant's data keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.cases import (
    Case,
)
from core.domain.lifecycle import Action
from core.store.cases import case_from_row
from core.store.tables import (
    CaseEvent,
    CaseRow,
    ComplainantIdentity,
    IdentityReveal,
    TenantKey,
)
from core.store.tx import TenantScoped

__all__ = ["DataKeyRepository", "IdentityRepository", "SealedIdentity"]


@dataclass(frozen=True, slots=True)
class SealedIdentity:
    """A complainant identity as stored: AES-GCM ciphertext and nonce, and its blind indexes."""

    ciphertext: bytes
    nonce: bytes
    key_version: int
    phone_index: str | None
    id_number_index: str | None


class IdentityRepository(TenantScoped):
    """A tenant's sealed identities and the log of their clear readings."""

    async def add(self, case_id: int, sealed: SealedIdentity) -> None:
        await ComplainantIdentity(
            tenant_id=self.tenant_id,
            case_id=case_id,
            ciphertext=sealed.ciphertext,
            nonce=sealed.nonce,
            key_version=sealed.key_version,
            phone_index=sealed.phone_index,
            id_number_index=sealed.id_number_index,
        ).save()

    async def of_case(self, case_id: int) -> SealedIdentity | None:
        """The sealed identity of a case (None for anonymous cases)."""
        row = (
            await ComplainantIdentity.select()
            .where(
                (ComplainantIdentity.tenant_id == self.tenant_id) & (ComplainantIdentity.case_id == case_id)
            )
            .first()
        )
        if row is None:
            return None
        return SealedIdentity(
            ciphertext=bytes(row["ciphertext"]),
            nonce=bytes(row["nonce"]),
            key_version=row["key_version"],
            phone_index=row["phone_index"],
            id_number_index=row["id_number_index"],
        )

    async def cases_sharing(self, case_id: int, sealed: SealedIdentity) -> list[str]:
        """Serials of the tenant's other cases with the same phone or ID number (by blind index)."""
        match = None
        if sealed.phone_index:
            match = ComplainantIdentity.phone_index == sealed.phone_index
        if sealed.id_number_index:
            by_id = ComplainantIdentity.id_number_index == sealed.id_number_index
            match = by_id if match is None else (match | by_id)
        if match is None:
            return []
        rows = await ComplainantIdentity.select(ComplainantIdentity.case_id).where(
            (ComplainantIdentity.tenant_id == self.tenant_id)
            & (ComplainantIdentity.case_id != case_id)
            & match
        )
        ids = sorted({row["case_id"] for row in rows})
        if not ids:
            return []
        serials = (
            await CaseRow.select(CaseRow.serial)
            .where((CaseRow.tenant_id == self.tenant_id) & CaseRow.id.is_in(ids))
            .order_by(CaseRow.id)
        )
        return [row["serial"] for row in serials]

    async def cases_with_phone(self, phone_index: str, *, since: datetime, limit: int) -> list[Case]:
        """The tenant's cases received since `since` with this phone's blind index, newest first."""
        ids = [
            row["case_id"]
            for row in await ComplainantIdentity.select(ComplainantIdentity.case_id).where(
                (ComplainantIdentity.tenant_id == self.tenant_id)
                & (ComplainantIdentity.phone_index == phone_index)
            )
        ]
        if not ids:
            return []
        rows = (
            await CaseRow.select()
            .where(CaseRow.tenant_id == self.tenant_id)
            .where(CaseRow.id.is_in(ids) & (CaseRow.received_at >= since))
            # Two calls logged in the same instant keep their intake order: newest first.
            .order_by(CaseRow.received_at, CaseRow.id, ascending=False)
            .limit(limit)
        )
        return [case_from_row(row) for row in rows]

    async def delete(self, case_id: int) -> None:
        await ComplainantIdentity.delete().where(
            (ComplainantIdentity.tenant_id == self.tenant_id) & (ComplainantIdentity.case_id == case_id)
        )

    async def archived_with_identity(self) -> list[tuple[int, datetime]]:
        """(case id, when archived) of archived cases that still hold an identity."""
        with_identity = ComplainantIdentity.select(ComplainantIdentity.case_id).where(
            ComplainantIdentity.tenant_id == self.tenant_id
        )
        ids = {row["case_id"] for row in await with_identity}
        if not ids:
            return []
        rows = (
            await CaseEvent.select(CaseEvent.case_id, CaseEvent.at)
            .where(
                (CaseEvent.tenant_id == self.tenant_id)
                & (CaseEvent.name == Action.ARCHIVE.event_name)
                & CaseEvent.case_id.is_in(sorted(ids))
            )
            .order_by(CaseEvent.id)
        )
        archived = {row["case_id"]: row["at"] for row in rows}  # the latest archiving counts
        return sorted(archived.items())

    async def log_reveal(self, case_id: int, *, reader: str, reason: str, at: datetime) -> None:
        await IdentityReveal(
            tenant_id=self.tenant_id, case_id=case_id, reader=reader, reason=reason, at=at
        ).save()

    async def reveals(self, case_id: int) -> list[tuple[str, str, datetime]]:
        """(reader, reason, at) of every clear reading of the case's identity, oldest first."""
        rows = (
            await IdentityReveal.select()
            .where((IdentityReveal.tenant_id == self.tenant_id) & (IdentityReveal.case_id == case_id))
            .order_by(IdentityReveal.id)
        )
        return [(row["reader"], row["reason"], row["at"]) for row in rows]


class DataKeyRepository(TenantScoped):
    """A tenant's wrapped data keys (the key identities are sealed with)."""

    async def current(self) -> tuple[int, bytes, bytes, str] | None:
        """The tenant's newest wrapped data key: (version, wrapped, nonce, master key id)."""
        row = (
            await TenantKey.select()
            .where(TenantKey.tenant_id == self.tenant_id)
            .order_by(TenantKey.version, ascending=False)
            .first()
        )
        if row is None:
            return None
        return row["version"], bytes(row["wrapped"]), bytes(row["nonce"]), row["master_key_id"]

    async def add_first(self, wrapped: bytes, nonce: bytes, master_key_id: str) -> None:
        """Store the first data key; a concurrent first intake that lost the race changes nothing."""
        await TenantKey.raw(
            "INSERT INTO tenant_key (tenant_id, version, wrapped, nonce, master_key_id, created_at) "
            "VALUES ({}, 1, {}, {}, {}, CURRENT_TIMESTAMP) ON CONFLICT (tenant_id, version) DO NOTHING",
            self.tenant_id,
            wrapped,
            nonce,
            master_key_id,
        )

    async def rewrap(self, version: int, wrapped: bytes, nonce: bytes, master_key_id: str) -> None:
        await TenantKey.update(
            {TenantKey.wrapped: wrapped, TenantKey.nonce: nonce, TenantKey.master_key_id: master_key_id}
        ).where((TenantKey.tenant_id == self.tenant_id) & (TenantKey.version == version))
