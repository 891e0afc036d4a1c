"""Archive bundles 归档: a closed case's record in one zip, built in a worker, checkable on its own.

A bundle is a document of kind ``archive_bundle`` (numbered ``归档-<year>-<nnnn>``): asking for one
(`ArchiveService.request`) stores the case file summary — the unit's copy with no identity, the
internal one masked, like every document — and leaves the row ``pending``. The render job
(`DocumentJobs.render`, claimed by the scheduler like any document) hands it to `build_bundle`,
which writes the zip:

``case-file.pdf``
    The case file summary (internal copy), rendered by `core.services.rendering`.
``documents/<number>.pdf``
    Every other document stored on the case, internal copy.
``events.jsonl``
    The case's events in chain order: id, the record the hash covers, ``prev_hash``, ``hash``.
    Free text naming the complainant is masked; such an event is marked ``redacted`` (its hash
    is then checked against the database by ``huiying audit verify``, not from the bundle).
``chain.jsonl``
    Every link of the tenant's chain from the case's first event to its last (id, prev_hash,
    hash; other cases' events carry nothing else), so the case's events can be shown unbroken.
``manifest.json``
    SHA-256 and size of every other file, the case, the chain's ends and the tenant's chain head
    when the bundle was built.

`verify_bundle` re-checks a bundle from its bytes alone. The zip is for roles holding
``case:materials`` (the identity masked); the clear identity is never stored in a bundle.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.audit import GENESIS, event_hash
from core.domain.cases import Case, CaseState
from core.domain.documents import ANONYMOUS, WITHHELD, document_number
from core.domain.errors import DocumentNotFound, DocumentNotReady, NotPermitted, RuleViolation
from core.domain.events import CaseEvent, EventName, event_label
from core.domain.layout import layout, to_html
from core.domain.masking import mask_identity
from core.domain.roles import Actor, Permission
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.export import clear_identity, scrubbed, scrubber
from core.services.tenants import load_tenant
from core.services.vault import default_vault
from core.store.attachments import StoredAttachment
from core.store.documents import DocumentInfo, DocumentRepository, RenderSource
from core.store.events import case_chain, chain_head, chain_links
from core.store.tenant_store import TenantStore
from core.store.tenants import TenantRecord
from core.store.timers import StoredTimer
from core.store.tx import tenant_tx

__all__ = [
    "ARCHIVABLE",
    "ARCHIVE_KIND",
    "BUNDLE_FORMAT",
    "ArchiveService",
    "BundleCheck",
    "build_bundle",
    "case_file_text",
    "verify_bundle",
]

ARCHIVE_KIND = "archive_bundle"
"""The document kind of an archive bundle."""

ARCHIVE_TITLE = "归档案卷"
BUNDLE_FORMAT = "huiying-archive/1"
ARCHIVABLE = (CaseState.CLOSED, CaseState.ARCHIVED)
"""A bundle is made of a case whose handling has ended."""

_LINK_PAGE = 5000  # chain links read per query while the zip is written


class ArchiveService:
    """Asking for an archive bundle of a case; building it is the worker's (`build_bundle`)."""

    def __init__(self, registry: PluginRegistry, cases: CaseService) -> None:
        self.registry = registry
        self.cases = cases
        self.clock = cases.clock  # one clock for the case and its documents

    async def request(self, tenant_id: int, case_id: int, actor: Actor) -> DocumentInfo:
        """Number and store the bundle's case file; a worker builds the zip. Returns it ``pending``.

        Raises:
            NotPermitted: the actor does not hold ``case:materials``.
            RuleViolation: the case is not closed or archived yet.
            CaseNotFound: no such case in this tenant.
        """
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            view = await self.cases.get(tenant_id, case_id, actor)  # CASE_READ; another tenant's: 404
            if not actor.can(Permission.CASE_MATERIALS):
                raise NotPermitted(
                    f"只有受理、督查和审计人员可以生成归档案卷（需要权限 {Permission.CASE_MATERIALS.value}）"
                )
            case = view.case
            if case.state not in ARCHIVABLE:
                raise RuleViolation(
                    f"{case.serial} 尚未办结（{case.state.label}），办结或归档后方可生成归档案卷"
                )
            tenant = await load_tenant(tenant_id, self.registry)
            repo = TenantStore(tenant_id)
            year = now.astimezone(ZoneInfo(tenant.record.timezone)).year
            number = document_number(
                ARCHIVE_KIND, "归档", year, await repo.documents.next_number(ARCHIVE_KIND, year)
            )
            events = await repo.events.of_case(case_id)
            documents = [
                d for d in await DocumentRepository(tenant_id).of_case(case_id) if d.kind != ARCHIVE_KIND
            ]
            attachments = await repo.attachments.of_case(case_id)
            clear = await clear_identity(self.cases, repo, tenant_id, case_id)
            units = {unit.code: unit.name for unit in tenant.ctx.units}
            bodies = {
                copy: case_file_text(
                    case,
                    view.timers,
                    events,
                    documents,
                    attachments,
                    clear,
                    copy=copy,
                    zone=tenant.record.timezone,
                    units=units,
                    number=number,
                    issued_at=now,
                )
                for copy in ("unit", "internal")
            }
            info = await DocumentRepository(tenant_id).add(
                case_id=case_id,
                kind=ARCHIVE_KIND,
                number=number,
                title=ARCHIVE_TITLE,
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
                    data=MappingProxyType({"kind": ARCHIVE_KIND, "number": number, "title": ARCHIVE_TITLE}),
                ),
            )
            return info

    async def download(self, tenant_id: int, document_id: int, actor: Actor) -> tuple[str, bytes]:
        """The bundle's file name and zip, for a role holding ``case:materials``.

        Raises:
            NotPermitted: the actor does not hold ``case:materials``.
            DocumentNotFound: no such bundle (or the case is not the actor's to read).
            DocumentNotReady: the worker has not built it yet, or building it failed.
        """
        async with tenant_tx(tenant_id):
            store = DocumentRepository(tenant_id)
            info = await store.get(document_id)
            if info is None or info.kind != ARCHIVE_KIND or info.case_id is None:
                raise DocumentNotFound(document_id)
            await self.cases.get(tenant_id, info.case_id, actor)
            if not actor.can(Permission.CASE_MATERIALS):
                raise NotPermitted("只有受理、督查和审计人员可以下载归档案卷")
            if info.render_state != "ready":
                if info.render_state == "failed":
                    raise DocumentNotReady(f"归档案卷 {info.number} 生成失败：{info.render_error}")
                raise DocumentNotReady(f"归档案卷 {info.number} 正在生成，请稍后再试")
            data = await store.bundle(document_id)
        return f"{info.number}.zip", data or b""


