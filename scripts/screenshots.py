"""Screenshots of the main pages for the README: `make screenshots` → docs/screenshots/*.png.

Starts the embedded demo (`huiying demo`, SQLite in a temporary folder), seeds a few 12312
cases through the JSON API, then drives Debian's Chromium with Playwright through the pages.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
HUIYING = str(Path(sys.executable).with_name("huiying"))
CHROMIUM = os.environ.get("HUIYING_CHROMIUM", "/usr/bin/chromium")
SLUG = "county-12312"
PASSWORD = "demo12345"

CASES = [
    ("加油站加油机计量不足", "消费者称加油 200 元，油箱仅进油一半。", "消费纠纷", "城关镇某加油站"),
    (
        "健身房预付卡无法退费",
        "办卡三个月后健身房停业，余款 2000 元无法退还。",
        "单用途预付卡",
        "滨河路某健身房",
    ),
    ("超市销售散装白酒无标签", "超市散装白酒无生产厂家和日期标签。", "酒类流通", "新华街某超市"),
    ("二手车交易隐瞒事故", "购买的二手车隐瞒了泡水事故。", "二手车交易", "城北二手车市场"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(base: str) -> dict[str, int]:
    """Cases at several stages, and a duty shift covering now."""
    http = httpx.Client(base_url=base, timeout=30)

    def login(username: str) -> dict[str, str]:
        body = {"tenant": SLUG, "username": username, "password": PASSWORD}
        token = http.post("/api/v1/auth/token", json=body).raise_for_status().json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    operator, leader, handler, supervisor = (
        login(u) for u in ("operator", "leader", "handler", "supervisor")
    )

    def act(case_id: int, action: str, payload: dict, who: dict) -> None:
        http.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who).raise_for_status()

    ids = {}
    for number, (title, content, category, place) in enumerate(CASES):
        body = {
            "kind": "complaint",
            "channel": "phone",
            "title": title,
            "content": content,
            "identity": {
                "name": f"赵{'甲乙丙丁'[number]}",
                "work_unit": "无",
                "phone": f"1390000{number:04d}",
            },
            "fields": {
                "event_time": "今日 08:50",
                "place": place,
                "harm_scope": "一人",
                "harm_degree": "约 200 元",
                "onsite_handling": "无",
                "on_site": "no",
                "category": category,
            },
        }
        case = http.post("/api/v1/cases", json=body, headers=operator).raise_for_status().json()
        ids[title] = case["id"]
        if number == 3:
            continue  # left as received
        act(case["id"], "register", {"category": category}, operator)
        act(case["id"], "accept", {}, operator)
        if number == 2:
            continue  # waits for dispatch
        unit = "squad-1" if category in ("消费纠纷", "单用途预付卡") else "squad-2"
        act(
            case["id"],
            "dispatch",
            {"unit_code": unit, "cause": f"投诉：{title}", "opinion": "请核查处理"},
            leader,
        )
        if number == 0:
            act(case["id"], "sign_for", {"handler": "handler"}, handler)
    now = time.time()
    shift = {
        "starts_at": time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime(now - 3600)),
        "ends_at": time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime(now + 7 * 3600)),
        "leader": "leader",
        "officers": ["operator"],
    }
    http.post("/api/v1/duty/shifts", json=shift, headers=supervisor).raise_for_status()
    return ids


def sign_in(page: Page, username: str) -> None:
    page.goto(f"/t/{SLUG}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/queue"))


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    print(f"docs/screenshots/{name}.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUIYING_")}
        env |= {"HUIYING_PASSWORD_PROFILE": "cheapest"}
        server = subprocess.Popen(
            [HUIYING, "demo", "--port", str(port), "--data-dir", data],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if server.poll() is not None:
                    raise SystemExit(server.stdout.read())
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the demo did not start within 90 s")
                time.sleep(0.3)
            ids = seed(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                )
                desk = {"base_url": base, "locale": "zh-CN", "viewport": {"width": 1280, "height": 800}}
                page = browser.new_context(**desk).new_page()
                page.goto(f"/t/{SLUG}/login")
                shoot(page, "staff-login")
                sign_in(page, "operator")
                page.goto(f"/t/{SLUG}/intake")
                page.get_by_label("标题").fill("电动车充电桩收费不明")
                page.get_by_role("button", name="登记").click()
                shoot(page, "staff-intake-errors")

                leader = browser.new_context(**desk).new_page()
                sign_in(leader, "leader")
                shoot(leader, "staff-queue")
                leader.goto(f"/t/{SLUG}/cases/{ids[CASES[2][0]]}")
                leader.locator("#act-dispatch summary").click()
                shoot(leader, "staff-case")

                supervisor = browser.new_context(**desk).new_page()
                sign_in(supervisor, "supervisor")
                supervisor.goto(f"/t/{SLUG}/dashboard")
                shoot(supervisor, "staff-dashboard")
                supervisor.goto(f"/t/{SLUG}/duty")
                shoot(supervisor, "staff-duty")

                phone = browser.new_context(
                    base_url=base,
                    locale="zh-CN",
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=1,
                ).new_page()
                phone.goto(f"/p/{SLUG}/")
                shoot(phone, "portal-submit")
                phone.goto(f"/p/{SLUG}/?kind=consultation")
                phone.get_by_label("标题").fill("网购退货如何维权")
                phone.get_by_label("具体内容").fill("七天无理由退货，商家收到货后拒不退款，应向哪里反映？")
                phone.get_by_label(re.compile("匿名反映")).check()
                phone.get_by_role("button", name="提交").click()
                shoot(phone, "portal-receipt")
                receipt = phone.locator("#receipt").inner_text().strip()
                secret = phone.locator("#secret").inner_text().strip()
                phone.goto(f"/p/{SLUG}/follow")
                phone.get_by_label("受理编号").fill(receipt)
                phone.get_by_label("查询密码").fill(secret)
                phone.get_by_role("button", name="查询").click()
                shoot(phone, "portal-status")

                admin = browser.new_context(**desk).new_page()
                admin.goto("/admin/login")
                admin.get_by_label("用户名").fill("platform")
                admin.get_by_label("密码").fill(PASSWORD)
                admin.get_by_role("button", name="登录").click()
                admin.wait_for_url(re.compile("/admin/$"))
                shoot(admin, "admin-tenants")
                admin.goto("/admin/onboard")
                shoot(admin, "admin-onboard")
                browser.close()
        finally:
            server.terminate()
            server.communicate(timeout=30)


if __name__ == "__main__":
    main()
