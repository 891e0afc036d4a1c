"""Documents: issue a numbered form or reply on a case, render it in a worker, hand out a copy.

Issuing (`DocumentService.issue`) is cheap and happens in the request: the template (the
core's, or the plugin's with the same key) is filled from the case and its events, a number is
drawn gap-free per tenant, kind and year, the two copies are stored (the handling unit's with no
identity at all, the internal one with the identity masked), and an event is written on the case.
The row is left ``pending``. Rendering (`DocumentJobs.render`) turns both copies into HTML and
PDF; the scheduler claims pending rows (`core.store.jobs.claim_due_renders`) and hands them to
a dramatiq actor, or, in the embedded mode, calls the job in-process. A request never renders.

Which copy a reader gets follows the confidentiality rules: a role holding ``case:materials``
reads the internal copy (masked), anyone else — a handling unit, possibly the body complained
about — the unit's copy. The clear identity is never stored in a document.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from core.domain.cases import Case
from core.domain.decisions import DocumentTemplate
from core.domain.documents import (
    CASE_FREE_TEMPLATES,
    HANDOVER_PLACEHOLDERS,
    FilledDocument,
    case_facts,
    document_number,
    fill,
    fill_document,
    identity_values,
    resolve_templates,
)
from core.domain.errors import (
    DocumentNotFound,
    DocumentNotReady,
    InvalidCommand,
    NotPermitted,
    RuleViolation,
)
from core.domain.events import CaseEvent, EventName
from core.domain.layout import layout, to_html
from core.domain.roles import Actor, Permission
from core.domain.sla import TimerState
from core.plugins import PluginRegistry
from core.services.archive import ARCHIVE_KIND, build_bundle
from core.services.cases import CaseService, CaseView
from core.services.clock import Clock
from core.services.export import clear_identity, scrubber
from core.services.tenants import LoadedTenant, load_tenant
from core.store.documents import COPIES, DocumentInfo, DocumentRepository, RenderSource
from core.store.duty import DutyRepository
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantRecord, TenantRepository
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "RENDERERS",
    "DocumentJobs",
    "DocumentPreview",
    "DocumentService",
    "Download",
    "may_issue",
]

log = logging.getLogger("huiying.documents")

MAX_RENDER_ATTEMPTS = 3

Renderer = Callable[[int, TenantRecord, RenderSource, datetime], Awaitable[bool]]

RENDERERS: Mapping[str, Renderer] = MappingProxyType({ARCHIVE_KIND: build_bundle})
"""Kinds of document not rendered from their text: their renderer stores what it made and says
whether there was anything to do. Every other kind is laid out as a text document."""


PREVIEW_NUMBER = "（出具时编号）"


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentPreview:
    """A document not yet issued: its text as the reader's copy, and its blank sections."""

    key: str
    title: str
    text: str
    blank: tuple[str, ...]


# A document is shown inline only as HTML, which runs no script and loads nothing (the worker's
# rendering); a PDF is a file to save.
_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclasses.dataclass(frozen=True, slots=True)
class Download:
    """A rendered copy ready to send."""

    filename: str
    media_type: str
    content: bytes
    copy: str

    def headers(self) -> dict[str, str]:
        """How any entry point hands it out: never cached or sniffed, HTML inline under a CSP."""
        html = self.media_type.startswith("text/html")
        disposition = "inline" if html else "attachment"
        headers = {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(self.filename)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Document-Copy": self.copy,
        }
        if html:
            headers["Content-Security-Policy"] = _HTML_CSP
        return headers


def _copy_for(actor: Actor, requested: str | None) -> str:
    """The copy `actor` reads: internal (masked) for case-materials roles, else the unit's."""
    if requested is not None and requested not in COPIES:
        raise InvalidCommand("copy 只能是 unit（承办单位版）或 internal（内部版，身份脱敏）", field="copy")
    allowed_internal = actor.can(Permission.CASE_MATERIALS)
    if requested == "internal" and not allowed_internal:
        raise NotPermitted("您的角色只能取得承办单位版文书（不含投诉人信息）")
    return requested or ("internal" if allowed_internal else "unit")


def may_issue(actor: Actor, case: Case) -> bool:
    """Whether `actor` may issue documents on `case`: ``case:materials`` roles, or the case's own unit."""
    if actor.can(Permission.CASE_MATERIALS):
        return True
    return actor.unit_code is not None and actor.unit_code == case.unit_code


