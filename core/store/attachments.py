"""Case attachments: their descriptions, and their bytes read one at a time."""

from __future__ import annotations

from dataclasses import dataclass

from core.store.tables import (
    Attachment,
)
from core.store.tx import TenantScoped

__all__ = ["AttachmentRepository", "StoredAttachment"]


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """An attachment's description (its bytes are read separately)."""

    id: int
    case_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    added_by: str


class AttachmentRepository(TenantScoped):
    """A tenant's case attachments."""

    async def add(
        self, case_id: int, *, filename: str, content_type: str, data: bytes, sha256: str, added_by: str
    ) -> StoredAttachment:
        row = Attachment(
            tenant_id=self.tenant_id,
            case_id=case_id,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=sha256,
            data=data,
            added_by=added_by,
        )
        await row.save()
        return StoredAttachment(row.id, case_id, filename, content_type, len(data), sha256, added_by)

    async def of_case(self, case_id: int) -> list[StoredAttachment]:
        """The case's attachments without their bytes."""
        rows = (
            await Attachment.select(
                Attachment.id,
                Attachment.case_id,
                Attachment.filename,
                Attachment.content_type,
                Attachment.size,
                Attachment.sha256,
                Attachment.added_by,
            )
            .where((Attachment.tenant_id == self.tenant_id) & (Attachment.case_id == case_id))
            .order_by(Attachment.id)
        )
        return [StoredAttachment(**row) for row in rows]

    async def with_data(self, case_id: int, attachment_id: int) -> tuple[StoredAttachment, bytes] | None:
        row = (
            await Attachment.select()
            .where(
                (Attachment.tenant_id == self.tenant_id)
                & (Attachment.case_id == case_id)
                & (Attachment.id == attachment_id)
            )
            .first()
        )
        if row is None:
            return None
        data = bytes(row.pop("data"))
        row.pop("tenant_id")
        row.pop("created_at")
        return StoredAttachment(**row), data
