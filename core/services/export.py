"""Case files: a case as it leaves the system, redacted for whoever receives it.

A case file holds the case's fields, timers, events, documents and the descriptions of its
attachments (never their bytes). How much of the complainant it shows depends on the recipient:

``unit``
    A handling unit — possibly the department the complaint is about. No identity at all, not
    even masked; attachments only counted; the reasons given for reading the identity, and the
    names and digests of attachments, are dropped from the events.
``supervisor``
    The identity masked (``mask_identity``).
``archive``
    The full record, with the identity masked; in clear only for a caller holding
    ``identity:reveal`` who gives a reason, which is read through `CaseService.reveal_identity`
    and so recorded like any other reading.

Free text (title, content, replies, event data, document bodies, file names) is scrubbed too:
wherever the complainant's own name, phone, address or ID number appears in it, it is withheld
for a unit and masked for the others, and a unit's and a supervisor's copy also mask any other
phone or ID number. Only an archive file read with a reason is verbatim.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.domain import sla
from core.domain.cases import Case, CaseKind
from core.domain.decisions import IntakeSchema
from core.domain.documents import ANONYMOUS
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.events import CaseEvent, EventName
from core.domain.masking import mask_identity
from core.domain.redaction import WITHHELD, Redactor
from core.domain.roles import Actor, Permission
from core.domain.visibility import unit_bound
from core.services.access import may_reveal, scoped_query
from core.services.cases import CaseService
from core.services.confidentiality import identities_of
from core.services.tenants import load_tenant
from core.store.case_search import CaseQuery, search_cases
from core.store.cases import CaseNotFound
from core.store.directory import TenantDirectory
from core.store.documents import DocumentRepository, StoredDocument
from core.store.tenant_store import TenantStore
from core.store.timers import StoredTimer
from core.store.tx import tenant_tx

__all__ = [
    "LIST_COLUMNS",
    "LIST_FORMATS",
    "RECIPIENTS",
    "WITHHELD",
    "CaseExport",
    "CaseList",
    "clear_identity",
    "scrubbed",
    "scrubber",
]

RECIPIENTS = ("unit", "supervisor", "archive")
"""Who a case file can be made for, from the least to the most it may show."""

_CHOICES = "unit（承办单位，不含投诉人身份）、supervisor（督查，身份脱敏）、archive（归档）"
# Event data a unit does not get: why someone read the identity, and which files were handed in.
_UNIT_DROPS = {
    EventName.IDENTITY_REVEALED: frozenset({"reason"}),
    EventName.ATTACHMENT_ADDED: frozenset({"filename", "sha256"}),
}

LIST_FORMATS = ("csv", "xlsx")
"""The case list's formats: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) and XLSX."""

LIST_COLUMNS = (
    "编号",
    "受理时间",
    "类型",
    "渠道",
    "分类",
    "标题",
    "状态",
    "承办单位",
    "承办人",
    "首办责任人",
    "办理时限",
    "是否超期",
    "满意度",
)
"""The columns every reader of a case list gets."""

IDENTITY_COLUMNS = (
    ("投诉人", ("name",)),
    ("联系电话", ("phone", "mobile", "tel")),
    ("证件号码", ("id_number",)),
)
"""Identity columns, only for roles that may read the complainant (masked unless a reveal is asked for)."""

NOT_SHOWN = "—"
"""An identity cell of a case whose plugin keeps its complainant from the reader's roles."""

LIST_PAGE = 200
"""Cases read per transaction while a list streams out (search_cases' largest page)."""


@dataclasses.dataclass(frozen=True, slots=True)
class CaseList:
    """A case list on its way out: the file's name and type, and its bytes as they are produced."""

    filename: str
    media_type: str
    chunks: AsyncIterator[bytes]
    identity: str  # "none" (no identity columns), "masked" or "clear" (each reading logged)


