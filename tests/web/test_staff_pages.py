"""The staff console through the ASGI transport: sign-in, CSRF, intake, queues and the case page."""

from __future__ import annotations

import re

import pytest

from tests.helpers import PASSWORD
from tests.web.conftest import csrf_of

COMPLAINT = {
    "kind": "complaint",
    "channel": "phone",
    "title": "村务公开栏三个月未更新",
    "content": "南溪村政务公开栏自六月起未更新。",
    "situation": "not_compiled",
    "respondent": "南溪村委会",
    "name": "张三",
    "phone": "13812345678",
}


async def take_in(client, slug: str, csrf: str, **changes) -> int:
    response = await client.post(f"/t/{slug}/intake", data={"_csrf": csrf, **COMPLAINT, **changes})
    assert response.status_code in (302, 303), response.text
    found = re.search(r"/cases/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


async def act(client, slug: str, csrf: str, case_id: int, action: str, **data):
    return await client.post(f"/t/{slug}/cases/{case_id}/act/{action}", data={"_csrf": csrf, **data})


async def test_sign_in_shows_the_queue_and_a_wrong_password_the_form_again(township, browser, sign_in):
    client = browser()
    page = await client.get(f"/t/{township.slug}/")
    assert page.status_code in (302, 303) and page.headers["location"].endswith("/login")
    login = await client.get(f"/t/{township.slug}/login")
    wrong = await client.post(
        f"/t/{township.slug}/login",
        data={"_csrf": csrf_of(login.text), "username": "operator", "password": "nope-nope"},
    )
    assert wrong.status_code == 401 and "租户、用户名或密码错误" in wrong.text
    assert 'value="operator"' in wrong.text  # the username is kept, the password is not

    operator, _ = await sign_in(township.slug, "operator")
    queue = await operator.get(f"/t/{township.slug}/queue")
    assert "工作台" in queue.text and "受理登记" in queue.text


async def test_sign_in_without_the_forms_token_is_refused(township, browser):
    client = browser()
    await client.get(f"/t/{township.slug}/login")
    response = await client.post(
        f"/t/{township.slug}/login", data={"username": "operator", "password": PASSWORD}
    )
    assert response.status_code == 403 and "CSRF" not in response.headers.get("content-type", "")
    assert "登录页面已过期" in response.text


async def test_a_session_opens_only_its_own_tenant(township, make_tenant, sign_in):
    other = await make_tenant(demo=True)
    client, _ = await sign_in(township.slug, "operator")
    response = await client.get(f"/t/{other.slug}/queue")
    assert response.status_code in (302, 303) and response.headers["location"] == f"/t/{other.slug}/login"


async def test_unsafe_requests_need_the_sessions_csrf_token(township, sign_in):
    client, csrf = await sign_in(township.slug, "operator")
    refused = await client.post(f"/t/{township.slug}/intake", data=COMPLAINT)
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = await client.post(f"/t/{township.slug}/intake", data={**COMPLAINT, "_csrf": "0" * 64})
    assert forged.status_code == 403
    queue = await client.get(f"/t/{township.slug}/queue")
    assert COMPLAINT["title"] not in queue.text  # nothing was taken in
    case_id = await take_in(client, township.slug, csrf)
    assert case_id > 0


async def test_intake_errors_show_next_to_the_fields(township, sign_in):
    client, csrf = await sign_in(township.slug, "operator")
    form = await client.get(f"/t/{township.slug}/intake")
    assert 'for="f-situation"' in form.text and "投诉情形" in form.text  # the plugin's schema
    response = await client.post(
        f"/t/{township.slug}/intake",
        data={"_csrf": csrf, **COMPLAINT, "title": "", "respondent": "", "phone": ""},
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="title-error"' in html and 'id="respondent-error"' in html and 'id="phone-error"' in html
    assert "请填写被投诉单位或个人" in html
    assert "请补充以下必填内容" in html  # the domain's own message, at the top
    assert 'value="南溪村委会"' not in html and 'value="张三"' in html  # what was typed stays


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "长" * 300}, "title", "标题过长：最多 200 个字符，收到 300 个"),
        ({"content": "来电反映\x00公开栏未更新"}, "content", "内容含有不可见的控制字符"),
        ({"content": "很" * 20_001}, "content", "内容过长：最多 20000 个字符，收到 20001 个"),
    ],
)
async def test_text_the_store_cannot_hold_is_refused_on_the_form(township, sign_in, changes, field, message):
    # The same rule as the API's, so no engine ever sees it (PostgreSQL would answer a 500).
    client, csrf = await sign_in(township.slug, "operator")
    response = await client.post(f"/t/{township.slug}/intake", data={"_csrf": csrf, **COMPLAINT, **changes})
    assert response.status_code == 422
    assert message in response.text and f'id="{field}-error"' in response.text
    assert 'value="南溪村委会"' in response.text or COMPLAINT["respondent"] in response.text  # typed, kept


