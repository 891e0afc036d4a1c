"""Public receipts: the number and secret a citizen follows a case with."""

from __future__ import annotations

from core.store.tables import (
    CaseReceipt,
)
from core.store.tx import TenantScoped

__all__ = ["ReceiptRepository"]


class ReceiptRepository(TenantScoped):
    """A tenant's case receipts (the secret only as its hash)."""

    async def add(self, case_id: int, receipt: str, secret_hash: str) -> None:
        await CaseReceipt(
            tenant_id=self.tenant_id, case_id=case_id, receipt=receipt, secret_hash=secret_hash
        ).save()

    async def add_once(self, case_id: int, receipt: str, secret_hash: str) -> str:
        """Store the receipt unless it is there already; returns the secret hash it has now.

        Two submissions replayed at the same moment both land here: the second keeps the first's
        row instead of failing on the unique receipt.
        """
        await CaseReceipt.raw(
            "INSERT INTO case_receipt (tenant_id, case_id, receipt, secret_hash) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (tenant_id, receipt) DO NOTHING",
            self.tenant_id,
            case_id,
            receipt,
            secret_hash,
        )
        found = await self.find(receipt)
        if found is None:  # RLS hid the row, or it was never written: nothing to hand out
            raise LookupError(f"receipt {receipt} was not stored")
        return found[1]

    async def replace_secret(self, receipt: str, secret_hash: str) -> None:
        await CaseReceipt.update({CaseReceipt.secret_hash: secret_hash}).where(
            (CaseReceipt.tenant_id == self.tenant_id) & (CaseReceipt.receipt == receipt)
        )

    async def find(self, receipt: str) -> tuple[int, str] | None:
        """The case id and secret hash behind a receipt number, or None."""
        row = (
            await CaseReceipt.select(CaseReceipt.case_id, CaseReceipt.secret_hash)
            .where((CaseReceipt.tenant_id == self.tenant_id) & (CaseReceipt.receipt == receipt))
            .first()
        )
        return (row["case_id"], row["secret_hash"]) if row else None