class CaseExport:
    """Case files for a recipient, through the case service (its permissions, its reveal log)."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    async def case_file(
        self,
        tenant_id: int,
        case_id: int,
        actor: Actor,
        recipient: str,
        *,
        reveal_reason: str | None = None,
    ) -> dict[str, Any]:
        """The case file for `recipient` ("unit", "supervisor" or "archive"), JSON-ready.

        With `reveal_reason` (archive only), the identity is read in clear and the reading is
        recorded with that reason; the file then includes the reveal's own event.

        Raises:
            InvalidCommand: an unknown recipient, or a reveal reason that is empty or not for an
                archive file.
            NotPermitted: the actor may not read cases, or gave a reason without holding
                ``identity:reveal``.
            CaseNotFound: no such case in this tenant.
        """
        if recipient not in RECIPIENTS:
            raise InvalidCommand(f"未知的案卷接收方“{recipient}”；可选：{_CHOICES}", field="recipient")
        if reveal_reason is not None:
            if recipient != "archive":
                raise InvalidCommand(
                    "只有归档案卷（recipient=archive）可以说明理由后载明投诉人身份原文", field="reveal_reason"
                )
            if len(reveal_reason.strip()) < 2:
                raise InvalidCommand("载明投诉人身份原文须说明理由", field="reveal_reason")
        async with tenant_tx(tenant_id):
            view = await self.cases.get(tenant_id, case_id, actor)  # CASE_READ; another tenant's: 404
            if reveal_reason is not None and not actor.can(Permission.IDENTITY_REVEAL):
                raise NotPermitted(
                    f"您的角色无权在案卷中载明投诉人身份（需要权限 {Permission.IDENTITY_REVEAL.value}）"
                )
            repo = TenantStore(tenant_id)
            clear = await clear_identity(self.cases, repo, tenant_id, case_id)
            revealed = clear is not None and reveal_reason is not None
            if revealed:
                # Through the service, so the reading is logged and becomes an event like any other.
                clear = await self.cases.identities.reveal(
                    tenant_id, case_id, actor, f"归档导出：{reveal_reason.strip()}"
                )
            if recipient != "unit" and not actor.can(Permission.CASE_MATERIALS):
                raise NotPermitted("您的角色只能导出交办单位版案卷（不含投诉材料和投诉人信息）")
            events = await self.cases.events(tenant_id, case_id, actor)
            if recipient == "unit":
                masked = None
                attachments = await repo.attachments.of_case(case_id)  # counted only, never listed
            else:
                masked = await self.cases.identities.masked(tenant_id, case_id, actor)
                attachments = await self.cases.attachments(tenant_id, case_id, actor)
            documents = await repo.documents.with_bodies(case_id)
            tenant = await load_tenant(tenant_id, self.cases.registry)
        case = view.case
        category_label = tenant.hooks.intake_schema(case.kind).label_of(case.category)
        body: dict[str, Any] = {
            "redaction": recipient,
            "exported_at": self.cases.clock.now().isoformat(),
            "exported_by": actor.username,
            "case": {
                "id": case.id,
                "serial": case.serial,
                "kind": case.kind.value,
                "channel": case.channel.value,
                "state": case.state.value,
                "state_label": case.state.label,
                "title": case.title,
                "content": case.content,
                "received_at": case.received_at.isoformat(),
                "severity": case.severity.value,
                "flags": sorted(flag.value for flag in case.flags),
                "complexity": case.complexity.value,
                "category": case.category,
                "category_label": category_label,
                "anonymous": case.anonymous,
                "unit_code": case.unit_code,
                "handler": case.handler,
                "cause": case.cause,
                "opinion": case.opinion,
                "reply_mode": case.reply_mode,
                "reply_content": case.reply_content,
                "satisfaction": case.satisfaction.value if case.satisfaction else None,
                "approvals": list(case.approvals),
                "extensions": case.extensions,
                "version": case.version,
                "fields": dict(case.fields),
            },
            "timers": [_timer(stored) for stored in view.timers],
            "events": [_event(seq, event, recipient) for seq, event in enumerate(events, start=1)],
            "documents": [_document(document) for document in documents],
            "attachments": {"count": len(attachments)},
        }
        if recipient != "unit":
            body["attachments"]["items"] = [
                {"filename": a.filename, "size": a.size, "sha256": a.sha256} for a in attachments
            ]
        if not revealed:
            body = scrubbed(body, scrubber(clear, recipient))
        if recipient != "unit":
            if clear is None:
                disclosure, values = "none", {}
            elif revealed:
                disclosure, values = "clear", dict(clear)
            else:
                disclosure, values = "masked", dict(masked.masked)
            body["identity"] = {
                "anonymous": case.anonymous,
                "disclosure": disclosure,
                "values": values,
                "related_cases": list(masked.related),
            }
        return body

    async def case_list(
        self,
        tenant_id: int,
        actor: Actor,
        query: CaseQuery,
        fmt: str,
        *,
        reveal_reason: str | None = None,
        page_size: int = LIST_PAGE,
    ) -> CaseList:
        """The cases matching `query` as a CSV or XLSX file, redacted for `actor`.

        The filters are the case list's (`CaseQuery`, without its cursor and limit: every match
        is exported, `page_size` cases per transaction, so a large tenant never sits in memory).
        A handling unit's member gets only their unit's cases and no identity columns. Roles
        holding ``identity:reveal`` get the complainant's name, phone and ID number masked, on
        each case whose plugin lets one of their roles read it (`may_reveal`); with
        `reveal_reason` the values are in clear and every reading is recorded like a reveal on
        the case page. Free text (the title) is scrubbed of the complainant unless revealed.

        The first page is read before this returns, so a bad filter, format or permission is
        raised here and not half-way through a download.

        Raises:
            InvalidCommand: an unknown format, a bad filter, or an empty reveal reason.
            NotPermitted: the actor may not read cases, or gave a reason without
                ``identity:reveal`` (or belongs to a handling unit).
        """
        if fmt not in LIST_FORMATS:
            raise InvalidCommand("导出格式只能是 csv 或 xlsx", field="format")
        if not actor.can(Permission.CASE_READ):
            raise NotPermitted(f"您的角色无权导出案件（需要权限 {Permission.CASE_READ.value}）")
        bound = unit_bound(actor)
        shows_identity = actor.can(Permission.IDENTITY_REVEAL) and not bound
        if reveal_reason is not None:
            if not shows_identity:
                raise NotPermitted(
                    f"您的角色无权在导出中载明投诉人身份（需要权限 {Permission.IDENTITY_REVEAL.value}）"
                )
            if len(reveal_reason.strip()) < 2:
                raise InvalidCommand("载明投诉人身份原文须说明理由", field="reveal_reason")
        query = dataclasses.replace(scoped_query(actor, query), cursor=None, limit=page_size)
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.cases.registry)
            units = {unit.code: unit.name for unit in await TenantDirectory(tenant_id).units()}
            first = await search_cases(tenant_id, query)
        now = self.cases.clock.now()
        zone = ZoneInfo(tenant.record.timezone)
        header = [*LIST_COLUMNS, *(label for label, _ in IDENTITY_COLUMNS if shows_identity)]
        reason = f"导出案件清单：{reveal_reason.strip()}" if reveal_reason is not None else None
        schemas: dict[CaseKind, IntakeSchema] = {}

        async def rows() -> AsyncIterator[list[str]]:
            page = first
            while True:
                async with tenant_tx(tenant_id):
                    repo = TenantStore(tenant_id)
                    timers = await repo.timers.of_cases([case.id for case in page.cases])
                    identities = await identities_of(self.cases.vault, repo, tenant_id, page.cases)
                for case in page.cases:
                    clear = identities.get(case.id)
                    readable = shows_identity and may_reveal(actor, tenant.hooks.identity_access(case, actor))
                    revealed = None
                    if readable and reason is not None and clear is not None:
                        try:  # through the service: the rule again, the reveal log, the event
                            revealed = await self.cases.identities.reveal(tenant_id, case.id, actor, reason)
                        except CaseNotFound:  # the identity was purged meanwhile (retention)
                            clear = None
                    category = schemas.setdefault(case.kind, tenant.hooks.intake_schema(case.kind))
                    line = _list_row(case, timers.get(case.id, ()), units, zone, now, category.label_of)
                    line[LIST_COLUMNS.index("标题")] = (
                        case.title
                        if revealed
                        else scrubber(clear, "unit" if bound else "supervisor")(case.title)
                    )
                    if shows_identity:
                        line += _identity_cells(case, clear, revealed, readable)
                    yield line
                if page.next_cursor is None:
                    return
                async with tenant_tx(tenant_id):
                    page = await search_cases(tenant_id, dataclasses.replace(query, cursor=page.next_cursor))

        stamp = now.astimezone(zone).strftime("%Y%m%d-%H%M")
        identity = "none" if not shows_identity else ("clear" if reason else "masked")
        if fmt == "csv":
            chunks = _csv_chunks(header, rows())
            media = "text/csv"  # the response adds "; charset=utf-8"
        else:
            chunks = _xlsx_chunks(header, rows(), title=f"案件清单 {stamp}")
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return CaseList(f"案件清单-{stamp}.{fmt}", media, chunks, identity)

    async def documents(self, tenant_id: int, case_id: int, actor: Actor) -> list[StoredDocument]:
        """The documents issued on the case (supervision notices …), oldest first.

        Raises:
            NotPermitted: the actor may not read cases.
            CaseNotFound: no such case in this tenant.
        """
        async with tenant_tx(tenant_id):
            await self.cases.get(tenant_id, case_id, actor)
            return await DocumentRepository(tenant_id).with_bodies(case_id)


async def clear_identity(
    cases: CaseService, repo: TenantStore, tenant_id: int, case_id: int
) -> dict[str, Any] | None:
    """The identity in clear, to scrub it out of free text (shown to nobody, so not a reveal)."""
    sealed = await repo.identities.of_case(case_id)
    stored = await repo.keys.current()
    if sealed is None or stored is None:
        return None
    _, wrapped, nonce, master_key_id = stored
    vault = cases.vault
    return vault.open(vault.unwrap(wrapped, nonce, master_key_id), tenant_id, case_id, sealed)


def _list_row(
    case: Case,
    timers: Any,
    units: Mapping[str, str],
    zone: ZoneInfo,
    now: datetime,
    label_of: Callable[[str], str],
) -> list[str]:
    def local(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    late = [stored.label for stored in timers if sla.is_overdue(stored.timer, now)]
    deadlines = "；".join(
        f"{stored.label} {local(stored.timer.due_at)}"
        + ("" if stored.timer.state is sla.TimerState.RUNNING else f"（{stored.timer.state.label}）")
        for stored in timers
    )
    unit = units.get(case.unit_code or "", case.unit_code or "")
    return [
        case.serial,
        local(case.received_at),
        case.kind.label,
        case.channel.label,
        label_of(case.category),  # a choice by its label, as people know it
        case.title,
        case.state.label,
        unit,
        case.handler or "",
        case.owner,
        deadlines,
        f"是（{'、'.join(late)}）" if late else "否",
        case.satisfaction.label if case.satisfaction else "",
    ]


def _identity_cells(
    case: Case, clear: Mapping[str, Any] | None, revealed: Mapping[str, Any] | None, readable: bool
) -> list[str]:
    if case.anonymous:
        return [ANONYMOUS] * len(IDENTITY_COLUMNS)
    if not readable:
        return [NOT_SHOWN] * len(IDENTITY_COLUMNS)
    values = dict(revealed) if revealed is not None else mask_identity(clear or {})
    return [next((str(values[key]) for key in keys if values.get(key)), "") for _, keys in IDENTITY_COLUMNS]


# A cell a spreadsheet would read as a formula is prefixed with an apostrophe (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


async def _csv_chunks(header: list[str], rows: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    async for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(cell) for cell in row])
        yield buffer.getvalue().encode()


async def _xlsx_chunks(
    header: list[str], rows: AsyncIterator[list[str]], *, title: str
) -> AsyncIterator[bytes]:
    from openpyxl import Workbook

    # Write-only: each row goes to a temporary file as it comes, not into a sheet in memory.
    book = Workbook(write_only=True)
    sheet = book.create_sheet("案件清单")
    sheet.append([title])
    sheet.append(header)
    async for row in rows:
        sheet.append([_cell(cell) for cell in row])
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(256 * 1024):
            yield chunk


def _timer(stored: StoredTimer) -> dict[str, Any]:
    timer = stored.timer
    return {
        "kind": timer.kind,
        "label": stored.label,
        "basis": timer.basis,
        "period": str(timer.period),
        "state": timer.state.value,
        "started_at": timer.started_at.isoformat(),
        "due_at": timer.due_at.isoformat(),
        "warn_at": timer.warn_at.isoformat(),
        "stopped_at": timer.stopped_at.isoformat() if timer.stopped_at else None,
        "provisional": timer.provisional,
        "paused_seconds": timer.paused_seconds,
        "extended": timer.extended,
    }


def _event(seq: int, event: CaseEvent, recipient: str) -> dict[str, Any]:
    drops = _UNIT_DROPS.get(event.name, frozenset()) if recipient == "unit" else frozenset()
    return {
        "seq": seq,
        "name": event.name,
        "action": event.action,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "from_state": event.from_state.value if event.from_state else None,
        "to_state": event.to_state.value,
        "data": {key: value for key, value in event.data.items() if key not in drops},
    }


def _document(document: StoredDocument) -> dict[str, Any]:
    return {"kind": document.kind, "number": document.number, "title": document.title, "body": document.body}


def scrubber(identity: Mapping[str, Any] | None, recipient: str) -> Callable[[str], str]:
    """The redaction rule (`core.domain.redaction`) for what `recipient` may see of the person.

    A unit sees nothing of them; a supervisor their details masked, and every number or address
    that is identity on its face masked too; the archive keeps the text as written but for the
    complainant's own details, masked.
    """
    return Redactor(identity or {}, withheld=recipient == "unit", on_its_face=recipient != "archive")


def scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {
            scrub(key) if isinstance(key, str) else key: scrubbed(item, scrub) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrubbed(item, scrub) for item in value]
    return value
