"""End to end in headless Chromium (Debian's package, driven by Playwright) against `huiying serve`.

The acceptance flow of the web interface: an operator records a 12312 complaint and hands the
caller a receipt; the duty leader sees it and dispatches it; the unit signs for it and replies;
the complainant follows it on the portal with receipt and secret and rates it; a handler of
another unit cannot open it; a platform admin onboards a tenant whose admin then signs in.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import PASSWORD

CHROMIUM = os.environ.get("HUIYING_CHROMIUM", "/usr/bin/chromium")
HUIYING = str(Path(sys.executable).with_name("huiying"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """`huiying serve` on the suite's test database; yields its base URL."""
    port = _free_port()
    env = os.environ | {
        "HUIYING_SECRET_KEY": "browser-test-signing-key-" + "b" * 32,
        "HUIYING_INSECURE_COOKIES": "1",  # plain http on 127.0.0.1
        "HUIYING_PUBLIC_RATE_PER_MINUTE": "600",
    }
    process = subprocess.Popen(
        [HUIYING, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start within 30 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
async def chromium():
    """Debian's Chromium; Playwright's own browser builds are never downloaded."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs the chromium package")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def person(chromium, server):
    """Opens a new browser context (cookies of one person) at the server; closed after the test."""
    contexts = []

    async def open_page(width: int = 1280, height: int = 900):
        context = await chromium.new_context(
            base_url=server, locale="zh-CN", viewport={"width": width, "height": height}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield open_page
    for context in contexts:
        await context.close()


async def sign_in(page, slug: str, username: str, password: str = PASSWORD) -> None:
    await page.goto(f"/t/{slug}/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.keyboard.press("Enter")  # keyboard only
    await page.wait_for_url(re.compile(r"/queue"))
    assert await page.locator("h1").inner_text() == "工作台"


async def do_action(
    page, label: str, fields: dict[str, str] | None = None, selects: dict[str, str] | None = None
):
    """Open the action's form on the case page, fill it and submit it."""
    box = page.locator("details.action", has=page.locator("summary", has_text=re.compile(f"^{label}$")))
    if await box.get_attribute("open") is None:  # a refused form comes back open
        await box.locator("summary").click()
    for name, value in (fields or {}).items():
        await box.locator(f'[name="{name}"]').fill(value)
    for name, value in (selects or {}).items():
        await box.locator(f'select[name="{name}"]').select_option(value)
    await box.get_by_role("button", name=label).click()
    await page.wait_for_load_state("load")


@pytest.fixture
async def station(make_tenant, registry):
    """A 12312 station with the demo users, and a handler of another unit."""
    from core.domain.roles import Actor, Role
    from core.services.admin import TenantAdmin

    tenant = await make_tenant(
        "commerce12312",
        settings={"squad_routing": {"消费纠纷": "jcs"}, "supervision_unit": "dzb"},
        prefix="SW",
        demo=True,
    )
    await TenantAdmin(registry).create_user(
        tenant.id,
        Actor("admin", roles=frozenset({Role.TENANT_ADMIN})),
        username="other.handler",
        display_name="党政办 李四",
        roles=frozenset({Role.HANDLER}),
        unit_code="dzb",
        password=PASSWORD,
    )
    return tenant


async def test_a_12312_complaint_from_the_call_to_the_rating(station, person):
    slug = station.slug
    title = "加油站加油机计量不足"

    # 接: the operator takes the call, keyboard-first, and gives the caller a receipt.
    operator = await person()
    await sign_in(operator, slug, "operator")
    await operator.goto(f"/t/{slug}/intake")
    assert await operator.get_by_text("您好，12312举报投诉服务站，请进。").is_visible()  # standard phrases
    await operator.get_by_label("标题").fill(title)
    await operator.get_by_label("反映内容").fill("加油 200 元，油箱仅进油一半。")
    await operator.get_by_role("button", name="登记").click()
    errors = operator.locator("p.error")
    assert await operator.locator("#phone-error").inner_text() == "请填写联系电话"  # next to the field
    assert await errors.count() >= 8
    facts = {
        "投诉或举报人姓名": "赵某",
        "单位": "无",
        "联系电话": "13900001111",
        "发生时间": "08:50",
        "地点": "城关镇某加油站",
        "危害范围": "一人",
        "危害程度": "约 100 元",
        "现场处置情况": "无",
        "是否需出现场处理": "no",
        "案件类别": "消费纠纷",
    }
    for label, value in facts.items():
        # Labels carry a required mark and a hint after the name; closed lists are drop-downs.
        field = operator.get_by_label(re.compile(rf"^{label}(\s|\*|$)"))
        if await field.evaluate("element => element.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    await operator.get_by_label(re.compile("生成网上查询回执")).check()
    await operator.get_by_role("button", name="登记").click()
    receipt = (await operator.locator("#receipt").inner_text()).strip()
    secret = (await operator.locator("#secret").inner_text()).strip()
    assert receipt.startswith("SW-") and len(secret) >= 24
    await operator.get_by_role("link", name="查看案件").click()
    case_url = operator.url
    assert "13900001111" not in await operator.content()  # masked
    await do_action(operator, "登记", {"category": "消费纠纷"})
    await do_action(operator, "受理")
    assert "已受理" in await operator.locator("h1").inner_text()

    # 报: the duty leader sees it in the queue and dispatches it (转办).
    leader = await person()
    await sign_in(leader, slug, "leader")
    await leader.get_by_role("link", name=receipt).click()
    await do_action(leader, "转办", {"cause": "投诉：加油计量不足"}, {"unit_code": "jcs"})
    assert "请填写转办意见" in await leader.locator("#action-error").inner_text()  # the command's own check
    await do_action(
        leader, "转办", {"cause": "投诉：加油计量不足", "opinion": "请核查处理"}, {"unit_code": "jcs"}
    )
    assert "已转办" in await leader.locator("h1").inner_text()

    # A handler of another unit cannot open it, nor find it.
    stranger = await person()
    await sign_in(stranger, slug, "other.handler")
    assert title not in await stranger.locator("main").inner_text()
    response = await stranger.goto(case_url)
    assert response.status == 404 and title not in await stranger.content()

    # The unit signs for it and replies.
    handler = await person()
    await sign_in(handler, slug, "handler")
    await handler.get_by_role("link", name=receipt).click()
    await do_action(handler, "签收")
    await do_action(handler, "答复", {"content": "经核查，加油机计量不准，已责令整改并退还差价。"})
    assert "已答复" in await handler.locator("h1").inner_text()

    # The complainant follows it on the portal, on a phone, and rates the reply.
    phone = await person(width=375, height=740)
    await phone.goto(f"/p/{slug}/follow")
    await phone.get_by_label("受理编号").fill(receipt)
    await phone.get_by_label("查询密码").fill(secret)
    await phone.get_by_role("button", name="查询").click()
    assert await phone.locator("#state").inner_text() == "已答复"
    assert "已责令整改并退还差价" in await phone.locator("#reply").inner_text()
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    await phone.get_by_label("满意", exact=True).check()
    await phone.get_by_role("button", name="提交评价").click()
    assert await phone.locator("#rated").inner_text() == "满意"
    assert await phone.locator("#state").inner_text() == "已反馈"

    # Staff see the rating on the case.
    await operator.goto(case_url)
    assert "已反馈" in await operator.locator("h1").inner_text()
    assert "满意" in await operator.locator("dl.facts").first.inner_text()


async def test_a_portal_submission_with_its_receipt_shown_once(station, person):
    phone = await person(width=375, height=740)
    await phone.goto(f"/p/{station.slug}/?kind=consultation")
    await phone.get_by_label("标题").fill("预付卡退卡咨询")
    await phone.get_by_label("具体内容").fill("健身卡如何退卡？")
    await phone.get_by_label(re.compile("匿名反映")).check()
    await phone.get_by_role("button", name="提交").click()
    receipt = (await phone.locator("#receipt").inner_text()).strip()
    secret = (await phone.locator("#secret").inner_text()).strip()
    assert receipt.startswith("SW-")
    assert await phone.get_by_role("button", name="打印").is_visible()
    await phone.goto(f"/p/{station.slug}/follow")
    await phone.get_by_label("受理编号").fill(receipt)
    await phone.get_by_label("查询密码").fill(secret)
    await phone.keyboard.press("Enter")
    assert await phone.locator("#state").inner_text() == "已接收"


async def test_a_platform_admin_onboards_a_tenant_whose_admin_signs_in(person, platform_admin, unique_slug):
    slug = unique_slug("new")
    admin = await person()
    await admin.goto("/admin/login")
    await admin.get_by_label("用户名").fill(platform_admin)
    await admin.get_by_label("密码").fill(PASSWORD)
    await admin.get_by_role("button", name="登录").click()
    await admin.get_by_role("link", name="入驻新组织").click()
    await admin.get_by_label(re.compile("租户标识")).fill(slug)
    await admin.get_by_label("组织名称").fill("新开业务站")
    await admin.get_by_label("业务插件").select_option("commerce12312")
    await admin.get_by_label("编号前缀").fill("XK")
    await admin.get_by_label(re.compile("承办单位")).fill("station 服务站\nsquad-1 业务一中队")
    await admin.get_by_label("用户名").fill("boss")
    await admin.get_by_label("姓名").fill("周站长")
    await admin.get_by_label("初始密码").fill("first-pass-2026")
    await admin.get_by_role("button", name="入驻").click()
    row = admin.locator(f"#tenant-{slug}")
    assert "新开业务站" in await row.inner_text() and "正常" in await row.inner_text()

    newcomer = await person()
    await sign_in(newcomer, slug, "boss", "first-pass-2026")
    assert "周站长" in await newcomer.locator("header").inner_text()


async def test_a_standard_phrase_is_inserted_into_the_form_being_written(station, person, registry):
    from core.domain.cases import CaseKind, Channel
    from core.domain.commands import RegisterCase
    from core.domain.intake import IntakeDraft
    from core.domain.lifecycle import Action
    from core.domain.roles import Actor, Role
    from core.services.cases import CaseService
    from core.services.clock import SystemClock

    operator = Actor("operator", roles=frozenset({Role.INTAKE_OFFICER}))
    cases = CaseService(registry, SystemClock())
    draft = IntakeDraft(
        kind=CaseKind.CONSULTATION,
        channel=Channel.PHONE,
        title="网购退货",
        content="商家不退货",
        anonymous=True,
    )
    case_id = (await cases.intake(station.id, draft, operator)).case.id
    await cases.perform(station.id, case_id, RegisterCase(), operator)
    page = await person()
    await sign_in(page, station.slug, "operator")
    await page.goto(f"/t/{station.slug}/cases/{case_id}")
    label = Action.REFER_OUT.label
    box = page.locator("details.action", has=page.locator("summary", has_text=re.compile(f"^{label}$")))
    await box.locator("summary").click()
    reason = box.locator('[name="reason"]')
    await reason.fill("属市场监管部门职责。")
    phrase = page.locator(".insert-phrase", has_text="插入").filter(
        has=page.locator("xpath=self::*[contains(@data-phrase, '已转至')]")
    )
    await phrase.first.click()
    written = await reason.input_value()
    assert written.startswith("属市场监管部门职责。你好，您的投诉（举报）我们已转至")
    assert "{department}" not in written
