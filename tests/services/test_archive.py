"""Archive bundles 归档: built by the worker, checkable from the zip alone, never in clear.

A realistic township case is driven to its archiving (with a reveal, an attachment, a feedback
note with the complainant's phone, documents rendered and one left pending, and another case's
events interleaved in the tenant's chain); the bundle is unzipped, every file is checked against
the manifest, the case's events are re-hashed and their chain re-linked from the bundle's bytes
alone and compared with what ``huiying audit verify`` reads, and ``pdftotext`` reads the case
file.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import zipfile

import pytest

from core.domain.audit import event_hash, first_broken
from core.domain.commands import ArchiveCase, CloseCase
from core.domain.errors import DocumentNotReady, NotPermitted, RuleViolation
from core.domain.masking import mask_name, mask_phone
from core.services.archive import ARCHIVE_KIND, ArchiveService, verify_bundle
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.documents import DocumentJobs, DocumentService
from core.store.events import chain_records
from tests.services.test_documents import ADDRESS, NAME, NOW, PHONE, PLUGINS, act, drive, text_of

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (make test)")

PDF = b"%PDF-1.7\n" + b"0" * 500


async def archived_case(tenant, registry, actors):
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases)
    case_id, _ = await drive(cases, tenant, actors, PLUGINS["township"])
    # Another case's events land between this case's in the tenant's chain.
    await drive(cases, tenant, actors, PLUGINS["township"])
    await cases.add_attachment(
        tenant.id,
        case_id,
        actors["operator"],
        filename=f"{NAME}的投诉信.pdf",
        content_type="application/pdf",
        data=PDF,
        max_bytes=1_000_000,
    )
    await cases.identities.reveal(tenant.id, case_id, actors["supervisor"], "回访核实")
    rendered = await documents.issue(tenant.id, case_id, "transfer_slip", actors["operator"])
    assert await DocumentJobs(clock).render(tenant.id, rendered.id)
    unrendered = await documents.issue(tenant.id, case_id, "phone_feedback", actors["operator"])
    return clock, cases, documents, case_id, (rendered, unrendered)


async def test_a_bundle_holds_the_case_checkable_from_the_zip_alone(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock, cases, documents, case_id, issued = await archived_case(tenant, registry, actors)
    archive = ArchiveService(registry, cases)
    with pytest.raises(RuleViolation, match="尚未办结"):
        await archive.request(tenant.id, case_id, actors["supervisor"])
    await act(cases, tenant.id, case_id, CloseCase(summary="已整改"), actors, ("supervisor",))
    await act(cases, tenant.id, case_id, ArchiveCase(), actors, ("supervisor",))
    with pytest.raises(NotPermitted):  # a handling unit never gets the bundle
        await archive.request(tenant.id, case_id, actors["handler"])

    info = await archive.request(tenant.id, case_id, actors["supervisor"])
    assert info.kind == ARCHIVE_KIND and info.render_state == "pending" and info.number == "归档-2026-0001"
    with pytest.raises(DocumentNotReady):  # built by the worker, never in the request
        await archive.download(tenant.id, info.id, actors["supervisor"])
    assert await DocumentJobs(clock).render(tenant.id, info.id) is True
    assert await DocumentJobs(clock).render(tenant.id, info.id) is False  # built once
    with pytest.raises(NotPermitted):
        await archive.download(tenant.id, info.id, actors["handler"])
    name, data = await archive.download(tenant.id, info.id, actors["supervisor"])
    assert name == "归档-2026-0001.zip"

    bundle = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(bundle.read("manifest.json"))
    names = set(bundle.namelist()) - {"manifest.json"}
    assert set(manifest["files"]) == names
    for file, listed in manifest["files"].items():  # every digest, computed here independently
        content = bundle.read(file)
        assert hashlib.sha256(content).hexdigest() == listed["sha256"] and len(content) == listed["size"]
    pdfs = sorted(n for n in names if n.startswith("documents/"))
    assert len(pdfs) == 2 and all(issued[0].number in n or issued[1].number in n for n in pdfs)

    # The chain, from the bundle alone: each event re-hashed, each link joining the next.
    events = [json.loads(line) for line in bundle.read("events.jsonl").splitlines()]
    links = [json.loads(line) for line in bundle.read("chain.jsonl").splitlines()]
    names_ = [e["record"]["name"] for e in events]
    assert names_[0] == "case_received" and "case_archived" in names_ and names_[-1] == "case_document_issued"
    assert [e["record"]["seq"] for e in events] == list(range(1, len(events) + 1))
    redacted = [e for e in events if e["redacted"]]
    # The feedback note carried the complainant's phone: masked, so that one event is not re-hashed.
    assert [e["record"]["name"] for e in redacted] == ["case_feedback_recorded"]
    assert mask_phone(PHONE) in redacted[0]["record"]["data"]["note"]
    for event in events:
        if not event["redacted"]:
            assert event_hash(event["prev_hash"], event["record"]) == event["hash"]
    assert len(links) > len(events)  # the other case's events, as bare links
    for before, after in itertools.pairwise(links):
        assert after["prev_hash"] == before["hash"]
    assert [link["hash"] for link in links if link["this_case"]] == [e["hash"] for e in events]
    assert all(set(link) == {"event_id", "prev_hash", "hash", "this_case"} for link in links)
    check = verify_bundle(data)
    assert check.problems == () and check.events == len(events) and check.recomputed == len(events) - 1

    # What `huiying audit verify` reads agrees with the bundle, and the chain holds in the database.
    stored = {e.id: e for e in await chain_records(tenant.id)}
    assert first_broken(list(stored.values())) is None
    for event in events:
        assert stored[event["event_id"]].hash == event["hash"]
        if not event["redacted"]:
            assert dict(stored[event["event_id"]].record) == event["record"]
    assert manifest["chain"]["tenant_head_at_build"]["event_id"] >= links[-1]["event_id"]

    # The case file and every document: what they must say, and no clear identity anywhere.
    case_file = text_of(bundle.read("case-file.pdf"))
    serial = (await cases.get(tenant.id, case_id, actors["supervisor"])).case.serial
    for needle in ("归档案卷", info.number, serial, "流转记录", "文书目录", issued[0].number, "镇监察室"):
        assert needle in case_file, needle
    assert mask_name(NAME) in case_file and mask_phone(PHONE) in case_file
    for pdf in ("case-file.pdf", *pdfs):
        text = text_of(bundle.read(pdf))
        for secret in (NAME, PHONE, ADDRESS.replace(" ", ""), "欧阳"):
            assert secret not in text, (pdf, secret)
    for secret in (NAME, PHONE):
        for file in names:
            assert secret.encode() not in bundle.read(file), (file, secret)

    # The unit's copy of the case file (the bundle's PDF, for readers without case materials).
    unit = await documents.download(tenant.id, info.id, actors["handler"], "pdf")
    outside = text_of(unit.content)
    assert serial in outside and mask_name(NAME) not in outside and mask_phone(PHONE) not in outside


async def test_a_tampered_bundle_is_caught(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock, cases, _, case_id, _ = await archived_case(tenant, registry, actors)
    await act(cases, tenant.id, case_id, CloseCase(summary="已整改"), actors, ("supervisor",))
    archive = ArchiveService(registry, cases)
    info = await archive.request(tenant.id, case_id, actors["operator"])  # closed is enough
    await DocumentJobs(clock).render(tenant.id, info.id)
    _, data = await archive.download(tenant.id, info.id, actors["operator"])

    def rewrite(change) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(data))
        files = {name: source.read(name) for name in source.namelist()}
        change(files)
        manifest = json.loads(files["manifest.json"])
        for name in manifest["files"]:  # a forger fixes the digests too
            manifest["files"][name]["sha256"] = hashlib.sha256(files[name]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name, content in files.items():
                target.writestr(name, content)
        return out.getvalue()

    def alter_event(files):
        lines = files["events.jsonl"].decode().splitlines()
        first = json.loads(lines[0])
        first["record"]["actor"] = "someone_else"
        files["events.jsonl"] = "\n".join([json.dumps(first, ensure_ascii=False), *lines[1:]]).encode()

    def drop_link(files):
        lines = files["chain.jsonl"].decode().splitlines()
        files["chain.jsonl"] = "\n".join(lines[:2] + lines[3:]).encode()

    assert any("hash mismatch" in p for p in verify_bundle(rewrite(alter_event)).problems)
    assert any("chain broken" in p for p in verify_bundle(rewrite(drop_link)).problems)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:  # a changed PDF without fixing the manifest
        for name in source.namelist():
            target.writestr(name, source.read(name) + (b" " if name == "case-file.pdf" else b""))
    assert verify_bundle(out.getvalue()).problems == ("case-file.pdf: SHA-256 differs from the manifest",)