class DocumentService:
    """Issuing, listing and handing out documents, through the case service's permissions."""

    def __init__(self, registry: PluginRegistry, cases: CaseService) -> None:
        self.registry = registry
        self.cases = cases
        self.clock = cases.clock  # one clock for the case and its documents

    # --- templates ------------------------------------------------------------------------------

    @staticmethod
    def _templates(
        tenant: LoadedTenant, case: Case | None, events: Sequence[CaseEvent] = ()
    ) -> dict[str, DocumentTemplate]:
        resolved = resolve_templates(tenant.hooks.register_document_templates())
        if case is None:
            return {k: t for k, t in resolved.items() if k in CASE_FREE_TEMPLATES}
        happened = {event.name for event in events}
        return {
            k: t for k, t in resolved.items() if k not in CASE_FREE_TEMPLATES and t.applies_to(case, happened)
        }

    async def templates(self, tenant_id: int, case_id: int, actor: Actor) -> list[DocumentTemplate]:
        """The templates that apply to the case (plugin templates replace the core's by key)."""
        async with tenant_tx(tenant_id):
            view = await self.cases.get(tenant_id, case_id, actor)
            tenant = await load_tenant(tenant_id, self.registry)
            events = await TenantStore(tenant_id).events.of_case(case_id)
            return list(self._templates(tenant, view.case, events).values())

    # --- issuing --------------------------------------------------------------------------------

    async def issue(self, tenant_id: int, case_id: int, key: str, actor: Actor) -> DocumentInfo:
        """Issue document `key` on the case: numbered, stored in both copies, rendered later.

        Raises:
            NotPermitted: the actor may not read the case, or is a unit's member and the case is
                not its unit's.
            InvalidCommand: no template `key` applies to the case.
            CaseNotFound: no such case in this tenant.
        """
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant, view, template = await self._template(tenant_id, case_id, key, actor)
            case = view.case
            repo = TenantStore(tenant_id)
            year = now.astimezone(ZoneInfo(tenant.record.timezone)).year
            number = document_number(key, template.title, year, await repo.documents.next_number(key, year))
            filled = await self._fill(tenant, view, template, number, now)
            bodies = {copy: document.text for copy, document in filled.items()}
            info = await DocumentRepository(tenant_id).add(
                case_id=case_id,
                kind=key,
                number=number,
                title=template.title,
                body=bodies["unit"],
                masked_body=bodies["internal"],
                created_by=actor.username,
                created_at=now,
            )
            await repo.events.append(
                case_id,
                CaseEvent(
                    name=EventName.DOCUMENT_ISSUED,
                    at=now,
                    actor=actor.username,
                    from_state=case.state,
                    to_state=case.state,
                    data=MappingProxyType({"kind": key, "number": number, "title": template.title}),
                ),
            )
            return info

    async def preview(self, tenant_id: int, case_id: int, key: str, actor: Actor) -> DocumentPreview:
        """Document `key` as it would be issued now, unnumbered, with the sections that would be blank.

        Nothing is stored: staff check a form before they issue it. Raises as `issue` does.
        """
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant, view, template = await self._template(tenant_id, case_id, key, actor)
            filled = await self._fill(tenant, view, template, PREVIEW_NUMBER, now)
        document = filled[_copy_for(actor, None)]
        return DocumentPreview(key, template.title, document.text, document.blank)

    async def _template(
        self, tenant_id: int, case_id: int, key: str, actor: Actor
    ) -> tuple[LoadedTenant, CaseView, DocumentTemplate]:
        view = await self.cases.get(tenant_id, case_id, actor)  # CASE_READ; another tenant's: 404
        if not may_issue(actor, view.case):
            raise NotPermitted("只有本案承办单位或受理、督查人员可以出具本案文书")
        tenant = await load_tenant(tenant_id, self.registry)
        templates = self._templates(tenant, view.case, await TenantStore(tenant_id).events.of_case(case_id))
        template = templates.get(key)
        if template is None:
            names = "、".join(f"{k}（{t.title}）" for k, t in templates.items())
            raise InvalidCommand(f"本案没有文书模板“{key}”；可用：{names}", field="key")
        return tenant, view, template

    async def _fill(
        self,
        tenant: LoadedTenant,
        view: CaseView,
        template: DocumentTemplate,
        number: str,
        now: datetime,
    ) -> dict[str, FilledDocument]:
        """Both copies of `template` on the case: ``unit`` (no identity) and ``internal`` (masked)."""
        case, tenant_id = view.case, tenant.record.id
        repo = TenantStore(tenant_id)
        events = await repo.events.of_case(case.id)
        # The deadline printed: the handling one still running, else any running; once handling
        # is over (a closing decision), the one it ran against.
        timers = [t.timer for t in view.timers]
        open_timers = [
            t for t in timers if t.state in (TimerState.RUNNING, TimerState.PAUSED, TimerState.BREACHED)
        ]
        handling = (
            [t for t in open_timers if t.kind == "handling"]
            or open_timers
            or [t for t in timers if t.kind == "handling"][-1:]
            or timers[-1:]
        )
        facts = case_facts(
            case,
            events,
            tenant.hooks.ctx.for_kind(case.kind),
            number=number,
            issued_at=now,
            reply_sections=tenant.hooks.reply_requirements(case).sections,
            deadline=min((t.due_at for t in handling), default=None),
        )
        clear = await clear_identity(self.cases, repo, tenant_id, case.id)
        schema = tenant.hooks.intake_schema(case.kind)
        filled = {}
        for copy, shown, recipient in (("unit", "withheld", "unit"), ("internal", "masked", "supervisor")):
            identity = identity_values(clear, anonymous=case.anonymous, shown=shown)
            document = fill_document(template, case, tenant.ctx, facts, identity, schema=schema)
            filled[copy] = dataclasses.replace(document, text=scrubber(clear, recipient)(document.text))
        return filled

    async def issue_handover(self, tenant_id: int, handover_id: int, actor: Actor) -> DocumentInfo:
        """Issue the printable 交接班记录 of a handover (duty staff and supervisors only).

        Raises:
            NotPermitted: the actor may not read duty logs.
            DocumentNotFound: no such handover in this tenant.
        """
        if not actor.can(Permission.DUTY_LOG_READ):
            raise NotPermitted("值班记录保密：只有值班人员和督查员可以出具交接班记录")
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            duty = DutyRepository(tenant_id)
            handover = next(
                (h for h in await duty.handovers(None, limit=10_000) if h.id == handover_id), None
            )
            if handover is None:
                raise DocumentNotFound(handover_id)
            shift = await duty.shift(handover.shift_id)
            template = self._templates(tenant, None)["handover_record"]
            zone = ZoneInfo(tenant.record.timezone)
            year = now.astimezone(zone).year
            repo = TenantStore(tenant_id)
            n = await repo.documents.next_number("handover_record", year)
            number = document_number("handover_record", template.title, year, n)

            def local(at: datetime) -> str:
                return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

            values = {
                "tenant": tenant.record.name,
                "number": number,
                "shift": f"{local(shift.starts_at)} 至 {local(shift.ends_at)}（值班领导 {shift.leader}）",
                "written_by": handover.written_by,
                "written_at": local(handover.at),
                "cases_received": "、".join(handover.cases_received) or "无",
                "pending": "；".join(handover.pending) or "无",
                "documents": "、".join(handover.documents) or "无",
                "equipment": handover.equipment,
                "notes": handover.notes,
            }
            body = fill(template.body, values, HANDOVER_PLACEHOLDERS)
            return await DocumentRepository(tenant_id).add(
                case_id=None,
                kind="handover_record",
                number=number,
                title=template.title,
                body=body,
                masked_body="",
                created_by=actor.username,
                created_at=now,
            )

    # --- reading --------------------------------------------------------------------------------

    async def of_case(self, tenant_id: int, case_id: int, actor: Actor) -> list[DocumentInfo]:
        """The case's documents, oldest first (supervision notices included)."""
        async with tenant_tx(tenant_id):
            await self.cases.get(tenant_id, case_id, actor)
            return await DocumentRepository(tenant_id).of_case(case_id)

    async def get(self, tenant_id: int, document_id: int, actor: Actor) -> DocumentInfo:
        """One document's number, title and render state.

        Raises:
            DocumentNotFound: no such document, or one about no case the actor may not read.
        """
        async with tenant_tx(tenant_id):
            info = await DocumentRepository(tenant_id).get(document_id)
            if info is None:
                raise DocumentNotFound(document_id)
            await self._check_reader(tenant_id, info, actor)
            return info

    async def _check_reader(self, tenant_id: int, info: DocumentInfo, actor: Actor) -> None:
        if info.case_id is not None:
            await self.cases.get(tenant_id, info.case_id, actor)  # CASE_READ, the case exists
        elif info.kind == "handover_record":
            if not actor.can(Permission.DUTY_LOG_READ):
                raise DocumentNotFound(info.id)  # a confidential record: not even its existence
        elif not (actor.can(Permission.CASE_SUPERVISE) or actor.can(Permission.AUDIT_READ)):
            raise NotPermitted("只有督查员、审计员和领导可以查看通报")

    async def rerender(self, tenant_id: int, document_id: int, actor: Actor) -> DocumentInfo:
        """Put a document whose rendering failed back in the queue (after a fixed template or worker).

        Who may: whoever may issue it — on a case, a role holding ``case:materials`` or the case's
        own unit (an archive bundle: ``case:materials`` only); a handover record, duty staff; a
        circular, supervisors.

        Raises:
            DocumentNotFound: no such document (for this reader).
            NotPermitted: the actor may read the document but not have it rendered again.
            RuleViolation: the document did not fail (it is pending or ready).
        """
        async with tenant_tx(tenant_id):
            store = DocumentRepository(tenant_id)
            info = await store.get(document_id)
            if info is None:
                raise DocumentNotFound(document_id)
            await self._check_reader(tenant_id, info, actor)
            if info.case_id is not None:
                case = (await self.cases.get(tenant_id, info.case_id, actor)).case
                materials = actor.can(Permission.CASE_MATERIALS)
                own_unit = info.kind != ARCHIVE_KIND and actor.unit_code is not None
                if not materials and not (own_unit and actor.unit_code == case.unit_code):
                    raise NotPermitted("只有本案承办单位或受理、督查人员可以重新生成本案文书")
            elif info.kind != "handover_record" and not actor.can(Permission.CASE_SUPERVISE):
                raise NotPermitted("只有督查员和领导可以重新生成通报")
            if info.render_state != "failed":
                raise RuleViolation(f"文书 {info.number} 未生成失败（{info.render_state}），无需重新生成")
            await store.rerender(document_id)
            log.info("document %s/%s queued again by %s", tenant_id, document_id, actor.username)
            return dataclasses.replace(info, render_state="pending", render_error="")

    async def download(
        self, tenant_id: int, document_id: int, actor: Actor, fmt: str, copy: str | None = None
    ) -> Download:
        """A rendered copy: ``pdf`` or ``html``, the copy the actor may read.

        Raises:
            InvalidCommand: an unknown format or copy.
            NotPermitted: the internal copy asked for by a role that may not read it.
            DocumentNotFound: no such document (for this reader).
            DocumentNotReady: not rendered yet (try again shortly), or rendering failed.
        """
        if fmt not in ("pdf", "html"):
            raise InvalidCommand("格式只能是 pdf 或 html", field="format")
        chosen = _copy_for(actor, copy)
        async with tenant_tx(tenant_id):
            store = DocumentRepository(tenant_id)
            info = await store.get(document_id)
            if info is None:
                raise DocumentNotFound(document_id)
            await self._check_reader(tenant_id, info, actor)
            if info.render_state != "ready":
                if info.render_state == "failed":
                    raise DocumentNotReady(f"文书 {info.number} 生成失败：{info.render_error}")
                raise DocumentNotReady(f"文书 {info.number} 正在生成，请稍后再试")
            content = await store.content(document_id, chosen, fmt)
        data = content.encode() if isinstance(content, str) else bytes(content or b"")
        media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
        return Download(f"{info.number or info.kind}.{fmt}", media, data, chosen)