async def test_a_form_far_over_any_limit_gets_a_page_saying_so(township, sign_in):
    client, csrf = await sign_in(township.slug, "operator")
    huge = {"_csrf": csrf, **COMPLAINT, "content": "很" * 2_000_000}
    response = await client.post(f"/t/{township.slug}/intake", data=huge)
    assert response.status_code == 413 and "上传内容过大" in response.text


async def test_a_case_through_the_pages_with_errors_beside_the_form(township, sign_in):
    slug = township.slug
    operator, op_csrf = await sign_in(slug, "operator")
    case_id = await take_in(operator, slug, op_csrf)
    page = await operator.get(f"/t/{slug}/cases/{case_id}?created=1")
    assert page.status_code == 200 and "已登记，编号" in page.text
    assert "张*" in page.text or "张" in page.text
    assert "13812345678" not in page.text  # masked until revealed
    assert 'id="act-register"' in page.text and 'id="act-dispatch"' not in page.text

    assert (await act(operator, slug, op_csrf, case_id, "register")).status_code in (302, 303)
    assert (await act(operator, slug, op_csrf, case_id, "accept")).status_code in (302, 303)
    # The situation chosen at intake is shown by its words, as the category and as the answer.
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    situation = "不编制、不提供、不及时更新公开的政务信息、指南和目录"
    assert f"<dt>类别</dt><dd>{situation}</dd>" in page.text, page.text
    assert ">not_compiled<" not in page.text

    leader, l_csrf = await sign_in(slug, "leader")
    page = await leader.get(f"/t/{slug}/cases/{case_id}")
    assert 'id="act-dispatch"' in page.text and "镇监察室" in page.text
    missing = await act(leader, slug, l_csrf, case_id, "dispatch", cause="政务公开", opinion="请核实")
    assert missing.status_code == 422
    assert "请填写承办单位" in missing.text and 'id="act-dispatch" open' in missing.text
    done = await act(
        leader, slug, l_csrf, case_id, "dispatch", unit_code="jcs", cause="政务公开", opinion="请核实"
    )
    assert done.status_code in (302, 303)
    page = await leader.get(f"/t/{slug}/cases/{case_id}")
    assert "已转办" in page.text and "请核实" in page.text

    handler, h_csrf = await sign_in(slug, "handler")
    queue = await handler.get(f"/t/{slug}/queue")
    assert COMPLAINT["title"] in queue.text
    assert (await act(handler, slug, h_csrf, case_id, "sign_for", handler="handler")).status_code in (
        302,
        303,
    )
    illegal = await act(handler, slug, h_csrf, case_id, "sign_for", handler="handler")
    assert illegal.status_code == 409 and "不能执行“签收”" in illegal.text
    reply = await act(handler, slug, h_csrf, case_id, "reply", mode="written", content="已督促更新公开栏。")
    assert reply.status_code in (302, 303)
    page = await handler.get(f"/t/{slug}/cases/{case_id}")
    assert "已答复" in page.text and "已督促更新公开栏。" in page.text
    assert "投诉人身份" not in page.text  # the handling unit never sees the complainant


async def test_a_handler_of_another_unit_gets_not_found(township, registry, sign_in):
    from core.domain.roles import Actor, Role
    from core.services.admin import TenantAdmin

    admin = Actor("admin", roles=frozenset({Role.TENANT_ADMIN}))
    await TenantAdmin(registry).create_user(
        township.id,
        admin,
        username="dzb.handler",
        display_name="党政办 李四",
        roles=frozenset({Role.HANDLER}),
        unit_code="dzb",
        password=PASSWORD,
    )
    slug = township.slug
    operator, op_csrf = await sign_in(slug, "operator")
    case_id = await take_in(operator, slug, op_csrf)
    for action in ("register", "accept"):
        await act(operator, slug, op_csrf, case_id, action)
    leader, l_csrf = await sign_in(slug, "leader")
    await act(leader, slug, l_csrf, case_id, "dispatch", unit_code="jcs", cause="政务公开", opinion="请核实")

    other, o_csrf = await sign_in(slug, "dzb.handler")
    page = await other.get(f"/t/{slug}/cases/{case_id}")
    assert page.status_code == 404 and COMPLAINT["title"] not in page.text
    queue = await other.get(f"/t/{slug}/queue?view=all")
    assert COMPLAINT["title"] not in queue.text
    forced = await act(other, slug, o_csrf, case_id, "sign_for", handler="dzb.handler")
    assert forced.status_code == 404
    mine, _ = await sign_in(slug, "handler")
    assert (await mine.get(f"/t/{slug}/cases/{case_id}")).status_code == 200