# --- the case file summary ----------------------------------------------------------------------


def _flat(text: str) -> str:
    # A tab would start a table and a blank line a new block: free text stays one paragraph.
    return " ".join(str(text).replace("\t", " ").split()) or "无"


def case_file_text(
    case: Case,
    timers: Sequence[StoredTimer],
    events: Sequence[CaseEvent],
    documents: Sequence[DocumentInfo],
    attachments: Sequence[StoredAttachment],
    identity: Mapping[str, Any] | None,
    *,
    copy: str,
    zone: str,
    units: Mapping[str, str],
    number: str,
    issued_at: datetime,
) -> str:
    """The case file 案卷 as a document body (``layout`` conventions), for the `copy` it is.

    ``unit``: nothing of the complainant, attachments counted only; ``internal``: the identity
    masked. Free text naming the complainant is scrubbed for either.
    """
    tz = ZoneInfo(zone)

    def local(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""

    lines = [
        f"案件编号：{case.serial}　归档编号：{number}",
        f"受理时间：{local(case.received_at)}　生成时间：{local(issued_at)}",
        f"类型：{case.kind.label}　渠道：{case.channel.label}",
        f"状态：{case.state.label}　分类：{case.category or '无'}",
        f"标题：{_flat(case.title)}",
        "一、投诉举报内容",
        _flat(case.content),
        "二、投诉人",
    ]
    if case.anonymous or not identity:
        lines.append(f"姓名：{ANONYMOUS if case.anonymous else '无'}")
    elif copy == "unit":
        lines.append(f"姓名：{WITHHELD}　联系电话：{WITHHELD}")
    else:
        masked = mask_identity(identity)
        phone = next((masked[k] for k in ("phone", "mobile", "tel") if masked.get(k)), "")
        lines.append(f"姓名：{masked.get('name') or '无'}　联系电话：{phone or '无'}")
        if masked.get("address"):
            lines.append(f"地址：{masked['address']}")
    unit = units.get(case.unit_code or "", case.unit_code or "无")
    satisfaction = case.satisfaction.label if case.satisfaction else ""
    lines += [
        "三、办理情况",
        f"承办单位：{unit}　承办人：{case.handler or '无'}",
        f"首办责任人：{case.owner or '无'}　满意度：{satisfaction or '无'}",
        f"转办案由：{_flat(case.cause)}",
        f"转办意见：{_flat(case.opinion)}",
        f"答复方式：{case.reply_mode or '无'}　延期次数：{case.extensions}",
        "答复内容：",
        _flat(case.reply_content),
        "四、办理时限",
        "时限\t期限\t状态",
        *(f"{t.label}\t{local(t.timer.due_at)}\t{t.timer.state.label}" for t in timers),
        "五、流转记录",
        "序号\t时间\t事项\t操作人\t状态",
        *(
            f"{seq}\t{local(e.at)}\t{event_label(e.name)}\t{e.actor}\t{e.to_state.label}"
            for seq, e in enumerate(events, start=1)
        ),
        "六、文书目录",
        "编号\t名称\t出具时间",
        *(f"{d.number}\t{d.title}\t{local(d.created_at)}" for d in documents),
        "七、材料",
    ]
    if copy == "unit":
        lines.append(f"材料件数：{len(attachments)}")
    else:
        lines += [
            "文件名\t大小（字节）\tSHA-256",
            *(f"{a.filename}\t{a.size}\t{a.sha256}" for a in attachments),
        ]
    if not documents:
        lines.insert(lines.index("六、文书目录") + 2, "无\t\t")
    text = "\n".join(lines)
    return scrubber(identity, "unit" if copy == "unit" else "supervisor")(text)


# --- building the zip (worker) ------------------------------------------------------------------


async def _clear_identity(repo: TenantStore, tenant_id: int, case_id: int) -> dict[str, Any] | None:
    """The identity in clear, only to mask it out of the event log (shown to nobody: no reveal)."""
    sealed = await repo.identities.of_case(case_id)
    stored = await repo.keys.current()
    if sealed is None or stored is None:
        return None
    _, wrapped, nonce, master_key_id = stored
    vault = default_vault()
    return vault.open(vault.unwrap(wrapped, nonce, master_key_id), tenant_id, case_id, sealed)


def _pdf(record: TenantRecord, source: RenderSource, body: str) -> tuple[str, bytes]:
    from core.services.rendering import render_pdf

    blocks = layout(body, skip=(source.title, record.name))
    head: Mapping[str, Any] = {"tenant": record.name, "title": source.title, "number": source.number}
    return to_html(**head, blocks=blocks), render_pdf(**head, blocks=blocks)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _line(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


async def build_bundle(tenant_id: int, record: TenantRecord, source: RenderSource, at: datetime) -> bool:
    """Build and store an archive bundle's zip; False when another worker stored one first.

    Raises whatever rendering raises, for the render job to count as a failed attempt.
    """
    assert source.case_id is not None, "an archive bundle is always of a case"
    case_id = source.case_id
    unit_html, unit_pdf = _pdf(record, source, source.body)
    html, case_pdf = _pdf(record, source, source.masked_body or source.body)
    async with tenant_tx(tenant_id):
        store = DocumentRepository(tenant_id)
        repo = TenantStore(tenant_id)
        case = await repo.cases.get(case_id)
        stored: list[tuple[DocumentInfo, bytes | str | None]] = []
        pending: list[tuple[DocumentInfo, RenderSource | None]] = []
        for info in await store.of_case(case_id):
            if info.kind == ARCHIVE_KIND:
                continue
            if info.render_state == "ready":
                stored.append((info, await store.content(info.id, "internal", "pdf")))
            else:  # not rendered (yet): rendered here from its stored text, as the worker would
                pending.append((info, await store.source(info.id)))
        events = await case_chain(tenant_id, case_id)
        head = await chain_head(tenant_id)
        clear = await _clear_identity(repo, tenant_id, case_id)
    for info, other in pending:
        if other is not None:
            stored.append((info, _pdf(record, other, other.masked_body or other.body)[1]))
    stored.sort(key=lambda item: item[0].id)
    scrub = scrubber(clear, "supervisor")
    files: dict[str, dict[str, Any]] = {}
    redacted: list[int] = []
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:

            def put(name: str, data: bytes) -> None:
                bundle.writestr(name, data)
                files[name] = {"sha256": _sha(data), "size": len(data)}

            put("case-file.pdf", case_pdf)
            for info, pdf in stored:
                data = pdf.encode() if isinstance(pdf, str) else bytes(pdf or b"")
                put(f"documents/{info.number or info.kind}-{info.id}.pdf", data)
            log = io.BytesIO()
            for event in events:
                shown = scrubbed(dict(event.record), scrub)
                changed = shown != dict(event.record)
                if changed:
                    redacted.append(event.record["seq"])
                log.write(
                    _line(
                        {
                            "event_id": event.id,
                            "record": shown,
                            "prev_hash": event.prev_hash,
                            "hash": event.hash,
                            "redacted": changed,
                        }
                    )
                )
            put("events.jsonl", log.getvalue())
            # The stretch of the tenant's chain the case spans, page by page (a long-lived case in
            # a busy tenant spans many other cases' events), hashed as it is written.
            digest, size, links = hashlib.sha256(), 0, 0
            if events:
                with bundle.open("chain.jsonl", "w") as chain:
                    after = events[0].id - 1
                    while True:
                        async with tenant_tx(tenant_id):
                            page = await chain_links(
                                tenant_id, after_id=after, upto_id=events[-1].id, limit=_LINK_PAGE
                            )
                        for link in page:
                            line = _line(
                                {
                                    "event_id": link.event_id,
                                    "prev_hash": link.prev_hash,
                                    "hash": link.hash,
                                    "this_case": link.case_id == case_id,
                                }
                            )
                            chain.write(line)
                            digest.update(line)
                            size += len(line)
                        links += len(page)
                        if len(page) < _LINK_PAGE:
                            break
                        after = page[-1].event_id
            else:
                bundle.writestr("chain.jsonl", b"")
            files["chain.jsonl"] = {"sha256": digest.hexdigest(), "size": size}
            manifest = {
                "format": BUNDLE_FORMAT,
                "tenant": {"id": tenant_id, "slug": record.slug, "name": record.name},
                "case": {"id": case_id, "serial": case.serial, "state": case.state.value},
                "number": source.number,
                "built_at": at.isoformat(),
                "redaction": "internal: the complainant's identity masked (case:materials roles)",
                "files": files,
                "chain": {
                    "hash": "sha256 of the canonical JSON of {prev, **record} (core.domain.audit.event_hash)",
                    "events": len(events),
                    "links": links,
                    "first_event_id": events[0].id if events else None,
                    "first_prev_hash": events[0].prev_hash if events else None,
                    "last_event_id": events[-1].id if events else None,
                    "last_hash": events[-1].hash if events else None,
                    "redacted_seqs": redacted,
                    "tenant_head_at_build": {"event_id": head[1], "hash": head[0]} if head else None,
                    "verify": f"huiying audit verify --tenant {record.slug}",
                },
            }
            bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
        out.seek(0)
        data = out.read()
    async with tenant_tx(tenant_id):
        return await DocumentRepository(tenant_id).save_rendition(
            source.id,
            html=unit_html,
            masked_html=html,
            pdf=unit_pdf,
            masked_pdf=case_pdf,
            at=at,
            bundle=data,
        )


# --- checking a bundle from its bytes alone -----------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class BundleCheck:
    """What `verify_bundle` found: the problems (none: the bundle holds) and what it checked."""

    problems: tuple[str, ...]
    files: int
    events: int
    recomputed: int  # events whose hash was recomputed from their record (the others are redacted)
    links: int


def verify_bundle(data: bytes) -> BundleCheck:
    """Check an archive bundle: file digests, each event's hash, and the chain between them."""
    problems: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        names = set(bundle.namelist()) - {"manifest.json"}
        listed = manifest.get("files", {})
        for name in sorted(names | set(listed)):
            if name not in listed:
                problems.append(f"{name}: not in the manifest")
            elif name not in names:
                problems.append(f"{name}: listed in the manifest but missing")
            elif _sha(bundle.read(name)) != listed[name]["sha256"]:
                problems.append(f"{name}: SHA-256 differs from the manifest")
        events = [json.loads(line) for line in bundle.read("events.jsonl").splitlines() if line.strip()]
        links = [json.loads(line) for line in bundle.read("chain.jsonl").splitlines() if line.strip()]
    recomputed = 0
    for event in events:
        if event["redacted"]:
            continue
        recomputed += 1
        if event_hash(event["prev_hash"], event["record"]) != event["hash"]:
            problems.append(f"event {event['record']['seq']}: hash mismatch, the event was altered")
    by_id = {link["event_id"]: link for link in links}
    for event in events:
        link = by_id.get(event["event_id"])
        if link is None or (link["prev_hash"], link["hash"]) != (event["prev_hash"], event["hash"]):
            problems.append(f"event {event['record']['seq']}: not in the chain as listed")
    previous = None
    for link in links:
        if previous is not None and link["prev_hash"] != previous:
            problems.append(
                f"chain broken before event {link['event_id']}: an event was removed or reordered"
            )
        previous = link["hash"]
    chain = manifest.get("chain", {})
    if events and links:
        if links[0]["prev_hash"] != chain.get("first_prev_hash") or links[-1]["hash"] != chain.get(
            "last_hash"
        ):
            problems.append("the chain's ends differ from the manifest")
        if events[0]["prev_hash"] == GENESIS and links[0]["event_id"] != events[0]["event_id"]:
            problems.append("the tenant's first event is not first in the chain")
    return BundleCheck(tuple(problems), len(names), len(events), recomputed, len(links))