class DocumentJobs:
    """The render job: what the dramatiq actor and the embedded scheduler call with ids."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def render(self, tenant_id: int, document_id: int) -> bool:
        """Render a pending document's copies to HTML and PDF; False when there was nothing to do.

        Idempotent: a rendered document is left alone, and of two workers racing only the first
        stores its result. The render itself runs outside any transaction (milliseconds of CPU
        should not hold a connection).
        """
        from core.services.rendering import render_pdf

        async with platform_tx():
            record = await TenantRepository().get(tenant_id)
        async with tenant_tx(tenant_id):
            source = await DocumentRepository(tenant_id).source(document_id)
        if source is None or source.render_state != "pending":
            return False
        try:
            special = RENDERERS.get(source.kind)
            if special is not None:
                return await special(tenant_id, record, source, self.clock.now())
            copies: dict[str, tuple[str, bytes]] = {}
            for copy, body in (("unit", source.body), ("internal", source.masked_body)):
                if not body:
                    copies[copy] = ("", b"")
                    continue
                blocks = layout(body, skip=(source.title, record.name))
                head: Mapping[str, Any] = {
                    "tenant": record.name,
                    "title": source.title,
                    "number": source.number,
                }
                copies[copy] = (to_html(**head, blocks=blocks), render_pdf(**head, blocks=blocks))
        except Exception as exc:  # a template the renderer cannot lay out: recorded, retried, then failed
            log.exception("rendering document %s/%s failed", tenant_id, document_id)
            async with tenant_tx(tenant_id):
                await DocumentRepository(tenant_id).render_failed(
                    document_id, f"{type(exc).__name__}: {exc}", max_attempts=MAX_RENDER_ATTEMPTS
                )
            return False
        async with tenant_tx(tenant_id):
            return await DocumentRepository(tenant_id).save_rendition(
                document_id,
                html=copies["unit"][0],
                masked_html=copies["internal"][0],
                pdf=copies["unit"][1],
                masked_pdf=copies["internal"][1],
                at=self.clock.now(),
            )
