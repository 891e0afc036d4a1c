"""Case files: a unit gets no identity at all, a supervisor a masked one, the archive logs reveals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.export import WITHHELD, CaseExport
from core.services.timers import TimerJobs
from core.store.cases import CaseNotFound
from core.store.timers import TimerRepository
from core.store.tx import tenant_tx

ACCEPTED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 Shanghai; transfer due 10-08 23:59:59
LATE = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)  # past the transfer deadline
IDENTITY = {"name": "钱多多", "phone": "13912345678", "address": "南溪镇幸福路8号"}
CLEAR = ("钱多多", "13912345678", "幸福路")
MASKED = {"name": "钱**", "phone": "139****5678", "address": "南溪镇****"}
# What complainants write: their own name, address and phone inside the complaint itself.
CHATTY = (
    "我是钱多多，家住南溪镇幸福路8号，电话 139 1234 5678。村委会公开栏三个月未更新，邻居 13800001111 可作证。"
)
PDF = b"%PDF-1.7\n" + b"0" * 2000


def complaint(identity=IDENTITY, content=CHATTY, **overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "政务公开栏未更新",
        "content": content,
        "identity": identity,
        "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
    }
    return IntakeDraft(**(values | overrides))


def raw(case_file: dict) -> bytes:
    return json.dumps(case_file, ensure_ascii=False).encode()


@pytest.fixture
def clock():
    return FixedClock(ACCEPTED)


@pytest.fixture
def service(registry, clock):
    return CaseService(registry, clock)


@pytest.fixture
def export(service):
    return CaseExport(service)


async def full_case(tenant, service, clock, registry, actors) -> int:
    """A dispatched case with an attachment, a logged reveal and a supervision notice."""
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.add_attachment(
        tenant.id,
        case_id,
        actors["operator"],
        filename="钱多多的举报信.pdf",
        content_type="application/pdf",
        data=PDF,
        max_bytes=1_000_000,
    )
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    await service.identities.reveal(tenant.id, case_id, actors["supervisor"], "回访核实：钱多多要求回电")
    clock.at = LATE
    async with tenant_tx(tenant.id):
        timers = await TimerRepository(tenant.id).of_case(case_id)
    jobs = TimerJobs(registry, clock)
    for stored in timers:
        await jobs.fire(tenant.id, stored.id)
    dispatch = DispatchCase(unit_code="jcs", cause="政务公开", opinion="请核实")
    await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    return case_id


async def reveals(service, tenant, case_id, actors) -> list[tuple[str, str]]:
    found = await service.identities.reveals(tenant.id, case_id, actors["supervisor"])
    return [(reader, reason) for reader, reason, _ in found]


async def test_a_unit_gets_no_identity_at_all(make_tenant, service, export, clock, registry, actors):
    tenant = await make_tenant()
    case_id = await full_case(tenant, service, clock, registry, actors)
    case_file = await export.case_file(tenant.id, case_id, actors["handler"], "unit")

    assert case_file["redaction"] == "unit"
    assert "identity" not in case_file
    body = raw(case_file)
    for clear in (*CLEAR, *MASKED.values(), "钱多多的举报信"):
        assert clear.encode() not in body, clear  # not in clear, and not masked either
    assert case_file["case"]["content"].startswith(f"我是{WITHHELD}，家住{WITHHELD}，电话 {WITHHELD}。")
    assert "138****1111" in case_file["case"]["content"]  # other numbers in the text are masked
    assert case_file["case"]["category_label"] == "不编制、不提供、不及时更新公开的政务信息、指南和目录"
    assert case_file["attachments"] == {"count": 1}
    events = {event["name"]: event for event in case_file["events"]}
    assert events["case_identity_revealed"]["actor"] == "supervisor"
    assert "reason" not in events["case_identity_revealed"]["data"]
    assert set(events["case_attachment_added"]["data"]) == {"attachment_id", "size"}
    assert [d["kind"] for d in case_file["documents"]] == ["supervision_notice"]
    assert case_file["documents"][0]["number"].startswith("督办-2026-")
    assert {t["kind"]: t["state"] for t in case_file["timers"]}["transfer"] == "stopped"


async def test_a_supervisor_gets_the_identity_masked(make_tenant, service, export, clock, registry, actors):
    tenant = await make_tenant()
    case_id = await full_case(tenant, service, clock, registry, actors)
    case_file = await export.case_file(tenant.id, case_id, actors["supervisor"], "supervisor")

    assert case_file["redaction"] == "supervisor"
    assert case_file["identity"] == {
        "anonymous": False,
        "disclosure": "masked",
        "values": MASKED,
        "related_cases": [],
    }
    body = raw(case_file)
    for clear in CLEAR:
        assert clear.encode() not in body, clear
    assert "我是钱**，家住南溪镇****，电话 139****5678。" in case_file["case"]["content"]
    assert case_file["attachments"]["count"] == 1
    (item,) = case_file["attachments"]["items"]
    assert item["filename"] == "钱**的举报信.pdf" and item["size"] == len(PDF) and len(item["sha256"]) == 64
    assert "data" not in item and "content" not in item
    revealed = next(e for e in case_file["events"] if e["name"] == "case_identity_revealed")
    assert revealed["data"] == {}  # the reason lives in the reveal log, for supervisors and auditors


async def test_the_archive_masks_unless_a_reason_is_given(
    make_tenant, service, export, clock, registry, actors
):
    tenant = await make_tenant()
    case_id = await full_case(tenant, service, clock, registry, actors)
    before = await reveals(service, tenant, case_id, actors)

    masked = await export.case_file(tenant.id, case_id, actors["operator"], "archive")
    assert masked["identity"]["disclosure"] == "masked" and masked["identity"]["values"] == MASKED
    assert all(clear.encode() not in raw(masked) for clear in CLEAR)
    assert "邻居 13800001111" in masked["case"]["content"]  # the archive keeps other people's numbers
    assert await reveals(service, tenant, case_id, actors) == before  # nothing was read in clear

    clear = await export.case_file(
        tenant.id, case_id, actors["operator"], "archive", reveal_reason="归档备查"
    )
    assert clear["identity"]["disclosure"] == "clear" and clear["identity"]["values"] == IDENTITY
    assert clear["case"]["content"] == CHATTY  # verbatim
    assert clear["attachments"]["items"][0]["filename"] == "钱多多的举报信.pdf"
    assert await reveals(service, tenant, case_id, actors) == [*before, ("operator", "归档导出：归档备查")]
    last = clear["events"][-1]
    assert last["name"] == "case_identity_revealed" and last["actor"] == "operator"  # the file records itself


async def test_a_reason_needs_the_reveal_permission(make_tenant, service, export, clock, registry, actors):
    tenant = await make_tenant()
    case_id = await full_case(tenant, service, clock, registry, actors)
    before = await reveals(service, tenant, case_id, actors)
    for who in ("handler", "admin"):
        with pytest.raises(NotPermitted, match="identity:reveal"):
            await export.case_file(tenant.id, case_id, actors[who], "archive", reveal_reason="想看看")
    assert await reveals(service, tenant, case_id, actors) == before


async def test_requests_that_make_no_sense_are_refused(make_tenant, service, export, actors):
    tenant = await make_tenant()
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    with pytest.raises(InvalidCommand, match=r"press.*unit.*supervisor.*archive") as refused:
        await export.case_file(tenant.id, case_id, actors["operator"], "press")
    assert refused.value.field == "recipient"
    with pytest.raises(InvalidCommand) as refused:
        await export.case_file(tenant.id, case_id, actors["operator"], "unit", reveal_reason="归档备查")
    assert refused.value.field == "reveal_reason"
    with pytest.raises(InvalidCommand) as refused:
        await export.case_file(tenant.id, case_id, actors["operator"], "archive", reveal_reason=" ")
    assert refused.value.field == "reveal_reason"
    with pytest.raises(NotPermitted):
        await export.case_file(tenant.id, case_id, Actor(username="nobody"), "supervisor")
    with pytest.raises(NotPermitted):
        await export.documents(tenant.id, case_id, Actor.from_public())


async def test_another_tenants_case_is_not_found(make_tenant, service, export, actors):
    mine, theirs = await make_tenant(), await make_tenant()
    case_id = (await service.intake(theirs.id, complaint(), actors["operator"])).case.id
    for recipient in ("unit", "supervisor", "archive"):
        with pytest.raises(CaseNotFound):
            await export.case_file(mine.id, case_id, actors["supervisor"], recipient)
    with pytest.raises(CaseNotFound):  # not "forbidden" either, even without the permission
        await export.case_file(mine.id, case_id, actors["handler"], "archive", reveal_reason="想看看")
    with pytest.raises(CaseNotFound):
        await export.documents(mine.id, case_id, actors["supervisor"])


async def test_an_anonymous_case_has_nothing_to_reveal(make_tenant, service, export, actors):
    tenant = await make_tenant()
    draft = complaint({}, content="公开栏三个月未更新。", anonymous=True)
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    case_file = await export.case_file(
        tenant.id, case_id, actors["supervisor"], "archive", reveal_reason="归档备查"
    )
    assert case_file["identity"] == {
        "anonymous": True,
        "disclosure": "none",
        "values": {},
        "related_cases": [],
    }
    assert await reveals(service, tenant, case_id, actors) == []  # nothing read, nothing logged
    assert "identity" not in await export.case_file(tenant.id, case_id, actors["supervisor"], "unit")
    with pytest.raises(CaseNotFound):  # never sent to the handler's unit: not theirs to see
        await export.case_file(tenant.id, case_id, actors["handler"], "unit")


async def test_related_cases_are_named_by_serial_only(make_tenant, service, export, actors):
    tenant = await make_tenant()
    first = (await service.intake(tenant.id, complaint(), actors["operator"])).case
    same_phone = {"name": "钱多多", "phone": "+86 139 1234 5678"}
    again = await service.intake(tenant.id, complaint(same_phone, content="又来反映。"), actors["operator"])
    case_file = await export.case_file(tenant.id, again.case.id, actors["supervisor"], "supervisor")
    assert case_file["identity"]["related_cases"] == [first.serial]
    assert case_file["identity"]["values"]["phone"] == "139****5678"
    assert all(clear.encode() not in raw(case_file) for clear in CLEAR)


async def test_documents_are_listed_for_readers(make_tenant, service, export, clock, registry, actors):
    tenant = await make_tenant()
    case_id = await full_case(tenant, service, clock, registry, actors)
    documents = await export.documents(tenant.id, case_id, actors["handler"])
    (notice,) = documents
    assert notice.kind == "supervision_notice" and notice.title == "督办通知单"
    assert notice.number in notice.body and "转办时限" in notice.body
    fresh = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    assert await export.documents(tenant.id, fresh, actors["supervisor"]) == []
    with pytest.raises(CaseNotFound):  # not yet sent to the handler's unit
        await export.documents(tenant.id, fresh, actors["handler"])


# --- the case list -------------------------------------------------------------------------------


async def listing(export, tenant, who, fmt="csv", *, query=None, **options) -> tuple[list[list[str]], bytes]:
    from core.store.case_search import CaseQuery

    exported = await export.case_list(tenant.id, who, query or CaseQuery(sort="received_at"), fmt, **options)
    data = b"".join([chunk async for chunk in exported.chunks])
    if fmt == "csv":
        import csv
        import io

        assert data.startswith("\ufeff".encode())  # Excel reads the Chinese
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig")))), data
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    return rows[1:], data  # below the title line


async def five_cases(tenant, service, clock, registry, actors) -> list[int]:
    """Four named complaints (one late, at jcs; one naming the person in its title), one anonymous."""
    dispatched = await full_case(tenant, service, clock, registry, actors)
    named = [
        (await service.intake(tenant.id, complaint(title=title), actors["operator"])).case.id
        for title in ("钱多多反映公开栏问题", "政务公开栏未更新", "村务公开不及时")
    ]
    anonymous = complaint({}, content="公开栏三个月未更新。", anonymous=True)
    return [dispatched, *named, (await service.intake(tenant.id, anonymous, actors["operator"])).case.id]


async def test_a_supervisors_case_list_masks_the_identity_and_spans_every_page(
    make_tenant, service, export, clock, registry, actors
):
    tenant = await make_tenant()
    ids = await five_cases(tenant, service, clock, registry, actors)
    before = await reveals(service, tenant, ids[1], actors)
    rows, data = await listing(export, tenant, actors["supervisor"], page_size=2)  # three pages

    header, *lines = rows
    assert header[:3] == ["编号", "受理时间", "类型"] and header[-3:] == ["投诉人", "联系电话", "证件号码"]
    assert len(lines) == 5  # every page, none twice
    serials = [line[0] for line in lines]
    assert len(set(serials)) == 5 and serials == sorted(serials)
    for clear in CLEAR:
        assert clear.encode() not in data, clear
    by = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    late = by[serials[0]]  # the dispatched case missed its transfer deadline
    assert late["承办单位"] == "镇监察室" and late["状态"] == "已转办" and late["首办责任人"] == "operator"
    # The category set at intake, kept through registration and printed by its words.
    assert late["分类"] == "不编制、不提供、不及时更新公开的政务信息、指南和目录", late
    assert late["是否超期"].startswith("是（") and "转办" in late["办理时限"]
    assert (late["投诉人"], late["联系电话"]) == (MASKED["name"], MASKED["phone"])
    assert by[serials[1]]["标题"] == "钱**反映公开栏问题"  # free text scrubbed, masked
    assert by[serials[2]]["是否超期"] == "否" and by[serials[2]]["受理时间"] == "2026-10-09 10:00"
    assert [by[serials[4]][c] for c in ("投诉人", "联系电话", "证件号码")] == ["匿名"] * 3
    assert await reveals(service, tenant, ids[1], actors) == before  # masked: nothing read in clear


async def test_a_units_member_gets_their_units_cases_without_any_identity(
    make_tenant, service, export, clock, registry, actors
):
    tenant = await make_tenant()
    await five_cases(tenant, service, clock, registry, actors)
    from core.store.case_search import CaseQuery

    # Asking for another unit's cases does not widen the scope: the unit's own are listed instead.
    for query in (None, CaseQuery(unit_code="dzb"), CaseQuery(text="公开")):
        rows, data = await listing(export, tenant, actors["handler"], query=query)
        header, *lines = rows
        assert "投诉人" not in header and "联系电话" not in header
        assert all(line[header.index("承办单位")] == "镇监察室" for line in lines)
        assert len(lines) == 1
        for text in (*CLEAR, *MASKED.values()):
            assert text.encode() not in data, text
    with pytest.raises(NotPermitted, match="identity:reveal"):
        await listing(export, tenant, actors["handler"], reveal_reason="想看看")


async def test_a_reveal_in_a_case_list_is_logged_on_every_case(
    make_tenant, service, export, clock, registry, actors
):
    tenant = await make_tenant()
    ids = await five_cases(tenant, service, clock, registry, actors)
    before = {case_id: await reveals(service, tenant, case_id, actors) for case_id in ids}
    rows, _ = await listing(export, tenant, actors["supervisor"], "xlsx", reveal_reason="年度归档核对")
    header, *lines = rows
    names = [line[header.index("投诉人")] for line in lines]
    assert names == ["钱多多"] * 4 + ["匿名"]
    assert lines[0][header.index("联系电话")] == IDENTITY["phone"]
    assert lines[1][header.index("标题")] == "钱多多反映公开栏问题"  # verbatim once revealed
    for case_id in ids[:4]:
        assert await reveals(service, tenant, case_id, actors) == [
            *before[case_id],
            ("supervisor", "导出案件清单：年度归档核对"),
        ]
    assert await reveals(service, tenant, ids[4], actors) == []  # anonymous: nothing to read

    # An admin reads cases but not identities: no identity columns, and no reveal either.
    header, *_ = (await listing(export, tenant, actors["admin"]))[0]
    assert "投诉人" not in header
    with pytest.raises(NotPermitted):
        await listing(export, tenant, actors["admin"], reveal_reason="归档")
    with pytest.raises(InvalidCommand) as refused:
        await listing(export, tenant, actors["supervisor"], "pdf")
    assert refused.value.field == "format"
    with pytest.raises(InvalidCommand):
        await listing(export, tenant, actors["supervisor"], reveal_reason=" ")


async def test_a_plugin_narrowing_identity_access_narrows_the_case_list(make_tenant, actors):
    import plugins.township.hooks as township
    from core.plugins import PluginRegistry
    from tests.services.test_identity import SupervisorsOnly

    registry = PluginRegistry({"township": township, "narrow": SupervisorsOnly()})
    tenant = await make_tenant("narrow", registry_=registry)
    service = CaseService(registry, FixedClock(ACCEPTED))
    export = CaseExport(service)
    case_id = (await service.intake(tenant.id, complaint(fields={}), actors["operator"])).case.id
    header, line = (await listing(export, tenant, actors["operator"]))[0]
    assert line[header.index("投诉人")] == "—"  # the operator holds identity:reveal, the plugin says no
    header, line = (await listing(export, tenant, actors["supervisor"]))[0]
    assert line[header.index("投诉人")] == MASKED["name"]
    header, line = (await listing(export, tenant, actors["operator"], reveal_reason="回访核实"))[0]
    assert line[header.index("投诉人")] == "—"
    assert await reveals(service, tenant, case_id, actors) == []  # nothing was read for the operator
