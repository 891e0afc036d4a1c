"""Rendering document templates: placeholders filled in the tenant's zone, unknown ones refused."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from core.domain.cases import Case, CaseKind, CaseState, Channel, Severity
from core.domain.decisions import DocumentTemplate
from core.domain.documents import PLACEHOLDERS, render_document
from core.domain.errors import InvalidCommand
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


def test_every_placeholder_is_filled() -> None:
    body = "|".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS))
    values = dict(zip(sorted(PLACEHOLDERS), render(body).split("|"), strict=True))
    assert values == {
        "category": "untrue",
        "cause": "政务公开",
        "channel": "来信",
        "content": "补贴名单与实际不一致",
        "kind": "投诉",
        "opinion": "请核实",
        "received_at": "2026-09-30 10:05",
        "reply_content": "已更正",
        "reply_mode": "written",
        "serial": "NX-2026-000042",
        "severity": "serious",
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


def test_identity_has_no_placeholder() -> None:
    assert not {"name", "phone", "address", "identity"} & PLACEHOLDERS


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
