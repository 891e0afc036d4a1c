"""The public portal: submitting a case and following it with its receipt and secret, unsigned."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from core.domain.cases import CaseState
from core.domain.commands import RecordFeedback
from core.domain.errors import InvalidCommand, RuleViolation
from core.domain.events import CaseEvent, EventName, on_portal
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor
from core.services.cases import CaseService, CaseView
from core.services.confidentiality import tenant_data_key
from core.store.attachments import StoredAttachment
from core.store.cases import CaseNotFound
from core.store.receipts import ReceiptRepository
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantNotFound, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = ["PublicMilestone", "PublicPortal", "PublicReceipt", "PublicStatus", "secret_hash"]


@dataclass(frozen=True, slots=True)
class PublicMilestone:
    """One step of a case as its submitter sees it: no staff, no units, no internal notes."""

    label: str
    at: datetime
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PublicStatus:
    """A case as its submitter follows it with the receipt and secret."""

    receipt: str
    kind: str
    state: CaseState
    received_at: datetime
    milestones: tuple[PublicMilestone, ...]
    reply_mode: str
    reply_content: str
    satisfaction: str | None
    can_give_feedback: bool


@dataclass(frozen=True, slots=True)
class PublicReceipt:
    """What a submitter keeps: the receipt number and the secret, shown once."""

    view: CaseView
    receipt: str
    secret: str


def secret_hash(secret: str) -> str:
    """The one hashing rule for receipt secrets (the portal's check, the desk's printed receipt)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


_NO_SUCH_SECRET = secret_hash(secrets.token_urlsafe(24))


def replay_secret(data_key: bytes, case_id: int, idempotency_key: str) -> str:
    """The receipt secret of a submission sent with `idempotency_key`: the same on every replay."""
    purpose = hmac.new(data_key, b"huiying-receipt-secret", hashlib.sha256).digest()
    message = f"{case_id}:{idempotency_key}".encode("utf-8", "surrogatepass")
    digest = hmac.new(purpose, message, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


class PublicPortal:
    """Submitting and following a case without signing in, per tenant."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    async def _tenant_id(self, slug: str) -> int:
        async with platform_tx():
            record = await TenantRepository().find(slug)
        if record is None or not record.active:
            raise TenantNotFound(slug)
        return record.id

    async def submit(
        self, slug: str, draft: IntakeDraft, *, idempotency_key: str | None = None
    ) -> PublicReceipt:
        """Take a case in from the portal and hand back its receipt number and secret."""
        tenant_id = await self._tenant_id(slug)
        view = await self.cases.intake(tenant_id, draft, Actor.from_public(), idempotency_key=idempotency_key)
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            if idempotency_key is None:
                secret = secrets.token_urlsafe(24)
            else:
                # The same submission, retried (or sent twice at once), gets the same secret: it is
                # derived from the tenant's key, the case and the idempotency key, never stored.
                _, data_key = await tenant_data_key(self.cases.vault, repo)
                secret = replay_secret(data_key, view.case.id, idempotency_key)
            stored = await repo.receipts.add_once(view.case.id, view.case.serial, secret_hash(secret))
            if stored != secret_hash(secret):  # a receipt of an earlier kind: this secret replaces it
                await repo.receipts.replace_secret(view.case.serial, secret_hash(secret))
        return PublicReceipt(view, view.case.serial, secret)

    async def _case_id(self, tenant_id: int, receipt: str, secret: str) -> int:
        async with tenant_tx(tenant_id):
            found = await ReceiptRepository(tenant_id).find(receipt)
        stored = found[1] if found else _NO_SUCH_SECRET
        # Compare in constant time, and compare even when the receipt is unknown.
        if not hmac.compare_digest(stored, secret_hash(secret)) or found is None:
            raise CaseNotFound(receipt)
        return found[0]

    async def status(self, slug: str, receipt: str, secret: str) -> PublicStatus:
        """Progress and replies of the case behind `receipt`; a wrong secret is "not found"."""
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            case = await repo.cases.get(case_id)
            events = await repo.events.of_case(case_id)
        shown = ((shown_as, event) for event in events if (shown_as := on_portal(event.name)))
        milestones = tuple(
            PublicMilestone(
                label=name.portal_label or "",
                at=event.at,
                detail=MappingProxyType({k: event.data[k] for k in name.portal_fields if k in event.data}),
            )
            for name, event in shown
        )
        return PublicStatus(
            receipt=case.serial,
            kind=case.kind.value,
            state=case.state,
            received_at=case.received_at,
            milestones=milestones,
            reply_mode=case.reply_mode,
            reply_content=case.reply_content,
            satisfaction=case.satisfaction.value if case.satisfaction else None,
            can_give_feedback=case.state is CaseState.REPLIED,
        )

    async def attach(
        self,
        slug: str,
        receipt: str,
        secret: str,
        *,
        filename: str,
        content_type: str,
        data: bytes,
        max_bytes: int,
    ) -> StoredAttachment:
        """Add material to one's own case (authorised by the receipt and secret)."""
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        return await self.cases.add_submitter_attachment(
            tenant_id, case_id, filename=filename, content_type=content_type, data=data, max_bytes=max_bytes
        )

    async def message(self, slug: str, receipt: str, secret: str, text: str) -> PublicStatus:
        """The submitter answers a question or adds an explanation (recorded on the case)."""
        if not text.strip():
            raise InvalidCommand("请填写补充说明", field="text")
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        now = self.cases.clock.now()
        async with tenant_tx(tenant_id):
            repo = TenantStore(tenant_id)
            case = await repo.cases.get(case_id, for_update=True)
            if not case.state.is_open:
                raise RuleViolation(f"案件已{case.state.label}，不能再补充说明")
            await repo.events.append(
                case_id,
                CaseEvent(
                    name=EventName.COMPLAINANT_MESSAGE,
                    at=now,
                    actor=Actor.from_public().username,
                    from_state=case.state,
                    to_state=case.state,
                    data=MappingProxyType({"text": text.strip()}),
                ),
            )
        return await self.status(slug, receipt, secret)

    async def feedback(self, slug: str, receipt: str, secret: str, command: RecordFeedback) -> PublicStatus:
        """The submitter's satisfaction with the reply (only once the case is replied)."""
        tenant_id = await self._tenant_id(slug)
        case_id = await self._case_id(tenant_id, receipt, secret)
        # The receipt and secret authorise this step, not a role.
        await self.cases.record_submitter_feedback(tenant_id, case_id, command)
        return await self.status(slug, receipt, secret)
