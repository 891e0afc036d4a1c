"""The case page's documents and attachments, and the intake page's repeat-caller hint."""

from __future__ import annotations

import re

from tests.helpers import PASSWORD
from tests.web.test_staff_pages import COMPLAINT, act, take_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def dispatched_case(slug: str, sign_in) -> tuple[int, object, str]:
    """A complaint taken in, accepted and dispatched to 镇监察室 (jcs); the operator's browser."""
    operator, csrf = await sign_in(slug, "operator")
    case_id = await take_in(operator, slug, csrf)
    for action in ("register", "accept"):
        assert (await act(operator, slug, csrf, case_id, action)).status_code in (302, 303)
    leader, l_csrf = await sign_in(slug, "leader")
    done = await act(
        leader, slug, l_csrf, case_id, "dispatch", unit_code="jcs", cause="政务公开", opinion="请核实"
    )
    assert done.status_code in (302, 303)
    return case_id, operator, csrf


def document_ids(html: str, case_id: int) -> list[int]:
    return [int(n) for n in re.findall(rf"/cases/{case_id}/documents/(\d+)/pdf", html)]


async def test_a_document_is_issued_rendered_and_downloaded_in_the_readers_copy(township, sign_in, clock):
    from core.services.documents import DocumentJobs
    from core.store.documents import DocumentRepository
    from core.store.tx import tenant_tx

    slug = township.slug
    case_id, operator, csrf = await dispatched_case(slug, sign_in)
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert 'name="key"' in page.text and 'value="phone_feedback"' in page.text  # the templates that apply
    issued = await operator.post(
        f"/t/{slug}/cases/{case_id}/documents", data={"_csrf": csrf, "key": "phone_feedback"}
    )
    assert issued.status_code in (302, 303) and "issued=" in issued.headers["location"]
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert "电话回访记录" in page.text and "生成中" in page.text
    assert document_ids(page.text, case_id) == []  # no link before the worker has rendered it

    async with tenant_tx(township.id):
        (info,) = await DocumentRepository(township.id).of_case(case_id)
    pending = await operator.get(f"/t/{slug}/cases/{case_id}/documents/{info.id}/pdf")
    assert pending.status_code == 409 and "正在生成" in pending.text
    assert await DocumentJobs(clock).render(township.id, info.id)

    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert document_ids(page.text, case_id) == [info.id] and "生成中" not in page.text
    assert info.number in page.text
    pdf = await operator.get(f"/t/{slug}/cases/{case_id}/documents/{info.id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-document-copy"] == "internal" and "attachment" in pdf.headers["content-disposition"]
    html = await operator.get(f"/t/{slug}/cases/{case_id}/documents/{info.id}/html")
    assert html.status_code == 200 and "电话回访记录" in html.text and info.number in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "138****5678" in html.text and "13812345678" not in html.text  # masked in the internal copy

    # The handling unit reads its own copy: no identity at all, not even masked.
    handler, _ = await sign_in(slug, "handler")
    unit_page = await handler.get(f"/t/{slug}/cases/{case_id}")
    assert document_ids(unit_page.text, case_id) == [info.id]
    unit_html = await handler.get(f"/t/{slug}/cases/{case_id}/documents/{info.id}/html")
    assert unit_html.headers["x-document-copy"] == "unit"
    assert "电话回访记录" in unit_html.text and "138" not in unit_html.text
    unit_pdf = await handler.get(f"/t/{slug}/cases/{case_id}/documents/{info.id}/pdf")
    assert unit_pdf.status_code == 200 and unit_pdf.headers["x-document-copy"] == "unit"
    assert unit_pdf.content != pdf.content

    # Another unit's handler: the document, like the case, does not exist.
    other, _ = await sign_in(slug, "dzb-handler")
    for fmt in ("pdf", "html"):
        refused = await other.get(f"/t/{slug}/cases/{case_id}/documents/{info.id}/{fmt}")
        assert refused.status_code == 404 and b"%PDF" not in refused.content
    # A document id under another case's path is not found either.
    second = await take_in(operator, slug, csrf, title="另一件")
    moved = await operator.get(f"/t/{slug}/cases/{second}/documents/{info.id}/pdf")
    assert moved.status_code == 404


