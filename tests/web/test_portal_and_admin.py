"""The public portal and the platform admin pages through the ASGI transport."""

from __future__ import annotations

import re

from tests.helpers import PASSWORD
from tests.web.conftest import csrf_of


def receipt_and_secret(html: str) -> tuple[str, str]:
    receipt = re.search(r'id="receipt">([^<]+)<', html)
    secret = re.search(r'id="secret">([^<]+)<', html)
    assert receipt and secret
    return receipt.group(1), secret.group(1)


async def test_submit_anonymously_with_an_attachment_and_follow_up(township, browser):
    client = browser()
    slug = township.slug
    form = await client.get(f"/p/{slug}/")
    assert form.status_code == 200 and "我要反映" in form.text and 'name="viewport"' in form.text
    response = await client.post(
        f"/p/{slug}/",
        data={
            "kind": "report",
            "title": "村干部违规收费",
            "content": "办证时被收取材料费。",
            "anonymous": "1",
            "respondent": "某村委会",
        },
        files={"attachment": ("receipt.pdf", b"%PDF-1.4\n%test\n", "application/pdf")},
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    receipt, secret = receipt_and_secret(response.text)
    assert receipt.startswith("NX-") and "附件未能保存" not in response.text

    wrong = await client.post(f"/p/{slug}/follow", data={"receipt": receipt, "secret": "not-it"})
    assert wrong.status_code == 404 and "受理编号或查询密码不正确" in wrong.text
    status = await client.post(f"/p/{slug}/follow", data={"receipt": receipt, "secret": secret})
    assert status.status_code == 200 and "已收到" in status.text and "已补充材料" in status.text
    assert secret not in status.url.query.decode()

    said = await client.post(
        f"/p/{slug}/follow/message", data={"receipt": receipt, "secret": secret, "text": "另有一人可作证"}
    )
    assert said.status_code == 200 and "补充说明已提交" in said.text and "已补充说明" in said.text
    empty = await client.post(
        f"/p/{slug}/follow/message", data={"receipt": receipt, "secret": secret, "text": ""}
    )
    assert empty.status_code == 422 and "请填写补充说明" in empty.text
    early = await client.post(
        f"/p/{slug}/follow/feedback", data={"receipt": receipt, "secret": secret, "satisfaction": "satisfied"}
    )
    assert early.status_code == 422  # not replied yet: the lifecycle says no


async def test_portal_errors_show_next_to_fields(township, browser):
    client = browser()
    response = await client.post(
        f"/p/{township.slug}/", data={"kind": "complaint", "title": "", "content": "x"}
    )
    assert response.status_code == 422
    assert 'id="title-error"' in response.text and 'id="name-error"' in response.text
    assert 'id="situation-error"' in response.text


async def test_the_portal_refuses_text_the_store_cannot_hold_in_words(township, browser):
    client = browser()
    base = {"kind": "report", "anonymous": "1", "respondent": "某村委会", "title": "村干部违规收费"}
    for content, message in (("办证\x00收费", "控制字符"), ("很" * 20_001, "内容过长")):
        response = await client.post(f"/p/{township.slug}/", data=base | {"content": content})
        assert response.status_code == 422, response.text[:300]
        assert message in response.text and 'id="content-error"' in response.text
        assert 'value="村干部违规收费"' in response.text  # what was typed stays
    long_title = await client.post(f"/p/{township.slug}/", data=base | {"title": "长" * 300, "content": "x"})
    assert long_title.status_code == 422 and "标题过长" in long_title.text


async def test_an_unknown_or_suspended_tenant_has_no_portal(browser):
    response = await browser().get("/p/no-such-tenant/")
    assert response.status_code == 404 and "找不到" in response.text


async def admin_browser(browser, username: str):
    client = browser()
    login = await client.get("/admin/login")
    response = await client.post(
        "/admin/login", data={"_csrf": csrf_of(login.text), "username": username, "password": PASSWORD}
    )
    assert response.status_code in (302, 303), response.text
    page = await client.get("/admin/")
    assert page.status_code == 200
    return client, csrf_of(page.text)


async def test_platform_admin_sees_health_never_case_contents(township, browser, platform_admin, sign_in):
    operator, csrf = await sign_in(township.slug, "operator")
    await operator.post(
        f"/t/{township.slug}/intake",
        data={
            "_csrf": csrf,
            "kind": "complaint",
            "channel": "phone",
            "title": "机密标题甲乙丙",
            "content": "机密内容丁戊己",
            "situation": "untrue",
            "respondent": "某单位",
            "name": "王五",
            "phone": "13700000000",
        },
    )
    client, _ = await admin_browser(browser, platform_admin)
    page = await client.get("/admin/")
    assert f'id="tenant-{township.slug}"' in page.text
    for secret in ("机密标题甲乙丙", "机密内容丁戊己", "王五", "13700000000"):
        assert secret not in page.text
    # A tenant user's session opens no platform page, and the platform session no tenant page.
    assert (await operator.get("/admin/")).status_code in (302, 303)
    assert (await client.get(f"/t/{township.slug}/queue")).status_code in (302, 303)


async def test_onboard_a_tenant_whose_admin_then_signs_in(browser, platform_admin, unique_slug, sign_in):
    client, csrf = await admin_browser(browser, platform_admin)
    slug = unique_slug("web")
    bad = await client.post(
        "/admin/onboard",
        data={
            "_csrf": csrf,
            "slug": slug,
            "name": "新组织",
            "plugin": "township",
            "serial_prefix": "bad prefix",
            "admin_username": "boss",
            "admin_password": "long-enough-1",
        },
    )
    assert bad.status_code == 422 and 'id="serial_prefix-error"' in bad.text
    done = await client.post(
        "/admin/onboard",
        data={
            "_csrf": csrf,
            "slug": slug,
            "name": "新组织",
            "plugin": "township",
            "serial_prefix": "XZ",
            "timezone": "Asia/Shanghai",
            "units": "office 办公室",
            "settings": "{}",
            "admin_username": "boss",
            "admin_display_name": "王局长",
            "admin_password": "long-enough-1",
        },
    )
    assert done.status_code in (302, 303), done.text
    listing = await client.get("/admin/")
    assert slug in listing.text and "新组织" in listing.text
    await sign_in(slug, "boss", "long-enough-1")

    suspended = await client.post(
        f"/admin/tenants/{slug}/suspend", data={"_csrf": csrf, "reason": "合同到期"}
    )
    assert suspended.status_code in (302, 303)
    assert "合同到期" in (await client.get("/admin/")).text
    refused = await client.post(f"/admin/tenants/{slug}/resume", data={})
    assert refused.status_code == 403
    resumed = await client.post(f"/admin/tenants/{slug}/resume", data={"_csrf": csrf})
    assert resumed.status_code in (302, 303)
