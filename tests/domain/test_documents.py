"""Rendering document templates: placeholders filled in the tenant's zone, unknown ones refused."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from core.domain.cases import Case, CaseKind, CaseState, Channel, Severity
from core.domain.decisions import DocumentTemplate, FieldSpec, IntakeSchema
from core.domain.documents import (
    CASE_PLACEHOLDERS,
    PLACEHOLDERS,
    WITHHELD,
    blank_sections,
    case_facts,
    document_number,
    fill_document,
    identity_values,
    render_document,
    resolve_templates,
    split_reply_sections,
)
from core.domain.errors import InvalidCommand
from core.domain.events import CaseEvent, EventName
from core.domain.layout import Block, layout, to_html
from core.domain.tenancy import TenantContext, Unit

CASE = Case(
    id=1,
    tenant_id=1,
    serial="NX-2026-000042",
    kind=CaseKind.COMPLAINT,
    channel=Channel.LETTER,
    state=CaseState.REPLIED,
    title="公开栏信息不实",
    content="补贴名单与实际不一致",
    received_at=datetime.fromisoformat("2026-09-30T02:05:00+00:00"),
    severity=Severity.SERIOUS,
    category="untrue",
    unit_code="jcs",
    cause="政务公开",
    opinion="请核实",
    reply_mode="written",
    reply_content="已更正",
)
SHANGHAI = TenantContext(
    tenant_id=1, slug="nanxi", name="南溪镇", plugin="township", units=(Unit("jcs", "镇监察室"),)
)


def render(body: str, case: Case = CASE, ctx: TenantContext = SHANGHAI) -> str:
    return render_document(DocumentTemplate(key="k", title="t", body=body), case, ctx)


def test_every_case_placeholder_is_filled() -> None:
    body = "|".join(f"{{{name}}}" for name in sorted(CASE_PLACEHOLDERS))
    values = dict(zip(sorted(CASE_PLACEHOLDERS), render(body).split("|"), strict=True))
    assert values == {
        "category": "untrue",
        "cause": "政务公开",
        "channel": "来信",
        "content": "补贴名单与实际不一致",
        "intake_facts": "",  # no intake schema given: nothing answered to list
        "kind": "投诉",
        "opinion": "请核实",
        "owner": "",  # taken in on the portal: no first receiver
        "received_at": "2026-09-30 10:05",
        "reply_content": "已更正",
        "reply_mode": "书面答复",  # printed in Chinese, never the code
        "serial": "NX-2026-000042",
        "severity": "较重",
        "state": "已答复",
        "tenant": "南溪镇",
        "title": "公开栏信息不实",
        "unit": "镇监察室",
    }


def test_received_at_is_shown_in_the_tenants_zone() -> None:
    new_york = TenantContext(
        tenant_id=2, slug="ny", name="NY", plugin="township", timezone="America/New_York"
    )
    assert render("{received_at}", ctx=new_york) == "2026-09-29 22:05"
    assert render("{received_at}") == "2026-09-30 10:05"


def test_unit_is_blank_when_the_case_has_none_or_the_tenant_does_not_know_it() -> None:
    assert render("[{unit}]", case=dataclasses.replace(CASE, unit_code=None)) == "[]"
    assert render("[{unit}]", case=dataclasses.replace(CASE, unit_code="gone")) == "[]"


def test_literal_braces_survive() -> None:
    assert render("{{serial}} {serial}") == "{serial} NX-2026-000042"


@pytest.mark.parametrize("body", ["{nope}", "编号 {serial}，{Serial}", "{identity_name}"])
def test_an_unknown_placeholder_is_refused(body: str) -> None:
    with pytest.raises(InvalidCommand) as raised:
        render(body)
    assert raised.value.field in {"nope", "Serial", "identity_name"}
    assert raised.value.field in str(raised.value)
    assert "未知占位符" in str(raised.value)


def test_identity_placeholders_are_blank_unless_filled_for_a_recipient() -> None:
    assert not {"name", "phone", "address", "identity"} & PLACEHOLDERS
    assert render("[{complainant_name}|{complainant_phone}|{complainant_address}]") == "[||]"


IDENTITY = {"name": "欧阳明远", "phone": "13912345678", "address": "浙江省杭州市西湖区文三路90号"}


def test_identity_values_withhold_for_a_unit_and_mask_for_others() -> None:
    assert identity_values(IDENTITY, anonymous=False, shown="withheld") == {
        "complainant_name": WITHHELD,
        "complainant_phone": WITHHELD,
        "complainant_address": WITHHELD,
    }
    assert identity_values(IDENTITY, anonymous=False, shown="masked") == {
        "complainant_name": "欧***",
        "complainant_phone": "139****5678",
        "complainant_address": "浙江省杭州市****",
    }
    assert identity_values({"name": "x"}, anonymous=True, shown="masked")["complainant_name"] == "匿名"
    assert (
        identity_values({"name": "王五", "mobile": "13800001111"}, anonymous=False, shown="masked")[
            "complainant_phone"
        ]
        == "138****1111"
    )


def test_reply_sections_are_found_in_the_reply_and_a_missing_one_is_shown_missing() -> None:
    content = "【调查经过】两人实地核查；事实和证据：公开栏未更新。处理意见：责令整改。"
    text = split_reply_sections(content, ("调查经过", "事实和证据", "责任认定", "处理意见"))
    assert text.splitlines() == [
        "一、调查经过",
        "两人实地核查",
        "二、事实和证据",
        "公开栏未更新。",
        "三、责任认定",
        "（答复未载明此项）",
        "四、处理意见",
        "责令整改。",
    ]
    assert split_reply_sections("已更正", ()) == "已更正"


def test_facts_come_from_the_events_in_the_tenants_zone() -> None:
    at = datetime.fromisoformat("2026-10-09T02:00:00+00:00")
    events = [
        CaseEvent("case_dispatched", at, "leader", None, CASE.state, data={"unit_code": "jcs"}),
        CaseEvent(
            "case_extension_requested",
            at,
            "handler",
            None,
            CASE.state,
            data={"period": "5 working days", "reason": "需调档"},
        ),
        CaseEvent("case_extended", at, "leader", None, CASE.state, data={"period": "5 working days"}),
        CaseEvent("case_returned", at, "handler", None, CASE.state, data={"reason": "不属本单位"}),
        CaseEvent("case_feedback_recorded", at, "supervisor", None, CASE.state, data={"note": "已回访"}),
    ]
    facts = case_facts(CASE, events, SHANGHAI, number="答复-2026-0001", issued_at=at)
    assert facts["dispatched_at"] == "2026-10-09 10:00" and facts["dispatched_by"] == "leader"
    assert facts["extension_period"] == "5个工作日" and facts["extension_reason"] == "需调档"
    assert facts["extension_approved_by"] == "leader" and facts["extension_requested_by"] == "handler"
    assert (facts["return_reason"], facts["feedback_note"]) == ("不属本单位", "已回访")
    assert facts["number"] == "答复-2026-0001" and facts["reply_sections"] == "已更正"


def test_numbers_and_template_resolution() -> None:
    assert document_number("transfer_slip", "投诉转办单", 2026, 7) == "转办-2026-0007"
    assert document_number("draft_opinion", "呈报 处理意见", 2026, 12) == "呈报处理意见-2026-0012"
    core = DocumentTemplate(key="reply", title="核心", body="{serial}")
    plugin = DocumentTemplate(key="reply", title="插件", body="{title}")
    assert resolve_templates([core, plugin])["reply"] is plugin


def test_layout_reads_fields_headings_tables_and_paragraphs() -> None:
    body = (
        "投诉举报登记表\n编号：NX-1　类型：投诉\n\n一、调查经过\n经查属实。\n单位\t受理\n监察室\t3\n"
        "（注：保密）"
    )
    blocks = layout(body, skip=("投诉举报登记表",))
    assert blocks == (
        Block("fields", cells=(("编号", "NX-1"), ("类型", "投诉"))),
        Block("space"),
        Block("heading", text="一、调查经过"),
        Block("paragraph", text="经查属实。"),
        Block("table", rows=(("单位", "受理"), ("监察室", "3"))),
        Block("paragraph", text="（注：保密）"),
    )
    page = to_html(
        tenant="南溪镇",
        title="登记表",
        number="登记-2026-0001",
        blocks=(*blocks, Block("paragraph", text="<b>")),
    )
    assert "<td>NX-1</td>" in page and "<th>单位</th>" in page and "&lt;b&gt;" in page and "<b>" not in page


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{title.upper}", "title.upper"),
        ("{serial[0]}", "serial[0]"),
        ("{0}", "0"),
        ("{}", ""),
        ("编号 {", "body"),
    ],
)
def test_attribute_index_positional_and_stray_braces_are_refused(body: str, field: str) -> None:
    with pytest.raises(InvalidCommand) as raised:
        render(body)
    assert raised.value.field == field


SCHEMA = IntakeSchema(
    fields=(
        FieldSpec("respondent", "被投诉单位"),
        FieldSpec("harm", "危害程度", choices=(("minor", "轻微"), ("grave", "严重"))),
        FieldSpec("on_site", "需出现场", required=False),
        FieldSpec("phone", "联系电话", identity=True),
        FieldSpec("evidence", "证据", kinds=frozenset({CaseKind.REPORT})),
    )
)


def test_intake_fields_print_by_label_and_identity_fields_never_open() -> None:
    case = dataclasses.replace(
        CASE, owner="operator", fields={"respondent": "南溪村委会", "harm": "grave", "on_site": True}
    )
    template = DocumentTemplate(
        key="k",
        title="t",
        body="单位：{field_respondent}　程度：{field_harm}　现场：{field_on_site}　首问：{owner}",
    )
    text = render_document(template, case, SHANGHAI, schema=SCHEMA)
    assert text == "单位：南溪村委会　程度：严重　现场：是　首问：operator"
    for body in ("{field_phone}", "{field_evidence}", "{field_respondent}"):
        with pytest.raises(InvalidCommand, match="未知占位符"):  # identity, another kind's, no schema
            render_document(
                DocumentTemplate(key="k", title="t", body=body),
                case,
                SHANGHAI,
                schema=SCHEMA if body != "{field_respondent}" else None,
            )


def test_an_agreed_date_is_a_fact_of_the_record() -> None:
    at = datetime.fromisoformat("2026-10-09T02:00:00+00:00")
    agreed = CaseEvent(
        "case_deadline_set",
        at,
        "handler",
        None,
        CASE.state,
        data={"due_on": "2026-10-20", "reason": "需现场核查"},
    )
    facts = case_facts(CASE, [agreed], SHANGHAI, number="n", issued_at=at)
    assert (facts["agreed_due_on"], facts["agreed_reason"]) == ("2026-10-20", "需现场核查")


def test_the_approval_chain_referral_and_closing_are_facts_of_the_record() -> None:
    at = datetime.fromisoformat("2026-10-09T02:00:00+00:00")
    later = datetime.fromisoformat("2026-10-10T02:00:00+00:00")

    def event(name: str, actor: str, when: datetime = at, **data: object) -> CaseEvent:
        return CaseEvent(name, when, actor, None, CASE.state, data=data)

    events = [
        event("case_registered", "operator"),
        event("case_submitted_for_approval", "operator", opinion="拟转镇监察室"),
        event("case_approved", "leader", opinion="退回重拟"),
        # A second round starts afresh: the first round's approvals are not this one's.
        event("case_submitted_for_approval", "operator", later, opinion="拟转镇纪委"),
        event("case_approved", "deputy", later, opinion=""),
        event("case_approved", "leader", later, opinion="同意，从严查处"),
        event("case_referred_out", "operator", agency="县市场监督管理局（电话 12315）", reason="属其职责"),
        event(
            "case_closed",
            "supervisor",
            summary="已责令整改",
            outcome="upheld",
            respondent="王某",
            amount="80",
        ),
    ]
    facts = case_facts(CASE, events, SHANGHAI, number="n", issued_at=at)
    assert (facts["registered_by"], facts["registered_at"]) == ("operator", "2026-10-09 10:00")
    assert (facts["draft_opinion"], facts["submitted_at"]) == ("拟转镇纪委", "2026-10-10 10:00")
    assert (facts["approval_opinion"], facts["approved_by"]) == ("同意，从严查处", "leader")
    assert facts["approval_opinions"] == (
        "deputy（2026-10-10 10:00）：同意；leader（2026-10-10 10:00）：同意，从严查处"
    )
    assert (facts["referred_to"], facts["referral_reason"]) == ("县市场监督管理局（电话 12315）", "属其职责")
    assert (facts["closing_summary"], facts["outcome"], facts["respondent"]) == (
        "已责令整改",
        "投诉属实",
        "王某",
    )
    assert (facts["amount"], facts["closed_by"]) == ("80.00 元", "supervisor")
    no_money = case_facts(
        CASE, [event("case_closed", "supervisor", amount="0")], SHANGHAI, number="n", issued_at=at
    )
    assert no_money["amount"] == ""


def test_intake_facts_list_every_answered_field_by_label() -> None:
    case = dataclasses.replace(CASE, fields={"respondent": "南溪村委会", "harm": "grave", "on_site": True})
    text = render_document(
        DocumentTemplate(key="k", title="t", body="{intake_facts}"), case, SHANGHAI, schema=SCHEMA
    )
    assert text.splitlines() == ["被投诉单位：南溪村委会", "危害程度：严重", "需出现场：是"]


def test_blank_sections_are_named_by_their_label() -> None:
    body = "承办单位：{unit}　承办人：{handler}\n处理意见：\n{closing_summary}\n签字："
    filled = fill_document(DocumentTemplate(key="k", title="t", body=body), CASE, SHANGHAI, facts={})
    assert filled.blank == ("承办人", "{closing_summary}")
    assert blank_sections("类别：{category}", {"category": "  "}) == ("类别",)


def test_a_template_named_after_an_event_applies_only_once_it_happened() -> None:
    notice = DocumentTemplate(key="handoff", title="移交告知书", body="{title}", after=EventName.REFERRED_OUT)
    assert not notice.applies_to(CASE)
    assert not notice.applies_to(CASE, {EventName.REGISTERED})
    assert notice.applies_to(CASE, {EventName.REGISTERED, EventName.REFERRED_OUT})