async def test_issuing_is_refused_with_the_reason_beside_the_documents(township, sign_in):
    slug = township.slug
    case_id, operator, csrf = await dispatched_case(slug, sign_in)
    unknown = await operator.post(
        f"/t/{slug}/cases/{case_id}/documents", data={"_csrf": csrf, "key": "no_such_form"}
    )
    assert unknown.status_code == 422 and 'id="document-error"' in unknown.text
    assert "没有文书模板" in unknown.text
    forged = await operator.post(f"/t/{slug}/cases/{case_id}/documents", data={"key": "phone_feedback"})
    assert forged.status_code == 403
    other, o_csrf = await sign_in(slug, "dzb-handler")
    refused = await other.post(
        f"/t/{slug}/cases/{case_id}/documents", data={"_csrf": o_csrf, "key": "phone_feedback"}
    )
    assert refused.status_code == 404
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert "尚未出具文书" in page.text


async def test_attachments_upload_list_and_download(township, sign_in):
    slug = township.slug
    case_id, operator, csrf = await dispatched_case(slug, sign_in)
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert 'enctype="multipart/form-data"' in page.text and "暂无附件" in page.text

    no_token = await operator.post(
        f"/t/{slug}/cases/{case_id}/attachments", files={"file": ("照片.png", PNG, "image/png")}
    )
    assert no_token.status_code == 403
    lying = await operator.post(
        f"/t/{slug}/cases/{case_id}/attachments",
        data={"_csrf": csrf},
        files={"file": ("伪装.png", b"MZ\x90\x00 not a png", "image/png")},
    )
    assert lying.status_code == 422 and 'id="attachment-error"' in lying.text and "不符" in lying.text
    exe = await operator.post(
        f"/t/{slug}/cases/{case_id}/attachments",
        data={"_csrf": csrf},
        files={"file": ("a.exe", b"MZ\x90\x00", "application/x-msdownload")},
    )
    assert exe.status_code == 422 and "不支持的附件类型" in exe.text
    done = await operator.post(
        f"/t/{slug}/cases/{case_id}/attachments",
        data={"_csrf": csrf},
        files={"file": ("现场照片.png", PNG, "image/png")},
    )
    assert done.status_code in (302, 303), done.text
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    found = re.search(rf'href="/t/{slug}/cases/{case_id}/attachments/(\d+)">现场照片.png', page.text)
    assert found and "添加材料" in page.text  # listed, and on the timeline
    url = f"/t/{slug}/cases/{case_id}/attachments/{found.group(1)}"
    got = await operator.get(url)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")

    # The handling unit may add material but not read the complaint's (case:materials).
    handler, h_csrf = await sign_in(slug, "handler")
    unit_page = await handler.get(f"/t/{slug}/cases/{case_id}")
    assert "现场照片.png" not in unit_page.text and 'name="file"' in unit_page.text
    assert (await handler.get(url)).status_code == 403
    added = await handler.post(
        f"/t/{slug}/cases/{case_id}/attachments",
        data={"_csrf": h_csrf},
        files={"file": ("核查记录.txt", "已现场核查。".encode(), "text/plain")},
    )
    assert added.status_code in (302, 303)
    other, o_csrf = await sign_in(slug, "dzb-handler")
    assert (await other.get(url)).status_code == 404
    sneaked = await other.post(
        f"/t/{slug}/cases/{case_id}/attachments",
        data={"_csrf": o_csrf},
        files={"file": ("x.txt", b"x", "text/plain")},
    )
    assert sneaked.status_code == 404
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert "核查记录.txt" in page.text and "x.txt" not in page.text


async def test_an_upload_over_the_configured_size_is_refused(township, sign_in, app):
    slug = township.slug
    case_id, operator, csrf = await dispatched_case(slug, sign_in)
    limit = app.state.config.attachment_max_bytes
    big = await operator.post(
        f"/t/{slug}/cases/{case_id}/attachments",
        data={"_csrf": csrf},
        files={"file": ("big.txt", b"a" * (limit + 1), "text/plain")},
    )
    assert big.status_code == 422 and "上限" in big.text


