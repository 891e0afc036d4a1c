"""The `huiying` command, run as a person runs it: a subprocess with the project's console script."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HUIYING = str(Path(sys.executable).with_name("huiying"))


def huiying(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HUIYING, *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
        env=env or dict(os.environ),
    )


def test_calendar_due_counts_working_days_across_national_day():
    result = huiying(
        "calendar",
        "due",
        "--tenant",
        "nanxi-town",
        "--from",
        "2026-09-30T10:00:00+08:00",
        "--add",
        "5 working days",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-10-13T23:59:59+08:00"


def test_calendar_due_says_provisional_for_a_year_without_data():
    result = huiying(
        "calendar",
        "due",
        "--tenant",
        "nanxi-town",
        "--from",
        "2026-12-20T10:00:00+08:00",
        "--add",
        "30 working days",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "provisional"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tenant", "nanxi-town", "--from", "2026-09-30", "--add", "5 working days"), "须带时区偏移"),
        (("--tenant", "nanxi-town", "--from", "yesterday", "--add", "5 working days"), "不是 ISO 8601"),
        (
            ("--tenant", "nanxi-town", "--from", "2026-09-30T10:00:00+08:00", "--add", "5 weeks"),
            "无法识别的期限",
        ),
        (
            ("--tenant", "no-such-town", "--from", "2026-09-30T10:00:00+08:00", "--add", "5 days"),
            "找不到租户",
        ),
    ],
)
def test_calendar_due_explains_bad_input(args, message):
    result = huiying("calendar", "due", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


TENANT_FILE = """
slug = "{slug}"
name = "测试镇人民政府"
plugin = "{plugin}"
serial_prefix = "CS"
[settings]
general_working_days = 4
[[units]]
code = "jcs"
name = "镇监察室"
[[users]]
username = "operator"
roles = ["intake_officer"]
"""


def test_onboard_list_suspend_and_set_password(tmp_path, unique_slug):
    slug = unique_slug("cli")
    file = write(tmp_path, "t.toml", TENANT_FILE.format(slug=slug, plugin="township"))
    result = huiying("tenants", "onboard", str(file))
    assert result.returncode == 0, result.stderr
    assert f"已入驻租户 {slug}" in result.stdout

    listed = huiying("tenants", "list")
    assert any(line.split()[:3] == [slug, "township", "active"] for line in listed.stdout.splitlines())

    again = huiying("tenants", "onboard", str(file))
    assert again.returncode == 1 and "已存在" in again.stderr

    assert (
        huiying("users", "set-password", "--tenant", slug, "operator", stdin="s3cret-pass\n").returncode == 0
    )
    short = huiying("users", "set-password", "--tenant", slug, "operator", stdin="short\n")
    assert short.returncode == 1 and "至少 8 个字符" in short.stderr
    missing = huiying("users", "set-password", "--tenant", slug, "nobody", stdin="s3cret-pass\n")
    assert missing.returncode == 1 and "没有用户 nobody" in missing.stderr

    suspended = huiying("tenants", "suspend", slug, "--reason", "合同到期")
    assert suspended.returncode == 0 and "合同到期" in suspended.stdout
    listed = huiying("tenants", "list")
    assert any(line.split()[:3] == [slug, "township", "suspended"] for line in listed.stdout.splitlines())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            TENANT_FILE.format(slug="ok-slug", plugin="astrology"),
            "未安装插件“astrology”；已安装的插件：cdc、civic_center、commerce12312、company、efficiency、qtsb、township",
        ),
        (TENANT_FILE.format(slug="Bad Slug", plugin="township"), "slug"),
        (
            TENANT_FILE.format(slug="ok-slug", plugin="township").replace(
                "general_working_days", "general_days"
            ),
            "未知设置 general_days",
        ),
        (TENANT_FILE.format(slug="ok-slug", plugin="township").replace("= 4", '= "four"'), "应为 int"),
        (
            TENANT_FILE.format(slug="ok-slug", plugin="township").replace("intake_officer", "janitor"),
            "users[0].roles",
        ),
        (
            TENANT_FILE.format(slug="ok-slug", plugin="township") + 'email = "operator at nanxi"\n',
            "users[0].email “operator at nanxi” 不是有效的电子邮件地址",
        ),
        ("slug = [", "不是有效的 TOML"),
    ],
)
def test_onboard_rejects_a_bad_file_with_a_clear_message(tmp_path, text, message):
    result = huiying("tenants", "onboard", str(write(tmp_path, "bad.toml", text)))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_onboard_of_a_missing_file_is_explained(tmp_path):
    result = huiying("tenants", "onboard", str(tmp_path / "nope.toml"))
    assert result.returncode == 1 and "找不到租户文件" in result.stderr


def test_migrate_twice_is_harmless():
    result = huiying("migrate")
    assert result.returncode == 0, result.stderr


def test_calendar_import_makes_a_provisional_year_firm(tmp_path):
    schedule = write(
        tmp_path,
        "2031.toml",
        'year = 2031\nsource = "测试安排"\n'
        'holidays = ["2031-01-01", "2031-01-02"]\nworkdays = ["2031-01-04"]\n',
    )
    before = huiying(
        "calendar",
        "due",
        "--tenant",
        "nanxi-town",
        "--from",
        "2030-12-31T10:00:00+08:00",
        "--add",
        "2 working days",
    )
    assert before.stdout.split() == ["2031-01-02T23:59:59+08:00", "provisional"]
    result = huiying("calendar", "import", str(schedule))
    assert result.returncode == 0, result.stderr
    assert "已导入 2031 年" in result.stdout
    after = huiying(
        "calendar",
        "due",
        "--tenant",
        "nanxi-town",
        "--from",
        "2030-12-31T10:00:00+08:00",
        "--add",
        "2 working days",
    )
    # 2031-01-01/02 are holidays, Friday 01-03 and make-up Saturday 01-04 are workdays.
    assert after.stdout.split() == ["2031-01-04T23:59:59+08:00"]
    bad = huiying(
        "calendar", "import", str(write(tmp_path, "bad.toml", 'year = 2031\nholidays = ["2032-01-01"]\n'))
    )
    assert bad.returncode == 1 and "2032-01-01" in bad.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_starts_on_sqlite_onboards_the_demo_tenants_and_answers_healthz(tmp_path):
    port = free_port()
    keys = ("HUIYING_DATABASE_URL", "HUIYING_SECRET_KEY", "HUIYING_MASTER_KEY")
    env = {k: v for k, v in os.environ.items() if k not in keys}
    process = subprocess.Popen(
        [HUIYING, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "demo did not answer within 60 s"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            json={"tenant": "nanxi-town", "username": "operator", "password": "demo12345"},
            timeout=10,
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        case = {"kind": "consultation", "channel": "phone", "title": "咨询", "content": "公开目录在哪里查？"}
        created = httpx.post(f"{base}/api/v1/cases", json=case, headers=headers, timeout=10)
        assert created.status_code == 201 and created.json()["serial"].startswith("NX-")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert (tmp_path / "data" / "huiying.sqlite").exists()
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data" / "master.key").stat().st_mode & 0o777 == 0o600
    assert (
        "nanxi-town" in output
        and "admin/operator/leader/handler/supervisor" in output
        and "demo12345" in output
    )
    # Every organisation's plugin is installed, so all eight demo tenants are active.
    demo_slugs = sorted(path.stem for path in (Path(__file__).parent.parent / "tenants").glob("*.toml"))
    assert len(demo_slugs) == 8 and all(slug in output for slug in demo_slugs)
    assert "未启用" not in output


def test_platform_admins_are_created_from_the_command_line(unique_slug):
    name = unique_slug("root")
    assert huiying("platform", "create-admin", name, stdin="a-long-password\n").returncode == 0
    short = huiying("platform", "create-admin", name, stdin="short\n")
    assert short.returncode == 1 and "至少 8 个字符" in short.stderr


def test_serve_without_a_signing_key_says_what_to_set():
    env = {k: v for k, v in os.environ.items() if k != "HUIYING_SECRET_KEY"}
    result = huiying("serve", "--port", "1", env=env)
    assert result.returncode == 1 and "HUIYING_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_key_rotation_and_retention_commands_run():
    rotated = huiying("keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "已重新封装" in rotated.stdout
    purged = huiying("retention", "purge")
    assert purged.returncode == 0, purged.stderr
    assert "已删除" in purged.stdout
    env = {k: v for k, v in os.environ.items() if k != "HUIYING_MASTER_KEY"}
    missing = huiying("keys", "rotate", env=env)
    assert missing.returncode == 1 and "HUIYING_MASTER_KEY" in missing.stderr


@pytest.mark.postgres
def test_migrate_gives_the_app_role_the_password_of_its_url():
    import asyncio
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    owner = os.environ["HUIYING_OWNER_DATABASE_URL"]
    parts = urlsplit(owner)
    role = f"huiying_pw_{os.getpid()}"
    app_url = urlunsplit(parts._replace(netloc=f"{role}:it's-s3cret@{parts.hostname}:{parts.port or 5432}"))
    result = huiying(
        "migrate", env={**os.environ, "HUIYING_DATABASE_URL": owner, "HUIYING_APP_DATABASE_URL": app_url}
    )
    assert result.returncode == 0, result.stderr
    assert f"应用角色 {role} 已授权" in result.stdout

    async def check() -> tuple[bool, str]:
        connection = await asyncpg.connect(owner)
        try:
            row = await connection.fetchrow(
                "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1", role
            )
            await connection.execute(f"DROP OWNED BY {role}")
            await connection.execute(f"DROP ROLE {role}")
        finally:
            await connection.close()
        return row["rolcanlogin"], row["rolpassword"] or ""

    can_login, password = asyncio.run(check())
    assert can_login and password.startswith("SCRAM-SHA-256$"), password[:20]
