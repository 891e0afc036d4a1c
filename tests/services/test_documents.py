"""Golden documents: every template, for a realistic case of every plugin, rendered by the worker.

Each case is driven through the real services (intake with an identity, registration, approval
where the plugin wants it, dispatch, a return 退信 and a second dispatch, signing for it, an
extension where the plugin allows one, the reply, the phone feedback), each document is issued,
the render job turns it into PDF, and ``pdftotext`` reads the PDF back: the sections the document
must have are there, the unit's copy carries nothing of the complainant, the internal copy only
the masked identity.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.calendar import Period
from core.domain.cases import CaseKind, Channel, Satisfaction
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    DispatchCase,
    ExtendCase,
    RecordFeedback,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    RequestExtension,
    ReturnCase,
    SignForCase,
    SubmitForApproval,
)
from core.domain.errors import DomainError, InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.domain.masking import mask_name, mask_phone
from core.jobs.scheduler import Scheduler
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.documents import DocumentJobs, DocumentNotReady, DocumentService

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (make test)")

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
NAME, PHONE, ADDRESS = "欧阳明远", "13912345678", "南溪镇幸福路 18 号"
IDENTITY = {"name": NAME, "phone": PHONE, "address": ADDRESS, "work_unit": "县第一中学"}
KEYS = (
    "registration_form",
    "transfer_slip",
    "supervision_notice",
    "extension",
    "reply",
    "return_request",
    "phone_feedback",
)

PLUGINS = {
    "township": dict(
        settings={},
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="村务公开栏三个月未更新",
            content=f"投诉人称幸福村公开栏自八月起未更新，联系电话 {PHONE}。",
            fields={"situation": "not_compiled", "respondent": "幸福村委会"},
        ),
        category="not_compiled",
    ),
    "commerce12312": dict(
        settings={"squad_routing": {"消费纠纷": "jcs"}, "supervision_unit": "dzb"},
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="某加油站加油机计量不足",
            content="消费者称加油 200 元，油箱仅进油一半。",
            fields={
                "event_time": "2026-11-02 08:50",
                "place": "城关镇某加油站",
                "harm_scope": "一名消费者",
                "harm_degree": "经济损失约 100 元",
                "onsite_handling": "已电话安抚",
                "on_site": "no",
                "category": "消费纠纷",
            },
        ),
        category="消费纠纷",
    ),
    "qtsb": dict(
        settings={"routing": {"城东/*": "jcs"}},
        draft=dict(
            kind=CaseKind.REPORT,
            channel=Channel.LETTER,
            title="城东某厂生产不合格电线",
            content="城东工业园某电线厂以次充好，线芯截面不足。",
            fields={"product": "某电线厂", "area": "城东", "industry": "电线电缆"},
        ),
        category="电线电缆",
    ),
    "efficiency": dict(
        settings={"regulation": "jsj", "day_unit": "working", "leader_approval": False},
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="公房维修申请三次往返未果",
            content="资产管理处经办人推诿，维修申请递交三次仍未受理。",
            fields={"nature": "efficiency", "respondent": "资产管理处 郑涛"},
        ),
        category="efficiency",
    ),
}
ORDER = ("operator", "leader", "handler", "supervisor")


async def act(service, tenant_id, case_id, command, actors, order=ORDER):
    """Perform `command` as the first of `order` the plugin lets do it."""
    refused: DomainError | None = None
    for name in order:
        try:
            return await service.perform(tenant_id, case_id, command, actors[name])
        except NotPermitted as exc:
            refused = exc
    raise refused  # type: ignore[misc]


async def dispatch(service, tenant_id, case_id, actors):
    allowed = await service.allowed_actions(tenant_id, case_id, actors["leader"])
    if Action.SUBMIT_FOR_APPROVAL in allowed:
        try:
            await act(service, tenant_id, case_id, SubmitForApproval(opinion="拟转镇监察室办理"), actors)
        except RuleViolation:  # the table allows it, the plugin's chain is empty: dispatch at once
            allowed = ()
        for _ in range(3 if allowed else 0):
            try:
                await act(service, tenant_id, case_id, ApproveCase(opinion="同意"), actors, ("leader",))
            except RuleViolation:  # every level has signed
                break
    command = DispatchCase(unit_code="jcs", cause="信息公开不到位", opinion="请核实并限期整改")
    return await act(service, tenant_id, case_id, command, actors, ("leader", "operator", "supervisor"))


async def drive(service, tenant, actors, spec) -> tuple[int, bool]:
    """A realistic case of the plugin, to the phone feedback; returns (case id, extended)."""
    draft = IntakeDraft(identity=IDENTITY, **spec["draft"])
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await act(service, tenant.id, case_id, RegisterCase(category=spec["category"]), actors)
    await act(service, tenant.id, case_id, AcceptCase(), actors)
    await dispatch(service, tenant.id, case_id, actors)
    await act(
        service, tenant.id, case_id, ReturnCase(reason="不属本单位职责，应由党政办办理"), actors, ("handler",)
    )
    command = DispatchCase(unit_code="jcs", cause="信息公开不到位", opinion="经核属本单位职责，请办理")
    await act(service, tenant.id, case_id, command, actors, ("leader", "operator", "supervisor"))
    await act(service, tenant.id, case_id, SignForCase(handler="handler"), actors, ("handler",))
    extended = False
    for period in ("5 working days", "10 days"):
        try:
            request = RequestExtension(period=Period.parse(period), reason="需调取档案核实", timer="handling")
            await act(service, tenant.id, case_id, request, actors, ("handler", "operator"))
            grant = ExtendCase(period=Period.parse(period), reason="需调取档案核实", timer="handling")
            await act(service, tenant.id, case_id, grant, actors, ("leader", "supervisor"))
            extended = True
            break
        except DomainError:
            continue
    content = "调查经过：经实地核查。事实和证据：公开栏确未更新。处理意见：责令三日内更新。"
    for mode in (ReplyMode.WRITTEN, ReplyMode.PHONE):
        try:
            await act(service, tenant.id, case_id, ReplyToCase(mode=mode, content=content), actors)
            break
        except DomainError:
            continue
    feedback = RecordFeedback(satisfaction=Satisfaction.BASICALLY_SATISFIED, note=f"已电话回访 {PHONE}")
    await act(service, tenant.id, case_id, feedback, actors, ("supervisor", "operator", "leader"))
    return case_id, extended


def text_of(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(result.stdout.decode().split())  # the layout breaks lines anywhere


EXPECTED = {
    "registration_form": ("编号", "来源", "内容"),
    "transfer_slip": ("案由", "信息公开不到位", "经核属本单位职责"),  # qtsb labels the opinion 局领导审批意见
    "supervision_notice": ("督办", "办理期限"),
    "extension": ("延期理由",),
    "reply": ("答复", "经实地核查", "责令三日内更新"),
    "return_request": ("退信理由", "不属本单位职责"),
    "phone_feedback": ("满意度", "基本满意"),
}


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
async def test_every_document_of_a_realistic_case_renders_redacted(plugin, make_tenant, registry, actors):
    spec = PLUGINS[plugin]
    tenant = await make_tenant(plugin, settings=spec["settings"])
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases, clock)
    jobs = DocumentJobs(clock)
    case_id, extended = await drive(cases, tenant, actors, spec)
    view = await cases.get(tenant.id, case_id, actors["supervisor"])
    templates = {t.key: t for t in await documents.templates(tenant.id, case_id, actors["supervisor"])}
    assert set(KEYS) <= set(templates), sorted(templates)

    issued = {key: await documents.issue(tenant.id, case_id, key, actors["operator"]) for key in KEYS}
    with pytest.raises(DocumentNotReady):  # rendering happens in the worker, not in the request
        await documents.download(tenant.id, issued["reply"].id, actors["supervisor"], "pdf")
    for info in issued.values():
        assert info.render_state == "pending"
        assert await jobs.render(tenant.id, info.id) is True
        assert await jobs.render(tenant.id, info.id) is False  # done once

    for key, info in issued.items():
        assert info.number.endswith(f"{NOW.year}-0001") or key == "supervision_notice", info.number
        internal = await documents.download(tenant.id, info.id, actors["supervisor"], "pdf")
        unit = await documents.download(tenant.id, info.id, actors["handler"], "pdf")
        assert (internal.copy, unit.copy) == ("internal", "unit")
        assert internal.content.startswith(b"%PDF") and unit.content.startswith(b"%PDF")
        inside, outside = text_of(internal.content), text_of(unit.content)
        title = "".join(templates[key].title.split())
        for text in (inside, outside):
            assert title in text and info.number in text and view.case.serial in text, (key, text)
            for needle in EXPECTED[key]:
                if key == "extension" and not extended:
                    continue
                assert needle in text, (plugin, key, needle, text)
            # Nobody's copy carries the clear identity: not the name, the phone or the address.
            for secret in (NAME, PHONE, ADDRESS.replace(" ", ""), "欧阳"):
                assert secret not in text, (plugin, key, secret)
        # The unit's copy shows nothing of the person, not even masked.
        assert mask_name(NAME) not in outside and mask_phone(PHONE) not in outside, (plugin, key)
        html = await documents.download(tenant.id, info.id, actors["handler"], "html")
        assert html.media_type.startswith("text/html") and NAME not in html.content.decode()

    registration = text_of(
        (
            await documents.download(tenant.id, issued["registration_form"].id, actors["supervisor"], "pdf")
        ).content
    )
    if "{complainant_name}" in templates["registration_form"].body:
        assert mask_name(NAME) in registration  # the internal copy names the person, masked
    feedback = text_of(
        (
            await documents.download(tenant.id, issued["phone_feedback"].id, actors["supervisor"], "pdf")
        ).content
    )
    assert mask_phone(PHONE) in feedback  # the note's phone is masked, the call record keeps its shape

    # Numbers are gap-free per tenant and kind: a second reply is 0002.
    second = await documents.issue(tenant.id, case_id, "reply", actors["operator"])
    assert second.number.endswith("-0002")
    listed = await documents.of_case(tenant.id, case_id, actors["handler"])
    assert [d.number for d in listed][-1] == second.number
    with pytest.raises(NotPermitted):
        await documents.download(tenant.id, info.id, actors["handler"], "pdf", copy="internal")
    with pytest.raises(InvalidCommand):
        await documents.issue(tenant.id, case_id, "no_such_template", actors["operator"])


async def test_the_scheduler_renders_pending_documents_and_supervision_notices(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases, clock)
    case_id, _ = await drive(cases, tenant, actors, PLUGINS["township"])
    info = await documents.issue(tenant.id, case_id, "transfer_slip", actors["operator"])
    rendered: list[tuple[int, int]] = []
    jobs = DocumentJobs(clock)

    async def render(tenant_id: int, document_id: int) -> None:
        rendered.append((tenant_id, document_id))
        await jobs.render(tenant_id, document_id)

    scheduler = Scheduler(
        clock=clock,
        fire_timer=lambda t, i: None,
        deliver_notification=lambda t, i: None,
        render_document=render,
        requeue_after=timedelta(seconds=30),
    )
    await scheduler.tick()
    assert (tenant.id, info.id) in rendered
    rendered.clear()
    clock.advance(timedelta(minutes=5))
    await scheduler.tick()
    assert (tenant.id, info.id) not in rendered  # rendered: never handed out again
    ready = await documents.download(tenant.id, info.id, actors["supervisor"], "pdf")
    assert "转办意见" in text_of(ready.content)


async def test_a_handover_record_is_issued_for_duty_staff_and_supervisors_only(make_tenant, registry, actors):
    from datetime import timezone

    from core.services.duty import DutyService
    from core.store.documents import DocumentStore
    from core.store.tx import tenant_tx

    tenant = await make_tenant()
    clock = FixedClock(NOW)
    cst = timezone(timedelta(hours=8))
    duty = DutyService(clock)
    shift = await duty.add_shift(
        tenant.id,
        actors["supervisor"],
        starts_at=datetime(2026, 11, 2, 8, 0, tzinfo=cst),
        ends_at=datetime(2026, 11, 2, 20, 0, tzinfo=cst),
        leader="leader",
        officers=["operator"],
    )
    handover = await duty.write_handover(
        tenant.id,
        actors["operator"],
        shift.id,
        cases_received=["NX-2026-000007"],
        pending=["回访投诉人", "催办镇监察室"],
        documents=["值班日志"],
        equipment="电话、录音设备正常",
        notes="夜间无来访",
    )
    documents = DocumentService(registry, CaseService(registry, clock), clock)
    for who in ("handler", "admin"):
        with pytest.raises(NotPermitted, match="值班记录保密"):
            await documents.issue_handover(tenant.id, handover.id, actors[who])
    from core.services.documents import DocumentNotFound

    with pytest.raises(DocumentNotFound):
        await documents.issue_handover(tenant.id, handover.id + 10_000, actors["operator"])

    info = await documents.issue_handover(tenant.id, handover.id, actors["operator"])
    assert info.case_id is None and info.kind == "handover_record" and info.number == "交接-2026-0001"
    second = await documents.issue_handover(tenant.id, handover.id, actors["supervisor"])
    assert second.number == "交接-2026-0002"  # gap-free, per kind and year
    assert await DocumentJobs(clock).render(tenant.id, info.id)
    text = text_of((await documents.download(tenant.id, info.id, actors["supervisor"], "pdf")).content)
    for needle in (
        "交接班记录",
        info.number,
        "NX-2026-000007",
        "回访投诉人",
        "催办镇监察室",
        "录音设备正常",
        "夜间无来访",
    ):
        assert needle in text, needle
    assert "2026-11-0208:00至2026-11-0220:00" in text and "leader" in text  # the shift, in local time
    # Confidential: to a handler or an admin the record does not exist.
    for who in ("handler", "admin"):
        with pytest.raises(DocumentNotFound):
            await documents.get(tenant.id, info.id, actors[who])
    async with tenant_tx(tenant.id):
        assert [d.number for d in await DocumentStore(tenant.id).of_kind("handover_record")] == [
            second.number,
            info.number,
        ]


async def test_a_render_that_keeps_failing_ends_failed_and_may_be_queued_again(
    make_tenant, registry, actors, monkeypatch
):
    import core.services.rendering as rendering

    tenant = await make_tenant()
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases, clock)
    jobs = DocumentJobs(clock)
    case_id, _ = await drive(cases, tenant, actors, PLUGINS["township"])  # dispatched to jcs
    info = await documents.issue(tenant.id, case_id, "reply", actors["operator"])

    def broken(**_):
        raise ValueError("字体缺失")

    monkeypatch.setattr(rendering, "render_pdf", broken)
    for attempt in (1, 2, 3):  # retried by the scheduler twice, then given up
        assert await jobs.render(tenant.id, info.id) is False
        state = (await documents.get(tenant.id, info.id, actors["supervisor"])).render_state
        assert state == ("failed" if attempt == 3 else "pending"), attempt
    assert await jobs.render(tenant.id, info.id) is False  # failed for good: not picked up again
    failed = await documents.get(tenant.id, info.id, actors["supervisor"])
    assert failed.render_error == "ValueError: 字体缺失"
    with pytest.raises(DocumentNotReady, match="生成失败"):
        await documents.download(tenant.id, info.id, actors["supervisor"], "pdf")

    monkeypatch.undo()
    with pytest.raises(NotPermitted):  # reads the case, may not issue its documents
        await documents.rerender(tenant.id, info.id, actors["admin"])
    queued = await documents.rerender(tenant.id, info.id, actors["handler"])  # the case's own unit
    assert queued.render_state == "pending" and queued.render_error == ""
    with pytest.raises(RuleViolation, match="未生成失败"):
        await documents.rerender(tenant.id, info.id, actors["supervisor"])
    assert await jobs.render(tenant.id, info.id) is True
    ready = await documents.download(tenant.id, info.id, actors["supervisor"], "pdf")
    assert "经实地核查" in text_of(ready.content)
    with pytest.raises(RuleViolation):  # ready: nothing to do
        await documents.rerender(tenant.id, info.id, actors["supervisor"])