async def test_the_repeat_caller_hint_names_earlier_cases_of_the_phone_only(township, registry, sign_in):
    from core.domain.roles import Actor, Role
    from core.services.admin import TenantAdmin

    slug = township.slug
    operator, csrf = await sign_in(slug, "operator")
    form = await operator.get(f"/t/{slug}/intake")
    assert f'hx-post="/t/{slug}/intake/repeat-caller"' in form.text and 'hx-params="phone"' in form.text

    hint_url = f"/t/{slug}/intake/repeat-caller"
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    nothing = await operator.post(hint_url, data={"phone": "13812345678"}, headers=headers)
    assert nothing.status_code == 200 and "近期已有" not in nothing.text

    first = await take_in(operator, slug, csrf)
    second = await take_in(operator, slug, csrf, title="公开栏仍未更新", phone="138-1234-5678")
    await take_in(operator, slug, csrf, title="别人的事", phone="13900000000", name="李四")
    await take_in(operator, slug, csrf, title="匿名来电", anonymous="1")
    serials = {}
    for case_id in (first, second):
        page = await operator.get(f"/t/{slug}/cases/{case_id}")
        serials[case_id] = re.search(r"<h1>(\S+) ", page.text).group(1)

    hint = await operator.post(hint_url, data={"phone": "+86 138 1234 5678"}, headers=headers)
    assert hint.status_code == 200 and hint.headers["cache-control"] == "no-store"
    assert "该来电号码近期已有 2 件" in hint.text
    assert serials[second] in hint.text and serials[first] in hint.text
    assert hint.text.index(serials[second]) < hint.text.index(serials[first])  # newest first
    # Serials only: no name, title, content or state.
    for secret in ("张", COMPLAINT["title"], "公开栏仍未更新", "别人的事", "已登记", "13812345678"):
        assert secret not in hint.text
    partial = await operator.post(hint_url, data={"phone": "138"}, headers=headers)
    assert partial.status_code == 200 and "近期已有" not in partial.text
    forged = await operator.post(hint_url, data={"phone": "13812345678"}, headers={"HX-Request": "true"})
    assert forged.status_code == 403 and "138" not in forged.text

    # Roles that may not read identities get nothing: a duty leader only, a handler.
    admin = Actor("admin", roles=frozenset({Role.TENANT_ADMIN}))
    await TenantAdmin(registry).create_user(
        township.id,
        admin,
        username="duty.only",
        display_name="值班领导",
        roles=frozenset({Role.DUTY_LEADER}),
        unit_code=None,
        password=PASSWORD,
    )
    duty, d_csrf = await sign_in(slug, "duty.only")
    assert "repeat-caller" not in (await duty.get(f"/t/{slug}/intake")).text
    refused = await duty.post(hint_url, data={"phone": "13812345678"}, headers={"X-CSRF-Token": d_csrf})
    assert refused.status_code == 403 and serials[first] not in refused.text
    handler, h_csrf = await sign_in(slug, "handler")
    refused = await handler.post(hint_url, data={"phone": "13812345678"}, headers={"X-CSRF-Token": h_csrf})
    assert refused.status_code == 403 and serials[first] not in refused.text


async def test_the_dashboards_satisfaction_counts_the_months_verdicts(township, sign_in, registry, clock):
    from datetime import timedelta

    from core.domain.roles import Actor, Role
    from core.services.root import Services

    slug = township.slug
    case_id, operator, csrf = await dispatched_case(slug, sign_in)
    handler, h_csrf = await sign_in(slug, "handler")
    assert (await act(handler, slug, h_csrf, case_id, "sign_for", handler="handler")).status_code == 302
    replied = await act(handler, slug, h_csrf, case_id, "reply", mode="written", content="已督促更新公开栏。")
    assert replied.status_code == 302
    supervisor, s_csrf = await sign_in(slug, "supervisor")
    fed = await act(supervisor, slug, s_csrf, case_id, "record_feedback", satisfaction="satisfied")
    assert fed.status_code == 302, fed.text
    await take_in(operator, slug, csrf, title="另一件，未评价")

    console = Services.build(registry, clock).console
    month = (clock.now() - timedelta(days=3), clock.now() + timedelta(days=1))
    supervisor_actor = Actor("supervisor", roles=frozenset({Role.SUPERVISOR}))
    counts = await console.satisfaction(township.id, supervisor_actor, *month)
    assert counts == {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 0, "unreachable": 0}
    other_unit = Actor("dzb-handler", roles=frozenset({Role.HANDLER}), unit_code="dzb")
    assert sum((await console.satisfaction(township.id, other_unit, *month)).values()) == 0
    earlier = (clock.now() - timedelta(days=60), clock.now() - timedelta(days=30))
    assert sum((await console.satisfaction(township.id, supervisor_actor, *earlier)).values()) == 0
    dashboard = await supervisor.get(f"/t/{slug}/dashboard")
    assert dashboard.status_code == 200
    assert re.search(r"本月满意率</div><div[^>]*>100.0%</div>", dashboard.text)
    assert "满意 1，" in dashboard.text
