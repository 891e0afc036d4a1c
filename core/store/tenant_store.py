"""One tenant's repositories together, for a use case that touches several aggregates at once."""

from __future__ import annotations

from core.store.attachments import AttachmentRepository
from core.store.cases import CaseRepository
from core.store.documents import DocumentRepository
from core.store.events import EventRepository
from core.store.identities import DataKeyRepository, IdentityRepository
from core.store.ledger import LedgerRepository
from core.store.receipts import ReceiptRepository
from core.store.timers import TimerRepository

__all__ = ["TenantStore"]


class TenantStore:
    """A tenant's case aggregates, each behind its own repository; used inside its `tenant_tx`."""

    __slots__ = (
        "attachments",
        "cases",
        "documents",
        "events",
        "identities",
        "keys",
        "ledger",
        "receipts",
        "tenant_id",
        "timers",
    )

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id
        self.cases = CaseRepository(tenant_id)
        self.receipts = ReceiptRepository(tenant_id)
        self.attachments = AttachmentRepository(tenant_id)
        self.identities = IdentityRepository(tenant_id)
        self.keys = DataKeyRepository(tenant_id)
        self.events = EventRepository(tenant_id)
        self.timers = TimerRepository(tenant_id)
        self.documents = DocumentRepository(tenant_id)
        self.ledger = LedgerRepository(tenant_id)