async def test_revealing_the_identity_asks_for_a_reason(township, sign_in):
    slug = township.slug
    operator, csrf = await sign_in(slug, "operator")
    case_id = await take_in(operator, slug, csrf)
    empty = await operator.post(f"/t/{slug}/cases/{case_id}/reveal", data={"_csrf": csrf, "reason": ""})
    assert empty.status_code == 422 and "须说明理由" in empty.text and "13812345678" not in empty.text
    shown = await operator.post(
        f"/t/{slug}/cases/{case_id}/reveal", data={"_csrf": csrf, "reason": "回访核实"}
    )
    assert shown.status_code == 200 and "13812345678" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    page = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert "查阅身份原文" in page.text  # on the timeline


async def test_queues_filter_and_search(township, sign_in):
    slug = township.slug
    operator, csrf = await sign_in(slug, "operator")
    await take_in(operator, slug, csrf, title="路灯不亮反映")
    await take_in(operator, slug, csrf, title="公开栏破损")
    found = await operator.get(f"/t/{slug}/queue", params={"q": "路灯"})
    assert "路灯不亮反映" in found.text and "公开栏破损" not in found.text
    registered = await operator.get(f"/t/{slug}/queue", params={"state": "registered"})
    assert "路灯不亮反映" not in registered.text
    for view in ("all", "overdue", "today"):
        response = await operator.get(f"/t/{slug}/queue", params={"view": view})
        assert response.status_code == 200, view
    garbled = await operator.get(f"/t/{slug}/queue", params={"q": "路灯\x00"})
    assert garbled.status_code == 200 and "控制字符" in garbled.text  # said beside the search, never a 500


@pytest.mark.parametrize(
    "user,path,text",
    [
        ("supervisor", "dashboard", "各单位超期案件"),
        ("operator", "duty", "当前值班"),
        ("operator", "password", "修改密码"),
    ],
)
async def test_pages_render(township, sign_in, user, path, text):
    client, _ = await sign_in(township.slug, user)
    response = await client.get(f"/t/{township.slug}/{path}")
    assert response.status_code == 200 and text in response.text
    assert "<svg" in response.text or path != "dashboard"


async def test_the_dashboard_is_for_supervisors(township, sign_in):
    client, _ = await sign_in(township.slug, "handler")
    response = await client.get(f"/t/{township.slug}/dashboard")
    assert response.status_code == 403 and "无权" in response.text


async def test_password_change(township, sign_in, browser):
    client, csrf = await sign_in(township.slug, "operator")
    mismatch = await client.post(
        f"/t/{township.slug}/password",
        data={
            "_csrf": csrf,
            "current_password": PASSWORD,
            "new_password": "new-pass-123",
            "confirm_password": "x",
        },
    )
    assert mismatch.status_code == 422 and 'id="confirm_password-error"' in mismatch.text
    wrong = await client.post(
        f"/t/{township.slug}/password",
        data={
            "_csrf": csrf,
            "current_password": "wrong-one",
            "new_password": "new-pass-123",
            "confirm_password": "new-pass-123",
        },
    )
    assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.text
    done = await client.post(
        f"/t/{township.slug}/password",
        data={
            "_csrf": csrf,
            "current_password": PASSWORD,
            "new_password": "new-pass-123",
            "confirm_password": "new-pass-123",
        },
    )
    assert done.status_code == 200 and "密码已修改" in done.text
    await sign_in(township.slug, "operator", "new-pass-123")


async def test_sign_out_ends_the_page_session(township, sign_in):
    client, csrf = await sign_in(township.slug, "operator")
    out = await client.post(f"/t/{township.slug}/logout", data={"_csrf": csrf})
    assert out.status_code in (302, 303)
    again = await client.get(f"/t/{township.slug}/queue")
    assert again.status_code in (302, 303)


async def test_a_name_typed_into_the_text_never_reaches_the_units_pages(township, sign_in):
    slug = township.slug
    operator, op_csrf = await sign_in(slug, "operator")
    typed = {"title": "张三来电反映公开栏未更新", "content": "张三（电话 138-1234-5678）称公开栏未更新。"}
    case_id = await take_in(operator, slug, op_csrf, **typed)
    for action in ("register", "accept"):
        assert (await act(operator, slug, op_csrf, case_id, action)).status_code in (302, 303)
    leader, l_csrf = await sign_in(slug, "leader")
    sent = await act(
        leader, slug, l_csrf, case_id, "dispatch", unit_code="jcs", cause="政务公开", opinion="请回电张三"
    )
    assert sent.status_code in (302, 303)
    handler, _ = await sign_in(slug, "handler")
    for path in (f"/t/{slug}/cases/{case_id}", f"/t/{slug}/queue"):
        page = await handler.get(path)
        assert page.status_code == 200
        assert "张三" not in page.text and "1234-5678" not in page.text, path
        assert "[已隐去]来电反映公开栏未更新" in page.text, path
    desk = await operator.get(f"/t/{slug}/cases/{case_id}")
    assert typed["title"] in desk.text  # the desk may reveal the identity: the text as written
