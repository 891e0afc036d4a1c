"""Documents, their numbers and their rendered copies: rows of ``document`` mapped to plain values.

`body` is the handling unit's copy (no identity at all), `masked_body` the internal copy
(identity masked; empty when the document names nobody, so both copies are the same). The
rendered HTML and PDF of each copy are written by the render job, never by a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.store.rows import insert_rows
from core.store.tables import CaseSerial, Document
from core.store.tx import TenantScoped

__all__ = ["COPIES", "DocumentInfo", "DocumentRepository", "NewDocument", "RenderSource", "StoredDocument"]

COPIES = ("unit", "internal")
"""The copies of a document: the handling unit's, and the internal one (identity masked)."""

_META = (
    Document.id,
    Document.case_id,
    Document.kind,
    Document.number,
    Document.title,
    Document.created_by,
    Document.created_at,
    Document.render_state,
    Document.rendered_at,
    Document.render_error,
)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A document without its contents: what lists and status answers show."""

    id: int
    case_id: int | None
    kind: str
    number: str
    title: str
    created_by: str
    created_at: datetime
    render_state: str
    rendered_at: datetime | None
    render_error: str


@dataclass(frozen=True, slots=True)
class RenderSource:
    """What the render job reads: the two bodies of a pending document."""

    id: int
    kind: str
    number: str
    title: str
    body: str
    masked_body: str
    render_state: str
    case_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A document to store on a case (numbered already)."""

    case_id: int | None
    kind: str
    number: str
    title: str
    body: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document stored on a case."""

    id: int
    case_id: int | None
    kind: str
    number: str
    title: str
    body: str
    created_by: str


def _info(row: dict) -> DocumentInfo:
    return DocumentInfo(
        row["id"],
        row["case_id"],
        row["kind"],
        row["number"],
        row["title"],
        row["created_by"],
        row["created_at"],
        row["render_state"],
        row["rendered_at"],
        row["render_error"],
    )


class DocumentRepository(TenantScoped):
    """One tenant's documents: their gap-free numbers, their bodies and their rendered copies."""

    def _where(self, document_id: int):
        return (Document.tenant_id == self.tenant_id) & (Document.id == document_id)

    async def add(
        self,
        *,
        case_id: int | None,
        kind: str,
        number: str,
        title: str,
        body: str,
        masked_body: str,
        created_by: str,
        created_at: datetime,
    ) -> DocumentInfo:
        row = Document(
            tenant_id=self.tenant_id,
            case_id=case_id,
            kind=kind,
            number=number,
            title=title,
            body=body,
            masked_body=masked_body if masked_body != body else "",
            created_by=created_by,
            created_at=created_at,
            render_state="pending",
        )
        await row.save()
        return DocumentInfo(row.id, case_id, kind, number, title, created_by, created_at, "pending", None, "")

    async def get(self, document_id: int) -> DocumentInfo | None:
        rows = await Document.select(*_META).where(self._where(document_id))
        return _info(rows[0]) if rows else None

    async def of_case(self, case_id: int) -> list[DocumentInfo]:
        rows = (
            await Document.select(*_META)
            .where((Document.tenant_id == self.tenant_id) & (Document.case_id == case_id))
            .order_by(Document.id)
        )
        return [_info(row) for row in rows]

    async def of_kind(self, kind: str) -> list[DocumentInfo]:
        """Documents of one kind about no case (circulars, handovers), newest first."""
        rows = (
            await Document.select(*_META)
            .where(
                (Document.tenant_id == self.tenant_id) & (Document.kind == kind) & Document.case_id.is_null()
            )
            .order_by(Document.id, ascending=False)
        )
        return [_info(row) for row in rows]

    async def source(self, document_id: int) -> RenderSource | None:
        rows = await Document.select(
            Document.id,
            Document.kind,
            Document.number,
            Document.title,
            Document.body,
            Document.masked_body,
            Document.render_state,
            Document.case_id,
        ).where(self._where(document_id))
        if not rows:
            return None
        r = rows[0]
        return RenderSource(
            r["id"],
            r["kind"],
            r["number"],
            r["title"],
            r["body"],
            r["masked_body"],
            r["render_state"],
            r["case_id"],
        )

    async def save_rendition(
        self,
        document_id: int,
        *,
        html: str,
        masked_html: str,
        pdf: bytes,
        masked_pdf: bytes,
        at: datetime,
        bundle: bytes | None = None,
    ) -> bool:
        """Store the rendered copies (and an archive bundle's zip) once; False when another worker won."""
        rows = (
            await Document.update(
                {
                    Document.html: html,
                    Document.masked_html: masked_html,
                    Document.pdf: pdf,
                    Document.masked_pdf: masked_pdf,
                    Document.bundle: bundle,
                    Document.rendered_at: at,
                    Document.render_state: "ready",
                    Document.render_error: "",
                }
            )
            .where(self._where(document_id) & (Document.render_state == "pending"))
            .returning(Document.id)
        )
        return bool(rows)

    async def render_failed(self, document_id: int, error: str, *, max_attempts: int) -> None:
        """Count a failed render; after `max_attempts` the document is marked failed for good."""
        rows = await Document.select(Document.render_attempts).where(self._where(document_id))
        if not rows:
            return
        attempts = rows[0]["render_attempts"] + 1
        await Document.update(
            {
                Document.render_attempts: attempts,
                Document.render_error: error[:500],
                Document.render_state: "failed" if attempts >= max_attempts else "pending",
            }
        ).where(self._where(document_id))

    async def rerender(self, document_id: int) -> None:
        """Put a failed document back in the queue (a fixed template, a fixed worker)."""
        await Document.update(
            {
                Document.render_state: "pending",
                Document.render_attempts: 0,
                Document.enqueued_at: None,
                Document.render_error: "",
            }
        ).where(self._where(document_id))

    async def bundle(self, document_id: int) -> bytes | None:
        """An archive bundle's zip (None for any other document, or before it is built)."""
        rows = await Document.select(Document.bundle).where(self._where(document_id))
        return bytes(rows[0]["bundle"]) if rows and rows[0]["bundle"] is not None else None

    async def content(self, document_id: int, copy: str, fmt: str) -> bytes | str | None:
        """The rendered `fmt` ("pdf" or "html") of `copy` ("unit" or "internal")."""
        if fmt == "pdf":
            columns = (Document.pdf, Document.masked_pdf)
        else:
            columns = (Document.html, Document.masked_html)
        rows = await Document.select(*columns, Document.masked_body).where(self._where(document_id))
        if not rows:
            return None
        row = rows[0]
        unit, internal = row[columns[0]._meta.name], row[columns[1]._meta.name]
        # A document naming nobody has one copy: the internal copy is the unit's.
        if copy == "internal" and row["masked_body"]:
            return internal
        return unit

    async def next_number(self, kind: str, year: int) -> int:
        """The next number of a document kind in a year (gap-free, like case serials)."""
        return (await self.next_numbers(kind, year, 1))[0]

    async def next_numbers(self, kind: str, year: int, count: int) -> range:
        """The next `count` numbers of a document kind in a year, gap-free, in one statement."""
        if count < 1:
            return range(0)
        rows = await CaseSerial.raw(
            "INSERT INTO document_serial (tenant_id, kind, year, last) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = document_serial.last + {} "
            "RETURNING last",
            self.tenant_id,
            kind,
            year,
            count,
            count,
        )
        last = rows[0]["last"]
        return range(last - count + 1, last + 1)

    async def add_many(self, documents: Sequence[NewDocument]) -> None:
        """Store several documents in one statement (the timer jobs' supervision notices)."""
        await insert_rows(
            Document,
            ("tenant_id", "case_id", "kind", "number", "title", "body", "created_by", "created_at"),
            [
                (self.tenant_id, d.case_id, d.kind, d.number, d.title, d.body, d.created_by, d.created_at)
                for d in documents
            ],
        )

    async def with_bodies(self, case_id: int) -> list[StoredDocument]:
        rows = (
            await Document.select()
            .where((Document.tenant_id == self.tenant_id) & (Document.case_id == case_id))
            .order_by(Document.id)
        )
        return [
            StoredDocument(
                r["id"], r["case_id"], r["kind"], r["number"], r["title"], r["body"], r["created_by"]
            )
            for r in rows
        ]
