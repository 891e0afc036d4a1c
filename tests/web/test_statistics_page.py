"""The 统计 page: any period by unit and by the plugin's dimensions, with downloads and clear errors."""

from __future__ import annotations

import html
import io
import re

from openpyxl import load_workbook

from core.services.cases import CaseService
from core.services.tenants import load_tenant
from core.store.tx import tenant_tx
from tests.walks import full_draft, new_case


async def test_a_supervisor_reads_a_quarter_by_situation_and_downloads_it(
    make_tenant, registry, clock, actors, sign_in
):
    tenant = await make_tenant(demo=True)
    async with tenant_tx(tenant.id):
        hooks = (await load_tenant(tenant.id, registry)).hooks
    await new_case(CaseService(registry, clock), tenant.id, actors, full_draft("township", hooks))
    local = clock.now()
    quarter = f"{local.year}-Q{(local.month + 2) // 3}"
    client, _ = await sign_in(tenant.slug, "supervisor")

    queue = html.unescape((await client.get(f"/t/{tenant.slug}/queue")).text)
    assert f'href="/t/{tenant.slug}/statistics"' in queue  # the nav offers it
    page = await client.get(f"/t/{tenant.slug}/statistics", params={"period": quarter})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"{local.year} 年第 {(local.month + 2) // 3} 季度" in text
    section = re.search(r"<h2[^>]*>按投诉情形</h2>(.*?)</section>", text, re.S).group(1)
    assert "<td>不依法履行政务公开义务</td><td>1</td>" in section  # by label, never the key
    assert "no_disclosure" not in text
    assert re.search(r"<h2[^>]*>按承办单位</h2>", text)

    link = re.search(r'id="download-xlsx" href="([^"]+)"', text).group(1)
    workbook = await client.get(f"/t/{tenant.slug}/statistics{link}")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["按单位", "按投诉情形", "按承办单位"]
    assert [c.value for c in book["按投诉情形"][3]][:2] == ["不依法履行政务公开义务", 1]
    csv = await client.get(f"/t/{tenant.slug}/statistics", params={"period": quarter, "format": "csv"})
    assert "不依法履行政务公开义务,1" in csv.content.decode("utf-8-sig")


async def test_a_period_that_cannot_be_read_is_explained_with_what_was_typed(make_tenant, sign_in):
    tenant = await make_tenant(demo=True)
    client, _ = await sign_in(tenant.slug, "supervisor")
    page = await client.get(f"/t/{tenant.slug}/statistics", params={"period": "2026-13"})
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert 'role="alert">月份 13 不存在：请给出 1–12 月' in text
    assert 'value="2026-13"' in text


async def test_staff_without_supervision_or_audit_do_not_reach_statistics(make_tenant, sign_in):
    tenant = await make_tenant(demo=True)
    client, _ = await sign_in(tenant.slug, "handler")
    queue = html.unescape((await client.get(f"/t/{tenant.slug}/queue")).text)
    assert "/statistics" not in queue
    page = await client.get(f"/t/{tenant.slug}/statistics")
    assert page.status_code == 403
    assert "只有督查员、审计员和领导可以查看统计" in html.unescape(page.text)
