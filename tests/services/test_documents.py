"""Golden documents: every template, for a realistic case of every plugin, rendered by the worker.

Each case is driven through the real services (intake with an identity, registration, approval
where the plugin wants it, dispatch, a return 退信 and a second dispatch, signing for it, an
extension where the plugin allows one, what the plugin asks before a reply, the reply, the phone
feedback), every template that applies — the core's and the plugin's own — is issued, the render
job turns it into PDF, and ``pdftotext`` reads the PDF back: the sections the document must have
are there, the unit's copy carries nothing of the complainant, the internal copy only the masked
identity. The newer plugins run on their demo tenant (its units and people) under a fresh slug.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import string
import subprocess
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.defaults import CORE_TEMPLATES
from core.domain.calendar import Period
from core.domain.cases import CaseKind, Channel, Satisfaction
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    CaseCommand,
    CloseCase,
    DispatchCase,
    ExtendCase,
    FollowUp,
    Outcome,
    RecordFeedback,
    RecordInvestigation,
    ReferCaseOut,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    RequestExtension,
    ReturnCase,
    SetDeadline,
    SignForCase,
    SubmitForApproval,
)
from core.domain.documents import FACT_PLACEHOLDERS, WITHHELD
from core.domain.errors import DocumentNotReady, DomainError, InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.layout import layout
from core.domain.lifecycle import Action
from core.domain.masking import mask_address, mask_name, mask_phone
from core.domain.roles import Actor
from core.jobs.scheduler import Scheduler
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.documents import DocumentJobs, DocumentService
from core.services.tenants import load_tenant, onboard, read_tenant_file
from core.store.tx import tenant_tx

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (make test)")

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
NAME, PHONE, ADDRESS = "欧阳明远", "13912345678", "南溪镇幸福路 18 号"
IDENTITY = {"name": NAME, "phone": PHONE, "address": ADDRESS, "work_unit": "县第一中学"}
TENANTS = Path(__file__).parents[2] / "tenants"
KEYS = (
    "registration_form",
    "transfer_slip",
    "supervision_notice",
    "extension",
    "reply",
    "return_request",
    "phone_feedback",
)
DRAFT_OPINION = "拟转承办单位核实办理"
APPROVAL_OPINION = "同意，请承办单位从严查处"
REPLY = "调查经过：经实地核查。事实和证据：公开栏确未更新。处理意见：责令三日内更新。"


@dataclasses.dataclass(frozen=True)
class Realistic:
    """A realistic case of one plugin, and what its documents must say beyond `EXPECTED`."""

    draft: Mapping[str, Any]
    category: str
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    tenant_file: str = ""  # a demo tenant onboarded under a fresh slug (its units and people)
    unit: str = "jcs"  # where the case is dispatched; the tenant's `handler` works there
    cause: str = "信息公开不到位"
    timer: str = "handling"  # the deadline an extension is asked on
    extends: bool = False  # whether the plugin lets that deadline be extended
    before_reply: tuple[CaseCommand, ...] = ()  # what the plugin asks of the handler first
    reply: str = REPLY
    sections: tuple[str, ...] = ()  # the reply's sections the plugin requires (its hook is compared)
    needles: Mapping[str, tuple[str, ...]] = dataclasses.field(  # by template key
        default_factory=lambda: {"reply": ("经实地核查", "责令三日内更新")}
    )


PLUGINS = {
    "township": Realistic(
        extends=True,
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="村务公开栏三个月未更新",
            content=f"投诉人称幸福村公开栏自八月起未更新，联系电话 {PHONE}。",
            fields={"situation": "not_compiled", "respondent": "幸福村委会"},
        ),
        category="not_compiled",
    ),
    "commerce12312": Realistic(
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
    "qtsb": Realistic(
        extends=True,
        settings={"routing": {"城东/*": "jcs"}},
        draft=dict(
            kind=CaseKind.REPORT,
            channel=Channel.LETTER,
            title="城东某厂生产不合格电线",
            content="城东工业园某电线厂以次充好，线芯截面不足。",
            fields={"product": "某电线厂", "area": "城东", "industry": "电线电缆"},
        ),
        category="电线电缆",
        needles={
            "reply": ("经实地核查", "责令三日内更新"),
            "result_notice": ("办理结果的告知", "经实地核查", "责令三日内更新"),
            "transfer_slip": (f"局领导审批意见{APPROVAL_OPINION}", "转办意见经核属本单位职责"),
        },
    ),
    "efficiency": Realistic(
        extends=True,
        settings={"regulation": "jsj", "day_unit": "working", "leader_approval": False},
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="公房维修申请三次往返未果",
            content="资产管理处经办人推诿，维修申请递交三次仍未受理。",
            fields={"nature": "efficiency", "respondent": "资产管理处 郑涛"},
        ),
        category="efficiency",
        needles={
            "reply": ("经实地核查", "责令三日内更新"),
            "draft_opinion": ("拟办意见", "经核属本单位职责", "分管领导批示"),
            "result_notice": ("的查办结果", "经实地核查", "责令三日内更新"),
        },
    ),
    # 永济市市民服务中心: a letter about a window's fee, registered when opened (第六条), answered in
    # writing by the window's department with the findings and the handling opinion (第七条).
    "civic_center": Realistic(
        tenant_file="yongji-civic.toml",
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.LETTER,
            title="不动产登记窗口收取“加急费”",
            content=f"办理抵押登记时窗口工作人员收取 80 元“加急费”，未开具票据。联系电话 {PHONE}。",
            fields={
                "matter": "fees",
                "accused_unit": "win-realty",
                "accused_person": "不动产登记窗口 王磊",
                "evidence": "收款微信截图一张",
                "letter_register": "督查科杨洁 2026-10-30 拆阅，来信 2 页、附截图 1 张",
            },
        ),
        category="fees",
        unit="win-realty",
        cause="违规收费",
        timer="answer",
        reply="调查核实情况：经实地核查，窗口确有收费未开票。处理意见：责令三日内退还费用并扣分。",
        sections=("调查核实情况", "处理意见"),
        needles={
            "reply": ("经实地核查", "责令三日内退还费用"),
            # The plugin's intake fields print through {field_<key>} placeholders.
            "visit_record": (
                "当面投诉举报笔录",
                "不动产登记窗口王磊",
                "收款微信截图一张",
                "加急费",
                "第四条",
            ),
            "call_record": ("来电内容", "加急费", "不动产登记窗口王磊"),
            "letter_register": ("来信内容摘要", "督查科杨洁2026-10-30拆阅", "不动产登记窗口王磊", "加急费"),
            "delay_notice": ("约定答复日期", "不动产登记窗口", "第八条"),
            "handling_decision": (
                "一、调查核实情况",
                "二、处理意见",
                "责令三日内退还费用",
                "基本满意",
                "督查科处理决定",
            ),
            "points_report": ("永济市人民政府", "一、调查核实情况", "二、处理意见", "经实地核查", "第十条"),
            "transfer_letter": ("违规违纪", "一、调查核实情况", "二、处理意见", "经实地核查", "第八条"),
        },
    ),
    # 市疾病预防控制中心: a letter goes the written procedure (三.7): 30 days extendable to 60,
    # investigated by two people with a signed record (三.5), answered in the four sections.
    "cdc": Realistic(
        tenant_file="city-cdc.toml",
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.LETTER,
            title="接种门诊未告知禁忌症",
            content=f"家长来信反映接种前窗口人员未告知禁忌症，孩子接种后发热。联系电话 {PHONE}。",
            fields={
                "respondent": "预防接种门诊窗口",
                "facts": "2026-10-28 接种前窗口人员未告知禁忌症，孩子接种后发热",
                "demands": "要求说明情况并赔礼道歉",
                "direct_harm": "yes",
                "statement": "written",
            },
        ),
        category="",
        unit="immunization",
        cause="接种告知",
        timer="written_reply",
        extends=True,
        before_reply=(
            RecordInvestigation(
                investigators=("宋佳", "何平"),
                interviewee="周敏",
                place="预防接种门诊",
                findings="未履行告知义务",
                signed=True,
            ),
        ),
        reply=(
            "调查经过：经实地核查，调取接种登记并询问窗口人员周敏。事实和证据：接种登记无告知签字记录。"
            "责任认定：窗口人员未履行接种前告知义务。处理意见：责令三日内整改，向投诉人书面道歉。"
        ),
        sections=("调查经过", "事实和证据", "责任认定", "处理意见"),
        needles={
            "registration_form": ("受理条件核对", "通讯方式", "投诉人签字（盖章）", "接种门诊未告知禁忌症"),
            "reply": ("一、调查经过", "四、处理意见", "经实地核查", "书面道歉", "人民法院提起诉讼", "三.7"),
            # The investigation on file, not a blank form: who, whom, what they found.
            "investigation_record": (
                "调查人员（两人）",
                "宋佳",
                "何平",
                "被调查人周敏",
                "未履行告知义务",
                "三.5",
            ),
            "oral_settlement_record": ("处理情况（当场答复）", "基本满意", "三.2"),
            "mediation_notice": ("调解终结", "人民法院提起诉讼", "三.8"),
        },
    ),
    # 示范实业: a named customer's complaint, handled by the Market Development Dept (三), 5
    # working days or a date agreed with the customer (五, no extension).
    "company": Realistic(
        tenant_file="demo-company.toml",
        draft=dict(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="空调安装后墙面渗水",
            content=f"销售承诺免费上门安装，安装师傅未按规范打孔，雨后墙面渗水。回电 {PHONE}。",
            fields={"subject": "service", "reason": "安装不规范", "demand": "重新安装并修复墙面"},
        ),
        category="service",
        unit="market",
        cause="客户投诉：安装渗水",
        reply="经实地核查，安装班组未按规范打孔；已于三日内重新安装并修复墙面。",
        needles={
            "reply": ("经实地核查", "重新安装并修复墙面"),
            "complaint_record": ("投诉理由安装不规范", "客户要求重新安装并修复墙面", "首问责任人", "四.1"),
            "handling_plan": ("原因分析及责任归属", "客户投诉：安装渗水", "经核属本单位职责", "四.3"),
            "reply_letter": ("空调安装后墙面渗水", "经实地核查", "继续处理直到您满意"),
            "handling_opinion": ("处理结论", "四.9"),
        },
    ),
}
ORDER = ("operator", "leader", "handler", "supervisor")


async def tenant_and_people(plugin, make_tenant, registry, unique_slug, actors):
    """The plugin's tenant and its people: the demo tenant's when the spec names one."""
    spec = PLUGINS[plugin]
    if not spec.tenant_file:
        return await make_tenant(plugin, settings=dict(spec.settings)), actors
    config = read_tenant_file(TENANTS / spec.tenant_file, registry)
    tenant = await onboard(
        dataclasses.replace(config, slug=unique_slug(spec.tenant_file.removesuffix(".toml"))), registry
    )
    people = {
        user.username: Actor(username=user.username, roles=frozenset(user.roles), unit_code=user.unit_code)
        for user in config.users
    }
    assert people["handler"].unit_code == spec.unit  # the unit's copy is read by the case's own unit
    return tenant, people


async def act(service, tenant_id, case_id, command, actors, order=ORDER):
    """Perform `command` as the first of `order` the plugin lets do it."""
    refused: DomainError | None = None
    for name in order:
        try:
            return await service.perform(tenant_id, case_id, command, actors[name])
        except NotPermitted as exc:
            refused = exc
    raise refused  # type: ignore[misc]


async def dispatch(service, tenant_id, case_id, actors, spec):
    allowed = await service.allowed_actions(tenant_id, case_id, actors["leader"])
    if Action.SUBMIT_FOR_APPROVAL in allowed:
        try:
            await act(service, tenant_id, case_id, SubmitForApproval(opinion=DRAFT_OPINION), actors)
        except RuleViolation:  # the table allows it, the plugin's chain is empty: dispatch at once
            allowed = ()
        for _ in range(3 if allowed else 0):
            try:
                await act(
                    service, tenant_id, case_id, ApproveCase(opinion=APPROVAL_OPINION), actors, ("leader",)
                )
            except RuleViolation:  # every level has signed
                break
    command = DispatchCase(unit_code=spec.unit, cause=spec.cause, opinion="请核实并限期整改")
    return await act(service, tenant_id, case_id, command, actors, ("leader", "operator", "supervisor"))


async def drive(service, tenant, actors, spec) -> tuple[int, bool]:
    """A realistic case of the plugin, to the phone feedback; returns (case id, extended)."""
    draft = IntakeDraft(identity=IDENTITY, **spec.draft)
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await act(service, tenant.id, case_id, RegisterCase(category=spec.category), actors)
    await act(service, tenant.id, case_id, AcceptCase(), actors)
    await dispatch(service, tenant.id, case_id, actors, spec)
    await act(
        service, tenant.id, case_id, ReturnCase(reason="不属本单位职责，应由党政办办理"), actors, ("handler",)
    )
    command = DispatchCase(unit_code=spec.unit, cause=spec.cause, opinion="经核属本单位职责，请办理")
    await act(service, tenant.id, case_id, command, actors, ("leader", "operator", "supervisor"))
    await act(service, tenant.id, case_id, SignForCase(handler="handler"), actors, ("handler",))
    extended = False
    for period in ("5 working days", "10 days"):
        try:
            request = RequestExtension(period=Period.parse(period), reason="需调取档案核实", timer=spec.timer)
            await act(service, tenant.id, case_id, request, actors, ("handler", "operator"))
            grant = ExtendCase(period=Period.parse(period), reason="需调取档案核实", timer=spec.timer)
            await act(service, tenant.id, case_id, grant, actors, ("leader", "supervisor"))
            extended = True
            break
        except DomainError:
            continue
    for command in spec.before_reply:
        await act(service, tenant.id, case_id, command, actors, ("handler",))
    for mode in (ReplyMode.WRITTEN, ReplyMode.PHONE):
        try:
            await act(service, tenant.id, case_id, ReplyToCase(mode=mode, content=spec.reply), actors)
            break
        except DomainError:
            continue
    verified = FollowUp(note="已跟踪核实处理结果", verified=True)  # where closing will wait for it
    await act(service, tenant.id, case_id, verified, actors, ("operator", "supervisor", "leader"))
    feedback = RecordFeedback(satisfaction=Satisfaction.BASICALLY_SATISFIED, note=f"已电话回访 {PHONE}")
    await act(service, tenant.id, case_id, feedback, actors, ("supervisor", "operator", "leader"))
    return case_id, extended


def text_of(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(result.stdout.decode().split())  # the layout breaks lines anywhere


EXPECTED = {
    "registration_form": ("编号", "来源", "内容"),
    "transfer_slip": ("案由", "经核属本单位职责"),  # and the cause; qtsb labels the opinion 局领导审批意见
    "supervision_notice": ("督办", "办理期限"),
    "extension": ("延期理由",),
    "reply": ("答复",),  # and each section the plugin requires, filled in
    "return_request": ("退信理由", "不属本单位职责"),
    "phone_feedback": ("满意度", "基本满意"),
}


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
async def test_every_document_of_a_realistic_case_renders_redacted(
    plugin, make_tenant, registry, unique_slug, actors
):
    spec = PLUGINS[plugin]
    tenant, actors = await tenant_and_people(plugin, make_tenant, registry, unique_slug, actors)
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases)
    jobs = DocumentJobs(clock)
    case_id, extended = await drive(cases, tenant, actors, spec)
    assert extended is spec.extends, plugin
    view = await cases.get(tenant.id, case_id, actors["supervisor"])
    async with tenant_tx(tenant.id):
        sections = (await load_tenant(tenant.id, registry)).hooks.reply_requirements(view.case).sections
    assert sections == spec.sections, sections
    templates = {t.key: t for t in await documents.templates(tenant.id, case_id, actors["supervisor"])}
    assert set(KEYS) <= set(templates), sorted(templates)
    # The plugin's own templates (new, or replacing the core's) are all rendered and all checked.
    own = {key for key, template in templates.items() if template not in CORE_TEMPLATES}
    assert own - set(KEYS) <= set(spec.needles), (plugin, sorted(own - set(spec.needles)))

    issued = {key: await documents.issue(tenant.id, case_id, key, actors["operator"]) for key in templates}
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
        needles = [*EXPECTED.get(key, ()), *spec.needles.get(key, ())]
        needles += {"transfer_slip": [spec.cause], "reply": [f"、{s}" for s in sections]}.get(key, [])
        for text in (inside, outside):
            assert title in text and info.number in text and view.case.serial in text, (key, text)
            for needle in needles:
                if key == "extension" and not extended:
                    continue
                assert "".join(needle.split()) in text, (plugin, key, needle, text)
            if key == "reply":  # every required section is stated, none printed as missing
                assert "答复未载明此项" not in text, (plugin, text)
            # Nobody's copy carries the clear identity: not the name, the phone or the address.
            for secret in (NAME, PHONE, ADDRESS.replace(" ", ""), "欧阳"):
                assert secret not in text, (plugin, key, secret)
        # The unit's copy shows nothing of the person, not even masked; the internal copy shows the
        # masked identity wherever the template has a slot for it.
        for masked in (mask_name(NAME), mask_phone(PHONE), mask_address(ADDRESS)):
            assert masked not in outside, (plugin, key, masked)
        for slot, masked in (
            ("{complainant_name}", mask_name(NAME)),
            ("{complainant_phone}", mask_phone(PHONE)),
            ("{complainant_address}", mask_address(ADDRESS)),
        ):
            if slot in templates[key].body:
                assert masked in inside and WITHHELD in outside, (plugin, key, slot)
        html = await documents.download(tenant.id, info.id, actors["handler"], "html")
        assert html.media_type.startswith("text/html") and NAME not in html.content.decode()

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


# --- every labelled section filled from the case's facts ------------------------------------------

# Sections a person fills in on paper: the signatures and seals.
SIGNED_ON_PAPER = ("签字", "签名", "盖章", "签字（盖章）", "签名（盖章）")
# Facts only a referral has: a template naming them is read on a referred case.
REFERRAL_FACTS = frozenset({"referred_to", "referral_reason", "referred_at"})


# What the walk recorded, as a document must print it.
FACTS_SAID = {
    "draft_opinion": DRAFT_OPINION,
    "approval_opinion": APPROVAL_OPINION,
    "closing_summary": "经查投诉属实，已责令被投诉人整改并退还费用",
    "outcome": "投诉属实",
    "respondent": "被投诉人王某",
    "amount": "80.00 元",
    "referred_to": "县市场监督管理局",
    "referral_reason": "属市场监管部门职责",
    "agreed_reason": "与投诉人约定答复日期",
    "agreed_due_on": "2026-12-30",
    "investigated_place": "预防接种门诊",
    "registered_by": "operator",
}


def empty_fields(text: str, body: str) -> list[str]:
    """Labelled cells left empty, but for signatures and a label whose text follows below it."""
    empty = []
    for block in layout(text):
        for label, value in block.cells:
            if value or label.endswith(SIGNED_ON_PAPER):
                continue
            if re.search(rf"(^|\n){re.escape(label)}：\n\{{", body):
                continue  # "处理意见：" over the placeholder that holds it (checked not blank)
            empty.append(label)
    return empty


def placeholders(body: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(body) if name}


async def walk_to_the_end(cases, tenant, actors, spec) -> tuple[int, set[str]]:
    """The realistic case walked through every step that leaves a fact, to its closing.

    Returns the case and the facts the plugin does not let this walk produce (an extension where
    none is allowed, a date agreed where no deadline is negotiable), as placeholder names.
    """
    case_id, extended = await drive(cases, tenant, actors, spec)
    missing = set() if extended else {p for p in FACT_PLACEHOLDERS if p.startswith("extension_")}
    agreed = SetDeadline(timer=spec.timer, due_on=date(2026, 12, 30), reason="与投诉人约定答复日期")
    try:
        await act(cases, tenant.id, case_id, agreed, actors, ("handler", "operator", "supervisor", "leader"))
    except DomainError:
        missing |= {"agreed_due_on", "agreed_reason"}
    closing = CloseCase(
        summary="经查投诉属实，已责令被投诉人整改并退还费用",
        outcome=Outcome.UPHELD,
        respondent="被投诉人王某",
        respondent_unit=spec.unit,
        amount=Decimal("80"),
    )
    await act(cases, tenant.id, case_id, closing, actors, ("supervisor", "leader", "operator", "handler"))
    return case_id, missing


async def referred(cases, tenant, actors, spec) -> int:
    draft = IntakeDraft(identity=IDENTITY, **spec.draft)
    case_id = (await cases.intake(tenant.id, draft, actors["operator"])).case.id
    await act(cases, tenant.id, case_id, RegisterCase(category=spec.category), actors)
    referral = ReferCaseOut(agency="县市场监督管理局（电话 0359-1234567）", reason="属市场监管部门职责")
    await act(cases, tenant.id, case_id, referral, actors, ("operator", "leader", "supervisor"))
    return case_id


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
async def test_no_document_prints_a_blank_section_for_a_fact_the_case_has(
    plugin, make_tenant, registry, unique_slug, actors
):
    spec = PLUGINS[plugin]
    tenant, actors = await tenant_and_people(plugin, make_tenant, registry, unique_slug, actors)
    cases = CaseService(registry, FixedClock(NOW))
    documents = DocumentService(registry, cases)
    case_id, missing = await walk_to_the_end(cases, tenant, actors, spec)
    referral_id = await referred(cases, tenant, actors, spec)
    supervisor = actors["supervisor"]
    on_case = {t.key: t for t in await documents.templates(tenant.id, case_id, supervisor)}
    on_referral = {t.key: t for t in await documents.templates(tenant.id, referral_id, supervisor)}
    kind = spec.draft["kind"]
    async with tenant_tx(tenant.id):
        schema = (await load_tenant(tenant.id, registry)).hooks.intake_schema(kind)
    checked = []
    for key, template in (on_case | on_referral).items():
        used = placeholders(template.body)
        if used & missing:
            continue  # this plugin's rules never produce that fact
        target = referral_id if used & REFERRAL_FACTS else case_id
        preview = await documents.preview(tenant.id, target, key, supervisor)
        blank = [label for label in preview.blank if not label.endswith(SIGNED_ON_PAPER)]
        assert blank == [], (plugin, key, blank, preview.text)
        assert empty_fields(preview.text, template.body) == [], (plugin, key, preview.text)
        for name in used & set(FACTS_SAID):  # and each is the fact the walk recorded, not another
            assert FACTS_SAID[name] in preview.text, (plugin, key, name, preview.text)
        if "intake_facts" in used:  # every answer given at intake, by its label
            for field in schema.fields:
                if not field.identity and (answer := field.text(spec.draft["fields"].get(field.key))):
                    assert f"{field.label}：{answer}" in preview.text, (plugin, key, field.key, preview.text)
        checked.append(key)
    # A choice prints by its label: the category keyed at intake never reaches a form as its key.
    case = (await cases.get(tenant.id, case_id, supervisor)).case
    label = schema.label_of(case.category)
    assert case.category == spec.category, (plugin, case.category)  # kept to the closing
    for key in checked:
        if "{category}" in on_case.get(key, on_referral.get(key)).body and key in on_case:
            text = (await documents.preview(tenant.id, case_id, key, supervisor)).text
            assert label in text, (plugin, key, label, text)
            if label != case.category:
                assert f"：{case.category}\n" not in text, (plugin, key, text)
    # Every template of the plugin was read, on the case or on the referral.
    skipped = set(on_case | on_referral) - set(checked)
    assert all(placeholders((on_case | on_referral)[k].body) & missing for k in skipped), skipped
    if plugin == "efficiency":
        assert "handoff_notice" in on_referral and "handoff_notice" not in on_case


async def test_an_oral_reply_is_printed_even_where_the_plugin_names_sections_for_written_ones(
    make_tenant, registry, unique_slug, actors
):
    # The CDC's four sections bind written replies only (三.7); a call settled on the spot (三.2)
    # is answered in a sentence. Its 答复书 and 当场处理记录 print that sentence, with the sections
    # it does not state shown as missing — never an answer reduced to four empty headings.
    tenant, people = await tenant_and_people("cdc", make_tenant, registry, unique_slug, actors)
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases)
    fields = dict(PLUGINS["cdc"].draft["fields"], statement="signed_transcript")
    draft = IntakeDraft(
        **(PLUGINS["cdc"].draft | {"channel": Channel.PHONE, "fields": fields}), identity=IDENTITY
    )
    case_id = (await cases.intake(tenant.id, draft, people["operator"])).case.id
    for command in (
        RegisterCase(),
        AcceptCase(),
        ReplyToCase(mode=ReplyMode.ON_THE_SPOT, content=f"当场调阅接种记录并致歉，已回电 {PHONE}"),
    ):
        await cases.perform(tenant.id, case_id, command, people["operator"])
    texts = {}
    for key in ("reply", "oral_settlement_record"):
        info = await documents.issue(tenant.id, case_id, key, people["operator"])
        assert await DocumentJobs(clock).render(tenant.id, info.id)
        for copy in ("internal", "unit"):
            pdf = await documents.download(tenant.id, info.id, people["supervisor"], "pdf", copy=copy)
            texts[key, copy] = text = text_of(pdf.content)
            assert "当场调阅接种记录并致歉" in text and PHONE not in text, (key, copy, text)
    assert "一、调查经过（答复未载明此项）" in texts["reply", "unit"]  # the gap stays visible


async def test_the_scheduler_renders_pending_documents_and_supervision_notices(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    cases = CaseService(registry, clock)
    documents = DocumentService(registry, cases)
    case_id, _ = await drive(cases, tenant, actors, PLUGINS["township"])
    info = await documents.issue(tenant.id, case_id, "transfer_slip", actors["operator"])
    rendered: list[tuple[int, int]] = []
    jobs = DocumentJobs(clock)

    async def render(tenant_id: int, document_id: int) -> None:
        rendered.append((tenant_id, document_id))
        await jobs.render(tenant_id, document_id)

    scheduler = Scheduler(
        clock=clock,
        fire_timers=lambda t, ids: None,
        deliver_notification=lambda t, i: None,
        render_document=render,
        requeue_after=timedelta(seconds=30),
    )
    # The suite's other tenants leave pending documents too; each tick claims a batch of them.
    for _ in range(100):
        await scheduler.tick()
        if (tenant.id, info.id) in rendered:
            break
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
    from core.store.documents import DocumentRepository
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
    documents = DocumentService(registry, CaseService(registry, clock))
    for who in ("handler", "admin"):
        with pytest.raises(NotPermitted, match="值班记录保密"):
            await documents.issue_handover(tenant.id, handover.id, actors[who])
    from core.domain.errors import DocumentNotFound

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
        assert [d.number for d in await DocumentRepository(tenant.id).of_kind("handover_record")] == [
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
    documents = DocumentService(registry, cases)
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
